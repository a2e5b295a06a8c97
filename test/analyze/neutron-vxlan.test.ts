// The snapshot of the Neutron lab with VXLAN tenant networks (fixtures/snapshots/neutron-vxlan), offline: every VM
// traces to its DHCP server on the control node and back across VXLAN, with the VNI on the wire and the local VLAN in
// each host; `--to uplink` stops at the tunnel endpoint's NIC; the tunnel mesh is whole.

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {analysisOf, diagnose, PACKAGE_ROOT, traceVm} from '../../src/engine.js'
import {endpoints, tunnelMesh, tunnelPortName} from '../../src/model/tunnels.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
import type {Hop} from '../../src/trace/tracer.js'

export const VXLAN_SNAP = join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-vxlan')

/** $NLAB_DIR/vms of the lab the fixture was captured from: node, network, port, MAC, IP. */
export const VXLAN_VMS = [
  {node: 'nlab-cmp1', network: 'nlab-tun1', vni: 101, port: '7257f1c3-8a52-4637-95d5-021d8ff92059', mac: 'fa:16:3e:36:9c:e6', ip: '198.19.211.147'},
  {node: 'nlab-cmp2', network: 'nlab-tun1', vni: 101, port: 'd5f6e151-8826-44b8-a44a-5a02433adba4', mac: 'fa:16:3e:13:d9:33', ip: '198.19.211.12'},
  {node: 'nlab-cmp2', network: 'nlab-tun2', vni: 102, port: '38768617-0987-4d2b-92e8-6f10b3aeb1a5', mac: 'fa:16:3e:65:41:34', ip: '198.19.212.108'},
  {node: 'nlab-cmp1', network: 'nlab-tun2', vni: 102, port: 'cd12f0ae-94a5-414b-9c8b-4621925feb7f', mac: 'fa:16:3e:fc:03:e9', ip: '198.19.212.251'},
]
export const ENDPOINT: Record<string, string> = {'nlab-ctl': '198.19.230.11', 'nlab-cmp1': '198.19.230.12', 'nlab-cmp2': '198.19.230.13'}

let healthy: Snapshot
beforeAll(async () => {
  healthy = await readSnapshot(VXLAN_SNAP)
})

/** The local VLAN of the VM's port on its host (the qvo's tag). */
function qvoTag(snap: Snapshot, host: string, port: string): number {
  const a = analysisOf(snap)
  const h = a.actual.hosts.find((x) => x.name === host)!
  const p = h.ovs!.bridges.flatMap((b) => b.ports).find((x) => x.name === `qvo${port.slice(0, 11)}`)!
  return p.tag!
}

function tunnelHops(hops: Hop[]): Hop[] {
  return hops.filter((h) => h.kind === 'tunnel' || h.kind === 'underlay')
}

describe('neutron-vxlan: the healthy VXLAN lab', () => {
  it('diagnoses with no error and no warning', () => {
    const findings = diagnose(analysisOf(healthy))
    expect(findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.host} ${f.element}`)).toEqual([])
  })

  it('has every endpoint on br-tunnel with eth1 under it, and a full mesh of tunnel ports answered both ways', () => {
    const a = analysisOf(healthy)
    const eps = endpoints(a.actual)
    expect([...eps.values()].map((e) => [e.host, e.localIp, e.holder?.name, e.holderBridge?.name, e.underlay.map((d) => d.name), e.types, e.l2Population, e.arpResponder]))
      .toEqual(Object.entries(ENDPOINT).map(([h, ip]) => [h, ip, 'br-tunnel', 'br-tunnel', ['eth1'], ['vxlan'], true, true]))
    const mesh = tunnelMesh(a.actual)
    expect(mesh).toHaveLength(6)
    for (const link of mesh) {
      expect(link.port.name).toBe(tunnelPortName('vxlan', link.port.remoteIp!))
      expect(link.peer?.name).toBe(Object.entries(ENDPOINT).find(([, ip]) => ip === link.port.remoteIp)![0])
      expect(link.back?.remoteIp).toBe(ENDPOINT[link.port.host])
      expect(link.port.options).toMatchObject({in_key: 'flow', out_key: 'flow', df_default: 'true'})
    }
  })

  for (const vm of VXLAN_VMS) {
    it(`traces ${vm.network}'s VM on ${vm.node} to dnsmasq on nlab-ctl and back over VXLAN VNI ${vm.vni}`, () => {
      const a = analysisOf(healthy)
      const [r] = traceVm(a, vm.mac, 'dhcp')
      expect(r!.verdict).toBe('delivered')
      expect(r!.dhcp).toMatchObject({host: 'nlab-ctl', knowsMac: true, offers: vm.ip})
      const out = tunnelHops(r!.hops)
      expect(out.map((h) => [h.host, h.kind, h.vni])).toEqual([[vm.node, 'tunnel', vm.vni], ['nlab-ctl', 'underlay', vm.vni]])
      expect(out[1]!.element).toBe(`${vm.node}:${ENDPOINT[vm.node]} → nlab-ctl:${ENDPOINT['nlab-ctl']}`)
      // Inside each host the frame carries that host's local VLAN of the network.
      const local = qvoTag(healthy, vm.node, vm.port)
      expect(r!.hops.find((h) => h.host === vm.node && h.element === 'patch-tun')?.vlan).toBe(local)
      const ctlVlan = r!.hops.find((h) => h.host === 'nlab-ctl' && h.element === 'patch-tun')?.vlan
      expect(r!.hops.at(-3)).toMatchObject({host: 'nlab-ctl', kind: 'ovs-port', vlan: ctlVlan})
      expect(r!.reply?.verdict).toBe('delivered')
      expect(tunnelHops(r!.reply!.hops).map((h) => [h.host, h.kind, h.vni])).toEqual([['nlab-ctl', 'tunnel', vm.vni], [vm.node, 'underlay', vm.vni]])
    })
  }

  it('stops at the tunnel endpoint with --to uplink, naming the underlay NIC', () => {
    const vm = VXLAN_VMS[0]!
    const [r] = traceVm(analysisOf(healthy), vm.mac, 'uplink')
    expect(r!.verdict).toBe('delivered')
    expect(r!.hops.at(-1)).toMatchObject({host: vm.node, kind: 'uplink', element: 'eth1', vni: vm.vni})
    expect(r!.reason).toBe(`encapsulated in vxlan VNI ${vm.vni} to ${ENDPOINT['nlab-ctl']}, on the wire of eth1`)
  })
})
