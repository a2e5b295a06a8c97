// North-south traces (issue 11): a VM's packet to an address beyond its router (`trace --vm VM --to IP`), and a
// packet from the external network to a floating IP (`trace --to-fip FIP --from-outside`). Each is three legs: the
// frame to the router's port (the OpenFlow simulator, across the wire or tunnels to the router's host), the router
// namespace (iptables and the routing table, src/l3/router.ts), and the frame out of the chosen port to the
// external bridge's NIC or to the VM. Every hop carries the addresses as translated at that point.

import type {ActualModel, HostModel} from '../model/actual.js'
import {findDevice, findOvsInterface, hostByName, isMet} from '../model/actual.js'
import {DEAD_VLAN, type ReferenceModel} from '../model/reference.js'
import {INTEGRATION_BRIDGE, wiredLinks} from '../model/wiring.js'
import type {Packet} from '../sim/packet.js'
import {
  type FrameEnd,
  type Hop,
  type TraceResult,
  type TraceVm,
  TraceError,
  findVm,
  walkFrame,
} from '../trace/tracer.js'
import {resolved} from '../parsers/ip-neigh.js'
import {inPrefix} from './ip.js'
import type {RouterView} from './reference.js'
import {throughRouter} from './router.js'

export const METADATA_IP = '169.254.169.254'
export const METADATA_PORT = 9697
/** A stand-in for a MAC the snapshot does not hold (the next hop's on the external network, an outside host's). */
const UNKNOWN_MAC = '02:00:00:00:00:01'

export interface L3TraceOptions {
  proto?: 'icmp' | 'tcp' | 'udp'
  dport?: number
}

type Branch = {hops: Hop[]; end: FrameEnd}

function protoNumber(proto: 'icmp' | 'tcp' | 'udp'): number {
  return proto === 'icmp' ? 1 : proto === 'tcp' ? 6 : 17
}

function ipPacket(src: string, dst: string, dlSrc: string, dlDst: string, o: Required<L3TraceOptions>): Packet {
  return {
    in_port: 0,
    dl_src: dlSrc,
    dl_dst: dlDst,
    dl_type: 0x0800,
    nw_src: src,
    nw_dst: dst,
    nw_proto: protoNumber(o.proto),
    nw_ttl: 64,
    ...(o.proto === 'icmp' ? {tp_src: 8, tp_dst: 0} : {tp_src: 40000, tp_dst: o.dport}),
  }
}

/**
 * The packet through the router namespace `ns` (routing, nat, filter), as it arrived on `inDev`: each decision becomes
 * a hop and a line of the trace's `l3.decided`, and `l3.seen` the addresses as translated.
 */
function routeIn(
  r: TraceResult,
  host: HostModel,
  ns: string,
  p: {src: string; dst: string; inDev: string},
  o: Required<L3TraceOptions>,
): ReturnType<typeof throughRouter> {
  const l3 = r.l3!
  const routed = throughRouter(host, ns, {
    ...p,
    proto: o.proto,
    ...(o.proto !== 'icmp' ? {sport: 40000, dport: o.dport} : {}),
    mark: 0,
    connmark: 0,
    dnat: false,
  })
  for (const s of routed.steps) {
    r.hops.push(routerHop(host, ns, `${s.stage}: ${s.text}`))
    l3.decided.push(`${s.stage}: ${s.text}`)
  }
  l3.seen = {src: routed.packet.src, dst: routed.packet.dst}
  return routed
}

function defaults(o: L3TraceOptions): Required<L3TraceOptions> {
  const proto = o.proto ?? 'icmp'
  return {proto, dport: o.dport ?? (proto === 'icmp' ? 0 : 80)}
}

/** The most telling branch that did not arrive: a drop by a flow first, then the longest. */
function worst(branches: Branch[]): Branch | undefined {
  const score = (b: Branch) =>
    (b.end.kind === 'dropped' ? 1000 : b.end.kind === 'unknown' ? 500 : b.end.kind === 'dead-end' ? 100 : 0) +
    b.hops.length
  return [...branches].sort((a, b) => score(b) - score(a))[0]
}

function base(vm: TraceVm, target: 'ip' | 'fip'): TraceResult {
  return {vm, target, verdict: 'unknown', reason: '', hops: [], elsewhere: [], unknowns: []}
}

/**
 * What is wrong with a router port on its host, when something is: not on the integration bridge, in the dead VLAN,
 * or absent from the namespace. Where a frame to or from the router dies, this, not the flow where the simulator last
 * saw it (a flood dropped on br-ex or br-eth2), is the element at fault.
 */
function routerPortFault(host: HostModel, ns: string, dev: string): string | undefined {
  const ovs = findOvsInterface(host, dev)
  if (!ovs && host.ovs?.bridges.length) return `${dev} is on no OVS bridge of ${host.name} (deleted from br-int)`
  if (ovs?.port.tag === DEAD_VLAN)
    return `${dev} is in the dead VLAN ${DEAD_VLAN} on ${ovs.bridge.name}: NORMAL switching connects it to nothing`
  const devices = host.devices.get(ns)
  if (devices && !devices.some((d) => d.name === dev)) return `${dev} does not exist in ${ns}`
  return undefined
}

function fail(
  r: TraceResult,
  b: Branch | undefined,
  prefix: string,
  port?: {host: HostModel; ns: string; dev: string},
): TraceResult {
  const fault = port && routerPortFault(port.host, port.ns, port.dev)
  if (fault) {
    // The walk up to the router's host's integration bridge, then the port that does not carry the frame.
    const hops = b?.hops ?? r.hops
    let at = hops.length - 1
    while (at >= 0 && !(hops[at].host === port.host.name && hops[at].element === INTEGRATION_BRIDGE)) at--
    r.hops = [
      ...(at >= 0 ? hops.slice(0, at + 1) : hops),
      {host: port.host.name, kind: 'ovs-port', element: port.dev, vlan: null, note: fault},
    ]
    r.verdict = 'blackholed'
    r.reason = `${prefix}: ${fault}`
    delete r.dropFlow
    return r
  }
  if (!b) {
    r.verdict = 'unknown'
    r.reason = `${prefix}: the frame went nowhere that could be followed`
    return r
  }
  r.hops.push(...b.hops.slice(r.hops.length ? 0 : 0))
  r.verdict = b.end.kind === 'dropped' ? 'dropped' : b.end.kind === 'unknown' ? 'unknown' : 'blackholed'
  r.reason = `${prefix}: ${b.end.reason}`
  if (b.end.dropFlow) r.dropFlow = b.end.dropFlow
  return r
}

/**
 * A distributed (DVR) router is not modelled: its snat-/fip- namespaces, rules and routes are collected, but the path
 * through them (the qrouter on the VM's own host, the rfp-/fpr- veth pair into fip-<external net>, fg- on br-int, or
 * sg- in snat-<router> on the network node, and the DVR MAC rewriting on br-int/br-tun) is not traced: unknown.
 */
function dvrUnknown(r: TraceResult, hops: Hop[], router: RouterView): TraceResult {
  r.hops = hops
  r.verdict = 'unknown'
  r.reason = `router ${router.name ?? router.id} is distributed (DVR): its path (qrouter on the VM's host, fip- or snat- namespace) is not modelled`
  r.unknowns.push(`DVR router ${router.id}: snat-/fip- namespaces are collected, not traced`)
  return r
}

/** The router serving the VM's subnet: an interface on its network whose subnet holds its address. */
export function routerOfVm(
  ref: ReferenceModel,
  vm: TraceVm,
): {router: RouterView; qr: RouterView['interfaces'][0]} | undefined {
  for (const router of ref.routers)
    for (const qr of router.interfaces) {
      if (vm.networkId && qr.networkId !== vm.networkId) continue
      if (vm.ip && qr.cidr && !inPrefix(vm.ip, qr.cidr)) continue
      return {router, qr}
    }
  return undefined
}

function routerHost(model: ActualModel, router: RouterView): HostModel | undefined {
  if (router.host) return hostByName(model, router.host)
  return model.hosts.find((h) => h.namespaces.some((n) => n.name === router.namespace))
}

function macOfDevice(host: HostModel, netns: string, dev: string, fallback?: string): string {
  return findDevice(host, dev, netns)?.device.mac?.toLowerCase() ?? fallback ?? UNKNOWN_MAC
}

function hasNamespace(host: HostModel, ns: string): boolean {
  return host.namespaces.some((n) => n.name === ns) || host.devices.has(ns)
}

function routerHop(host: HostModel, ns: string, text: string): Hop {
  return {host: host.name, kind: 'router', element: ns, vlan: null, note: text}
}

/** The next hop's MAC as the namespace's neighbour table has it (`ip -j neigh`), with what the table says of it. */
function nextHopMac(
  host: HostModel,
  ns: string,
  dev: string,
  nextHop: string,
): {mac?: string; note: string} | undefined {
  const table = host.l3.namespaces.get(ns)?.neighbours
  if (!table) return undefined
  const n = table.value.find((x) => x.dst === nextHop && (x.dev === undefined || x.dev === dev))
  if (!n) return {note: `next hop ${nextHop}: not in the neighbour table yet (the router will ARP for it)`}
  const state = n.state.join(',') || 'no state'
  if (!resolved(n)) return {note: `next hop ${nextHop}: neighbour ${state} (it did not answer ARP when last asked)`}
  return {mac: n.lladdr!, note: `next hop ${nextHop} at ${n.lladdr} (neighbour ${state})`}
}

/** The external bridge of the router's gateway network on its host, and that bridge's NIC. */
function externalNic(
  host: HostModel,
  ref: ReferenceModel,
  router: RouterView,
): {bridge: string; nic: string} | undefined {
  const net = router.gateway ? ref.networks.get(router.gateway.networkId) : undefined
  const links = wiredLinks(host)
  const link = links.find((l) => net?.physnet !== undefined && l.physnet === net.physnet) ?? undefined
  if (!link) return undefined
  const br = host.ovs?.bridges.find((b) => b.name === link.bridge)
  const nic = br?.ports.find(
    (p) =>
      p.name !== link.phyPort && p.name !== br.name && p.interfaces.some((i) => i.type === '' || i.type === 'system'),
  )
  return nic ? {bridge: link.bridge, nic: nic.name} : undefined
}

/** VM → an address outside its subnet: to its router, through it, out of the external bridge (or to another VM). */
export function traceToIp(
  model: ActualModel,
  ref: ReferenceModel,
  vm: TraceVm,
  dst: string,
  opts: L3TraceOptions = {},
): TraceResult {
  const o = defaults(dst === METADATA_IP ? {proto: 'tcp', dport: 80, ...opts} : opts)
  if (!vm.ip) throw new TraceError(`the VM's IP address is unknown (${vm.mac}); cannot build its packet`)
  const r = base(vm, 'ip')
  const found = routerOfVm(ref, vm)
  if (found?.qr.cidr && inPrefix(dst, found.qr.cidr))
    throw new TraceError(`${dst} is in the VM's own subnet ${found.qr.cidr}: it does not go through a router`)
  const vmHost = hostByName(model, vm.host)!
  const first: Hop = {
    host: vm.host,
    kind: 'vm',
    element: vm.name ?? vm.uuid ?? vm.mac,
    vlan: null,
    note: `${o.proto}${o.proto === 'icmp' ? '' : ` port ${o.dport}`} ${vm.ip} → ${dst}, to its gateway`,
  }
  if (!found) {
    r.hops = [first]
    r.verdict = 'blackholed'
    r.reason = `no router has an interface on the VM's network${vm.networkId ? ` ${vm.networkId}` : ''}: nothing routes ${dst}`
    return r
  }
  const {router, qr} = found
  if (router.distributed) return dvrUnknown(r, [first], router)
  const host = routerHost(model, router)
  if (!host) {
    r.hops = [first]
    r.verdict = 'unknown'
    r.reason = `no host of the snapshot is known to hold router ${router.name ?? router.id}`
    return r
  }
  const ns = router.namespace
  const l3 = {
    router: router.id,
    host: host.name,
    namespace: ns,
    sent: {src: vm.ip, dst},
    seen: {src: vm.ip, dst},
    decided: [] as string[],
  }
  r.l3 = l3
  if (!hasNamespace(host, ns)) {
    r.hops = [first]
    r.verdict = 'blackholed'
    r.reason = `${ns} does not exist on ${host.name}: router ${router.name ?? router.id} is not there`
    return r
  }
  if (!vm.tap) throw new TraceError(`no device is known for ${vm.mac} on ${vm.host}`)
  // Leg 1: the frame to the router's qr- MAC.
  const qrMac = macOfDevice(host, ns, qr.dev, qr.mac)
  first.note += ` (${qr.ip}, ${qrMac})`
  const toRouter = walkFrame(model, {
    start: vm,
    host: vmHost,
    netns: '',
    dev: vm.tap,
    packet: ipPacket(vm.ip, dst, vm.mac, qrMac, o),
    hops: [first, {host: vm.host, kind: 'tap', element: vm.tap, vlan: null}],
    hosts: [host.name],
  })
  r.unknowns.push(...toRouter.unknowns)
  const atRouter = toRouter.branches.find(
    (b) => b.end.kind === 'namespace' && b.end.netns === ns && b.end.host === host.name,
  )
  r.elsewhere = toRouter.branches.filter((b) => b !== atRouter).map((b) => `${b.end.host}: ${b.end.reason}`)
  if (!atRouter)
    return fail(
      r,
      worst(toRouter.branches.filter((b) => b.end.kind !== 'namespace')),
      `the frame does not reach ${qr.dev} in ${ns}`,
      {host, ns, dev: qr.dev},
    )
  r.hops = [...atRouter.hops]
  // Leg 2: the router.
  const inDev = atRouter.end.element
  const routed = routeIn(r, host, ns, {src: vm.ip, dst, inDev}, o)
  const out = routed.outcome
  if (out.kind === 'local') {
    const proxy = host.l3.metadataProxies.get(router.id)
    if (out.redirected && out.port === METADATA_PORT) {
      if (proxy || !isMet(host, 'ps')) {
        r.hops.push(
          routerHop(
            host,
            ns,
            `metadata proxy (haproxy${proxy?.pid ? ` pid ${proxy.pid}` : ''}) on port ${METADATA_PORT}`,
          ),
        )
        r.verdict = 'delivered'
        r.reason = `redirected to the metadata proxy of ${router.name ?? router.id} in ${ns} on ${host.name}${proxy ? '' : ' (processes not captured)'}`
      } else {
        r.verdict = 'blackholed'
        r.reason = `redirected to port ${METADATA_PORT} in ${ns} on ${host.name}, but no metadata proxy (haproxy) runs for router ${router.name ?? router.id}`
      }
      return r
    }
    r.verdict = 'delivered'
    r.reason = `delivered to ${ns} itself on ${host.name}${out.port ? ` (port ${out.port})` : ''}`
    return r
  }
  if (out.kind !== 'forward') {
    r.verdict = out.kind === 'dropped' ? 'dropped' : out.kind === 'unknown' ? 'unknown' : 'blackholed'
    r.reason = out.reason
    return r
  }
  // Leg 3: out of the chosen port.
  const outPkt = routed.packet
  const srcMac = macOfDevice(host, ns, out.outDev)
  const dstPort = ref.ports.find((p) => p.ips.includes(outPkt.dst) && p.mac && p.owner?.startsWith('compute:'))
  const toVm = out.outDev.startsWith('qr-') && dstPort
  const vms = toVm ? findVm(model, ref, dstPort.id) : []
  const hop = toVm ? undefined : nextHopMac(host, ns, out.outDev, out.nextHop)
  if (hop) r.hops.push(routerHop(host, ns, hop.note))
  const leave = walkFrame(model, {
    start: vm,
    host,
    netns: ns,
    dev: out.outDev,
    packet: ipPacket(outPkt.src, outPkt.dst, srcMac, toVm ? dstPort.mac! : (hop?.mac ?? UNKNOWN_MAC), o),
    hops: [...r.hops],
    hosts: vms.map((v) => v.host),
    endAt: vms.filter((v) => v.tap).map((v) => ({host: v.host, dev: v.tap!})),
  })
  r.unknowns.push(...leave.unknowns)
  if (toVm) {
    const hit = leave.branches.find((b) => b.end.kind === 'vm')
    if (hit) {
      r.hops = hit.hops
      r.verdict = 'delivered'
      r.reason = `routed by ${router.name ?? router.id} on ${host.name} and delivered to ${hit.end.element} on ${hit.end.host} as ${outPkt.src} → ${outPkt.dst}`
      return r
    }
    return fail(r, worst(leave.branches), `routed to ${out.outDev}, but the frame does not reach ${outPkt.dst}`, {
      host,
      ns,
      dev: out.outDev,
    })
  }
  const wire = leave.branches.find((b) => b.end.kind === 'uplink' && b.end.host === host.name)
  if (wire) {
    r.hops = wire.hops
    r.verdict = 'delivered'
    r.reason = `leaves ${wire.end.element} on ${host.name} towards ${out.nextHop} as ${outPkt.src} → ${outPkt.dst}`
    return r
  }
  return fail(
    r,
    worst(leave.branches),
    `routed out of ${out.outDev}, but the frame does not reach the external network`,
    {host, ns, dev: out.outDev},
  )
}

/** From the external network to a floating IP: in at the external bridge's NIC, DNAT in the router, to the VM. */
export function traceToFip(
  model: ActualModel,
  ref: ReferenceModel,
  fip: string,
  opts: L3TraceOptions & {from?: string} = {},
): TraceResult {
  const o = defaults(opts)
  const router = ref.routers.find((x) => x.floatingIps.some((f) => f.address === fip))
  const f = router?.floatingIps.find((x) => x.address === fip)
  if (!router || !f)
    throw new TraceError(`no floating IP ${fip} in the intent (floatingips.json) is associated with a port`)
  const vm = findVm(model, ref, f.portId)[0]
  if (!vm) throw new TraceError(`the VM behind floating IP ${fip} (port ${f.portId}) is not found on any host`)
  const r = base(vm, 'fip')
  const src = opts.from ?? router.gateway?.nextHop ?? '0.0.0.0'
  if (router.distributed) return dvrUnknown(r, [], router)
  const host = routerHost(model, router)
  if (!host) {
    r.verdict = 'unknown'
    r.reason = `no host of the snapshot is known to hold router ${router.name ?? router.id}`
    return r
  }
  const ns = router.namespace
  const l3 = {
    router: router.id,
    host: host.name,
    namespace: ns,
    sent: {src, dst: fip},
    seen: {src, dst: fip},
    decided: [] as string[],
  }
  r.l3 = l3
  const ext = externalNic(host, ref, router)
  const first: Hop = {
    host: host.name,
    kind: 'physical-network',
    element: 'external network',
    vlan: null,
    note: `${o.proto} ${src} → ${fip}`,
  }
  if (!ext) {
    r.hops = [first]
    r.verdict = 'blackholed'
    r.reason = `${host.name} has no bridge with a NIC for the external network's physical network (bridge_mappings)`
    return r
  }
  if (!hasNamespace(host, ns)) {
    r.hops = [first]
    r.verdict = 'blackholed'
    r.reason = `${ns} does not exist on ${host.name}: nothing answers for ${fip}`
    return r
  }
  const qg = router.gateway?.dev
  const qgMac = qg ? macOfDevice(host, ns, qg, router.gateway?.mac) : UNKNOWN_MAC
  const inbound = walkFrame(model, {
    start: vm,
    host,
    netns: '',
    dev: ext.nic,
    packet: ipPacket(src, fip, UNKNOWN_MAC, qgMac, o),
    hops: [first, {host: host.name, kind: 'uplink', element: ext.nic, vlan: null, note: `NIC of ${ext.bridge}`}],
    hosts: [host.name],
  })
  r.unknowns.push(...inbound.unknowns)
  const atRouter = inbound.branches.find((b) => b.end.kind === 'namespace' && b.end.netns === ns)
  if (!atRouter)
    return fail(
      r,
      worst(inbound.branches.filter((b) => b.end.kind !== 'namespace')),
      `the frame does not reach ${qg ?? 'the gateway port'} in ${ns}`,
      qg ? {host, ns, dev: qg} : undefined,
    )
  r.hops = [...atRouter.hops]
  const routed = routeIn(r, host, ns, {src, dst: fip, inDev: atRouter.end.element}, o)
  const out = routed.outcome
  if (out.kind === 'local') {
    r.verdict = 'blackholed'
    r.reason = `${fip} is not translated (no DNAT rule in ${ns} on ${host.name}): the router itself receives it`
    return r
  }
  if (out.kind !== 'forward') {
    r.verdict = out.kind === 'dropped' ? 'dropped' : out.kind === 'unknown' ? 'unknown' : 'blackholed'
    r.reason = out.reason
    return r
  }
  if (!vm.tap) throw new TraceError(`no device is known for ${vm.mac} on ${vm.host}`)
  const pkt = routed.packet
  const leave = walkFrame(model, {
    start: vm,
    host,
    netns: ns,
    dev: out.outDev,
    packet: ipPacket(pkt.src, pkt.dst, macOfDevice(host, ns, out.outDev), vm.mac, o),
    hops: [...r.hops],
    hosts: [vm.host],
    endAt: [{host: vm.host, dev: vm.tap}],
  })
  r.unknowns.push(...leave.unknowns)
  const hit = leave.branches.find((b) => b.end.kind === 'vm')
  if (hit && pkt.dst === vm.ip) {
    r.hops = [
      ...hit.hops,
      {host: vm.host, kind: 'vm', element: vm.name ?? vm.uuid ?? vm.mac, vlan: null, note: `${pkt.src} → ${pkt.dst}`},
    ]
    r.verdict = 'delivered'
    r.reason = `${fip} translated to ${pkt.dst} by ${router.name ?? router.id} on ${host.name}; reaches ${vm.tap} on ${vm.host}`
    return r
  }
  if (hit) {
    r.hops = hit.hops
    r.verdict = 'blackholed'
    r.reason = `${fip} is translated to ${pkt.dst}, not to the VM's address ${vm.ip ?? '?'} (stale fixed IP)`
    return r
  }
  return fail(
    r,
    worst(leave.branches),
    `translated to ${pkt.dst} and routed out of ${out.outDev}, but the frame does not reach the VM`,
    {host, ns, dev: out.outDev},
  )
}
