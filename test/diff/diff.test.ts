// `neutrace diff` on real before/after captures of the lab (fixtures/snapshots/lab-healthy and lab-egress: the same
// lab, before and after compute-1's egress flow was deleted) and on seed faults made by editing the captured text.

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {type Analysis, analysisOf, loadAnalysis, PACKAGE_ROOT, SEED_SNAPSHOT} from '../../src/engine.js'
import {diffAnalyses, renderDiffText} from '../../src/diff/index.js'
import {escapeTerminal} from '../../src/render/escape.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
import {expectMatchesSchema} from '../support/schemas.js'

const SNAPS = join(PACKAGE_ROOT, 'fixtures', 'snapshots')
const NET = '5f833617-6179-4797-b7c0-7d420d84040c'
let healthy: Analysis
let egress: Analysis
let seed: Snapshot

beforeAll(async () => {
  healthy = await loadAnalysis(join(SNAPS, 'lab-healthy'))
  egress = await loadAnalysis(join(SNAPS, 'lab-egress'))
  seed = await readSnapshot(SEED_SNAPSHOT)
})

function edited(...edits: {host: string; spec: string; key?: string; edit: (t: string) => string}[]): Analysis {
  const snapshot: Snapshot = structuredClone(seed)
  for (const e of edits) {
    const c = snapshot.captures.find(
      (x) => x.host === e.host && x.spec === e.spec && (e.key === undefined || x.key === e.key),
    )!
    const before = c.text
    c.text = e.edit(c.text!)
    expect(c.text, `${e.host} ${e.spec}`).not.toBe(before)
  }
  return analysisOf(snapshot)
}

const brief = (d: ReturnType<typeof diffAnalyses>) =>
  d.hosts.flatMap((h) => h.changes.map((c) => `${c.change} ${c.category} ${c.host} ${c.element}`))

describe('diff: agents, dnsmasq, learned flows', () => {
  it('names the DHCP agent and dnsmasq stopped (ps); a flow learned from traffic (with a timeout) is no change', () => {
    const after = edited(
      {
        host: 'control',
        spec: 'ps',
        edit: (t) =>
          t
            .split('\n')
            .filter((l) => !/neutron-dhcp-agent|dnsmasq/.test(l))
            .join('\n'),
      },
      {
        host: 'compute-1',
        spec: 'ovs_ofctl_dump_flows',
        key: 'br-int',
        edit: (t) =>
          t +
          ' cookie=0x0, duration=3.1s, table=20, n_packets=0, n_bytes=0, hard_timeout=300, idle_age=3, priority=1,vlan_tci=0x0003/0x0fff,dl_dst=fa:16:3e:00:00:01 actions=load:0->NXM_OF_VLAN_TCI[],output:1\n',
      },
    )
    const d = diffAnalyses(analysisOf(seed), after, 'test')
    expect(brief(d)).toEqual([
      `removed dhcp-server control dnsmasq of ${NET}`,
      'removed agent control neutron-dhcp-agent',
    ])
    expect(d.hosts[0]!.changes[1]).toMatchObject({before: 'pid 2263'})
    expect(d.networks.map((n) => n.id)).toEqual([NET])
    expect(d.findings.appeared.map((f) => f.code)).toContain('DHCP_SERVER_DOWN')
    expectMatchesSchema('diff', d)
  })
})

describe('diff on real lab captures', () => {
  it('a snapshot against itself: nothing changed (counters and durations differ between captures, not here)', () => {
    const d = diffAnalyses(healthy, healthy, 'test')
    expect(d.summary).toEqual({changes: 0, appeared: 0, disappeared: 0})
    expectMatchesSchema('diff', d)
  })

  it('healthy → egress flow deleted: exactly that flow on compute-1, and FLOW_MISSING appeared; the way back restores it', () => {
    const d = diffAnalyses(healthy, egress, 'test')
    expect(brief(d)).toEqual(['removed flow compute-1 br-eth2 table 0 priority=4 in_port="phy-br-eth2",dl_vlan=3'])
    expect(d.hosts[0].changes[0].before).toBe('actions=mod_vlan_vid:1000,NORMAL')
    expect(d.findings.appeared.map((f) => [f.code, f.host, f.element])).toEqual([
      ['FLOW_MISSING', 'compute-1', 'br-eth2 table 0: in_port=phy-br-eth2,dl_vlan=3'],
    ])
    expect(d.findings.disappeared).toEqual([])
    expectMatchesSchema('diff', d)
    const back = diffAnalyses(egress, healthy, 'test')
    expect(brief(back)).toEqual(['added flow compute-1 br-eth2 table 0 priority=4 in_port="phy-br-eth2",dl_vlan=3'])
    expect(back.findings.disappeared.map((f) => f.code)).toEqual(['FLOW_MISSING'])
    const text = renderDiffText(d, escapeTerminal)
    expect(text).toContain(
      'Host compute-1\n  - flow      br-eth2 table 0 priority=4 in_port="phy-br-eth2",dl_vlan=3 (actions=mod_vlan_vid:1000,NORMAL)',
    )
    expect(text).toContain('Findings appeared: 1\n  + error FLOW_MISSING on compute-1')
  })
})

describe('diff on seed faults', () => {
  it('a tag change, grouped under its host and its network; cookies and counters of flows are ignored', () => {
    const after = edited(
      {host: 'compute-1', spec: 'ovs_vsctl_show', edit: (t) => t.replace('tag: 3', 'tag: 5')},
      {
        host: 'compute-1',
        spec: 'ovs_ofctl_dump_flows',
        key: 'br-int',
        edit: (t) =>
          t
            .replace(/n_packets=\d+/g, 'n_packets=999')
            .replace(/duration=[\d.]+s/g, 'duration=1.000s')
            .replace(/cookie=0x0/g, 'cookie=0x5c1f0e3a'),
      },
    )
    const d = diffAnalyses(analysisOf(structuredClone(seed)), after, 'test')
    expect(brief(d)).toEqual(['changed tag compute-1 br-int/qvo53903a95-82'])
    expect(d.hosts[0].changes[0]).toMatchObject({before: 'tag 3', after: 'tag 5', network: NET})
    expect(d.networks).toEqual([{id: NET, name: 'net1', changes: [d.hosts[0].changes[0]]}])
    expect(d.findings.appeared.map((f) => f.code)).toEqual(['VLAN_TAG_MISMATCH'])
    expectMatchesSchema('diff', d)
  })

  it('a dnsmasq host entry removed and a changed action: each named, on the right network', () => {
    const after = edited(
      {
        host: 'control',
        spec: 'file',
        key: `/var/lib/neutron/dhcp/${NET}/host`,
        edit: (t) =>
          t
            .split('\n')
            .filter((l) => !l.includes('fa:16:3e:fe:c7:87'))
            .join('\n'),
      },
      {
        host: 'compute-1',
        spec: 'ovs_ofctl_dump_flows',
        key: 'br-eth2',
        edit: (t) => t.replace('mod_vlan_vid:1000', 'mod_vlan_vid:1001'),
      },
    )
    const d = diffAnalyses(analysisOf(structuredClone(seed)), after, 'test')
    expect(brief(d).sort()).toEqual([
      'changed flow compute-1 br-eth2 table 0 priority=4 in_port="phy-br-eth2",dl_vlan=3',
      'removed dhcp-host control dnsmasq host fa:16:3e:fe:c7:87',
    ])
    expect(d.networks.map((n) => [n.id, n.changes.map((c) => c.category)])).toEqual([[NET, ['dhcp-host']]])
    expect(d.findings.appeared.map((f) => f.code).sort()).toEqual(['DHCP_HOST_MISSING', 'SEGMENT_MISMATCH'])
    expectMatchesSchema('diff', d)
  })
})

describe('diff: ports by number (sos, no --names) and by name (SSH) read alike', () => {
  const named = (t: string) =>
    t.replaceAll('in_port=2', 'in_port="phy-br-eth2"').replace('actions=drop', 'actions=output:"phy-br-eth2"')
  it('the same flows dumped with port names are no change; a real difference in match or actions still is', () => {
    const renamed = edited({host: 'compute-1', spec: 'ovs_ofctl_dump_flows', key: 'br-eth2', edit: named})
    const numbered = edited({
      host: 'compute-1',
      spec: 'ovs_ofctl_dump_flows',
      key: 'br-eth2',
      edit: (t) => t.replace('actions=drop', 'actions=output:2'),
    })
    expect(brief(diffAnalyses(numbered, renamed, 'test'))).toEqual([])
    // Another port (int-br-eth2 is 1 on br-int, unknown on br-eth2: it stays a number), another action: named.
    const other = edited({
      host: 'compute-1',
      spec: 'ovs_ofctl_dump_flows',
      key: 'br-eth2',
      edit: (t) => named(t).replace('in_port="phy-br-eth2",dl_vlan=3', 'in_port=7,dl_vlan=3'),
    })
    const d = diffAnalyses(numbered, other, 'test')
    expect(brief(d).sort()).toEqual([
      'added flow compute-1 br-eth2 table 0 priority=4 in_port=7,dl_vlan=3',
      'removed flow compute-1 br-eth2 table 0 priority=4 in_port="phy-br-eth2",dl_vlan=3',
    ])
    const output = edited({
      host: 'compute-1',
      spec: 'ovs_ofctl_dump_flows',
      key: 'br-eth2',
      edit: (t) => t.replace('actions=drop', 'actions=output:9'),
    })
    expect(diffAnalyses(renamed, output, 'test').hosts[0]!.changes).toMatchObject([
      {change: 'changed', before: 'actions=output:"phy-br-eth2"', after: 'actions=output:9'},
    ])
  })
})

describe('neutrace diff (CLI)', () => {
  it("exits 1 when something changed, 0 when nothing did, 2 for a missing snapshot; --format json is the schema's", async () => {
    const {execFile} = await import('node:child_process')
    const run = (...args: string[]) =>
      new Promise<{code: number; stdout: string; stderr: string}>((resolve) => {
        execFile(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), 'diff', ...args], (error, stdout, stderr) =>
          resolve({code: error ? Number(error.code) : 0, stdout, stderr}),
        )
      })
    const changed = await run(join(SNAPS, 'lab-healthy'), join(SNAPS, 'lab-egress'), '--format', 'json')
    expect(changed.code).toBe(1)
    expectMatchesSchema('diff', JSON.parse(changed.stdout))
    expect((await run(join(SNAPS, 'lab-healthy'), join(SNAPS, 'lab-healthy'))).code).toBe(0)
    const missing = await run('/nonexistent/a', join(SNAPS, 'lab-healthy'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('/nonexistent/a')
  }, 60_000)
})
