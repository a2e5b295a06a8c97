// FLOW_SHADOWED over a table compares each flow only with the flows above it that can cover it (those without an
// in_port, and those with its own port, by name or number): the same findings, in the same order, as comparing it with
// every flow above it. Checked on random tables of flows mixing ports (numbers and names of the same port), VLANs,
// masked addresses and priorities, put into the seed snapshot's br-int.

import {describe, expect, it} from 'vitest'
import {analysisOf, SEED_SNAPSHOT} from '../../src/engine.js'
import {covers, shadowAnalyzer} from '../../src/analyze/shadow.js'
import {readSnapshot} from '../../src/snapshot/read.js'
import type {Flow} from '../../src/types.js'

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomFlows(seed: number, n: number): string {
  const r = random(seed)
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    const match: string[] = [`priority=${pick([1, 2, 3, 5, 10, 10, 20])}`]
    const port = pick(['', '', 'in_port=1', 'in_port=int-br-eth2', 'in_port=2', 'in_port=qvo53903a95-82', 'in_port=9'])
    if (port) match.push(port)
    if (r() < 0.4)
      match.push(pick(['dl_vlan=1000', 'dl_vlan=1001', 'vlan_tci=0x1000/0x1000', 'vlan_tci=0x0000/0x1fff']))
    if (r() < 0.3) match.push(pick(['ip', 'arp']))
    if (r() < 0.3) match.push(pick(['ip,nw_src=198.19.0.0/16', 'ip,nw_src=198.19.1.0/24', 'ip,nw_src=198.19.1.5']))
    const actions = pick(['drop', 'NORMAL', 'mod_vlan_vid:3,NORMAL', 'resubmit(,1)'])
    lines.push(
      ` cookie=0x0, duration=1.0s, table=${pick([0, 0, 1])}, n_packets=0, n_bytes=0, ${match.join(',')} actions=${actions}`,
    )
  }
  return `NXST_FLOW reply (xid=0x4):\n${lines.join('\n')}\n`
}

/** The plain scan: every flow against every flow above it. */
function reference(flows: Flow[], covered: (g: Flow, f: Flow) => boolean): string[] {
  const out: string[] = []
  const tables = [...new Set(flows.map((f) => f.table))]
  for (const t of tables) {
    const sorted = flows.filter((f) => f.table === t).sort((a, b) => b.priority - a.priority)
    for (let i = 0; i < sorted.length; i++) {
      const g = sorted.slice(0, i).find((x) => x.priority > sorted[i].priority && covered(x, sorted[i]))
      if (g) out.push(`${sorted[i].line}<${g.line}`)
    }
  }
  return out
}

describe('FLOW_SHADOWED: the indexed scan against the plain one', () => {
  it('finds the same shadowed flows and shadows on 200 random tables', async () => {
    const seed = await readSnapshot(SEED_SNAPSHOT)
    let compared = 0
    for (let s = 1; s <= 200; s++) {
      const snapshot = structuredClone(seed)
      const dump = snapshot.captures.find(
        (c) => c.host === 'compute-1' && c.spec === 'ovs_ofctl_dump_flows' && c.key === 'br-int',
      )!
      dump.text = randomFlows(s, 40)
      const analysis = analysisOf(snapshot)
      const host = analysis.actual.hosts.find((h) => h.name === 'compute-1')!
      const flows = host.flows.get('br-int')!.flows
      const byLine = new Map(flows.map((f) => [f.line, f]))
      const want = reference(flows, (g, f) => covers(host, 'br-int', g, f))
      const found = shadowAnalyzer({...analysis, checks: []}).filter(
        (f) => f.host === 'compute-1' && f.element.startsWith('br-int'),
      )
      // shadowAnalyzer leaves out the agent's dead-port drops and the flows that act as their shadow does.
      const kept = want.filter((pair) => {
        const [f, g] = pair.split('<').map((l) => byLine.get(Number(l))!)
        return JSON.stringify(f.actions) !== JSON.stringify(g.actions)
      })
      expect(
        found.map((f) => f.evidence.map((e) => e.line).join('<')),
        `seed ${s}`,
      ).toEqual(kept)
      compared += kept.length
    }
    expect(compared).toBeGreaterThan(200)
  })
})
