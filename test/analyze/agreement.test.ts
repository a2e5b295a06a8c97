// diagnose and trace agree: every drop the tracer can explain by a flow that should be there is also a finding. Dumps
// are cut at line boundaries and have single lines deleted — the way a deleted flow or a short capture looks, with
// nothing to tell it from a real one — and whenever a VM's trace does not arrive, diagnose reports an error; when the
// trace is dropped at a table miss, the error is a FLOW_MISSING on that host and bridge.

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, PACKAGE_ROOT, SEED_SNAPSHOT, traceVm} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
import type {TraceResult} from '../../src/trace/tracer.js'

const FIXTURES: Record<string, string> = {
  seed: SEED_SNAPSHOT,
  'lab-healthy': join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'lab-healthy'),
  'neutron-lab': join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-lab'),
}
const snaps: Record<string, Snapshot> = {}
beforeAll(async () => {
  for (const [name, dir] of Object.entries(FIXTURES)) snaps[name] = await readSnapshot(dir)
})

/** Where a trace (or its reply) was dropped by a table miss: host and bridge. */
function tableMiss(r: TraceResult): {host: string; bridge: string} | undefined {
  // When the reply fails, the result carries its verdict but the request's hops: look at the reply's own.
  const leg = r.reply && r.reply.verdict !== 'delivered' ? r.reply : r
  {
    if (leg.verdict !== 'dropped' || leg.dropFlow || !/table miss/.test(leg.reason)) return undefined
    const hop = [...leg.hops].reverse().find((h) => h.kind === 'ovs-bridge')
    if (hop) return {host: hop.host, bridge: hop.element}
  }
  return undefined
}

function traces(snapshot: Snapshot): {findings: Finding[]; results: TraceResult[]} {
  const analysis = analysisOf(snapshot)
  const vms = analysis.reference.ports.filter((p) => p.owner?.startsWith('compute:') && p.mac).map((p) => p.mac!)
  expect(vms.length).toBeGreaterThan(0)
  const results = vms.flatMap((mac) => [...traceVm(analysis, mac, 'uplink'), ...traceVm(analysis, mac, 'dhcp')])
  return {findings: diagnose(analysis), results}
}

/**
 * Each flow line cut before (the capture ends there) or deleted; `deletionsOnly` keeps the big modern fixture's run
 * short.
 */
function variants(snapshot: Snapshot, deletionsOnly = false): {label: string; snap: Snapshot}[] {
  const out: {label: string; snap: Snapshot}[] = []
  snapshot.captures.forEach((c, index) => {
    if (c.spec !== 'ovs_ofctl_dump_flows' || !c.text) return
    const lines = c.text.split('\n')
    const flowLines = lines.map((l, i) => (/actions=/.test(l) ? i : -1)).filter((i) => i >= 0)
    for (const i of flowLines) {
      const cut = ['cut before', lines.slice(0, i).join('\n') + '\n'] as const
      const without = ['without', [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n')] as const
      for (const [mode, text] of deletionsOnly ? [without] : [cut, without]) {
        const snap = {...snapshot, captures: snapshot.captures.map((x, j) => (j === index ? {...x, text} : x))}
        out.push({label: `${c.host} ${c.key} ${mode} line ${i + 1}: ${lines[i].trim().slice(0, 100)}`, snap})
      }
    }
  })
  return out
}

describe('the issue-8 reproduction: compute-1 br-eth2 cut at a line boundary, its default NORMAL flow gone', () => {
  it('trace says DROPPED at a table miss, and diagnose reports the missing flow (exit 1), not "No findings"', () => {
    const snapshot: Snapshot = structuredClone(snaps.seed)
    const c = snapshot.captures.find(
      (x) => x.host === 'compute-1' && x.spec === 'ovs_ofctl_dump_flows' && x.key === 'br-eth2',
    )!
    c.text = c.text!.split('\n').slice(0, 3).join('\n') + '\n'
    expect(c.text).not.toContain('priority=1 actions=NORMAL')
    const analysis = analysisOf(snapshot)
    const [r] = traceVm(analysis, 'fa:16:3e:fe:c7:87', 'dhcp')
    expect(r.verdict).toBe('dropped')
    expect(tableMiss(r)).toEqual({host: 'compute-1', bridge: 'br-eth2'})
    const errors = diagnose(analysis).filter((f) => f.severity === 'error')
    expect(errors.map((f) => [f.code, f.host, f.element])).toEqual([
      ['FLOW_MISSING', 'compute-1', 'br-eth2 table 0: in_port=eth2,dl_vlan=1000'],
    ])
    expect(errors[0]).toMatchObject({
      expected: "a flow in table 0 of br-eth2 that takes them (the agent's table=0,priority=1,actions=NORMAL)",
      remedy:
        'restart neutron-openvswitch-agent on compute-1 to reinstall its flows, or: ovs-ofctl add-flow br-eth2 table=0,priority=1,actions=NORMAL',
    })
    expect(errors[0].evidence[0]).toMatchObject({
      host: 'compute-1',
      spec: 'ovs_ofctl_dump_flows',
      file: 'hosts/compute-1/ovs_ofctl_dump_flows@br-eth2.out',
    })
  })
})

describe('every flow line of every dump, cut there or deleted: a trace that does not arrive is never "No findings"', () => {
  for (const name of Object.keys(FIXTURES)) {
    it(name, () => {
      const disagreements: string[] = []
      let failing = 0
      const all = variants(snaps[name], name === 'neutron-lab')
      for (const {label, snap} of all) {
        const {findings, results} = traces(snap)
        const errors = findings.filter((f) => f.severity === 'error')
        const bad = results.filter((r) => r.verdict !== 'delivered')
        if (!bad.length) continue
        failing++
        if (!errors.length) disagreements.push(`${label}: ${bad[0].verdict} (${bad[0].reason}) but no error`)
        for (const r of bad) {
          const miss = tableMiss(r)
          if (
            miss &&
            !errors.some(
              (f) => f.code === 'FLOW_MISSING' && f.host === miss.host && f.element.startsWith(`${miss.bridge} table `),
            )
          ) {
            disagreements.push(
              `${label}: table miss on ${miss.host} ${miss.bridge} but no FLOW_MISSING there (${errors.map((f) => `${f.code} ${f.host} ${f.element}`).join('; ')})`,
            )
          }
        }
      }
      expect(disagreements).toEqual([])
      expect(failing, `${all.length} variants`).toBeGreaterThan(0)
    })
  }
})
