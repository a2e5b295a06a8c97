// The healthy Neutron lab as the judge (issue 4, "done when"): a real neutron-server programs two compute nodes and
// a control node; the collector captures them; then for every VM
//   - diagnose has no error and no warning,
//   - the tracer delivers its frame to the uplink and to its network's qdhcp namespace, and the offer back to it,
//   - the VM's real `busybox udhcpc` gets the address the trace predicted,
//   - the simulator agrees with `ovs-appctl ofproto/trace` on every bridge of every node, for the VM's broadcast
//     (DHCP discover) and its unicasts (to another VM of its network, to the DHCP port): same datapath output ports
//     with the same VLANs, NORMAL's MAC table taken from the bridge's own `fdb/show`, patch ports followed.
//
// On the shared lab (suite.ts), for its VLAN/flat networks (the VXLAN one: neutron-overlay.test.ts). Needs root and
// test/lab/neutron/install.sh; skipped when NEUTRACE_NEUTRON_LAB=0.

import {beforeAll, describe, expect, it} from 'vitest'
import {type Analysis, diagnose, traceVm} from '../../../src/engine.js'
import type {HostModel} from '../../../src/model/actual.js'
import {type NetworkView, isDhcpPort} from '../../../src/model/reference.js'
import {localVlanOf, physLinks, portsOnHost} from '../../../src/model/wiring.js'
import {MacTable} from '../../../src/sim/mac-table.js'
import {type Packet, packetToTraceFlow} from '../../../src/sim/packet.js'
import {simBridgeOf} from '../../../src/trace/datapath.js'
import {simulateChain} from '../../sim/helpers.js'
import {parseDpifShow, parseTraceOutput} from '../../support/ovs-sandbox.js'
import {neutronLabUnavailable, type NeutronLabVm} from './control.js'
import {labTools, parseFdbShow, useSharedLab, VLAN_NETWORKS} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0'

interface Entry {
  bridge: string
  port: string
  /** VLAN on the wire at that port; undefined = untagged. */
  vlan?: number
}

interface Target {
  what: string
  mac: string
  ip: string
  udp: boolean
}

describe.skipIf(!wanted || unavailable !== undefined)(
  'Neutron lab oracle: diagnose, trace, udhcpc and ofproto/trace agree (shared lab, VLAN/flat networks)',
  () => {
    const shared = useSharedLab('nlab-oracle-')
    const lab = shared.lab
    const tools = labTools(lab, shared.scratch)
    let vms: NeutronLabVm[] = []
    let analysis: Analysis

    beforeAll(async () => {
      vms = shared.vms().filter((v) => VLAN_NETWORKS.includes(v.network) && v.netns.startsWith('vm-net'))
      analysis = await tools.snapshot()
    }, 300_000)

    const netOf = (vm: NeutronLabVm): NetworkView => {
      const port = analysis.reference.ports.find((p) => p.id === vm.portId)
      const net = port?.networkId ? analysis.reference.networks.get(port.networkId) : undefined
      if (!net) throw new Error(`no network known for ${vm.netns} (${vm.portId})`)
      return net
    }

    it('has six VMs, two per network on different computes, captured complete', () => {
      // The demo's two per network; VMs other files add and leave (security-groups' vm-net1-3) are checked too.
      expect(vms.filter((v) => /^vm-net\d+-[12]$/.test(v.netns))).toHaveLength(6)
      expect(analysis.snapshot.hosts.map((h) => [h.name, h.status])).toEqual([
        ['nlab-ctl', 'complete'],
        ['nlab-cmp1', 'complete'],
        ['nlab-cmp2', 'complete'],
      ])
      for (const net of VLAN_NETWORKS)
        expect(new Set(vms.filter((v) => v.network === net).map((v) => v.node)).size).toBe(2)
    })

    it('diagnose reports no error and no warning', () => {
      const findings = diagnose(analysis).filter((f) => f.severity !== 'info')
      expect(findings.map((f) => `${f.severity} ${f.code} ${f.host} ${f.element}: ${f.message}`)).toEqual([])
    })

    it('every VM traces to its uplink with its segment, and to its qdhcp namespace and back', () => {
      for (const vm of vms) {
        const net = netOf(vm)
        const [up] = traceVm(analysis, vm.portId, 'uplink')
        expect(up!.verdict, `${vm.netns}: ${up!.reason}`).toBe('delivered')
        const uplink = up!.hops.find((h) => h.kind === 'uplink')!
        expect([uplink.host, uplink.element, uplink.vlan]).toEqual([
          vm.node,
          'eth2',
          net.type === 'flat' ? null : net.segmentationId,
        ])
        const [dhcp] = traceVm(analysis, vm.portId, 'dhcp')
        expect(dhcp!.verdict, `${vm.netns}: ${dhcp!.reason}`).toBe('delivered')
        expect(dhcp!.dhcp).toMatchObject({
          host: 'nlab-ctl',
          namespace: `qdhcp-${net.id}`,
          server: true,
          knowsMac: true,
          offers: vm.ip,
        })
        expect(dhcp!.reply?.verdict, `${vm.netns} reply: ${dhcp!.reply?.reason}`).toBe('delivered')
      }
    })

    it("every VM's real udhcpc gets the address the trace predicted", async () => {
      for (const vm of vms) {
        const [r] = traceVm(analysis, vm.portId, 'dhcp')
        const lease = await tools.udhcpc(vm)
        const got = /lease ip=(\S+)/.exec(lease.stdout)?.[1]
        expect(got, `${vm.netns} on ${vm.node}: ${lease.stdout}${lease.stderr}`).toBe(r!.dhcp?.offers)
      }
    }, 180_000)

    it("the simulator agrees with ofproto/trace on every bridge of every node for every VM's broadcast and unicasts", async () => {
      // Fresh MAC tables first: every VM pings its peer, so NORMAL knows where each VM and DHCP port is; the real
      // tables are then read as they are and given to the simulator (ofproto/trace does not learn, neither does it).
      for (const vm of vms) {
        const peer = vms.find((v) => v.network === vm.network && v !== vm)!
        await lab.exec(vm.node, ['ip', 'netns', 'exec', vm.netns, 'busybox', 'ping', '-c', '1', '-W', '2', peer.ip])
      }
      const nodes = analysis.actual.hosts
      const state = new Map<string, {dpif: ReturnType<typeof parseDpifShow>; macs: Map<string, MacTable>}>()
      for (const host of nodes) {
        const dpif = parseDpifShow((await lab.exec(host.name, ['ovs-appctl', 'dpif/show'])).stdout)
        const macs = new Map<string, MacTable>()
        for (const br of host.ovs!.bridges) {
          const fdb = await lab.exec(host.name, ['ovs-appctl', 'fdb/show', br.name])
          expect(fdb.code, fdb.stderr).toBe(0)
          macs.set(br.name, new MacTable(parseFdbShow(br.name, fdb.stdout)))
        }
        state.set(host.name, {dpif, macs})
      }

      let compared = 0
      const bridgesSeen = new Set<string>()
      const mismatches: string[] = []
      for (const vm of vms) {
        const net = netOf(vm)
        const peer = vms.find((v) => v.network === vm.network && v !== vm)!
        const dhcpPort = analysis.reference.ports.find((p) => isDhcpPort(p) && p.networkId === net.id)!
        const targets: Target[] = [
          {what: 'DHCP discover', mac: 'ff:ff:ff:ff:ff:ff', ip: '255.255.255.255', udp: true},
          {what: `ping ${peer.netns}`, mac: peer.mac, ip: peer.ip, udp: false},
          {what: 'DHCP request to the DHCP port', mac: dhcpPort.mac!, ip: dhcpPort.ips[0]!, udp: true},
        ]
        for (const host of nodes) {
          for (const entry of entriesOf(analysis, host, vm, net)) {
            const sim = simBridgeOf(host, entry.bridge)
            const inPort = sim.ports.find((p) => p.name === entry.port)
            expect(inPort, `${host.name} ${entry.bridge} has ${entry.port}`).toBeDefined()
            for (const t of targets) {
              const broadcast = t.mac === 'ff:ff:ff:ff:ff:ff'
              const packet: Packet = {
                in_port: inPort!.ofport,
                dl_src: vm.mac,
                dl_dst: t.mac,
                dl_type: 0x0800,
                nw_src: broadcast ? '0.0.0.0' : vm.ip,
                nw_dst: t.ip,
                nw_proto: t.udp ? 17 : 1,
                tp_src: t.udp ? 68 : 8,
                tp_dst: t.udp ? 67 : 0,
                ...(entry.vlan !== undefined ? {vlan: {vid: entry.vlan, pcp: 0}} : {}),
              }
              const traced = await lab.exec(host.name, [
                'ovs-appctl',
                'ofproto/trace',
                entry.bridge,
                packetToTraceFlow(packet),
              ])
              expect(traced.code, traced.stderr).toBe(0)
              const oracle = parseTraceOutput(traced.stdout)
              const {dpif, macs} = state.get(host.name)!
              const oracleOut = oracle.outputs
                .map(
                  (o) =>
                    `${dpif.find((p) => p.odpPort === o.odpPort)?.name ?? `odp${o.odpPort}`}@${o.vlans.map((v) => v.vid).join('.') || 'untagged'}`,
                )
                .sort()
              const bridges = host.ovs!.bridges.map((b) => simBridgeOf(host, b.name))
              const chain = simulateChain(
                bridges,
                entry.bridge,
                packet,
                new Map([...macs].map(([k, v]) => [k, v.clone()])),
              )
              const simOut = chain.outputs
                .map((o) => `${o.port}@${o.vlans.map((v) => v.vid).join('.') || 'untagged'}`)
                .sort()
              const label = `${vm.netns} ${t.what}: ${host.name} ${entry.bridge} from ${entry.port}${entry.vlan !== undefined ? ` vlan ${entry.vlan}` : ''}`
              expect(chain.unknown, label).toBe(false)
              if (JSON.stringify(simOut) !== JSON.stringify(oracleOut))
                mismatches.push(
                  `${label}\n  sim    ${simOut.join(' ') || 'drop'}\n  oracle ${oracleOut.join(' ') || 'drop'}\n  ${oracle.datapathActions}`,
                )
              compared++
              bridgesSeen.add(`${host.name}/${entry.bridge}`)
            }
          }
        }
      }
      expect(mismatches).toEqual([])
      // Every bridge of the VLAN/flat path of every node was an entry point: br-int and br-eth2 on three nodes.
      expect([...bridgesSeen].sort()).toEqual(nodes.flatMap((h) => [`${h.name}/br-eth2`, `${h.name}/br-int`]).sort())
      expect(compared).toBeGreaterThanOrEqual(vms.length * 3 * 9)
    }, 600_000)
  },
)

/** Where a frame of `vm` enters each bridge of `host`: from its qvo on its own node; from the patch port with the
 * node's local VLAN into the physical bridge; from the wire and from the physical bridge with the network's segment. */
function entriesOf(analysis: Analysis, host: HostModel, vm: NeutronLabVm, net: NetworkView): Entry[] {
  const out: Entry[] = []
  const link = physLinks(host)[0]!
  const wire = net.type === 'flat' ? undefined : (net.segmentationId ?? undefined)
  if (host.name === vm.node) out.push({bridge: 'br-int', port: `qvo${vm.portId.slice(0, 11)}`})
  const local = localVlanOf(host, net, portsOnHost(analysis.reference, host)).vlan
  if (local !== undefined) out.push({bridge: link.bridge, port: link.phyPort, vlan: local})
  const nic = host
    .ovs!.bridges.find((b) => b.name === link.bridge)!
    .ports.find((p) => p.name !== link.phyPort && p.name !== link.bridge)!
  out.push({bridge: link.bridge, port: nic.name, vlan: wire})
  out.push({bridge: 'br-int', port: link.intPort, vlan: wire})
  return out
}
