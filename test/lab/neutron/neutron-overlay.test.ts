// Overlay networks against reality (issue 9): the shared lab's VXLAN network nlab-tun1 (VNI 101, real Zed agents with
// l2population and the ARP responder, userspace tunnelling through br-tunnel), its two VMs on different computes and
// its DHCP port on nlab-ctl.
//   - the simulator equals `ovs-appctl ofproto/trace` on br-int and br-tun of every node, for each VM's broadcast
//     (DHCP discover, ARP request) and unicasts (to the other VM, to the DHCP port), entering from the VM's qvo, from
//     patch-int with the node's local VLAN, and from every tunnel port with tun_id=101;
//   - every VM's real udhcpc lease (and its MTU option 1450) equals the trace's prediction;
//   - real pings between the VMs at 1400 bytes and at the full MTU agree with `trace --from VM --to VM --size`;
//   - tunnel faults made the real way are found with the right code, host and element, and undone (withRestore):
//     flood flow deleted, tunnel port deleted, underlay MTU lowered, an agent restarted with a local_ip nothing holds,
//     the VNI changed in the database;
//   - with NEUTRACE_NLAB_EXTRA=1 also: a VM migrated while nlab-ctl's agent was down (stale l2pop entry),
//     l2population off (flood-and-learn) against the same oracles, and a GRE network (nlab-gre1, key 111, added and
//     deleted again) traced, leased and pinged over userspace GRE.
// Needs root and test/lab/neutron/install.sh; skipped when NEUTRACE_NEUTRON_LAB=0.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {type Analysis, tracePacketBetween, traceVm} from '../../../src/engine.js'
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
import {daemonRunning, labTools, parseFdbShow, useSharedLab, withRestore} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0'
/** The slow checks — a VM migrated there and back (~2 min on a busy machine), every agent restarted twice for
 * l2population off and on (~4 min), a GRE network added and deleted (~6 min) — are over the CI budget: run on request
 * (NEUTRACE_NLAB_EXTRA=1), reported as skipped otherwise. */
const extra = process.env.NEUTRACE_NLAB_EXTRA === '1'
const NET = 'nlab-tun1'
const VNI = 101
const GRE_NET = 'nlab-gre1'
const GRE_KEY = 111
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
        const vni = /(?:vni|key)=(0x[0-9a-f]+|\d+)/.exec(item)?.[1]
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
    const {expectDiagnosis, lease, run, until} = tools
    let vms: NeutronLabVm[] = []
    let analysis: Analysis

    beforeAll(async () => {
      vms = shared.vms().filter((v) => v.network === NET && v.netns.startsWith('vm-tun'))
      analysis = await tools.snapshot()
    }, 300_000)

    const netOf = (a: Analysis, name = NET): NetworkView =>
      [...a.reference.networks.values()].find((n) => n.name === name)!
    /** A tunnel network and its two VMs (nlab-tun1's unless a test adds another). */
    interface Tenant {
      net: string
      vms: NeutronLabVm[]
    }
    const tun1 = (): Tenant => ({net: NET, vms})
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

    /** Every VM's DHCP trace reaches dnsmasq on nlab-ctl and comes back over the network's segmentation id, and its
     * real udhcpc gets the lease and MTU the trace predicts. */
    const leasesAgree = async (a: Analysis, g = tun1()): Promise<void> => {
      const net = netOf(a, g.net)
      const id = net.segmentationId
      for (const vm of g.vms) {
        const [r] = traceVm(a, vm.portId, 'dhcp')
        expect(r!.verdict, `${vm.netns}: ${r!.reason}`).toBe('delivered')
        expect(r!.dhcp).toMatchObject({host: 'nlab-ctl', knowsMac: true, offers: vm.ip})
        const over = r!.hops.filter((h) => h.kind === 'tunnel' || h.kind === 'underlay')
        expect(over.map((h) => [h.host, h.kind, h.vni])).toEqual([
          [vm.node, 'tunnel', id],
          ['nlab-ctl', 'underlay', id],
        ])
        expect(r!.reply?.verdict, `${vm.netns} reply: ${r!.reply?.reason}`).toBe('delivered')
        const got = await tools.udhcpc(vm)
        expect(got.stdout, `${vm.netns}: ${got.stderr}`).toContain(`lease ip=${r!.dhcp!.offers} `)
        expect(got.stdout).toContain(`mtu=${net.mtu}`)
      }
    }

    /**
     * The simulator against ofproto/trace on br-int and br-tun of every node, for each VM's broadcasts and unicasts,
     * entering from its qvo, from patch-int with the local VLAN and from every tunnel port of its type with its
     * segmentation id as tun_id. MAC tables and learnt br-tun flows first: every VM pings its peer; then a fresh
     * capture, the bridges' own fdb/show for NORMAL
     * (ofproto/trace does not learn, neither does the simulator here). Returns the capture it compared.
     */
    const oracleAgrees = async (g = tun1()): Promise<Analysis> => {
      const vms = g.vms
      for (const vm of vms)
        await pings(
          vm,
          vms.find((v) => v !== vm)!,
          100,
        )
      const a = await tools.snapshot()
      const net = netOf(a, g.net)
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
      return a
    }

    it('every VM traces to dnsmasq on nlab-ctl and back over VNI 101, and its real udhcpc gets that lease and MTU', async () => {
      const net = netOf(analysis)
      expect([net.type, net.segmentationId]).toEqual(['vxlan', VNI])
      await leasesAgree(analysis)
    }, 180_000)

    it('the simulator agrees with ofproto/trace on br-int and br-tun of every node, from VMs, patch-int and tunnels', async () => {
      await oracleAgrees()
    }, 600_000)

    /** `trace --from vm --to peer --size N --reply`: does the ping's answer come back, by the model? */
    const traced = (a: Analysis, vm: NeutronLabVm, peer: NeutronLabVm, size: number): {ok: boolean; why: string} => {
      const r = tracePacketBetween(a, vm.portId, peer.portId, {proto: 'icmp', reply: true, size})
      return {
        ok: r.verdict === 'delivered' && r.reply?.verdict === 'delivered',
        why: `${r.verdict}: ${r.reason}; reply ${r.reply?.verdict}: ${r.reply?.reason}`,
      }
    }
    /** Real pings between the two VMs at each size, both ways, agree with `trace --from --to --size`. */
    const pingsAgree = async (a: Analysis, sizes: number[], g = tun1()): Promise<Record<string, boolean>> => {
      const got: Record<string, boolean> = {}
      const vms = g.vms
      for (const vm of vms) {
        const peer = vms.find((v) => v !== vm)!
        for (const size of sizes) {
          const model = traced(a, vm, peer, size)
          const real = await pings(vm, peer, size)
          expect(
            model.ok,
            `${vm.netns} → ${peer.netns} ${size} bytes: ping ${real ? 'answered' : 'lost'}, trace ${model.why}`,
          ).toBe(real)
          got[`${vm.netns} ${size}`] = real
        }
      }
      return got
    }

    it('pings between the computes at 1400 bytes and the full MTU agree with trace --from VM --to VM --size', async () => {
      const net = netOf(analysis)
      const eps = endpoints(analysis.actual)
      for (const vm of vms) {
        // The model: every underlay on the way carries the network's MTU plus the encapsulation.
        for (const node of [vm.node, 'nlab-ctl']) expect(eps.get(node)!.underlayMtu).toBe(net.mtu! + VXLAN_OVERHEAD)
      }
      const got = await pingsAgree(analysis, [1400, net.mtu!])
      expect(Object.values(got).every(Boolean), JSON.stringify(got)).toBe(true)
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
          // Real pings both ways agree with the packet trace at each size: 100 bytes pass, 1400 (1450 outer) and
          // the full MTU die on the 1400-byte underlay.
          const got = await pingsAgree(a, [100, 1400, netOf(a).mtu!])
          expect(got).toEqual({
            [`${vm.netns} 100`]: true,
            [`${vm.netns} 1400`]: false,
            [`${vm.netns} ${netOf(a).mtu}`]: false,
            [`${peer.netns} 100`]: true,
            [`${peer.netns} 1400`]: false,
            [`${peer.netns} ${netOf(a).mtu}`]: false,
          })
        },
        () => run(vm.node, ['ip', 'link', 'set', 'eth1', 'mtu', '1500']).then(() => undefined),
      )
    }, 300_000)

    const agentLog = (node: string): string =>
      join(lab.dir, 'nodes', node, 'root', 'log-neutron', 'openvswitch-agent.log')
    const ovsAgentRunning = (node: string): boolean => daemonRunning(lab, node, 'neutron-openvswitch-agent')
    const restartOvsAgent = async (node: string): Promise<void> => {
      if (ovsAgentRunning(node)) await lab.agent('stop', node, 'ovs')
      await lab.agent('start', node, 'ovs')
    }

    it('an agent restarted with a local_ip no interface holds → TUNNEL_ENDPOINT_MISSING; it refuses to start, the ports it made still carry', async () => {
      const vm = vms.find((v) => v.node === 'nlab-cmp1')!
      const bad = `198.19.${lab.slot}.99`
      const ini = 'plugins/ml2/openvswitch_agent.ini'
      await withRestore(
        shared,
        tools,
        async () => {
          await lab.ini(vm.node, ini, 'ovs', 'local_ip', bad)
          await lab.agent('stop', vm.node, 'ovs')
          await lab.agent('start', vm.node, 'ovs', {wait: false})
          // Zed's validate_local_ip: the agent logs this and exits; br-tun keeps what the previous agent built.
          await until(
            `the agent on ${vm.node} refuses local_ip ${bad} and exits`,
            async () =>
              !ovsAgentRunning(vm.node) &&
              readFileSync(agentLog(vm.node), 'utf8').includes(
                `Tunneling can't be enabled with invalid local_ip '${bad}'`,
              ),
          )
          const a = await expectDiagnosis([
            {code: 'TUNNEL_ENDPOINT_MISSING', host: vm.node, element: `local_ip ${bad}`},
          ])
          // The tunnel ports keep the local_ip they were made with, which br-tunnel still holds: the VM's DHCP still
          // works, as the trace says.
          const [r] = traceVm(a, vm.portId, 'dhcp')
          expect([r!.verdict, r!.reply?.verdict], r!.reason).toEqual(['delivered', 'delivered'])
          expect(await lease(vm)).toBe(vm.ip)
        },
        async () => {
          await lab.ini(vm.node, ini, 'ovs', 'local_ip', localIp(vm.node))
          await restartOvsAgent(vm.node)
        },
      )
    }, 420_000)

    it.runIf(extra)(
      "a VM moved to the other compute while nlab-ctl's agent was down → TUNNEL_FDB_STALE on nlab-ctl; no lease",
      async () => {
        // A cold migration the real way (os_vif unplug, binding:host_id to nlab-cmp2, os_vif plug there): l2population
        // tells every agent, but nlab-ctl's is stopped and misses it; its table 20 still sends the VM's MAC to
        // nlab-cmp1.
        const vm = vms.find((v) => v.node === 'nlab-cmp1')!
        const moved = {...vm, node: 'nlab-cmp2'}
        await withRestore(
          shared,
          tools,
          async () => {
            await lab.agent('stop', 'nlab-ctl', 'ovs')
            await lab.migrate(vm.netns, moved.node)
            const a = await expectDiagnosis([
              {
                code: 'TUNNEL_FDB_STALE',
                host: 'nlab-ctl',
                element: new RegExp(`^br-tun table 20: .*dl_dst=${vm.mac}.*vxlan-${hexIp(localIp('nlab-cmp1'))}`),
              },
            ])
            await cutOff(a, moved)
          },
          async () => {
            if (!ovsAgentRunning('nlab-ctl')) await lab.agent('start', 'nlab-ctl', 'ovs')
            if (lab.vms().find((v) => v.netns === vm.netns)?.node !== vm.node) await lab.migrate(vm.netns, vm.node)
          },
        )
      },
      600_000,
    )

    it("the VNI changed in Neutron's database and one agent restarted → SEGMENT_MISMATCH on the hosts left with 101", async () => {
      const net = netOf(analysis)
      const vm = vms.find((v) => v.node === 'nlab-cmp1')!
      const peer = vms.find((v) => v !== vm)!
      const vni = 777
      const setVni = (n: number) =>
        lab.sql(`UPDATE networksegments SET segmentation_id=${n} WHERE network_id='${net.id}'`)
      await withRestore(
        shared,
        tools,
        async () => {
          await setVni(vni)
          await restartOvsAgent(vm.node)
          const stale = ['nlab-ctl', peer.node]
          const a = await expectDiagnosis(
            stale.flatMap((host) => [
              {code: 'SEGMENT_MISMATCH', host, element: /^br-tun table 4: .*tun_id=0x65\b/},
              {code: 'SEGMENT_MISMATCH', host, element: /^br-tun table 22: .*0x65/},
            ]),
          )
          expect(netOf(a).segmentationId).toBe(vni)
          // nlab-cmp1 now sends and accepts VNI 777 only: its VM is cut off from DHCP, the others still get theirs.
          await cutOff(a, vm)
          expect(await lease(peer)).toBe(peer.ip)
        },
        async () => {
          await setVni(VNI)
          await restartOvsAgent(vm.node)
        },
      )
    }, 420_000)

    it.runIf(extra)(
      'with l2population off (flood-and-learn) the trace still agrees with ofproto/trace, udhcpc and ping',
      async () => {
        await withRestore(
          shared,
          tools,
          async () => {
            await lab.l2pop(false)
            // Flood-and-learn: no l2pop unicast entries; table 22 floods to every tunnel; the lab diagnoses clean.
            await until('no l2population entries left in br-tun table 20', async () => {
              for (const node of ['nlab-ctl', 'nlab-cmp1', 'nlab-cmp2'])
                if (/priority=2,/.test(await run(node, ['ovs-ofctl', 'dump-flows', 'br-tun', 'table=20']))) return false
              return true
            })
            const a = await expectDiagnosis([])
            expect([...endpoints(a.actual).values()].map((e) => [e.host, e.l2Population])).toEqual(
              ['nlab-ctl', 'nlab-cmp1', 'nlab-cmp2'].map((h) => [h, false]),
            )
            await leasesAgree(a)
            const learnt = await oracleAgrees()
            // The unicasts went by what table 10's learn() put in table 20 (the pings before the capture taught it).
            expect(
              learnt.actual.hosts.some((h) =>
                h.flows.get('br-tun')?.flows.some((f) => f.table === 20 && f.priority === 1 && f.match.fields.dl_dst),
              ),
            ).toBe(true)
            const got = await pingsAgree(learnt, [1400, netOf(learnt).mtu!])
            expect(Object.values(got).every(Boolean), JSON.stringify(got)).toBe(true)
          },
          () => lab.l2pop(true),
        )
      },
      1_200_000,
    )

    it.runIf(extra)(
      'a GRE network end to end (userspace GRE): DHCP traced and leased over key 111, ofproto/trace agrees, pings agree',
      async () => {
        // nlab-gre1 (GRE key 111) for the time of this test, its VMs on both computes, the agents tunnelling vxlan
        // and gre.
        await withRestore(
          shared,
          tools,
          async () => {
            await lab.tunnelTypes('vxlan,gre')
            const g: Tenant = {net: GRE_NET, vms: await lab.netAdd(GRE_NET)}
            expect(new Set(g.vms.map((v) => v.node))).toEqual(new Set(['nlab-cmp1', 'nlab-cmp2']))
            const a = await expectDiagnosis([])
            const net = netOf(a, GRE_NET)
            // Neutron's GRE MTU: 1500 − 20 (outer IP) − 22 (GRE with key + inner Ethernet).
            expect([net.type, net.segmentationId, net.mtu]).toEqual(['gre', GRE_KEY, 1458])
            expect(
              tunnelMesh(a.actual)
                .filter((l) => l.port.type === 'gre')
                .map((l) => [l.port.host, l.port.name, l.peer?.name, l.back?.name !== undefined])
                .sort(),
            ).toEqual(
              [
                ['nlab-ctl', 'nlab-cmp1'],
                ['nlab-ctl', 'nlab-cmp2'],
                ['nlab-cmp1', 'nlab-ctl'],
                ['nlab-cmp1', 'nlab-cmp2'],
                ['nlab-cmp2', 'nlab-ctl'],
                ['nlab-cmp2', 'nlab-cmp1'],
              ]
                .map(([h, p]) => [h, `gre-${hexIp(localIp(p!))}`, p, true])
                .sort(),
            )
            await leasesAgree(a, g)
            const learnt = await oracleAgrees(g)
            // 1458 bytes + 42 of GRE just fit the 1500-byte underlay.
            const got = await pingsAgree(learnt, [1400, net.mtu!], g)
            expect(Object.values(got).every(Boolean), JSON.stringify(got)).toBe(true)
          },
          async () => {
            const nets = await lab.openstack(['network', 'list', '-f', 'value', '-c', 'Name'])
            if (nets.split('\n').includes(GRE_NET)) await lab.netDel(GRE_NET)
            await lab.tunnelTypes('vxlan')
          },
        )
      },
      900_000,
    )
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
 * node's local VLAN of the network; from every tunnel port of the network's type with its VNI (GRE key). */
function entriesOf(a: Analysis, host: HostModel, vm: NeutronLabVm, net: NetworkView): Entry[] {
  const out: Entry[] = []
  if (host.name === vm.node) out.push({bridge: 'br-int', port: `qvo${vm.portId.slice(0, 11)}`})
  const local = localVlanOf(host, net, portsOnHost(a.reference, host)).vlan
  if (local !== undefined) out.push({bridge: 'br-tun', port: 'patch-int', vlan: local})
  for (const p of tunnelPorts(host).filter((t) => t.type === net.type))
    out.push({bridge: 'br-tun', port: p.name, tunId: BigInt(net.segmentationId!)})
  return out
}
