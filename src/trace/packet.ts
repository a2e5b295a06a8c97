// Any packet between a VM and another VM or an address on its network: first the ARP request (who answers), then the
// IP packet hop by hop — the sender's Linux bridge and its firewall (the port's egress chains), br-int and the
// physical network through the OpenFlow simulator, the receiver's bridge and firewall (ingress) — and with `reply`
// the answer back, which connection tracking lets through as ESTABLISHED when the request got through.

import type {FirewallStep, Hop, PacketLeg, PacketTrace} from '../contracts/generated/trace.js'
import type {Analysis} from '../engine.js'
import {evaluateChain, type CtState, type FwPacket, type FwVerdict} from '../firewall/iptables.js'
import {describeSgRule, groupLabel, portChain, sgRuleOf, WRAP} from '../firewall/neutron.js'
import {loadsPortReg, OVSFW_TABLES, ovsfwDecision} from '../firewall/ovsfw.js'
import {commentOf, type IptRule} from '../parsers/iptables-save.js'
import {findDevice, findOvsInterface, findOvsInterfaceById, type HostModel} from '../model/actual.js'
import type {Packet} from '../sim/packet.js'
import type {IntentSecurityGroup} from '../types.js'
import {arrive, type Branch, enterBridge, newWalk, TraceError, type TraceVm, type Walk, worst} from './tracer.js'
import {formatFlow} from '../openflow/format.js'
import type {Flow} from '../openflow/types.js'
import type {Conntrack} from '../sim/conntrack.js'
import {MacTable} from '../sim/mac-table.js'

// The records are the public contract's (schemas/trace.schema.json, definitions packetTrace, packetLeg, firewallStep).
export type PacketTraceResult = PacketTrace
export type PacketQuery = PacketTrace['query']
export type Proto = PacketQuery['proto']
/** Where the packet goes: a VM, or an address some namespace's device holds (dev: the VM's tap or that device). */
export type PacketTarget = PacketTrace['to']
export type {FirewallStep, PacketLeg}

const PROTO_NUMBER: Record<Proto, number> = {icmp: 1, tcp: 6, udp: 17}

/** The firewall driver a host runs, from the agent's configuration or, lacking it, from the chains it has. */
export function firewallDriverOf(host: HostModel): 'iptables_hybrid' | 'openvswitch' | 'noop' | 'unknown' {
  const driver = host.config.firewallDriver?.value.toLowerCase()
  if (driver) {
    if (driver.includes('hybrid') || driver === 'iptables') return 'iptables_hybrid'
    if (driver.includes('openvswitch')) return 'openvswitch'
    if (driver.includes('noop')) return 'noop'
    return 'unknown'
  }
  const filter = host.firewall.iptables?.value.tables.get('filter')
  if (filter && [...filter.chains.keys()].some((c) => c.startsWith(`${WRAP}-`))) return 'iptables_hybrid'
  return 'unknown'
}

/** Is bridged traffic handed to iptables on this host? undefined when not captured. */
export function bridgeNfOn(host: HostModel): boolean | undefined {
  const sysctl = host.firewall.sysctl?.value
  if (!sysctl) return undefined
  return sysctl.get('net.bridge.bridge-nf-call-iptables')?.value === '1'
}

interface Endpoints {
  /** taps whose Linux bridge the trace follows, and which port each belongs to. */
  taps: Map<string, {portId?: string; role: 'sender' | 'receiver'}>
}

function ruleRef(rule: IptRule): {chain: string; number: number; line: number; text: string} {
  return {chain: rule.chain, number: rule.number, line: rule.line, text: rule.text}
}

/** The step of a port's firewall for one frame across its Linux bridge. */
function firewallStep(
  a: Analysis,
  host: HostModel,
  bridge: string,
  tap: string,
  portId: string | undefined,
  direction: 'egress' | 'ingress',
  packet: FwPacket,
): FirewallStep | undefined {
  const base = {host: host.name, bridge, port: tap, direction, matched: []}
  const driver = firewallDriverOf(host)
  if (driver === 'noop') return {...base, verdict: 'accept', reason: 'firewall_driver noop: no filtering'}
  // openvswitch: no iptables on this bridge; the port's groups are br-int's tables 71–82 (ovsfwStep, after the walk).
  if (driver === 'openvswitch') return undefined
  const nf = bridgeNfOn(host)
  if (nf === false)
    return {
      ...base,
      verdict: 'accept',
      reason: `net.bridge.bridge-nf-call-iptables is not 1 on ${host.name}: iptables never sees bridged frames, no security group applies`,
    }
  const filter = host.firewall.iptables?.value.tables.get('filter')
  if (!filter) return {...base, verdict: 'unknown', reason: `the iptables rules of ${host.name} were not captured`}
  const sets = host.firewall.ipsets?.value ?? new Map()
  const verdict: FwVerdict = evaluateChain(filter, 'FORWARD', packet, sets)
  const matched = verdict.matched.map((r) => ({chain: r.chain, number: r.number, line: r.line}))
  if (verdict.verdict === 'unknown')
    return {
      ...base,
      matched,
      verdict: 'unknown',
      ...(verdict.unknown?.rule ? {rule: ruleRef(verdict.unknown.rule)} : {}),
      reason: verdict.unknown?.reason ?? 'not modelled',
    }
  // The rule that tells why: the last one matched in the port's own i/o chain (its RETURN, DROP or fallback jump).
  const own = portId ? portChain(direction === 'ingress' ? 'i' : 'o', portId) : undefined
  const spoof = portId ? portChain('s', portId) : undefined
  const telling =
    [...verdict.matched].reverse().find((r) => r.chain === spoof && verdict.verdict === 'drop') ??
    [...verdict.matched].reverse().find((r) => r.chain === own) ??
    verdict.rule
  const step: FirewallStep = {...base, matched, verdict: verdict.verdict, reason: ''}
  if (telling) step.rule = ruleRef(telling)
  const groups = groupsOf(a, portId)
  const sg = telling && groups ? sgRuleOf(telling, direction, groups.list) : undefined
  if (sg) step.sgRule = {id: sg.rule.id, group: groupLabel(sg.group), text: describeSgRule(sg.rule, groups!.byId)}
  const where = telling ? `${telling.chain} rule ${telling.number}: ${telling.text}` : ''
  const who = groups ? ` (groups ${groups.list.map(groupLabel).join(', ') || 'none'})` : ''
  if (verdict.verdict === 'accept') {
    step.reason = sg
      ? `allowed by rule ${sg.rule.id} of group ${groupLabel(sg.group)}: ${step.sgRule!.text}`
      : `allowed by ${where || `policy ${verdict.policy?.policy} of ${verdict.policy?.chain}`}${commentText(telling)}`
  } else {
    const decided = verdict.rule ?? telling
    const last = decided && decided !== telling ? `; dropped by ${decided.chain} rule ${decided.number}` : ''
    step.reason =
      telling?.chain === spoof
        ? `dropped by ${where}: the source is not one of the port's IP/MAC pairs`
        : `dropped by ${own ?? 'the firewall'}: no rule of its security groups${who} allows it; last rule: ${where || 'policy'}${last}`
  }
  return step
}

function commentText(rule: IptRule | undefined): string {
  const c = rule && commentOf(rule)
  return c ? ` ("${c}")` : ''
}

function groupsOf(
  a: Analysis,
  portId: string | undefined,
): {list: IntentSecurityGroup[]; byId: Map<string, IntentSecurityGroup>} | undefined {
  const all = a.intent?.securityGroups
  if (!all || !portId) return undefined
  const port = a.intent?.ports.find((p) => p.id === portId)
  if (!port?.securityGroups) return undefined
  const byId = new Map(all.map((g) => [g.id, g]))
  return {list: port.securityGroups.map((id) => byId.get(id) ?? {id, rules: []}), byId}
}

function fwPacket(p: Packet, state: CtState): FwPacket {
  const icmp = p.nw_proto === 1
  return {
    src: p.nw_src ?? '0.0.0.0',
    dst: p.nw_dst ?? '0.0.0.0',
    proto: p.nw_proto ?? 0,
    srcMac: p.dl_src,
    ...(icmp ? {icmpType: p.tp_src, icmpCode: p.tp_dst} : {sport: p.tp_src, dport: p.tp_dst}),
    state,
  }
}

/** One direction: from a tap (or a namespace device) to the target device, through the firewalls on the way. */
function leg(
  a: Analysis,
  fromHost: HostModel,
  fromDev: string,
  to: {host: string; dev: string},
  packet: Packet,
  ends: Endpoints,
  state: CtState,
  first: Hop[],
  macs: Map<string, MacTable>,
  conntrack: Map<string, Conntrack>,
  size?: number,
): PacketLeg {
  const steps: FirewallStep[] = []
  const w: Walk = newWalk(a.actual, {host: fromHost.name, mac: packet.dl_src} as TraceVm, 'dhcp', macs)
  w.conntrack = conntrack
  w.replyTo = to
  if (size !== undefined) w.ipSize = size
  w.bridgeFilter = (host, bridge, inDev, outDev, frame) => {
    const tap = [inDev, outDev].find((d) => ends.taps.has(d))
    if (!tap) return outDev.startsWith('tap') ? undefined : passThrough(host, bridge)
    const end = ends.taps.get(tap)!
    const direction = tap === inDev ? 'egress' : 'ingress'
    const fw = fwPacket(frame, state)
    const step = firewallStep(a, host, bridge, tap, end.portId, direction, {
      ...fw,
      physdevIn: inDev,
      physdevOut: outDev,
      inInterface: bridge,
      outInterface: bridge,
    })
    if (!step) return passThrough(host, bridge)
    steps.push(step)
    const note = `${direction} firewall of ${tap}: ${step.verdict}${step.rule ? ` — ${step.rule.chain} rule ${step.rule.number}` : ''}`
    return {
      verdict: step.verdict,
      reason: step.reason,
      hop: {host: host.name, kind: 'firewall', element: step.rule?.chain ?? bridge, vlan: null, note},
    }
  }
  const ovs = findOvsInterface(fromHost, fromDev)
  if (ovs) enterBridge(w, fromHost, ovs.bridge.name, fromDev, packet, first)
  else arrive(w, fromHost, '', fromDev, packet, first)
  // The openvswitch firewall's steps come from the br-int flows of the branch followed: the sender's egress, the
  // receiver's ingress, in the order of the walk beside the iptables steps of the other side.
  const sides: OvsfwSide[] = []
  if (ends.taps.has(fromDev)) sides.push({host: fromHost, tap: fromDev, direction: 'egress'})
  const toHost = a.actual.hosts.find((h) => h.name === to.host)
  if (toHost && ends.taps.has(to.dev)) sides.push({host: toHost, tap: to.dev, direction: 'ingress'})
  const ovsfw = sides.filter((s) => firewallDriverOf(s.host) === 'openvswitch')
  const withOvsfw = (branch: Branch): FirewallStep[] => {
    if (!ovsfw.length) return steps
    const own = ovsfw.flatMap((s) => ovsfwStep(a, s, ends.taps.get(s.tap)?.portId, branch.hops, packet) ?? [])
    const egress = own.filter((s) => s.direction === 'egress')
    return [...egress, ...steps, ...own.filter((s) => s.direction === 'ingress')]
  }
  const hit = w.branches.find((b) => b.end?.kind === 'vm' && b.end.host === to.host && b.end.element === to.dev)
  if (hit)
    return {verdict: 'delivered', reason: `reaches ${to.dev} on ${to.host}`, hops: hit.hops, firewall: withOvsfw(hit)}
  const ns = w.branches.find((b) => b.end?.kind === 'namespace' && b.end.host === to.host && b.end.element === to.dev)
  if (ns)
    return {verdict: 'delivered', reason: `reaches ${to.dev} on ${to.host}`, hops: ns.hops, firewall: withOvsfw(ns)}
  const failed = w.branches.filter((x) => x.end).map((x) => ({branch: x, firewall: withOvsfw(x)}))
  const ovsDrop = ovsfw.length ? failed.find((f) => f.firewall.some((s) => s.flow && s.verdict === 'drop')) : undefined
  const b = ovsDrop?.branch ?? pick(w.branches, ends)
  if (!b?.end)
    return {verdict: 'unknown', reason: 'the packet went nowhere that could be followed', hops: [], firewall: steps}
  const end = b.end
  const firewall = failed.find((f) => f.branch === b)?.firewall ?? withOvsfw(b)
  const decided = ovsDrop?.firewall.find((s) => s.flow && s.verdict === 'drop')
  return {
    verdict: end.kind === 'dropped' ? 'dropped' : end.kind === 'unknown' ? 'unknown' : 'blackholed',
    reason: decided
      ? `${decided.reason} (br-int table ${decided.flow!.table} line ${decided.flow!.line}: ${decided.flow!.text}; then ${end.reason})`
      : end.reason,
    hops: b.hops,
    firewall,
    ...(end.flow && end.bridge
      ? {dropFlow: {host: end.host, bridge: end.bridge, line: end.flow.line, text: formatFlow(end.flow)}}
      : {}),
  }
}

interface OvsfwSide {
  host: HostModel
  tap: string
  direction: 'egress' | 'ingress'
}

const PROTO_NAMES: Record<number, string> = {1: 'icmp', 6: 'tcp', 17: 'udp'}

/** `tcp/22 from 198.19.201.17`, `icmp type 8 to 198.19.201.5`: the packet as a rule would name it. */
function packetWords(p: Packet, direction: 'egress' | 'ingress'): string {
  const proto = PROTO_NAMES[p.nw_proto ?? -1] ?? `protocol ${p.nw_proto}`
  const ports = p.nw_proto === 1 ? ` type ${p.tp_src}` : p.tp_dst !== undefined ? `/${p.tp_dst}` : ''
  return `${proto}${ports} ${direction === 'ingress' ? `from ${p.nw_src}` : `to ${p.nw_dst}`}`
}

/**
 * The openvswitch firewall of one port on a branch: the flows of br-int's tables 71/72 (egress) or 81/82 (ingress)
 * after table 60 loaded the port's ofport into reg5; the last one of the rules table decided (else the base table's),
 * and ovsfwDecision maps it back to the security-group rule. undefined when the branch never reached that port's
 * firewall.
 */
function ovsfwStep(
  a: Analysis,
  side: OvsfwSide,
  portId: string | undefined,
  hops: Hop[],
  packet: Packet,
): FirewallStep | undefined {
  const ref =
    (portId && findOvsInterfaceById(side.host, portId)) || findOvsInterface(side.host, `qvo${side.tap.slice(3)}`)
  if (!ref) return undefined
  const bridge = ref.bridge.name
  const ofport = side.host.ofports.get(bridge)?.get(ref.iface.name)
  const dump = side.host.flows.get(bridge)?.flows
  if (ofport === undefined || !dump) return undefined
  const byLine = new Map(dump.map((f) => [f.line, f]))
  const tables: number[] =
    side.direction === 'egress'
      ? [OVSFW_TABLES.egressBase, OVSFW_TABLES.egress]
      : [OVSFW_TABLES.ingressBase, OVSFW_TABLES.ingress]
  let active = false
  let seen: Flow[] = []
  let decided: Flow[] = []
  for (const hop of hops) {
    if (hop.host !== side.host.name) continue
    for (const hf of hop.flows ?? []) {
      if (hf.bridge !== bridge) continue
      const flow = byLine.get(hf.line)
      if (!flow) continue
      if (loadsPortReg(flow) === ofport) {
        active = true
        seen = []
        continue
      }
      if (!active) continue
      if (tables.includes(flow.table)) seen.push(flow)
      else {
        if (seen.length) decided = seen
        active = false
        seen = []
      }
    }
  }
  if (active && seen.length) decided = seen
  if (!decided.length) return undefined
  const flow = [...decided].reverse().find((f) => f.table === tables[1]) ?? decided[decided.length - 1]!
  const groups = groupsOf(a, portId)
  const table = dump.filter((f) => f.table === flow.table)
  const d = ovsfwDecision(flow, table, side.direction, packet, groups?.list, a.intent?.ports ?? [])
  const evidence = {bridge, table: flow.table, line: flow.line, text: formatFlow(flow)}
  const step: FirewallStep = {
    host: side.host.name,
    bridge,
    port: side.tap,
    direction: side.direction,
    verdict: d.verdict,
    matched: [],
    flow: evidence,
    reason: '',
  }
  const where = `br-int table ${flow.table} line ${flow.line}`
  const port = a.intent?.ports.find((p) => p.id === portId)
  const portName = port?.name ? `${port.name} (${port.id.slice(0, 8)})` : (portId ?? side.tap)
  const what = packetWords(packet, side.direction)
  switch (d.kind) {
    case 'rule': {
      const [first, ...more] = d.rules
      step.sgRule = {
        id: first!.rule.id,
        group: groupLabel(first!.group),
        text: describeSgRule(first!.rule, groups!.byId),
      }
      const also = more.length
        ? ` (also ${more.map((m) => `rule ${m.rule.id} of group ${groupLabel(m.group)}`).join(', ')})`
        : ''
      step.reason = `allowed by rule ${first!.rule.id} of group ${step.sgRule.group}: ${step.sgRule.text}${also}`
      break
    }
    case 'unmapped':
      step.reason = `allowed by ${where}; the security-group rule behind it is unknown: ${d.why}`
      break
    case 'established':
      step.reason = `allowed: ${what} belongs to a connection already allowed (${where}: ${flow.match.fields.ct_state?.value ?? ''})`
      break
    case 'no-rule':
      step.reason = !groups
        ? `dropped: no flow of ${where.replace(/ line \d+$/, '')} allows ${what} for port ${portName} (its security groups are not in intent)`
        : d.wouldAllow.length
          ? `dropped: rule ${d.wouldAllow[0]!.rule.id} of group ${groupLabel(d.wouldAllow[0]!.group)} allows ${what} in Neutron, but br-int has no flow for it (the agent has not applied it)`
          : `dropped: no rule of security group(s) ${groups.list.map(groupLabel).join(', ') || 'none'} of port ${portName} allows ${what}`
      break
    case 'spoof':
      step.reason = `dropped by the anti-spoofing flows of ${where}: the source is not one of the port's IP/MAC pairs`
      break
    case 'invalid':
      step.reason = `dropped: connection tracking says invalid (${where})`
      break
    case 'marked':
      step.reason = `dropped: its connection is marked ct_mark=1, no longer allowed since a rule was removed (${where})`
      break
    case 'closed':
      step.reason = `dropped: an established connection no rule allows any more, marked ct_mark=1 (${where})`
      break
    case 'unknown':
      step.reason = `${where}: ${d.why}`
      break
  }
  return step
}

function passThrough(host: HostModel, bridge: string) {
  return {
    verdict: 'accept' as const,
    reason: '',
    hop: {host: host.name, kind: 'firewall' as const, element: bridge, vlan: null},
  }
}

/** The failed branch that tells: one that ended at a firewall of the trace's ports, else the most telling one. */
function pick(branches: Branch[], ends: Endpoints): Branch | undefined {
  const atPort = branches.filter(
    (b) => b.end && b.hops.some((h) => h.kind === 'firewall' && h.note?.includes(': drop')),
  )
  const ours = atPort.filter((b) => [...ends.taps.keys()].some((t) => b.hops.some((h) => h.note?.includes(t))))
  return ours[0] ?? worst(branches)
}

function packetOf(
  p: {srcMac: string; dstMac: string; src: string; dst: string},
  q: PacketQuery,
  reply: boolean,
): Packet {
  const base: Packet = {
    in_port: 0,
    dl_src: p.srcMac,
    dl_dst: p.dstMac,
    dl_type: 0x0800,
    nw_src: p.src,
    nw_dst: p.dst,
    nw_proto: PROTO_NUMBER[q.proto],
  }
  if (q.proto === 'icmp') return {...base, tp_src: reply ? 0 : 8, tp_dst: 0}
  const sport = q.sport ?? 40000
  const dport = q.dport ?? (q.proto === 'tcp' ? 22 : 53)
  return reply ? {...base, tp_src: dport, tp_dst: sport} : {...base, tp_src: sport, tp_dst: dport}
}

/** ARP: the request is broadcast on the sender's network; the peer answers when the frame reaches its device. */
function arpOf(
  a: Analysis,
  fromHost: HostModel,
  from: TraceVm,
  to: PacketTarget,
  macs: Map<string, MacTable>,
): PacketTraceResult['arp'] {
  const packet: Packet = {
    in_port: 0,
    dl_src: from.mac,
    dl_dst: 'ff:ff:ff:ff:ff:ff',
    dl_type: 0x0806,
    arp_op: 1,
    arp_spa: from.ip,
    arp_tpa: to.ip,
    arp_sha: from.mac,
    arp_tha: '00:00:00:00:00:00',
  }
  const w = newWalk(a.actual, from, 'dhcp', macs)
  w.replyTo = {host: to.host, dev: to.dev}
  // ARP is not IP: the bridges' iptables do not see it; follow only the two ports' Linux bridges.
  w.bridgeFilter = (host, bridge, _in, out) =>
    out.startsWith('tap') && out !== from.tap && out !== to.dev ? undefined : passThrough(host, bridge)
  arrive(w, fromHost, '', from.tap!, packet, [])
  const reached = w.branches.some(
    (b) => (b.end?.kind === 'vm' || b.end?.kind === 'namespace') && b.end.host === to.host && b.end.element === to.dev,
  )
  if (reached && to.mac)
    return {answeredBy: 'peer', mac: to.mac, reason: `${to.label} answers: ${to.ip} is at ${to.mac}`}
  const responder = w.branches.find((b) =>
    b.hops.some((h) => /arp_op/i.test(h.note ?? '') || h.flows?.some((f) => /arp_op/i.test(f.text))),
  )
  if (responder) return {answeredBy: 'responder', reason: 'the ARP responder of br-tun answers'}
  if (reached) return {answeredBy: 'unknown', reason: `the request reaches ${to.dev} but its MAC is not known`}
  const b = worst(w.branches)
  return {
    answeredBy: 'nobody',
    reason: `nobody answers: the request ${b?.end ? `ends: ${b.end.reason}` : 'goes nowhere'}`,
  }
}

/** Resolves `--to`: a VM (any of its handles) or an address held by a device in some namespace of the snapshot. */
export function packetTarget(a: Analysis, query: string, findVm: (q: string) => TraceVm[]): PacketTarget {
  const vms = findVm(query)
  if (vms.length > 1) throw new TraceError(`--to ${query} matches ${vms.length} VMs; name one (uuid, MAC or port id)`)
  if (vms.length === 1) {
    const vm = vms[0]
    if (!vm.ip || !vm.tap) throw new TraceError(`--to ${query}: the VM's address or device is not known`)
    return {host: vm.host, ip: vm.ip, mac: vm.mac, dev: vm.tap, vm, label: vm.name ?? vm.uuid ?? vm.mac}
  }
  for (const host of a.actual.hosts)
    for (const [netns, devices] of host.devices)
      for (const d of devices)
        if (d.addresses.some((x) => x.address === query))
          return {
            host: host.name,
            ip: query,
            dev: d.name,
            ...(d.mac ? {mac: d.mac} : {}),
            ...(netns ? {netns} : {}),
            label: `${d.name}${netns ? ` in ${netns}` : ''} on ${host.name}`,
          }
  throw new TraceError(`--to ${query}: no VM and no device of the snapshot has this address`)
}

export function tracePacket(a: Analysis, from: TraceVm, to: PacketTarget, query: PacketQuery): PacketTraceResult {
  if (!from.ip || !from.tap) throw new TraceError("the sender's address or device is not known")
  const fromHost = a.actual.hosts.find((h) => h.name === from.host)!
  const macs = new Map<string, MacTable>()
  const conntrack = new Map<string, Conntrack>()
  const arp = arpOf(a, fromHost, from, to, macs)
  const result: PacketTraceResult = {
    from,
    to,
    query,
    arp,
    verdict: 'unknown',
    reason: '',
    hops: [],
    firewall: [],
    unknowns: [],
  }
  if (arp.answeredBy !== 'peer' && arp.answeredBy !== 'responder') {
    result.verdict = arp.answeredBy === 'nobody' ? 'blackholed' : 'unknown'
    result.reason = `ARP for ${to.ip}: ${arp.reason}`
    return result
  }
  const dstMac = arp.mac ?? to.mac ?? 'ff:ff:ff:ff:ff:ff'
  const ends: Endpoints = {taps: new Map([[from.tap, {portId: from.portId, role: 'sender'}]])}
  if (to.vm?.tap) ends.taps.set(to.vm.tap, {portId: to.vm.portId, role: 'receiver'})
  const first: Hop[] = [
    {
      host: from.host,
      kind: 'vm',
      element: from.name ?? from.uuid ?? from.mac,
      vlan: null,
      note: describe(query, from.ip, to.ip),
    },
    {host: from.host, kind: 'tap', element: from.tap, vlan: null},
  ]
  const request = packetOf({srcMac: from.mac, dstMac, src: from.ip, dst: to.ip}, query, false)
  Object.assign(
    result,
    leg(a, fromHost, from.tap, {host: to.host, dev: to.dev}, request, ends, 'NEW', first, macs, conntrack, query.size),
  )
  if (query.reply) {
    const toHost = a.actual.hosts.find((h) => h.name === to.host)!
    const state: CtState = result.verdict === 'delivered' ? 'ESTABLISHED' : 'NEW'
    const back = packetOf({srcMac: to.mac ?? dstMac, dstMac: from.mac, src: to.ip, dst: from.ip}, query, true)
    const start: Hop[] = [
      {
        host: to.host,
        kind: to.vm ? 'vm' : 'namespace',
        element: to.label,
        vlan: null,
        note: `reply (${state.toLowerCase()})`,
      },
      ...(to.vm ? [{host: to.host, kind: 'tap' as const, element: to.dev, vlan: null}] : []),
    ]
    const dev = findDevice(toHost, to.dev, to.netns ?? '')
    result.reply =
      dev || to.vm
        ? leg(
            a,
            toHost,
            to.dev,
            {host: from.host, dev: from.tap},
            back,
            ends,
            state,
            start,
            macs,
            conntrack,
            query.size,
          )
        : {verdict: 'unknown', reason: `${to.dev} is not known on ${to.host}`, hops: [], firewall: []}
  }
  return result
}

function describe(q: PacketQuery, src: string, dst: string): string {
  const ports =
    q.proto === 'icmp' ? 'echo request' : `port ${q.sport ?? 40000} → ${q.dport ?? (q.proto === 'tcp' ? 22 : 53)}`
  return `${q.proto} ${src} → ${dst}, ${ports}${q.size !== undefined ? `, ${q.size} bytes` : ''}`
}
