// Neutron's openvswitch firewall driver (neutron/agent/linux/openvswitch_firewall/firewall.py and rules.py, Zed):
// which br-int flow decided a packet for a port, and which security-group rule that flow stands for.
//
// Tables: 71 egress base (anti-spoofing, ct() to 72), 72 egress rules, 81 ingress base (ct() to 82), 82 ingress
// rules, 93 drop. reg5 holds the port's ofport, reg6 its network's conntrack zone. A rule becomes, in 72 (egress) or
// 82 (ingress), flows of priority 70 + offset (rules.flow_priority_offset: +4 unless the rule has a remote group,
// then +0/+1/+2/+3 for no protocol / icmp without type / icmp without code / anything else) matching dl_type of its
// ethertype, nw_proto, nw_src (ingress) or nw_dst (egress) = remote_ip_prefix unless 0.0.0.0/0, tp_dst/mask for each
// block of utils.port_rule_masking(port_range_min, port_range_max), icmp_type/icmp_code; twice, for
// ct_state=+est-rel-rpl and +new-est (the latter commits). A rule with a remote group is a conjunction: dimension 1
// the group's member addresses (`reg6=zone,nw_src=IP actions=conjunction(N,1/2)`), dimension 2 the port, protocol
// and ports (`reg5=ofport,... actions=conjunction(N,2/2)`), and the accept flow `conj_id=N,reg5=ofport`. What no
// rule allows falls to `priority=40,ct_state=-est,reg5=ofport actions=resubmit(,93)`.

import type {Flow} from '../openflow/types.js'
import {parseMaskedField} from '../openflow/values.js'
import {parseSubFieldRef} from '../openflow/fields.js'
import {conjunctionsOf} from '../sim/openflow.js'
import type {Packet} from '../sim/packet.js'
import type {IntentPort, IntentSecurityGroup, IntentSgRule} from '../types.js'
import {contains, ipv4, prefix} from './ipv4.js'

export const OVSFW_TABLES = {egressBase: 71, egress: 72, ingressBase: 81, ingress: 82, drop: 93} as const

const PROTOCOL_NUMBERS: Record<string, number> = {icmp: 1, tcp: 6, udp: 17, sctp: 132, 'ipv6-icmp': 58, icmpv6: 58}
const WITH_PORTS = new Set([6, 17, 132])

/** A rule's protocol as a number; null = any; undefined = a name neutrace does not know. */
export function protocolNumber(p: string | null): number | null | undefined {
  if (p === null || p === '' || p === 'any') return null
  if (/^\d+$/.test(p)) return Number(p)
  return PROTOCOL_NUMBERS[p.toLowerCase()]
}

/** rules.flow_priority_offset. */
function priorityOffset(rule: IntentSgRule, proto: number | null): number {
  const base = rule.remoteGroupId ? 0 : 4
  if (proto === null) return base
  if (proto === 1 || proto === 58) {
    if (rule.portRangeMin === null) return base + 1
    if (rule.portRangeMax === null) return base + 2
  }
  return base + 3
}

/** Is tp_dst value/mask one block of utils.port_rule_masking(min, max) (the minimal aligned blocks covering it)? */
export function isPortBlock(min: number, max: number, value: number, mask: number): boolean {
  const size = 0x10000 - (mask & 0xffff)
  if ((size & (size - 1)) !== 0 || value % size !== 0) return false
  if (value < min || value + size - 1 > max) return false
  if (size === 0x10000) return true
  const parent = value - (value % (size * 2))
  return parent < min || parent + size * 2 - 1 > max
}

/** The member addresses (IPv4) of a group: fixed IPs and allowed address pairs of the ports in it. */
export function groupMembers(groupId: string, ports: IntentPort[]): Set<string> {
  const out = new Set<string>()
  for (const p of ports) {
    if (!p.securityGroups?.includes(groupId)) continue
    for (const ip of p.fixedIps) if (ipv4(ip.ipAddress) !== undefined) out.add(ip.ipAddress)
    for (const pair of p.allowedAddressPairs ?? []) if (ipv4(pair.ipAddress) !== undefined) out.add(pair.ipAddress)
  }
  return out
}

function inPrefix(text: string | null, address: string | undefined): boolean {
  if (!text) return true
  const p = prefix(text)
  const a = address === undefined ? undefined : ipv4(address)
  return p !== undefined && a !== undefined && contains(p, a)
}

/** Does the rule allow the packet, as Neutron means it (IPv4)? `peer`: the source (ingress) or destination (egress). */
export function ruleAllows(
  rule: IntentSgRule,
  direction: 'ingress' | 'egress',
  packet: Packet,
  members: (groupId: string) => Set<string>,
): boolean {
  if (rule.direction !== direction || rule.ethertype !== 'IPv4' || packet.dl_type !== 0x0800) return false
  const proto = protocolNumber(rule.protocol)
  if (proto === undefined) return false
  if (proto !== null && proto !== packet.nw_proto) return false
  if (proto !== null && rule.portRangeMin !== null) {
    if (proto === 1) {
      if (packet.tp_src !== rule.portRangeMin) return false
      if (rule.portRangeMax !== null && packet.tp_dst !== rule.portRangeMax) return false
    } else if (WITH_PORTS.has(proto)) {
      const port = packet.tp_dst ?? -1
      if (port < rule.portRangeMin || port > (rule.portRangeMax ?? rule.portRangeMin)) return false
    }
  }
  const peer = direction === 'ingress' ? packet.nw_src : packet.nw_dst
  if (!inPrefix(rule.remoteIpPrefix, peer)) return false
  if (rule.remoteGroupId && (peer === undefined || !members(rule.remoteGroupId).has(peer))) return false
  return true
}

function field(flow: Flow, name: string): {value: bigint; mask: bigint} | undefined {
  const m = flow.match.fields[name]
  return m ? parseMaskedField(name, m) : undefined
}

function num(flow: Flow, name: string): number | undefined {
  const f = field(flow, name)
  return f === undefined ? undefined : Number(f.value)
}

/** Is this (non-conjunctive) accept flow one Neutron writes for the rule? */
function flowOfRule(flow: Flow, rule: IntentSgRule, direction: 'ingress' | 'egress'): boolean {
  const proto = protocolNumber(rule.protocol)
  if (proto === undefined || rule.remoteGroupId) return false
  if (flow.priority !== 70 + priorityOffset(rule, proto)) return false
  if (num(flow, 'dl_type') !== (rule.ethertype === 'IPv4' ? 0x0800 : 0x86dd)) return false
  if ((num(flow, 'nw_proto') ?? null) !== proto) return false
  const address = field(flow, direction === 'ingress' ? 'nw_src' : 'nw_dst')
  const p = rule.remoteIpPrefix ? prefix(rule.remoteIpPrefix) : undefined
  if (rule.remoteIpPrefix && !p) return false
  const want = p && p.length > 0 ? p : undefined
  if (want === undefined) {
    if (address) return false
  } else {
    const mask = want.length === 32 ? 0xffffffffn : BigInt(2 ** 32 - 2 ** (32 - want.length))
    if (!address || address.mask !== mask || Number(address.value) !== want.base) return false
  }
  const tp = field(flow, 'tp_dst')
  const icmpType = num(flow, 'icmp_type')
  const icmpCode = num(flow, 'icmp_code')
  if (proto === 1 || proto === 58) {
    if (tp) return false
    return (
      (icmpType ?? null) === rule.portRangeMin &&
      (icmpCode ?? null) === (rule.portRangeMin === null ? null : rule.portRangeMax)
    )
  }
  if (icmpType !== undefined || icmpCode !== undefined) return false
  if (proto !== null && WITH_PORTS.has(proto) && rule.portRangeMin !== null && rule.portRangeMax !== null) {
    return tp !== undefined && isPortBlock(rule.portRangeMin, rule.portRangeMax, Number(tp.value), Number(tp.mask))
  }
  return tp === undefined
}

export type OvsfwDecision =
  | {kind: 'rule'; verdict: 'accept'; rules: {group: IntentSecurityGroup; rule: IntentSgRule}[]}
  | {kind: 'unmapped'; verdict: 'accept'; why: string}
  | {kind: 'established'; verdict: 'accept'}
  | {kind: 'no-rule'; verdict: 'drop'; wouldAllow: {group: IntentSecurityGroup; rule: IntentSgRule}[]}
  | {kind: 'invalid' | 'marked' | 'spoof' | 'closed'; verdict: 'drop'}
  | {kind: 'unknown'; verdict: 'unknown'; why: string}

function resubmitsTo(flow: Flow, table: number): boolean {
  return flow.actions.some((a) => a.type === 'resubmit' && a.table === table)
}

function accepts(flow: Flow, direction: 'ingress' | 'egress'): boolean {
  return flow.actions.some((a) =>
    direction === 'ingress' ? a.type === 'output' : a.type === 'resubmit' && (a.table === 73 || a.table === 94),
  )
}

/**
 * What the deciding flow of a port's rules table (72 egress, 82 ingress) or base table (71/81) means, and the rules of
 * the port's groups behind it. `groups` undefined: intent does not have them (the rule is then unknown).
 */
export function ovsfwDecision(
  flow: Flow,
  table: Flow[],
  direction: 'ingress' | 'egress',
  packet: Packet,
  groups: IntentSecurityGroup[] | undefined,
  ports: IntentPort[],
): OvsfwDecision {
  const cache = new Map<string, Set<string>>()
  const members = (id: string) => {
    let m = cache.get(id)
    if (!m) cache.set(id, (m = groupMembers(id, ports)))
    return m
  }
  const allowing = () =>
    (groups ?? []).flatMap((group) =>
      group.rules.filter((rule) => ruleAllows(rule, direction, packet, members)).map((rule) => ({group, rule})),
    )
  const base = direction === 'ingress' ? OVSFW_TABLES.ingressBase : OVSFW_TABLES.egressBase
  if (flow.table === base) {
    if (resubmitsTo(flow, OVSFW_TABLES.drop) || flow.actions.some((a) => a.type === 'drop') || !flow.actions.length)
      return {kind: 'spoof', verdict: 'drop'}
    return {kind: 'unknown', verdict: 'unknown', why: `table ${base} sends the packet on, not to the rules table`}
  }
  const state = flow.match.fields.ct_state?.value ?? ''
  const conj = num(flow, 'conj_id')
  if (flow.priority >= 70 && flow.priority <= 77 && accepts(flow, direction)) {
    if (!groups) return {kind: 'unmapped', verdict: 'accept', why: "intent does not have the port's security groups"}
    const all = allowing()
    let found: typeof all
    if (conj !== undefined) {
      // The accept flow of a conjunction: the rule has a remote group; its dimension-1 flows hold the group's
      // addresses, which must be that group's members in intent.
      const ips = new Set<string>()
      for (const f of table)
        if (conjunctionsOf(f).some((c) => c.id === conj && c.k === 1)) {
          const a = field(f, direction === 'ingress' ? 'nw_src' : 'nw_dst')
          if (a && a.mask === 0xffffffffn) ips.add(ipv4String(Number(a.value)))
        }
      found = all.filter(
        (c) =>
          c.rule.remoteGroupId &&
          flow.priority === 70 + priorityOffset(c.rule, protocolNumber(c.rule.protocol) ?? null) &&
          sameSet(members(c.rule.remoteGroupId), ips),
      )
      if (!found.length)
        return {
          kind: 'unmapped',
          verdict: 'accept',
          why: `no remote-group rule of the port's groups allows this packet with conjunction ${conj}'s addresses (${[...ips].sort().join(', ') || 'none'}) as its group's members`,
        }
    } else {
      found = all.filter((c) => flowOfRule(flow, c.rule, direction))
      if (!found.length)
        return {
          kind: 'unmapped',
          verdict: 'accept',
          why: "no rule of the port's groups allowing this packet is written as this flow",
        }
    }
    return {kind: 'rule', verdict: 'accept', rules: found}
  }
  if (flow.priority === 50 && accepts(flow, direction) && /\+est|\+rel/.test(state))
    return {kind: 'established', verdict: 'accept'}
  if (resubmitsTo(flow, OVSFW_TABLES.drop) || (flow.priority === 0 && flow.actions.every((a) => a.type === 'drop'))) {
    if (/\+inv/.test(state)) return {kind: 'invalid', verdict: 'drop'}
    if (flow.match.fields.ct_mark) return {kind: 'marked', verdict: 'drop'}
    return {kind: 'no-rule', verdict: 'drop', wouldAllow: allowing()}
  }
  if (flow.priority === 40 && flow.actions.every((a) => a.type === 'ct') && /\+est/.test(state))
    return {kind: 'closed', verdict: 'drop'}
  return {kind: 'unknown', verdict: 'unknown', why: 'the flow is none of those the firewall driver writes for rules'}
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}

function ipv4String(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

/** The ofport a flow of table 60 loads into reg5 (the port the firewall tables then work for), if it does. */
export function loadsPortReg(flow: Flow): number | undefined {
  for (const a of flow.actions)
    if (a.type === 'load' && parseSubFieldRef(a.dst)?.field === 'reg5') {
      const v = Number(a.value)
      return Number.isInteger(v) ? v : undefined
    }
  return undefined
}
