// Overlay networks against reality (issue 9): the shared lab's VXLAN network nlab-tun1 (VNI 101, real Zed agents with
// l2population and the ARP responder, userspace tunnelling through br-tunnel), its two VMs on different computes and
// its DHCP port on nlab-ctl.
//   - the simulator equals `ovs-appctl ofproto/trace` on br-int and br-tun of every node, for each VM's broadcast
//     (DHCP discover, ARP request) and unicasts (to the other VM, to the DHCP port), entering from the VM's qvo, from
//     patch-int with the node's local VLAN, and from every tunnel port with tun_id=101;
//   - every VM's real udhcpc lease (and its MTU option 1450) equals the trace's prediction;
//   - real pings between the VMs at 1400 bytes and at the full MTU agree with the path the model computes;
//   - tunnel faults made the real way are found with the right code, host and element, and undone (withRestore).
// Needs root and test/lab/neutron/install.sh; skipped when NEUTRACE_NEUTRON_LAB=0.

import {beforeAll, describe, expect, it} from 'vitest'
import {type Analysis, traceVm} from '../../../src/engine.js'
import type {HostModel} from '../../../src/model/actual.js'
import {isDhcpPort, type NetworkView} from '../../../src/model/reference.js'
import {endpoints, tunnelMesh, tunnelPorts} from '../../../src/model/tunnels.js'
import {localVlanOf, portsOnHost} from '../../../src/model/wiring.js'
import {MacTable} from '../../../src/sim/mac-table.js'
import {type Packet, packetToTraceFlow} from '../../../src/sim/packet.js'
import {simBridgeOf} from '../../../src/trace/datapath.js'
import {simulateChain} from '../../sim/helpers.js'
import {parseDpifShow, splitTopLevel} from '../../support/ovs-sandbox.js'
import {neutronLabUnavailable, type NeutronLabVm} from './control.js'
import {labTools, parseFdbShow, useSharedLab, withRestore} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0'
const NET = 'nlab-tun1'
const VNI = 101
/** VXLAN over IPv4: outer Ethernet 14 + IP 20 + UDP 8 + VXLAN 8 (the inner Ethernet header counts in the 50). */
const VXLAN_OVERHEAD = 50

interface Entry {
  bridge: string
  port: string
  vlan?: number
  tunId?: bigint
}

/**
 * Where the copies of a traced packet leave a node, from `Datapath actions:`: `port@vlans` for a datapath port, and
 * `tunnel REMOTE vni N` for a userspace tunnel push (`tnl_push(…ipv4(…dst=REMOTE…)…vxlan(…vni=0xN)…)`): what follows
 * a push in the same action list is the outer packet's way out of the underlay bridge, not a copy of the frame.
 */
export function oracleOutputs(actions: string, names: Map<number, string>, vlans: number[]): string[] {
  const out: string[] = []
  const walk = (text: string, stack: number[]): void => {
    let s = [...stack]
    let pushed = false
    for (const item of splitTopLevel(text)) {
      if (item.startsWith('tnl_push(')) {
        const dst = /ipv4\([^)]*dst=([\d.]+)/.exec(item)?.[1]
        const vni = /vni=(0x[0-9a-f]+|\d+)/.exec(item)?.[1]
        out.push(`tunnel ${dst} vni ${vni === undefined ? '?' : Number(vni)}`)
        pushed = true
      } else if (/^\d+$/.test(item)) {
        if (!pushed) out.push(`${names.get(Number(item)) ?? `odp${item}`}@${s.join('.') || 'untagged'}`)
      } else if (item === 'pop_vlan') s = s.slice(1)
      else if (item.startsWith('push_vlan(')) s = [Number(/vid=(\d+)/.exec(item)?.[1] ?? 0), ...s]
      else if (item.startsWith('clone(') && item.endsWith(')')) walk(item.slice('clone('.length, -1), s)
    }
  }
  if (actions !== 'drop') walk(actions, vlans)
  return out.sort()
}

describe.skipIf(!wanted || unavailable !== undefined)(
  'Neutron lab overlay: VXLAN traced against ofproto/trace, udhcpc and ping (shared lab, nlab-tun1)',
  () => {
    const shared = useSharedLab('nlab-overlay-')
    const lab = shared.lab
    const tools = labTools(lab, shared.scratch)
    const {expectDiagnosis, lease, run} = tools
    let vms: NeutronLabVm[] = []
    let analysis: Analysis

    beforeAll(async () => {
      vms = shared.vms().filter((v) => v.network === NET && v.netns.startsWith('vm-tun'))
      analysis = await tools.snapshot()
    }, 300_000)

    const netOf = (a: Analysis): NetworkView => [...a.reference.networks.values()].find((n) => n.name === NET)!
    const localIp = (node: string): string =>
      `198.19.${lab.slot}.${11 + (node === 'nlab-ctl' ? 0 : Number(node.slice('nlab-cmp'.length)))}`
    const hexIp = (ip: string): string =>
      ip
        .split('.')
        .map((n) => Number(n).toString(16).padStart(2, '0'))
        .join('')
    const qvo = (vm: NeutronLabVm): string => `qvo${vm.portId.slice(0, 11)}`
    /** A real ping from `vm` to `to` with IP packets of `size` bytes: did an answer come? */
    const pings = async (vm: NeutronLabVm, to: NeutronLabVm, size: number): Promise<boolean> => {
      const r = await lab.exec(vm.node, [
        'ip',
        'netns',
        'exec',
        vm.netns,
        'busybox',
        'ping',
        '-c',
        '2',
        '-W',
        '2',
        '-s',
        String(size - 28),
        to.ip,
      ])
      return r.code === 0
    }
    const cutOff = async (a: Analysis, vm: NeutronLabVm): Promise<void> => {
      const [r] = traceVm(a, vm.portId, 'dhcp')
      expect(r!.verdict, `${vm.netns}: ${r!.reason}`).not.toBe('delivered')
      expect(await lease(vm, 2), `${vm.netns} on ${vm.node} still gets a lease`).toBeUndefined()
    }

    it('has two VMs on different computes and a full VXLAN mesh, every tunnel answered by its peer', () => {
      expect(vms).toHaveLength(2)
      expect(new Set(vms.map((v) => v.node)).size).toBe(2)
      const mesh = tunnelMesh(analysis.actual)
      expect(mesh.map((l) => `${l.port.host} ${l.port.name}`).sort()).toEqual(
        ['nlab-ctl', 'nlab-cmp1', 'nlab-cmp2']
          .flatMap((h) =>
            ['nlab-ctl', 'nlab-cmp1', 'nlab-cmp2'].filter((p) => p !== h).map((p) => `${h} vxlan-${hexIp(localIp(p))}`),
          )
          .sort(),
      )
      for (const link of mesh)
        expect([link.peer?.name, link.back?.remoteIp]).toEqual([
          ['nlab-ctl', 'nlab-cmp1', 'nlab-cmp2'].find((h) => localIp(h) === link.port.remoteIp),
          localIp(link.port.host),
        ])
    })

    it('every VM traces to dnsmasq on nlab-ctl and back over VNI 101, and its real udhcpc gets that lease and MTU', async () => {
      const net = netOf(analysis)
      expect([net.type, net.segmentationId]).toEqual(['vxlan', VNI])
      for (const vm of vms) {
        const [r] = traceVm(analysis, vm.portId, 'dhcp')
        expect(r!.verdict, `${vm.netns}: ${r!.reason}`).toBe('delivered')
        expect(r!.dhcp).toMatchObject({host: 'nlab-ctl', knowsMac: true, offers: vm.ip})
        const over = r!.hops.filter((h) => h.kind === 'tunnel' || h.kind === 'underlay')
        expect(over.map((h) => [h.host, h.kind, h.vni])).toEqual([
          [vm.node, 'tunnel', VNI],
          ['nlab-ctl', 'underlay', VNI],
        ])
        expect(r!.reply?.verdict, `${vm.netns} reply: ${r!.reply?.reason}`).toBe('delivered')
        const got = await tools.udhcpc(vm)
        expect(got.stdout, `${vm.netns}: ${got.stderr}`).toContain(`lease ip=${r!.dhcp!.offers} `)
        expect(got.stdout).toContain(`mtu=${net.mtu}`)
      }
    }, 180_000)

    it('the simulator agrees with ofproto/trace on br-int and br-tun of every node, from VMs, patch-int and tunnels', async () => {
      // MAC tables and learnt br-tun flows first: every VM pings its peer; then a fresh capture, the bridges' own
      // fdb/show for NORMAL (ofproto/trace does not learn, neither does the simulator here).
      for (const vm of vms)
        await pings(
          vm,
          vms.find((v) => v !== vm)!,
          100,
        )
      const a = await tools.snapshot()
      const net = netOf(a)
      const dhcpPort = a.reference.ports.find((p) => isDhcpPort(p) && p.networkId === net.id)!
      let compared = 0
      const seen = new Set<string>()
      const mismatches: string[] = []
      for (const host of a.actual.hosts) {
        const names = new Map(
          parseDpifShow((await lab.exec(host.name, ['ovs-appctl', 'dpif/show'])).stdout).map((p) => [
            p.odpPort!,
            p.name,
          ]),
        )
        const macs = new Map<string, MacTable>()
        for (const br of ['br-int', 'br-tun']) {
          const fdb = await lab.exec(host.name, ['ovs-appctl', 'fdb/show', br])
          macs.set(br, new MacTable(parseFdbShow(br, fdb.stdout)))
        }
        const bridges = host.ovs!.bridges.map((b) => simBridgeOf(host, b.name))
        const remotes = new Map(tunnelPorts(host).map((p) => [p.name, p.remoteIp]))
        for (const vm of vms) {
          const peer = vms.find((v) => v !== vm)!
          const targets: {what: string; packet: Omit<Packet, 'in_port'>}[] = [
            {what: 'DHCP discover', packet: udp(vm, 'ff:ff:ff:ff:ff:ff', '0.0.0.0', '255.255.255.255')},
            {what: 'DHCP request to the DHCP port', packet: udp(vm, dhcpPort.mac!, vm.ip, dhcpPort.ips[0]!)},
            {what: `ping ${peer.netns}`, packet: icmp(vm, peer)},
            {what: `ARP for ${peer.netns}`, packet: arp(vm, peer)},
          ]
          for (const entry of entriesOf(a, host, vm, net)) {
            const sim = simBridgeOf(host, entry.bridge)
            const inPort = sim.ports.find((p) => p.name === entry.port)
            expect(inPort, `${host.name} ${entry.bridge} has ${entry.port}`).toBeDefined()
            for (const t of targets) {
              const packet: Packet = {
                ...t.packet,
                in_port: inPort!.ofport,
                ...(entry.vlan !== undefined ? {vlan: {vid: entry.vlan, pcp: 0}} : {}),
                ...(entry.tunId !== undefined ? {tun_id: entry.tunId} : {}),
              }
              const traced = await lab.exec(host.name, [
                'ovs-appctl',
                'ofproto/trace',
                entry.bridge,
                packetToTraceFlow(packet),
              ])
              expect(traced.code, traced.stderr).toBe(0)
              const actions = /^Datapath actions: (.*)$/m.exec(traced.stdout)?.[1]?.trim() ?? ''
              const oracle = oracleOutputs(actions, names, entry.vlan !== undefined ? [entry.vlan] : [])
              const chain = simulateChain(
                bridges,
                entry.bridge,
                packet,
                new Map([...macs].map(([k, v]) => [k, v.clone()])),
              )
              const simOut = chain.outputs
                .map((o) =>
                  remotes.has(o.port)
                    ? `tunnel ${remotes.get(o.port)} vni ${o.tunId === undefined ? '?' : Number(o.tunId)}`
                    : `${o.port}@${o.vlans.map((v) => v.vid).join('.') || 'untagged'}`,
                )
                .sort()
              const label = `${vm.netns} ${t.what}: ${host.name} ${entry.bridge} from ${entry.port}${entry.vlan !== undefined ? ` vlan ${entry.vlan}` : ''}${entry.tunId !== undefined ? ` tun_id ${entry.tunId}` : ''}`
              expect(chain.unknown, label).toBe(false)
              if (JSON.stringify(simOut) !== JSON.stringify(oracle))
                mismatches.push(
                  `${label}\n  sim    ${simOut.join(' ') || 'drop'}\n  oracle ${oracle.join(' ') || 'drop'}\n  ${actions}`,
                )
              compared++
              seen.add(`${host.name}/${entry.bridge}`)
            }
          }
        }
      }
      expect(mismatches).toEqual([])
      // br-tun of every node; br-int of the VMs' nodes.
      expect([...seen].sort()).toEqual(
        [...a.actual.hosts.map((h) => `${h.name}/br-tun`), ...vms.map((v) => `${v.node}/br-int`)].sort(),
      )
      expect(compared).toBeGreaterThanOrEqual(vms.length * 4 * 6)
    }, 600_000)

    it('pings between the computes at 1400 bytes and at the full MTU, as the path MTU the model computes allows', async () => {
      const net = netOf(analysis)
      const eps = endpoints(analysis.actual)
      for (const vm of vms) {
        const need = net.mtu! + VXLAN_OVERHEAD
        // The model: every underlay on the way carries the network's MTU plus the encapsulation.
        for (const node of [vm.node, 'nlab-ctl']) expect(eps.get(node)!.underlayMtu).toBeGreaterThanOrEqual(need)
        const peer = vms.find((v) => v !== vm)!
        expect(await pings(vm, peer, 1400), `${vm.netns} → ${peer.netns} 1400 bytes`).toBe(true)
        expect(await pings(vm, peer, net.mtu!), `${vm.netns} → ${peer.netns} ${net.mtu} bytes`).toBe(true)
      }
    }, 120_000)

    it("the network's flood flow deleted on a compute → FLOW_MISSING br-tun table 22; its VM gets no lease", async () => {
      const vm = vms.find((v) => v.node === 'nlab-cmp1')!
      const local = Number((await run(vm.node, ['ovs-vsctl', 'get', 'Port', qvo(vm), 'tag'])).trim())
      const dumped = await run(vm.node, ['ovs-ofctl', 'dump-flows', 'br-tun', `table=22,dl_vlan=${local}`])
      const m = /cookie=(0x[0-9a-f]+),.*priority=(\d+),dl_vlan=\d+ actions=(\S+)/.exec(dumped)
      expect(m, dumped).not.toBeNull()
      await withRestore(
        shared,
        tools,
        async () => {
          await run(vm.node, ['ovs-ofctl', 'del-flows', 'br-tun', `table=22,dl_vlan=${local}`])
          const a = await expectDiagnosis([
            {code: 'FLOW_MISSING', host: vm.node, element: `br-tun table 22: dl_vlan=${local}`},
          ])
          await cutOff(a, vm)
        },
        () =>
          run(vm.node, [
            'ovs-ofctl',
            'add-flow',
            'br-tun',
            `cookie=${m![1]},table=22,priority=${m![2]},dl_vlan=${local},actions=${m![3]}`,
          ]).then(() => undefined),
      )
    }, 300_000)

    it("a tunnel port deleted behind the agent's back → TUNNEL_PORT_MISSING on that host; its VM gets no lease", async () => {
      const vm = vms.find((v) => v.node === 'nlab-cmp1')!
      const port = `vxlan-${hexIp(localIp('nlab-ctl'))}`
      await withRestore(
        shared,
        tools,
        async () => {
          await run(vm.node, ['ovs-vsctl', 'del-port', 'br-tun', port])
          const a = await expectDiagnosis([{code: 'TUNNEL_PORT_MISSING', host: vm.node, element: `br-tun: ${port}`}])
          await cutOff(a, vm)
        },
        // The agent makes its tunnel ports again when it starts (tunnel_sync and l2pop's FDB entries).
        async () => {
          await lab.agent('stop', vm.node, 'ovs')
          await lab.agent('start', vm.node, 'ovs')
        },
      )
    }, 360_000)

    it('the underlay MTU lowered on one compute → TUNNEL_MTU naming its NIC; DHCP still works, big packets die', async () => {
      const vm = vms.find((v) => v.node === 'nlab-cmp1')!
      const peer = vms.find((v) => v !== vm)!
      await withRestore(
        shared,
        tools,
        async () => {
          await run(vm.node, ['ip', 'link', 'set', 'eth1', 'mtu', '1400'])
          const a = await expectDiagnosis([{code: 'TUNNEL_MTU', host: vm.node, element: 'eth1'}])
          const [r] = traceVm(a, vm.portId, 'dhcp')
          expect(r!.verdict, r!.reason).toBe('delivered')
          expect(await lease(vm)).toBe(vm.ip)
          expect(await pings(vm, peer, 100), 'small ping').toBe(true)
          expect(await pings(vm, peer, 1400), '1400-byte ping').toBe(false)
          expect(await pings(vm, peer, netOf(a).mtu!), 'full-size ping').toBe(false)
        },
        () => run(vm.node, ['ip', 'link', 'set', 'eth1', 'mtu', '1500']).then(() => undefined),
      )
    }, 300_000)
  },
)

function udp(vm: NeutronLabVm, dlDst: string, src: string, dst: string): Omit<Packet, 'in_port'> {
  return {
    dl_src: vm.mac,
    dl_dst: dlDst,
    dl_type: 0x0800,
    nw_src: src,
    nw_dst: dst,
    nw_proto: 17,
    tp_src: 68,
    tp_dst: 67,
  }
}
function icmp(vm: NeutronLabVm, to: NeutronLabVm): Omit<Packet, 'in_port'> {
  return {
    dl_src: vm.mac,
    dl_dst: to.mac,
    dl_type: 0x0800,
    nw_src: vm.ip,
    nw_dst: to.ip,
    nw_proto: 1,
    tp_src: 8,
    tp_dst: 0,
  }
}
function arp(vm: NeutronLabVm, to: NeutronLabVm): Omit<Packet, 'in_port'> {
  return {
    dl_src: vm.mac,
    dl_dst: 'ff:ff:ff:ff:ff:ff',
    dl_type: 0x0806,
    arp_op: 1,
    arp_spa: vm.ip,
    arp_tpa: to.ip,
    arp_sha: vm.mac,
    arp_tha: '00:00:00:00:00:00',
  }
}

/** Where a frame of `vm` enters br-int and br-tun of `host`: from its qvo on its own node; from patch-int with the
 * node's local VLAN of the network; from every tunnel port with the network's VNI. */
function entriesOf(a: Analysis, host: HostModel, vm: NeutronLabVm, net: NetworkView): Entry[] {
  const out: Entry[] = []
  if (host.name === vm.node) out.push({bridge: 'br-int', port: `qvo${vm.portId.slice(0, 11)}`})
  const local = localVlanOf(host, net, portsOnHost(a.reference, host)).vlan
  if (local !== undefined) out.push({bridge: 'br-tun', port: 'patch-int', vlan: local})
  for (const p of tunnelPorts(host)) out.push({bridge: 'br-tun', port: p.name, tunId: BigInt(net.segmentationId!)})
  return out
}
