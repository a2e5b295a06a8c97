// The catalog owns the words: per code one severity, a message and a remedy template; analyzers give facts. Remedies
// quote every name for the shell, or print no command when a name fails validation. Evidence cites the capture the
// fact was read from.

import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {CATALOG, FINDING_CODES} from '../../src/analyze/codes.js'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, PACKAGE_ROOT, SEED_SNAPSHOT} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

let seed: Snapshot
beforeAll(async () => {
  seed = await readSnapshot(SEED_SNAPSHOT)
})

function edit(
  base: Snapshot,
  ...edits: {host: string; spec: string; key?: string; fn: (t: string) => string}[]
): Finding[] {
  const snap: Snapshot = structuredClone(base)
  for (const e of edits) {
    const c = snap.captures.find(
      (x) => x.host === e.host && x.spec === e.spec && (e.key === undefined || x.key === e.key),
    )!
    const before = c.text!
    c.text = e.fn(before)
    if (c.text === before) throw new Error(`edit of ${e.host} ${e.spec} changed nothing`)
  }
  return diagnose(analysisOf(snap))
}

describe('the catalog', () => {
  it('gives every code one severity, a sentence and at least one case with a message', () => {
    expect(Object.keys(CATALOG)).toHaveLength(40)
    for (const [code, entry] of Object.entries(CATALOG)) {
      expect(['error', 'warning', 'info'], code).toContain(entry.severity)
      expect(FINDING_CODES[code as keyof typeof FINDING_CODES]).toBe(entry.about)
      expect(Object.keys(entry.cases).length, code).toBeGreaterThan(0)
    }
    expect(CATALOG.FLOW_SHADOWED.severity).toBe('error')
  })

  it('analyzers write no prose and pick no severity: every message, remedy and severity comes from the catalog', () => {
    const dir = join(PACKAGE_ROOT, 'src', 'analyze')
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'codes.ts')) {
      const text = readFileSync(join(dir, file), 'utf8')
      expect(text, file).not.toMatch(/\b(message|remedy|severity):\s*[`'"]/)
      expect(text, file).not.toMatch(/finding\(\{/)
    }
  })
})

describe('evidence names the capture the fact came from', () => {
  it('a port tag read from ovs-vsctl show cites ovs_vsctl_show and its file', () => {
    const f = edit(seed, {host: 'compute-1', spec: 'ovs_vsctl_show', fn: (t) => t.replace('tag: 3', 'tag: 5')}).find(
      (x) => x.code === 'VLAN_TAG_MISMATCH',
    )!
    expect(f.evidence).toEqual([
      {
        host: 'compute-1',
        spec: 'ovs_vsctl_show',
        file: 'hosts/compute-1/ovs_vsctl_show.out',
        text: 'Port qvo53903a95-82 tag=5',
      },
    ])
  })

  it('a port tag read from the Port table JSON cites ovs_vsctl_list_port', async () => {
    const lab = await readSnapshot(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'lab-healthy'))
    const findings = edit(lab, {
      host: 'compute-2',
      spec: 'ovs_vsctl_list_port',
      fn: (t) => {
        const table = JSON.parse(t) as {headings: string[]; data: unknown[][]}
        const tag = table.headings.indexOf('tag')
        const row = table.data.find((r) => typeof r[tag] === 'number')!
        row[tag] = (row[tag] as number) + 7
        return JSON.stringify(table) + '\n'
      },
    })
    const f = findings.find((x) => x.code === 'VLAN_TAG_MISMATCH')!
    expect(f.evidence[0]).toMatchObject({host: 'compute-2', spec: 'ovs_vsctl_list_port'})
    expect(f.evidence[0].file).toMatch(/ovs_vsctl_list_port/)
  })
})

describe('remedies with hostile names', () => {
  const PWNED = '/tmp/neutrace-remedy-pwned'
  /** The uplink NIC renamed and set down: LINK_BROKEN, whose remedy is `ip link set <nic> up`. */
  function uplinkDown(name: string): Finding {
    const findings = edit(
      seed,
      {
        host: 'compute-1',
        spec: 'ovs_vsctl_show',
        fn: (t) =>
          t.replace('Port "eth2"\n            Interface "eth2"', `Port "${name}"\n            Interface "${name}"`),
      },
      {
        host: 'compute-1',
        spec: 'ip_link',
        fn: (t) =>
          t
            .replace('4: eth2: <BROADCAST,MULTICAST,UP,LOWER_UP>', `4: ${name}: <BROADCAST,MULTICAST>`)
            .replace(/(4: .*state) UP/, '$1 DOWN'),
      },
    )
    const f = findings.find((x) => x.code === 'LINK_BROKEN' && x.element === name)
    if (!f)
      throw new Error(
        `no LINK_BROKEN for ${JSON.stringify(name)}: ${JSON.stringify(findings.map((x) => [x.code, x.element]))}`,
      )
    return f
  }

  it('quote the name as one shell word: pasting the command runs nothing the name holds', () => {
    const name = 'eth2;$(touch${IFS}' + PWNED + ')`touch${IFS}' + PWNED + '`'
    const f = uplinkDown(name)
    expect(f.remedy).toMatch(/^ip link set .* up; check the cable\/switch port$/)
    const cmd = f.remedy!.replace(/; check the cable\/switch port$/, '')
    // Run it with `ip` replaced by printf: the shell hands the name over untouched and runs no substitution.
    const out = execFileSync('bash', ['-c', `ip() { printf '%s\\n' "$@"; }; ${cmd}`]).toString()
    expect(out).toBe(`link\nset\n${name}\nup\n`)
    expect(existsSync(PWNED)).toBe(false)
  })

  it('print no command for a name with a control character, and say why', () => {
    const f = uplinkDown('eth2\x1b[2J')
    expect(f.remedy).toMatch(
      /^\[no command printed: the name "eth2\\x1b\[2J" is not safe to paste: it contains control characters\]/,
    )
    expect(f.remedy).not.toContain('ip link set')
  })
})

describe('findings name the element the operator must touch', () => {
  const noNic = {
    host: 'compute-1',
    spec: 'ovs_vsctl_show',
    fn: (t: string) => t.replace(/ +Port "eth2"\n +Interface "eth2"\n/, ''),
  }

  it('UPLINK_MISSING names the NIC the other hosts use for the physical network, free on this host, and adds it in the remedy', () => {
    const [f] = edit(seed, noNic).filter((x) => x.severity === 'error')
    expect(f).toMatchObject({
      code: 'UPLINK_MISSING',
      host: 'compute-1',
      element: 'br-eth2',
      expected: 'eth2 on br-eth2 (the NIC of default on control)',
      remedy: 'ovs-vsctl add-port br-eth2 eth2',
    })
    expect(f.message).toContain('eth2, the NIC of default on control, is not on it')
  })

  it('names no NIC when the host shows none that fits (eth2 gone, eth0 and eth1 both free), and prints no placeholder command', () => {
    const [f] = edit(seed, noNic, {
      host: 'compute-1',
      spec: 'ip_link',
      fn: (t) => t.replace(/4: eth2:.*\n.*\n/, ''),
    }).filter((x) => x.severity === 'error')
    expect(f).toMatchObject({code: 'UPLINK_MISSING', element: 'br-eth2', expected: 'a NIC port on br-eth2'})
    expect(f.remedy).not.toMatch(/<|ovs-vsctl add-port br-eth2 \S/)
  })
})
