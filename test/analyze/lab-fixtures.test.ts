// Snapshots the lab produced, collected over SSH by neutrace itself (npm run lab:capture): real ovs-vsctl JSON tables,
// OF1.0 dumps with names, ip -j -d link, brctl, dnsmasq files, libvirt XML. Offline, so they run anywhere.

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, type Analysis, loadAnalysis, PACKAGE_ROOT, traceVm} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

const SNAPS = join(PACKAGE_ROOT, 'fixtures', 'snapshots')

function notInfo(findings: Finding[]): string[] {
  return findings
    .filter((f) => f.severity !== 'info')
    .map((f) => `${f.severity} ${f.code} ${f.host} ${f.element}: ${f.message}`)
}

for (const name of ['lab-healthy', 'lab-patch']) {
  describe(`${name}: a healthy lab snapshot`, () => {
    let analysis: Analysis
    beforeAll(async () => {
      analysis = await loadAnalysis(join(SNAPS, name))
    })

    it('diagnoses clean: no error, no warning', () => {
      expect(notInfo(diagnose(analysis))).toEqual([])
    })

    it('every VM reaches its uplink with its segment and its DHCP server, and the offer gets back', () => {
      const servers = analysis.intent!.servers
      expect(servers.length).toBeGreaterThan(0)
      for (const server of servers) {
        const port = analysis.reference.ports.find((p) => p.deviceId === server.id)!
        const net = analysis.reference.networks.get(port.networkId!)!
        const [up] = traceVm(analysis, server.id, 'uplink')
        expect(up.verdict, `${server.name}: ${up.reason}`).toBe('delivered')
        expect(up.hops.find((h) => h.kind === 'uplink')?.vlan).toBe(net.type === 'flat' ? null : net.segmentationId)
        const [dhcp] = traceVm(analysis, server.id, 'dhcp')
        expect(dhcp.verdict, `${server.name}: ${dhcp.reason}`).toBe('delivered')
        expect(dhcp.dhcp).toMatchObject({namespace: `qdhcp-${net.id}`, knowsMac: true, offers: port.ips[0]})
        expect(dhcp.reply?.verdict).toBe('delivered')
      }
    })
  })
}

describe('lab-egress: compute-1 lost its egress translation flow', () => {
  it('is exactly one FLOW_MISSING on compute-1 br-eth2, and vm-1 is dropped by the priority-2 drop flow', async () => {
    const analysis = await loadAnalysis(join(SNAPS, 'lab-egress'))
    const errors = diagnose(analysis).filter((f) => f.severity === 'error')
    expect(errors.map((f) => [f.code, f.host, f.element])).toEqual([
      ['FLOW_MISSING', 'compute-1', 'br-eth2 table 0: in_port=phy-br-eth2,dl_vlan=3'],
    ])
    expect(errors[0].evidence[0]).toMatchObject({
      host: 'compute-1',
      file: 'hosts/compute-1/ovs_ofctl_dump_flows@br-eth2.out',
    })
    const victim = errors[0].impact.vms[0]
    const [r] = traceVm(analysis, victim, 'uplink')
    expect(r.verdict).toBe('dropped')
    expect(r.dropFlow).toMatchObject({host: 'compute-1', bridge: 'br-eth2'})
    expect(r.dropFlow!.text).toContain('actions=drop')
  })
})

describe('faults made in the real JSON formats of lab-healthy', () => {
  let healthy: Snapshot
  beforeAll(async () => {
    healthy = await readSnapshot(join(SNAPS, 'lab-healthy'))
  })

  function edit(host: string, spec: string, fn: (t: string) => string): Finding[] {
    const snap: Snapshot = structuredClone(healthy)
    const c = snap.captures.find((x) => x.host === host && x.spec === spec)!
    const before = c.text!
    c.text = fn(before)
    expect(c.text).not.toBe(before)
    return diagnose(analysisOf(snap)).filter((f) => f.severity === 'error')
  }

  it('LOCAL_VLAN_CONFLICT: compute-1 gives net2 the local VLAN of net1 (Port table JSON and both flows)', () => {
    const snap: Snapshot = structuredClone(healthy)
    const port = snap.captures.find((x) => x.host === 'compute-1' && x.spec === 'ovs_vsctl_list_port')!
    const table = JSON.parse(port.text!) as {headings: string[]; data: unknown[][]}
    const tagAt = table.headings.indexOf('tag')
    const tags = table.data
      .map((row) => row[tagAt])
      .filter((t): t is number => typeof t === 'number')
      .sort()
    expect(new Set(tags).size).toBeGreaterThan(1)
    const [keep, move] = [...new Set(tags)]
    for (const row of table.data) if (row[tagAt] === move) row[tagAt] = keep
    port.text = JSON.stringify(table) + '\n'
    for (const key of ['br-int', 'br-eth2']) {
      const flows = snap.captures.find(
        (x) => x.host === 'compute-1' && x.spec === 'ovs_ofctl_dump_flows' && x.key === key,
      )!
      flows.text = flows
        .text!.replace(new RegExp(`mod_vlan_vid:${move}\\b`, 'g'), `mod_vlan_vid:${keep}`)
        .replace(new RegExp(`dl_vlan=${move}\\b`, 'g'), `dl_vlan=${keep}`)
    }
    const errors = diagnose(analysisOf(snap)).filter((f) => f.severity === 'error')
    const conflict = errors.filter((f) => f.code === 'LOCAL_VLAN_CONFLICT')
    expect(conflict.map((f) => [f.host, f.element])).toEqual([['compute-1', `br-int local VLAN ${keep}`]])
  })

  it('DEAD_VLAN from the Port JSON (tag 4095, trunks [4095])', () => {
    const errors = edit('compute-2', 'ovs_vsctl_list_port', (t) => {
      const table = JSON.parse(t) as {headings: string[]; data: unknown[][]}
      const [name, tag, trunks] = ['name', 'tag', 'trunks'].map((h) => table.headings.indexOf(h))
      const row = table.data.find((r) => String(r[name]).startsWith('qvo'))!
      row[tag] = 4095
      row[trunks] = 4095
      return JSON.stringify(table) + '\n'
    })
    expect(errors.map((f) => f.code)).toEqual(['DEAD_VLAN'])
    expect(errors[0].host).toBe('compute-2')
  })

  it('LINK_BROKEN from ip -j -d link: qvb set down', () => {
    const errors = edit('compute-1', 'ip_link', (t) => {
      const links = JSON.parse(t) as {ifname: string; flags: string[]; operstate: string}[]
      const qvb = links.find((l) => l.ifname.startsWith('qvb'))!
      qvb.flags = qvb.flags.filter((f) => f !== 'UP' && f !== 'LOWER_UP')
      qvb.operstate = 'DOWN'
      return JSON.stringify(links) + '\n'
    })
    expect(errors.map((f) => [f.code, f.host])).toEqual([['LINK_BROKEN', 'compute-1']])
    expect(errors[0].element).toMatch(/^qvb/)
  })
})
