// What is known (issue 8): a damaged capture makes the checks resting on it unknown, reported once as DATA_MISSING or
// PARSE_ERROR naming host, spec, file and line and the checks that could not run; never an error finding. Each case
// below produced error findings before (several with no warning naming the damaged file).

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, PACKAGE_ROOT, SEED_SNAPSHOT} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
import {damaged} from '../fuzz/e2e.js'

let seed: Snapshot
let egress: Snapshot
beforeAll(async () => {
  seed = await readSnapshot(SEED_SNAPSHOT)
  egress = await readSnapshot(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'lab-egress'))
})

function run(
  snapshot: Snapshot,
  host: string,
  spec: string,
  fn: (t: string) => string | undefined,
  key?: RegExp,
): {findings: Finding[]; file: string} {
  const capture = snapshot.captures.find((c) => c.host === host && c.spec === spec && (!key || key.test(c.key ?? '')))
  if (!capture?.text) throw new Error(`no ${host} ${spec}`)
  return {findings: diagnose(analysisOf(damaged(snapshot, capture, fn(capture.text)))), file: capture.record.file}
}

const errors = (fs: Finding[]) =>
  fs.filter((f) => f.severity === 'error').map((f) => `${f.host} ${f.code} ${f.element}`)
const about = (fs: Finding[], file: string) =>
  fs.filter((f) => (f.code === 'DATA_MISSING' || f.code === 'PARSE_ERROR') && f.element === file)

describe('damaged captures are unknown, not faults', () => {
  it('an empty ps: no DHCP_SERVER_DOWN; one PARSE_ERROR names the file and the DHCP checks that could not run', () => {
    const {findings, file} = run(seed, 'control', 'ps', () => '')
    expect(errors(findings)).toEqual([])
    const [f] = about(findings, file)
    expect(f).toMatchObject({code: 'PARSE_ERROR', host: 'control', severity: 'warning'})
    expect(f.message).toMatch(/empty output, but ps always prints something/)
    expect(f.message).toMatch(/unknown on control, not checked: .*DHCP namespaces, dnsmasq and host files/)
  })

  it('a dump-flows cut mid-line: no FLOW_MISSING; the cut is named', () => {
    const {findings, file} = run(
      seed,
      'compute-1',
      'ovs_ofctl_dump_flows',
      (t) => t.slice(0, t.indexOf('mod_vlan_vid')),
      /br-eth2/,
    )
    expect(errors(findings)).toEqual([])
    expect(about(findings, file)[0]?.message).toMatch(/no newline: cut short/)
  })

  it('an emptied OpenFlow table: no FLOW_MISSING', () => {
    const {findings, file} = run(seed, 'control', 'ovs_ofctl_dump_flows', () => '', /br-int/)
    expect(errors(findings)).toEqual([])
    expect(about(findings, file)).toHaveLength(1)
  })

  it('a brctl listing cut at a line boundary that loses a bridge ip link shows: no PORT_MISSING', () => {
    const {findings, file} = run(seed, 'compute-1', 'brctl_show', () => '')
    expect(errors(findings)).toEqual([])
    expect(about(findings, file)[0]?.message).toMatch(/lacks Linux bridge qbr53903a95-82, which ip link shows/)
  })

  it('ip netns cut short (a namespace the collector captured inside is missing): no NAMESPACE_MISSING', () => {
    const {findings, file} = run(seed, 'control', 'ip_netns', () => '')
    expect(errors(findings)).toEqual([])
    expect(about(findings, file)[0]?.message).toMatch(
      /lacks qdhcp-5f833617-6179-4797-b7c0-7d420d84040c, which the collector found in it/,
    )
  })

  it('NUL bytes (a zero-filled block) in ovs-vsctl show: garbled, no PORT_MISSING or LINK_BROKEN', () => {
    const {findings, file} = run(
      seed,
      'compute-1',
      'ovs_vsctl_show',
      (t) => t.slice(0, 100) + '\0'.repeat(512) + t.slice(612),
    )
    expect(errors(findings)).toEqual([])
    expect(about(findings, file)[0]?.message).toMatch(/binary data \(U\+0000\) at line \d+: garbled/)
  })
})

describe('the agent configuration', () => {
  it('lab-egress has its real FLOW_MISSING', () => {
    expect(errors(diagnose(analysisOf(egress)))).toEqual([
      'compute-1 FLOW_MISSING br-eth2 table 0: in_port=phy-br-eth2,dl_vlan=3',
    ])
  })

  for (const [how, fn] of [
    ['deleted', () => undefined],
    ['emptied', () => ''],
  ] as const) {
    it(`${how}: the FLOW_MISSING becomes unknown, and a finding says so (not lost silently)`, () => {
      const {findings, file} = run(egress, 'compute-1', 'file', fn, /openvswitch_agent\.ini$/)
      expect(errors(findings)).toEqual([])
      const [f] = about(findings, file)
      expect(f.message).toMatch(/local VLANs, tags and translation flows/)
    })
  }

  it('listed by neutron_config_files but not captured at all: DATA_MISSING names it', () => {
    const snapshot = {
      ...egress,
      captures: egress.captures.filter((c) => !(c.host === 'compute-1' && c.key?.endsWith('openvswitch_agent.ini'))),
    }
    const findings = diagnose(analysisOf(snapshot))
    expect(errors(findings)).toEqual([])
    expect(findings.filter((f) => f.code === 'DATA_MISSING').map((f) => f.message)).toEqual([
      expect.stringMatching(
        /openvswitch_agent\.ini is listed by neutron_config_files but was not captured; .*local VLANs, tags and translation flows/,
      ),
    ])
  })
})

describe('every unreadable line is reported', () => {
  it('grouped per file: one PARSE_ERROR with the count and the first lines as evidence', () => {
    const {findings, file} = run(
      seed,
      'control',
      'file',
      (t) => `${t}bad line one\nbad line two\nbad line three\n`,
      /_host$|\/host$/,
    )
    const [f] = about(findings, file)
    expect(f.code).toBe('PARSE_ERROR')
    expect(f.message).toMatch(/3 problems: line \d+: .*; line \d+: .*; line \d+: /)
    expect(f.evidence.map((e) => e.text)).toEqual([
      expect.stringContaining('bad line one'),
      expect.stringContaining('bad line two'),
      expect.stringContaining('bad line three'),
    ])
  })
})
