// The tracer: walks a VM's frame hop by hop through the actual model — Linux bridges and veth pairs as the kernel
// forwards, OVS bridges through the OpenFlow simulator — to the uplink NIC, and with `to: 'dhcp'` across the
// physical network into the qdhcp namespace of its network on another node.

import type {Hop, Trace, TraceVm, TraceVerdict} from '../contracts/generated/trace.js'
import {
  type ActualModel,
  type DnsmasqInstance,
  type HostModel,
  findDevice,
  dnsmasqServes,
  findOvsInterface,
  isMet,
  showsDhcpFor,
} from '../model/actual.js'
import {type PortView, type ReferenceModel, isDhcpPort} from '../model/reference.js'
import {ENCAP_OVERHEAD, endpointAt, endpointOf, hostOfEndpoint, isTunnelType, tunnelPortTo} from '../model/tunnels.js'
import type {PhysLink} from '../model/wiring.js'
import {formatFlow} from '../openflow/format.js'
import type {Packet} from '../sim/packet.js'
import {MacTable} from '../sim/mac-table.js'
import {Conntrack} from '../sim/conntrack.js'
import {simulateBridge} from '../sim/openflow.js'
import type {DhcpHostEntry, Flow, VmInterface} from '../types.js'
import {linuxBridgeWith, peerOf, simBridgeOf, wiredLinksOf} from './datapath.js'

export type TraceTarget = 'uplink' | 'dhcp'
// The trace's records are the public contract's (schemas/trace.schema.json → src/contracts/generated/trace.ts), so they
// have one definition; `trace --format json` still copies them field by field (src/contracts/index.ts).
export type {Hop, TraceVm}
export type TraceResult = Trace

export class TraceError extends Error {}

const BROADCAST = 'ff:ff:ff:ff:ff:ff'
const MAX_STEPS = 256

export interface Branch {
  hops: Hop[]
  end?: {
    kind: 'uplink' | 'namespace' | 'vm' | 'dropped' | 'dead-end' | 'unknown' | 'local'
    host: string
    element: string
    flow?: Flow
    bridge?: string
    reason: string
    netns?: string
    /** The frame as it arrives (VM ends). */
    packet?: Packet
  }
}

/** What a Linux bridge's netfilter (iptables_hybrid's FORWARD chains) does to a frame from one member to another:
 * undefined = the member is not followed (a VM the trace is not about). */
export type BridgeFilter = (
  host: HostModel,
  bridge: string,
  inDev: string,
  outDev: string,
  packet: Packet,
) => {verdict: 'accept' | 'drop' | 'unknown'; hop: Hop; reason: string} | undefined

export interface Walk {
  model: ActualModel
  start: TraceVm
  target: TraceTarget
  branches: Branch[]
  visited: Set<string>
  unknowns: string[]
  steps: number
  crossed: Set<string>
  /** What NORMAL learned on each host's bridges, shared by the request and the reply (so the reply is unicast). */
  macs: Map<string, MacTable>
  /** What learn() installed (br-tun table 10 → 20), by `host|bridge`; shared like `macs`. */
  learned: Map<string, Flow[]>
  /** For the reply: the VM's own device, where the walk ends. */
  replyTo?: {host: string; dev: string}
  /** Further VM devices where the walk ends (VM to VM: the source VM, for an ARP reply). */
  alsoTo?: {host: string; dev: string}[]
  /** The inner IP packet's size in bytes, when it matters (MTU on a tunnel's underlay). */
  ipSize?: number
  /** Packet traces: each host's connection tracker, shared by the request and the reply (ct() in the openvswitch
   * firewall's flows); none for DHCP traces, whose ct() stays unknown. */
  conntrack?: Map<string, Conntrack>
  /** Packet traces between VMs: the firewall of the Linux bridges (none for DHCP traces). */
  bridgeFilter?: BridgeFilter
  /** The hosts to follow the frame into across the wire (walkFrame: a router's, a VM's), instead of DHCP's. */
  hosts?: string[]
}

function learnedOf(w: Walk, host: HostModel, bridge: string): Flow[] {
  const key = `${host.name}|${bridge}`
  let flows = w.learned.get(key)
  if (!flows) {
    flows = []
    w.learned.set(key, flows)
  }
  return flows
}

function conntrackOf(w: Walk, host: HostModel): Conntrack | undefined {
  if (!w.conntrack) return undefined
  let ct = w.conntrack.get(host.name)
  if (!ct) w.conntrack.set(host.name, (ct = new Conntrack()))
  return ct
}

function macsOf(w: Walk, host: HostModel): MacTable {
  let table = w.macs.get(host.name)
  if (!table) {
    table = new MacTable()
    w.macs.set(host.name, table)
  }
  return table
}

function isReplyTarget(w: Walk, host: HostModel, dev: string): boolean {
  return [w.replyTo, ...(w.alsoTo ?? [])].some((t) => t !== undefined && t.host === host.name && t.dev === dev)
}

function vlanOf(p: Packet): number | null {
  return p.vlan ? p.vlan.vid : null
}

/** A frame leaves through a Linux device (host side): to its veth peer, a VM, the wire, or a namespace's stack. */
function sendOut(w: Walk, host: HostModel, netns: string, dev: string, packet: Packet, hops: Hop[]): void {
  if (netns === '' && isReplyTarget(w, host, dev)) {
    w.branches.push({
      hops,
      end: {kind: 'vm', host: host.name, element: dev, reason: `to the VM through ${dev}`, packet},
    })
    return
  }
  const ref = findDevice(host, dev, netns)
  if (!ref) {
    w.branches.push({
      hops,
      end: {kind: 'dead-end', host: host.name, element: dev, reason: `${dev} does not exist on ${host.name}`},
    })
    return
  }
  const peer = peerOf(host, ref)
  if (peer) {
    if (!peer.device.adminUp || !ref.device.adminUp) {
      w.branches.push({
        hops,
        end: {
          kind: 'dead-end',
          host: host.name,
          element: ref.device.adminUp ? peer.device.name : dev,
          reason: `veth ${dev}/${peer.device.name} is down`,
        },
      })
      return
    }
    arrive(w, host, peer.netns, peer.device.name, packet, [
      ...hops,
      {
        host: host.name,
        kind: 'veth',
        element: peer.device.name,
        vlan: vlanOf(packet),
        note: `veth peer of ${dev}${peer.netns ? ` in ${peer.netns}` : ''}`,
      },
    ])
    return
  }
  if (netns) {
    w.branches.push({
      hops,
      end: {kind: 'namespace', host: host.name, element: dev, netns, reason: `delivered to ${dev} in ${netns}`},
    })
    return
  }
  w.branches.push({hops, end: {kind: 'dead-end', host: host.name, element: dev, reason: `${dev} leads nowhere known`}})
}

/** A frame is received by a Linux device: OVS takes it if it is an OVS port, else its Linux bridge, else the stack. */
export function arrive(w: Walk, host: HostModel, netns: string, dev: string, packet: Packet, hops: Hop[]): void {
  if (++w.steps > MAX_STEPS) {
    w.branches.push({hops, end: {kind: 'unknown', host: host.name, element: dev, reason: 'trace too long (loop?)'}})
    return
  }
  const key = `${host.name}|dev|${netns}|${dev}|${vlanOf(packet)}`
  if (w.visited.has(key)) return
  w.visited.add(key)
  const ovs = netns === '' ? findOvsInterface(host, dev) : undefined
  if (ovs) {
    enterBridge(w, host, ovs.bridge.name, dev, packet, hops)
    return
  }
  const br = netns === '' ? linuxBridgeWith(host, dev) : undefined
  if (br) {
    const here = [
      ...hops,
      {
        host: host.name,
        kind: 'linux-bridge' as const,
        element: br.name,
        vlan: vlanOf(packet),
        note: `Linux bridge: ${dev} in, flood to ${br.interfaces.filter((i) => i !== dev).join(', ') || 'nothing'}`,
      },
    ]
    const others = br.interfaces.filter((i) => i !== dev)
    if (!others.length)
      w.branches.push({
        hops: here,
        end: {
          kind: 'dead-end',
          host: host.name,
          element: br.name,
          reason: `${br.name} has no other member than ${dev}`,
        },
      })
    for (const m of others) {
      const out: Hop = {host: host.name, kind: m.startsWith('tap') ? 'tap' : 'veth', element: m, vlan: vlanOf(packet)}
      const filtered = w.bridgeFilter ? w.bridgeFilter(host, br.name, dev, m, packet) : undefined
      if (w.bridgeFilter && !filtered) continue
      if (filtered && filtered.verdict !== 'accept') {
        const kind = filtered.verdict === 'drop' ? 'dropped' : 'unknown'
        w.branches.push({
          hops: [...here, filtered.hop],
          end: {kind, host: host.name, element: filtered.hop.element, reason: filtered.reason},
        })
        continue
      }
      sendOut(w, host, '', m, packet, filtered ? [...here, filtered.hop, out] : [...here, out])
    }
    return
  }
  if (netns) {
    w.branches.push({
      hops,
      end: {kind: 'namespace', host: host.name, element: dev, netns, reason: `delivered to ${dev} in ${netns}`},
    })
    return
  }
  w.branches.push({
    hops,
    end: {kind: 'dead-end', host: host.name, element: dev, reason: `${dev} is in no bridge on ${host.name}`},
  })
}

/** The VLAN a frame belongs to at an OVS port: its tag on the wire, or the access tag of an untagged port. */
function portVlan(tag: number | undefined, p: Packet): number | null {
  return p.vlan ? p.vlan.vid : (tag ?? null)
}

/** A flow as text, once per flow: every trace through a bridge prints the same few flows. */
const flowTexts = new WeakMap<Flow, string>()

function flowText(flow: Flow): string {
  let text = flowTexts.get(flow)
  if (text === undefined) flowTexts.set(flow, (text = formatFlow(flow)))
  return text
}

/** What a bridge's pipeline clears on entry (registers, metadata, tunnel id, conntrack state). */
const CLEARED_ON_ENTRY = new Set(['regs', 'metadata', 'tun_id', 'ct_state', 'ct_zone', 'ct_mark'])

/** The packet as it enters a bridge on `ofport`: its own fields in their order but those cleared on entry, then the
 * tunnel id it was decapsulated with (a loop rather than rest destructuring, which V8 runs through a slow path). */
function enteringPacket(packet: Packet, ofport: number, tunId: bigint | undefined): Packet {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(packet)) if (!CLEARED_ON_ENTRY.has(k)) out[k] = packet[k as keyof Packet]
  out.in_port = ofport
  if (tunId !== undefined) out.tun_id = tunId
  return out as unknown as Packet
}

export function enterBridge(
  w: Walk,
  host: HostModel,
  bridge: string,
  inPort: string,
  packet: Packet,
  hops: Hop[],
  tunId?: bigint,
): void {
  const sim = simBridgeOf(host, bridge)
  const port = sim.ports.find((p) => p.name === inPort)
  const inVlan = portVlan(port?.tag, packet)
  const here: Hop[] = [
    ...hops,
    {
      host: host.name,
      kind: 'ovs-port',
      element: inPort,
      vlan: inVlan,
      ...(tunId !== undefined ? {vni: Number(tunId)} : {}),
      note: `into ${bridge}${port ? ` (ofport ${port.ofport}${port.tag !== undefined ? `, access tag ${port.tag}` : ''})` : ''}`,
    },
  ]
  if (!port) {
    w.branches.push({
      hops: here,
      end: {
        kind: 'unknown',
        host: host.name,
        element: inPort,
        reason: `no OpenFlow port number known for ${inPort} on ${bridge}`,
      },
    })
    return
  }
  if (!host.flows.has(bridge))
    w.unknowns.push(`flows of ${bridge} on ${host.name} were not captured: NORMAL switching assumed`)
  // Entering a bridge (through a patch port or from a device) starts with registers, metadata, tunnel id and conntrack
  // state cleared. A frame decapsulated on a tunnel port carries the tunnel id as metadata.
  const entering = enteringPacket(packet, port.ofport, tunId)
  const result = simulateBridge(sim, entering, {
    macTable: macsOf(w, host),
    learn: true,
    learned: learnedOf(w, host, bridge),
    conntrack: conntrackOf(w, host),
  })
  w.unknowns.push(...result.unknownReasons.map((r) => `${host.name} ${bridge}: ${r}`))
  const flows = result.steps
    .filter((s) => s.flow)
    .map((s) => ({bridge, table: s.table, line: s.flow!.line, text: flowText(s.flow!)}))
  const bridgeHop: Hop = {
    host: host.name,
    kind: 'ovs-bridge',
    element: bridge,
    vlan: inVlan,
    flows,
    note: flows.map((f) => `table ${f.table} line ${f.line}: ${f.text}`).join('; '),
  }
  const next = [...here, bridgeHop]
  if (result.verdict === 'dropped' || !result.outputs.length) {
    const kind = result.verdict === 'unknown' ? 'unknown' : 'dropped'
    w.branches.push({
      hops: next,
      end: {
        kind,
        host: host.name,
        element: bridge,
        bridge,
        flow: result.dropFlow,
        reason: result.dropReason ?? result.unknownReasons[0] ?? `dropped by ${bridge}`,
      },
    })
    return
  }
  for (const out of result.outputs) {
    const name = out.port.name
    const outVlan = portVlan(out.port.tag, out.packet)
    const change = outVlan !== inVlan ? `, VLAN ${inVlan ?? 'untagged'} → ${outVlan ?? 'untagged'}` : ''
    const outHop: Hop = {
      host: host.name,
      kind: 'ovs-port',
      element: name,
      vlan: outVlan,
      note: `out of ${bridge} (${out.via}${change})`,
    }
    leaveBridge(w, host, bridge, name, out.packet, [...next, outHop])
  }
}

function leaveBridge(w: Walk, host: HostModel, bridge: string, port: string, packet: Packet, hops: Hop[]): void {
  const ref = findOvsInterface(host, port)
  if (!ref) return
  const {iface} = ref
  if (isReplyTarget(w, host, port)) {
    w.branches.push({
      hops,
      end: {kind: 'vm', host: host.name, element: port, reason: `to the VM through ${port}`, packet},
    })
    return
  }
  if (iface.type === 'patch') {
    const peer = iface.options.peer ? findOvsInterface(host, iface.options.peer) : undefined
    if (!peer || peer.iface.options.peer !== port) {
      w.branches.push({
        hops,
        end: {
          kind: 'dead-end',
          host: host.name,
          element: port,
          reason: `patch ${port} has no matching peer (${iface.options.peer ?? 'none'})`,
        },
      })
      return
    }
    const patchHop: Hop = {
      host: host.name,
      kind: 'patch',
      element: peer.iface.name,
      vlan: vlanOf(packet),
      note: `patch peer of ${port}`,
    }
    enterBridge(w, host, peer.bridge.name, peer.iface.name, packet, [...hops, patchHop])
    return
  }
  if (iface.type === 'internal') {
    const dev = findDevice(host, port)
    if (dev && dev.netns) {
      w.branches.push({
        hops,
        end: {
          kind: 'namespace',
          host: host.name,
          element: port,
          netns: dev.netns,
          reason: `delivered to ${port} in ${dev.netns}`,
        },
      })
    } else {
      w.branches.push({
        hops,
        end: {kind: 'local', host: host.name, element: port, reason: `to the host stack through ${port}`},
      })
    }
    return
  }
  if (isTunnelType(iface.type)) {
    crossTunnel(w, host, bridge, port, iface.type, iface.options, packet, hops)
    return
  }
  // A system port: a veth into a Linux bridge or another OVS bridge, or the physical NIC.
  const dev = findDevice(host, port, '')
  const isUplink =
    wiredLinksOf(host).some((l) => l.bridge === bridge && l.phyPort !== port) && (!dev || !peerOf(host, dev))
  if (isUplink) {
    const upHop: Hop = {
      host: host.name,
      kind: 'uplink',
      element: port,
      vlan: vlanOf(packet),
      note: `physical NIC of ${bridge}`,
    }
    w.branches.push({
      hops: [...hops.slice(0, -1), upHop],
      end: {
        kind: 'uplink',
        host: host.name,
        element: port,
        bridge,
        reason: `on the wire of ${port} with ${vlanOf(packet) === null ? 'no VLAN tag' : `VLAN ${vlanOf(packet)}`}`,
      },
    })
    if (w.target === 'dhcp') crossPhysical(w, host, bridge, port, packet, [...hops.slice(0, -1), upHop])
    return
  }
  if (
    dev &&
    (dev.device.kind === 'tun' ||
      (port.startsWith('tap') && !dev.device.peerName && dev.device.peerIfindex === undefined))
  ) {
    w.branches.push({hops, end: {kind: 'vm', host: host.name, element: port, reason: `to the VM behind ${port}`}})
    return
  }
  sendOut(w, host, '', port, packet, hops)
}

/** The hosts worth following a frame into: for the reply, the VM's; for the request, those that serve DHCP for the
 * VM's network when it is known (the broadcast floods everywhere, but only they can answer), else all. */
function dhcpCandidates(w: Walk): HostModel[] {
  if (w.hosts) return w.model.hosts.filter((h) => w.hosts!.includes(h.name))
  if (w.replyTo)
    return w.model.hosts.filter((h) => h.name === w.replyTo!.host || w.alsoTo?.some((t) => t.host === h.name))
  const net = w.start.networkId
  if (!net) return w.model.hosts
  let byNet = servingHosts.get(w.model.hosts)
  if (!byNet) servingHosts.set(w.model.hosts, (byNet = new Map()))
  let serving = byNet.get(net)
  if (!serving) byNet.set(net, (serving = w.model.hosts.filter((h) => showsDhcpFor(h, net))))
  return serving.length ? serving : w.model.hosts
}

/** The hosts that show DHCP for a network, by network, per model's host list: looked for once per network, not once
 * per trace (a cloud of 500 hosts scanned them all again for each of its 20,000 VMs). A model is not changed once
 * built; its host list is the key, so a new model starts afresh. */
const servingHosts = new WeakMap<HostModel[], Map<string, HostModel[]>>()

/** Across the physical network: every other host's uplink on the same physnet receives the frame (a flat L2 switch). */
function crossPhysical(w: Walk, from: HostModel, bridge: string, nic: string, packet: Packet, hops: Hop[]): void {
  const physnet = wiredLinksOf(from).find((l) => l.bridge === bridge)?.physnet
  for (const host of dhcpCandidates(w)) {
    if (host === from) continue
    for (const link of wiredLinksOf(host).filter(
      (l) => physnet === undefined || l.physnet === undefined || l.physnet === physnet,
    )) {
      crossInto(w, from, nic, host, link, physnet, packet, hops)
    }
  }
}

/** The frame arrives on every NIC of `link`'s bridge on `host`. */
function crossInto(
  w: Walk,
  from: HostModel,
  nic: string,
  host: HostModel,
  link: PhysLink,
  physnet: string | undefined,
  packet: Packet,
  hops: Hop[],
): void {
  const br = host.ovs?.bridges.find((b) => b.name === link.bridge)
  const uplinks =
    br?.ports.filter(
      (p) =>
        p.name !== link.phyPort && p.name !== br.name && p.interfaces.some((i) => i.type === '' || i.type === 'system'),
    ) ?? []
  for (const up of uplinks) {
    const key = `${host.name}|wire|${up.name}|${vlanOf(packet)}`
    if (w.crossed.has(key)) continue
    w.crossed.add(key)
    const wire: Hop = {
      host: host.name,
      kind: 'physical-network',
      element: `${from.name}:${nic} → ${host.name}:${up.name}`,
      vlan: vlanOf(packet),
      note: physnet ? `physical network ${physnet}` : 'physical network',
    }
    const upHop: Hop = {
      host: host.name,
      kind: 'uplink',
      element: up.name,
      vlan: vlanOf(packet),
      note: `physical NIC of ${link.bridge}`,
    }
    enterBridge(w, host, link.bridge, up.name, packet, [...hops, wire, upHop])
  }
}

/** Output to a tunnel port: encapsulation. The frame leaves with the tunnel id and remote_ip, crosses the underlay
 * (out of the NIC behind the endpoint address, within its MTU) and enters the host whose local_ip is that remote_ip,
 * on its tunnel port of the same type whose remote_ip is this host's local_ip, with the tunnel id as metadata. */
function crossTunnel(
  w: Walk,
  host: HostModel,
  bridge: string,
  port: string,
  type: 'vxlan' | 'gre' | 'geneve',
  options: Record<string, string>,
  packet: Packet,
  hops: Hop[],
): void {
  const vni = packet.tun_id === undefined ? 0 : Number(packet.tun_id)
  const remoteIp = options.remote_ip?.replace(/^"|"$/g, '')
  // The datapath sends from the port's own local_ip (the agent's when the port has none), wherever that address is.
  const localIp = options.local_ip?.replace(/^"|"$/g, '') ?? endpointOf(host)?.localIp
  const ep = localIp ? endpointAt(host, localIp) : undefined
  const nic = ep?.underlay.map((d) => d.name).join(', ')
  const via = ep?.holderBridge ? ` via ${ep.holderBridge.name}` : ''
  const tunHop: Hop = {
    host: host.name,
    kind: 'tunnel',
    element: port,
    vlan: null,
    vni,
    note: `${type} ${type === 'gre' ? 'key' : 'VNI'} ${vni}: ${localIp ?? '?'} → ${remoteIp ?? '?'}${nic ? `, out of ${nic}${via}` : ''}`,
  }
  // The tunnel hop stands for the output port's hop.
  const out = [...(hops.at(-1)?.element === port ? hops.slice(0, -1) : hops), tunHop]
  const end = (kind: 'dropped' | 'dead-end' | 'unknown', element: string, reason: string): void => {
    w.branches.push({hops: out, end: {kind, host: host.name, element, reason}})
  }
  if (!remoteIp || remoteIp === 'flow')
    return end('unknown', port, `${port} takes its remote_ip from the flow, which is not modelled`)
  if (!localIp) return end('unknown', port, `the tunnel endpoint (local_ip) of ${host.name} is not known`)
  if (!host.devices.has(''))
    return end('unknown', port, `the addresses of ${host.name} were not captured: who holds ${localIp} is not known`)
  if (ep && !ep.holder)
    return end('dead-end', port, `no interface of ${host.name} holds local_ip ${localIp}: ${port} cannot send`)
  if (ep?.holder && !ep.holderBridge && host.ovs?.bridges.some((b) => b.datapathType === 'netdev')) {
    return end(
      'dead-end',
      port,
      `local_ip ${localIp} is on ${ep.holder.name}, not on an OVS internal port: the userspace datapath cannot route ${port}'s packets`,
    )
  }
  if (w.target === 'uplink' && host.name === w.start.host) {
    const element = ep?.underlay[0]?.name ?? ep?.holder?.name ?? port
    const upHop: Hop = {host: host.name, kind: 'uplink', element, vlan: null, vni, note: `underlay of ${localIp}${via}`}
    w.branches.push({
      hops: [...out, upHop],
      end: {
        kind: 'uplink',
        host: host.name,
        element,
        bridge,
        reason: `encapsulated in ${type} ${type === 'gre' ? 'key' : 'VNI'} ${vni} to ${remoteIp}, on the wire of ${element}`,
      },
    })
    return
  }
  const mtuEnd = mtuProblem(w, ep?.underlayMtu, type, host.name, element(ep))
  if (mtuEnd) return end('dropped', element(ep) ?? port, mtuEnd)
  const peer = hostOfEndpoint(w.model, remoteIp)
  if (!peer)
    return end(
      'dead-end',
      port,
      `no host's local_ip is ${remoteIp}: ${port} on ${host.name} leads nowhere (stale tunnel port?)`,
    )
  if (!dhcpCandidates(w).includes(peer)) return
  const key = `${host.name}|tunnel|${port}|${vni}|${packet.dl_dst}`
  if (w.crossed.has(key)) return
  w.crossed.add(key)
  const peerEp = endpointAt(peer, remoteIp)
  const wire: Hop = {
    host: peer.name,
    kind: 'underlay',
    element: `${host.name}:${localIp} → ${peer.name}:${remoteIp}`,
    vlan: null,
    vni,
    note: `${type}${type === 'vxlan' ? ` UDP ${options.dst_port ?? '4789'}` : ''} over the underlay`,
  }
  if (peerEp && !peerEp.holder) {
    w.branches.push({
      hops: [...out, wire],
      end: {
        kind: 'dead-end',
        host: peer.name,
        element: remoteIp,
        reason: `no interface of ${peer.name} holds ${remoteIp}: the encapsulated frame is not received`,
      },
    })
    return
  }
  const peerMtu = mtuProblem(w, peerEp?.underlayMtu, type, peer.name, element(peerEp))
  if (peerMtu) {
    w.branches.push({
      hops: [...out, wire],
      end: {kind: 'dropped', host: peer.name, element: element(peerEp) ?? remoteIp, reason: peerMtu},
    })
    return
  }
  const back = tunnelPortTo(peer, type, localIp)
  if (!back) {
    w.branches.push({
      hops: [...out, wire],
      end: {
        kind: 'dropped',
        host: peer.name,
        element: `${type} from ${localIp}`,
        reason: `${peer.name} has no ${type} port with remote_ip ${localIp}: it does not accept the encapsulated frame`,
      },
    })
    return
  }
  enterBridge(w, peer, back.bridge, back.name, packet, [...out, wire], BigInt(vni))
}

function element(ep: ReturnType<typeof endpointAt> | undefined): string | undefined {
  return ep?.underlay[0]?.name ?? ep?.holder?.name
}

/** The encapsulated frame is larger than the underlay carries: it is dropped there (the DHCP still works, big
 * packets die). Only checked when the trace knows the frame's size. */
function mtuProblem(
  w: Walk,
  mtu: number | undefined,
  type: 'vxlan' | 'gre' | 'geneve',
  host: string,
  nic: string | undefined,
): string | undefined {
  if (w.ipSize === undefined || mtu === undefined) return undefined
  // Neutron's overheads count the outer IP header, UDP/GRE/Geneve and the inner Ethernet header (VXLAN 50 = 20 + 8 +
  // 8 + 14): the outer IP packet is the inner IP packet plus that, and the underlay MTU bounds it.
  const outer = w.ipSize + ENCAP_OVERHEAD[type]
  if (outer <= mtu) return undefined
  return `the ${w.ipSize}-byte packet encapsulated in ${type} is a ${outer}-byte outer packet, more than the ${mtu}-byte MTU of ${nic ?? 'the underlay'} on ${host}: dropped`
}

// ---------------------------------------------------------------------------------------------------------------------
// Finding the VM and choosing the path

function macOk(s: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s)
}

/** Resolve `--vm` (uuid, name, MAC, port id, port name or IP) to one VM NIC on one host. */
/** Every VM NIC of a model with the names it answers to, built once per (model, intent) and reused by each query:
 * tracing every VM of a 500-host cloud must not scan every port for every NIC of every VM. */
interface VmIndex {
  /** Rebuilt when the model or the intent has grown or shrunk since. */
  size: string
  vms: TraceVm[]
  byName: Map<string, number[]>
  /** Port ids (lower case) with their entry, sorted: a prefix query is a binary search. */
  portIds: [string, number][]
}

const vmIndexes = new WeakMap<ActualModel, WeakMap<ReferenceModel, VmIndex>>()

function vmIndex(model: ActualModel, ref: ReferenceModel): VmIndex {
  const size = `${model.hosts.length}/${model.hosts.reduce((n, h) => n + h.vms.length, 0)}/${ref.ports.length}`
  const cached = vmIndexes.get(model)?.get(ref)
  if (cached?.size === size) return cached
  const ports = ref.ports.filter((p) => !isDhcpPort(p))
  const byMac = new Map<string, PortView>()
  for (const p of ports) if (p.mac && !byMac.has(p.mac)) byMac.set(p.mac, p)
  const index: VmIndex = {size, vms: [], byName: new Map(), portIds: []}
  for (const host of model.hosts) {
    for (const vm of host.vms) {
      for (const nic of vm.domain.interfaces) {
        const port = nic.mac ? byMac.get(nic.mac.toLowerCase()) : undefined
        const i = index.vms.push(vmOf(host, vm.domain.uuid, vm.domain.novaName ?? vm.domain.name, nic, port)) - 1
        const names = [
          vm.domain.uuid,
          vm.domain.name,
          vm.domain.novaName,
          nic.mac,
          nic.targetDev,
          port?.id,
          port?.vmName,
          port?.name,
          ...(port?.ips ?? []),
        ]
        for (const name of new Set(names.filter((x): x is string => Boolean(x)).map((x) => x.toLowerCase()))) {
          const list = index.byName.get(name)
          if (list) list.push(i)
          else index.byName.set(name, [i])
        }
        if (port?.id) index.portIds.push([port.id, i])
      }
    }
  }
  index.portIds.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
  const inner = vmIndexes.get(model) ?? new WeakMap<ReferenceModel, VmIndex>()
  inner.set(ref, index)
  vmIndexes.set(model, inner)
  return index
}

export function findVm(model: ActualModel, ref: ReferenceModel, query: string): TraceVm[] {
  const q = query.trim().toLowerCase()
  const index = vmIndex(model, ref)
  const hits = new Set(index.byName.get(q) ?? [])
  if (q.length >= 8) {
    // Port ids starting with q: the first id >= q, then on while the prefix holds.
    let lo = 0
    let hi = index.portIds.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (index.portIds[mid][0] < q) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < index.portIds.length && index.portIds[i][0].startsWith(q); i++) hits.add(index.portIds[i][1])
  }
  const out = [...hits].sort((a, b) => a - b).map((i) => ({...index.vms[i]}))
  if (out.length) return out
  const ports = ref.ports.filter((p) => !isDhcpPort(p))
  // No libvirt definition captured: fall back on Neutron's port and the OVS interface.
  for (const port of ports) {
    const names = [port.id, port.mac, port.vmName, port.name, port.deviceId, ...port.ips]
      .filter(Boolean)
      .map((x) => x!.toLowerCase())
    if (!names.includes(q) && !(q.length >= 8 && port.id.startsWith(q))) continue
    const host =
      model.hosts.find((h) => h.name === port.host) ??
      model.hosts.find((h) => findOvsInterface(h, `qvo${port.short}`) || findOvsInterface(h, `tap${port.short}`))
    if (!host || !port.mac) continue
    out.push({
      host: host.name,
      name: port.vmName,
      uuid: port.deviceId,
      mac: port.mac,
      ip: port.ips[0],
      portId: port.id,
      networkId: port.networkId,
      tap: `tap${port.short}`,
    })
  }
  return out
}

function vmOf(
  host: HostModel,
  uuid: string | undefined,
  name: string | undefined,
  nic: VmInterface,
  port?: PortView,
): TraceVm {
  return {
    host: host.name,
    uuid,
    name,
    mac: (nic.mac ?? port?.mac ?? '').toLowerCase(),
    ip: port?.ips[0],
    portId: port?.id || undefined,
    networkId: port?.networkId,
    tap: nic.targetDev ?? (port?.short ? `tap${port.short}` : undefined),
  }
}

function dhcpRequest(mac: string): Packet {
  return {
    in_port: 0,
    dl_src: mac,
    dl_dst: BROADCAST,
    dl_type: 0x0800,
    nw_src: '0.0.0.0',
    nw_dst: '255.255.255.255',
    nw_proto: 17,
    tp_src: 68,
    tp_dst: 67,
  }
}

/** The dnsmasq of a qdhcp namespace. */
function dnsmasqFor(host: HostModel, netns: string): DnsmasqInstance | undefined {
  return host.dnsmasq.find((d) => dnsmasqServes(d, netns.slice('qdhcp-'.length)))
}

/** A dnsmasq hosts file's entries by MAC (lower case), the first entry of each: looked up once per VM's trace. */
const dhcpEntries = new WeakMap<readonly DhcpHostEntry[], {length: number; byMac: Map<string, DhcpHostEntry>}>()

function dhcpEntryFor(entries: readonly DhcpHostEntry[], mac: string): DhcpHostEntry | undefined {
  let index = dhcpEntries.get(entries)
  if (index?.length !== entries.length) {
    const byMac = new Map<string, DhcpHostEntry>()
    for (const e of entries) {
      const key = e.mac.toLowerCase()
      if (!byMac.has(key)) byMac.set(key, e)
    }
    dhcpEntries.set(entries, (index = {length: entries.length, byMac}))
  }
  return index.byMac.get(mac)
}

export function trace(model: ActualModel, ref: ReferenceModel, vm: TraceVm, target: TraceTarget): TraceResult {
  if (!macOk(vm.mac))
    throw new TraceError(`the VM's MAC address is unknown (${vm.mac || 'none'}); cannot build its frame`)
  const host = model.hosts.find((h) => h.name === vm.host)!
  const w = newWalk(model, vm, target, new Map())
  const packet = dhcpRequest(vm.mac)
  const first: Hop = {
    host: host.name,
    kind: 'vm',
    element: vm.name ?? vm.uuid ?? vm.mac,
    vlan: null,
    note: `${vm.mac}${vm.ip ? ` (${vm.ip})` : ''}: DHCPDISCOVER broadcast`,
  }
  if (!vm.tap) throw new TraceError(`no device is known for ${vm.mac} on ${vm.host}`)
  const tapHop: Hop = {host: host.name, kind: 'tap', element: vm.tap, vlan: null}
  const tapDev = findDevice(host, vm.tap, '')
  if (!tapDev && !findOvsInterface(host, vm.tap)) {
    w.branches.push({
      hops: [first, tapHop],
      end: {kind: 'dead-end', host: host.name, element: vm.tap, reason: `${vm.tap} does not exist on ${host.name}`},
    })
  } else arrive(w, host, '', vm.tap, packet, [first, tapHop])

  const result: TraceResult = {
    vm,
    target,
    verdict: 'unknown',
    reason: '',
    hops: [],
    elsewhere: [],
    unknowns: [...new Set(w.unknowns)],
  }
  const uplinks = w.branches.filter((b) => b.end?.kind === 'uplink' && b.end.host === vm.host)
  if (target === 'uplink') {
    const hit = uplinks[0]
    if (hit) return finish(result, hit, 'delivered', hit.end!.reason, w)
    return finish(result, worst(w.branches), undefined, undefined, w)
  }
  // DHCP: a qdhcp namespace of the VM's network (or any, when the network is unknown) reached by the frame.
  const wanted = vm.networkId ? `qdhcp-${vm.networkId}` : undefined
  const reached = w.branches.filter(
    (b) => b.end?.kind === 'namespace' && b.end.netns?.startsWith('qdhcp-') && (!wanted || b.end.netns === wanted),
  )
  for (const b of reached) {
    const h = model.hosts.find((x) => x.name === b.end!.host)!
    const server = dnsmasqFor(h, b.end!.netns!)
    const files = h.dhcp.get(b.end!.netns!.slice('qdhcp-'.length))
    const entry = files?.hosts ? dhcpEntryFor(files.hosts.entries, vm.mac) : undefined
    result.dhcp = {
      host: h.name,
      namespace: b.end!.netns!,
      device: b.end!.element,
      server: Boolean(server) || !isMet(h, 'ps'),
      knowsMac: Boolean(entry),
      offers: entry?.ip,
    }
    const serverHop: Hop = {
      host: h.name,
      kind: 'dhcp-server',
      element: server ? `dnsmasq pid ${server.pid ?? '?'}` : 'dnsmasq',
      vlan: null,
      note: entry ? `knows ${vm.mac} → ${entry.ip}` : server ? `does not know ${vm.mac}` : 'not running',
    }
    b.hops = [
      ...b.hops,
      {host: h.name, kind: 'namespace', element: b.end!.netns!, vlan: null, note: `${b.end!.element}`},
      serverHop,
    ]
    if ((server || !isMet(h, 'ps')) && entry) {
      finish(
        result,
        b,
        'delivered',
        `reaches ${b.end!.element} in ${b.end!.netns} on ${h.name}; dnsmasq offers ${entry.ip}`,
        w,
      )
      result.reply = traceReply(model, vm, h, b.end!.netns!, b.end!.element, entry.ip, w, result)
      if (result.reply && result.reply.verdict !== 'delivered') {
        result.verdict = result.reply.verdict
        result.reason = `dnsmasq offers ${entry.ip}, but the offer does not get back to the VM: ${result.reply.reason}`
        result.dropFlow = result.reply.dropFlow
      }
      return result
    }
  }
  if (reached.length) {
    const b = reached[0]
    const why = result.dhcp!.server
      ? `dnsmasq in ${b.end!.netns} on ${b.end!.host} has no entry for ${vm.mac}`
      : `no dnsmasq runs in ${b.end!.netns} on ${b.end!.host}`
    return finish(result, b, 'blackholed', `the frame reaches ${b.end!.netns}, but ${why}`, w)
  }
  return finish(result, worst(w.branches, uplinks), undefined, undefined, w)
}

export function newWalk(
  model: ActualModel,
  start: TraceVm,
  target: TraceTarget,
  macs: Map<string, MacTable>,
  learned = new Map<string, Flow[]>(),
): Walk {
  return {
    model,
    start,
    target,
    branches: [],
    visited: new Set(),
    unknowns: [],
    steps: 0,
    crossed: new Set(),
    macs,
    learned,
  }
}

/** dnsmasq's DHCPOFFER, unicast to the VM's MAC (udhcpc does not ask for broadcast), from the DHCP port's device. */
function traceReply(
  model: ActualModel,
  vm: TraceVm,
  host: HostModel,
  netns: string,
  dev: string,
  offered: string,
  request: Walk,
  result: TraceResult,
): TraceResult['reply'] {
  const device = findDevice(host, dev, netns)?.device
  const mac = device?.mac
  if (!mac || !macOk(mac) || !vm.tap) {
    result.unknowns.push(`the MAC of ${dev} in ${netns} on ${host.name} is unknown: the reply was not traced`)
    return undefined
  }
  const w = newWalk(model, vm, 'dhcp', request.macs, request.learned)
  w.replyTo = {host: vm.host, dev: vm.tap}
  const serverIp = device.addresses.find((a) => a.family === 'inet')?.address
  const packet: Packet = {
    in_port: 0,
    dl_src: mac,
    dl_dst: vm.mac,
    dl_type: 0x0800,
    nw_src: serverIp ?? '0.0.0.0',
    nw_dst: offered,
    nw_proto: 17,
    tp_src: 67,
    tp_dst: 68,
  }
  const start: Hop = {
    host: host.name,
    kind: 'namespace',
    element: netns,
    vlan: null,
    note: `DHCPOFFER ${offered} from ${dev} (${mac}) to ${vm.mac}`,
  }
  const ovs = findOvsInterface(host, dev)
  if (ovs) enterBridge(w, host, ovs.bridge.name, dev, packet, [start])
  else sendOut(w, host, netns, dev, packet, [start])
  result.unknowns.push(...w.unknowns.filter((u) => !result.unknowns.includes(u)))
  const hit = w.branches.find((b) => b.end?.kind === 'vm')
  if (hit)
    return {
      verdict: 'delivered',
      reason: `the offer reaches ${vm.tap} on ${vm.host}`,
      hops: [...hit.hops, {host: vm.host, kind: 'vm', element: vm.name ?? vm.uuid ?? vm.mac, vlan: null}],
    }
  const b = worst(w.branches)
  if (!b?.end) return {verdict: 'unknown', reason: 'the offer went nowhere that could be followed', hops: []}
  const end = b.end
  return {
    verdict: end.kind === 'dropped' ? 'dropped' : end.kind === 'unknown' ? 'unknown' : 'blackholed',
    reason: end.reason,
    hops: b.hops,
    dropFlow:
      end.flow && end.bridge
        ? {host: end.host, bridge: end.bridge, line: end.flow.line, text: formatFlow(end.flow)}
        : undefined,
  }
}

/** The most telling failed branch: a drop by a flow beats a dead end, the furthest one wins. */
export function worst(branches: Branch[], prefer: Branch[] = []): Branch | undefined {
  const score = (b: Branch) =>
    (b.end?.kind === 'dropped' ? 1000 : b.end?.kind === 'unknown' ? 500 : b.end?.kind === 'dead-end' ? 100 : 0) +
    b.hops.length
  const failed = branches.filter(
    (b) =>
      b.end &&
      !['local', 'vm'].includes(b.end.kind) &&
      !(b.end.kind === 'namespace' && !b.end.netns?.startsWith('qdhcp-')),
  )
  const pool = failed.filter((b) => b.end!.kind !== 'uplink')
  return [...pool].sort((a, b) => score(b) - score(a))[0] ?? prefer[0] ?? branches[0]
}

function finish(
  result: TraceResult,
  branch: Branch | undefined,
  verdict: TraceVerdict | undefined,
  reason: string | undefined,
  w: Walk,
): TraceResult {
  result.unknowns = [...new Set(w.unknowns)]
  if (!branch) {
    result.verdict = 'unknown'
    result.reason = 'the frame went nowhere that could be followed'
    return result
  }
  result.hops = branch.hops
  const end = branch.end!
  if (verdict) {
    result.verdict = verdict
    result.reason = reason!
  } else {
    result.verdict = end.kind === 'dropped' ? 'dropped' : end.kind === 'unknown' ? 'unknown' : 'blackholed'
    result.reason =
      end.kind === 'uplink'
        ? `reaches the uplink ${end.element} on ${end.host} but no DHCP namespace of its network beyond it`
        : end.reason
    if (end.flow && end.bridge)
      result.dropFlow = {host: end.host, bridge: end.bridge, line: end.flow.line, text: formatFlow(end.flow)}
  }
  result.elsewhere = w.branches.filter((b) => b !== branch && b.end).map((b) => `${b.end!.host}: ${b.end!.reason}`)
  return result
}

// ---------------------------------------------------------------------------------------------------------------------
// One frame from any device (the L3 legs of issue 11: VM → router, router → wire, wire → router, router → VM)

export interface FrameEnd {
  kind: 'uplink' | 'namespace' | 'vm' | 'dropped' | 'dead-end' | 'unknown' | 'local'
  host: string
  element: string
  netns?: string
  bridge?: string
  reason: string
  dropFlow?: {host: string; bridge: string; line: number; text: string}
}

/**
 * Walks one frame from a device (a VM's tap, or an OVS internal port such as a router's qr-/qg-) through the hosts'
 * bridges, across the physical network or tunnels into `hosts` only, and returns every place it ended. `endAt`: VM
 * devices where the walk ends as delivered.
 */
export function walkFrame(
  model: ActualModel,
  opts: {
    start: TraceVm
    host: HostModel
    netns: string
    dev: string
    packet: Packet
    hops: Hop[]
    hosts: string[]
    endAt?: {host: string; dev: string}[]
  },
): {branches: {hops: Hop[]; end: FrameEnd}[]; unknowns: string[]} {
  const w = newWalk(model, opts.start, 'dhcp', new Map())
  w.hosts = opts.hosts
  if (opts.endAt?.length) {
    w.replyTo = opts.endAt[0]
    w.alsoTo = opts.endAt.slice(1)
  }
  const ovs = findOvsInterface(opts.host, opts.dev)
  if (ovs) enterBridge(w, opts.host, ovs.bridge.name, opts.dev, opts.packet, opts.hops)
  else arrive(w, opts.host, opts.netns, opts.dev, opts.packet, opts.hops)
  const branches = w.branches
    .filter((b) => b.end)
    .map((b) => {
      const e = b.end!
      const end: FrameEnd = {kind: e.kind, host: e.host, element: e.element, reason: e.reason}
      if (e.netns) end.netns = e.netns
      if (e.bridge) end.bridge = e.bridge
      if (e.flow && e.bridge)
        end.dropFlow = {host: e.host, bridge: e.bridge, line: e.flow.line, text: formatFlow(e.flow)}
      return {hops: b.hops, end}
    })
  return {branches, unknowns: [...new Set(w.unknowns)]}
}
