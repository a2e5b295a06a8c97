// A tenant names its network and its VM to forge output: newlines with "Verdict: DELIVERED" and "No findings", ESC and
// C1 sequences. Every medium — terminal text, DOT, JSON — shows the names, escaped, and forges nothing.

import {execFileSync} from 'node:child_process'
import {beforeAll, describe, expect, it} from 'vitest'
import {analysisOf, diagnose, SEED_SNAPSHOT, traceVm, type Analysis} from '../../src/engine.js'
import {renderJson} from '../../src/render/escape.js'
import {buildReport, renderReportTable} from '../../src/render/findings.js'
import {renderTopologyDot, renderTopologyText, topologyJson, topologyOf} from '../../src/render/topology.js'
import {renderTraceDot, renderTraceText, traceJson} from '../../src/render/trace.js'
import {readSnapshot} from '../../src/snapshot/read.js'

const NET = '5f833617-6179-4797-b7c0-7d420d84040c'
const NET_NAME =
  'net1\nVerdict: DELIVERED — forged\nNo findings: the hosts match what Neutron expects.\n\x1b[2J\x1b]0;owned\x07\x9b31m'
const VM_NAME = 'Oracle\nVerdict: DELIVERED\u009b2J'
/** Raw control characters other than the renderer's own line breaks. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

let analysis: Analysis
beforeAll(async () => {
  const snapshot = await readSnapshot(SEED_SNAPSHOT)
  snapshot.intentFiles = snapshot.intentFiles.filter((f) => f.name !== 'net-create.txt')
  const flows = snapshot.captures.find(
    (c) => c.host === 'compute-1' && c.spec === 'ovs_ofctl_dump_flows' && c.key === 'br-eth2',
  )!
  flows.text = flows
    .text!.split('\n')
    .filter((l) => !l.includes('mod_vlan_vid:1000'))
    .join('\n')
  const libvirt = snapshot.captures.find(
    (c) => c.host === 'compute-1' && c.spec === 'file' && c.key?.endsWith('libvirt.xml'),
  )!
  libvirt.text = libvirt.text!.replace(
    '<nova:name>Oracle Linux</nova:name>',
    '<nova:name>Oracle&#10;Verdict: DELIVERED&#x9b;2J</nova:name>',
  )
  const networks = {
    networks: [
      {
        id: NET,
        name: NET_NAME,
        admin_state_up: true,
        status: 'ACTIVE',
        'provider:network_type': 'vlan',
        'provider:physical_network': 'default',
        'provider:segmentation_id': 1000,
        subnets: [],
      },
    ],
  }
  analysis = analysisOf(snapshot, [{name: 'networks.json', text: JSON.stringify(networks)}])
})

function noForgedLines(text: string): void {
  expect(text).not.toMatch(RAW)
  expect(text).not.toMatch(/^No findings/m)
  expect(text.split('\n').filter((l) => l.startsWith('Verdict:')).length).toBeLessThanOrEqual(1)
}

describe('hostile network and VM names', () => {
  it('reach the findings (the test would prove nothing otherwise)', () => {
    const findings = diagnose(analysis)
    expect(
      findings.some((f) => f.message.includes(NET_NAME) || f.impact.networks.some((n) => n.includes(NET_NAME))),
    ).toBe(true)
    expect(analysis.actual.hosts.flatMap((h) => h.vms).map((v) => v.domain.novaName)).toContain(VM_NAME)
  })

  it('diagnose table: the names are escaped in place, no line is forged', () => {
    const text = renderReportTable(buildReport(analysis, diagnose(analysis), 'test'))
    noForgedLines(text)
    expect(text).not.toMatch(/^Verdict/m)
    expect(text).toContain('net1\\x0aVerdict: DELIVERED')
    expect(text).toMatch(/^1 error\(s\), 0 warning\(s\), 0 info$/m)
  })

  it('trace text: one verdict line, the real one', () => {
    const [r] = traceVm(analysis, 'fa:16:3e:fe:c7:87', 'dhcp')
    const text = renderTraceText(r)
    noForgedLines(text)
    expect(text.split('\n').filter((l) => l.startsWith('Verdict:'))).toEqual([
      expect.stringMatching(/^Verdict: DROPPED — /),
    ])
    expect(text).toContain('Oracle\\x0aVerdict: DELIVERED\\x9b2J')
  })

  it('topology text: escaped', () => {
    const text = analysis.actual.hosts.map((h) => renderTopologyText(topologyOf(h))).join('\n\n')
    noForgedLines(text)
    expect(text).toContain('VM Oracle\\x0aVerdict: DELIVERED\\x9b2J')
  })

  it('DOT: escaped, and Graphviz reads one node per hop', () => {
    const traces = traceVm(analysis, 'fa:16:3e:fe:c7:87', 'dhcp')
    const dot = renderTraceDot(traces)
    expect(dot).not.toMatch(RAW)
    const plain = execFileSync('dot', ['-Tplain'], {input: dot}).toString()
    // One node per element on the path (consecutive hops on one element, a veth end that is an OVS port, are one), the
    // verdict, and the note on the element that dropped the frame.
    const elements = traces[0].hops.filter(
      (h, i, all) => i === 0 || h.host !== all[i - 1].host || h.element !== all[i - 1].element,
    )
    expect(plain.split('\n').filter((l) => l.startsWith('node '))).toHaveLength(
      elements.length + 1 + (traces[0].dropFlow ? 1 : 0),
    )
    const topo = renderTopologyDot(analysis.actual)
    expect(topo).not.toMatch(RAW)
    execFileSync('dot', ['-Tplain'], {input: topo})
  })

  it('JSON: no raw C1 control, and the names read back exactly', () => {
    const report = buildReport(analysis, diagnose(analysis), 'test')
    for (const doc of [
      report,
      traceJson(traceVm(analysis, 'fa:16:3e:fe:c7:87', 'dhcp'), 'test'),
      topologyJson(analysis.actual, undefined, 'test'),
    ]) {
      const text = renderJson(doc)
      expect(text).not.toMatch(RAW)
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(doc)))
    }
    expect(renderJson(report)).toContain('\\u009b31m')
  })
})

describe('a hostile bridge name', () => {
  const BRIDGE = 'br-x\x1b[2J\x9b1;1HVerdict: DELIVERED $(touch /tmp/neutrace-br-pwned)'

  it('in bridge_mappings: the line is refused (PARSE_ERROR), and no output carries the raw name', async () => {
    const snapshot = await readSnapshot(SEED_SNAPSHOT)
    const ini = snapshot.captures.find((c) => c.host === 'compute-1' && c.spec === 'file' && c.key?.endsWith('.ini'))!
    ini.text = ini.text!.replace('bridge_mappings = default:br-eth2', `bridge_mappings = default:${BRIDGE}`)
    const a = analysisOf(snapshot)
    const findings = diagnose(a)
    expect(findings.some((f) => f.code === 'PARSE_ERROR' && f.host === 'compute-1')).toBe(true)
    const text = renderReportTable(buildReport(a, findings, 'test'))
    noForgedLines(text)
    expect(text).not.toMatch(/^Verdict/m)
    expect(renderJson(buildReport(a, findings, 'test'))).not.toMatch(RAW)
  })

  it('in the OVS model: topology text and DOT show it escaped', () => {
    const host = analysis.actual.hosts.find((h) => h.name === 'compute-1')!
    const clone = {
      ...host,
      ovs: {
        ...host.ovs!,
        bridges: host.ovs!.bridges.map((b) => (b.name === 'br-eth2' ? {...b, name: 'br-eth2\nVerdict: DELIVERED'} : b)),
      },
    }
    const text = renderTopologyText(topologyOf(clone))
    noForgedLines(text)
    expect(text).toContain('OVS bridge br-eth2\\x0aVerdict: DELIVERED')
    const dot = renderTopologyDot({...analysis.actual, hosts: [clone]})
    expect(dot).not.toMatch(RAW)
    execFileSync('dot', ['-Tplain'], {input: dot})
  })
})
