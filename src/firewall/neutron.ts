// What Neutron's iptables_hybrid driver (neutron/agent/linux/iptables_firewall.py) writes for a port, and how a rule
// on the host maps back to the security-group rule it came from. Chains: `neutron-openvswi-` + i (ingress), o
// (egress), s (anti-spoofing) + the port id's first 10 characters; ipsets `NIPv4` + the group id, cut to 29
// characters. An SG rule becomes `[-m set --match-set SET src|dst] [-s|-d PREFIX] [-p PROTO [-m PROTO] [--dport N |
// -m multiport --dports A:B | --icmp-type T[/C]]] -j RETURN` (0.0.0.0/0 and "any" vanish).

import type {IptRule, IptTable} from '../parsers/iptables-save.js'
import {optionOf} from '../parsers/iptables-save.js'
import type {IntentSecurityGroup, IntentSgRule} from '../types.js'
import {prefix} from './ipv4.js'

export const WRAP = 'neutron-openvswi'

export type PortChain = 'i' | 'o' | 's'

export function portChain(kind: PortChain, portId: string): string {
  return `${WRAP}-${kind}${portId.slice(0, 10)}`
}

/** The ipset of a group's IPv4 members. */
export function ipsetName(groupId: string, ethertype: 'IPv4' | 'IPv6' = 'IPv4'): string {
  return `N${ethertype}${groupId}`.slice(0, 29)
}

const PROTOCOL_NAMES: Record<string, string> = {'1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp'}

function protocolName(p: string | null): string | null {
  if (p === null || p === 'any') return null
  return PROTOCOL_NAMES[p] ?? p
}

function prefixKey(text: string | null | undefined): string {
  if (!text) return ''
  const p = prefix(text)
  if (!p) return `?${text}`
  return p.length === 0 ? '' : `${p.base}/${p.length}`
}

/** The signature of an SG rule as the driver writes it (IPv4 only): equal signatures mean the same iptables rule. */
export function sgRuleSignature(rule: IntentSgRule): string {
  const proto = protocolName(rule.protocol)
  let ports = ''
  if (rule.portRangeMin !== null && proto !== null) {
    if (proto === 'icmp')
      ports = `icmp:${rule.portRangeMin}${rule.portRangeMax !== null ? `/${rule.portRangeMax}` : ''}`
    else if (rule.portRangeMin === rule.portRangeMax || rule.portRangeMax === null) ports = `port:${rule.portRangeMin}`
    else ports = `port:${rule.portRangeMin}:${rule.portRangeMax}`
  }
  const set = rule.remoteGroupId ? ipsetName(rule.remoteGroupId, 'IPv4') : ''
  return [rule.direction, proto ?? '', prefixKey(rule.remoteIpPrefix), set, ports].join('|')
}

/** The signature of a rule in a port's i or o chain; undefined when it holds what no SG rule writes. */
export function iptRuleSignature(rule: IptRule, direction: 'ingress' | 'egress'): string | undefined {
  if (rule.target?.name !== 'RETURN') return undefined
  let proto = ''
  let address = ''
  let set = ''
  let ports = ''
  for (const m of rule.matches) {
    for (const o of m.options) {
      if (o.negated) return undefined
      const key = `${m.module}/${o.name}`
      const v = o.values[0] ?? ''
      if (key === '/protocol') proto = PROTOCOL_NAMES[v] ?? v
      else if (key === '/source' && direction === 'ingress') address = prefixKey(v)
      else if (key === '/destination' && direction === 'egress') address = prefixKey(v)
      else if (key === 'set/match-set' && o.values[1] === (direction === 'ingress' ? 'src' : 'dst')) set = v
      else if (key === 'tcp/dport' || key === 'udp/dport' || key === 'multiport/dports') ports = `port:${v}`
      else if (key === 'icmp/icmp-type') ports = `icmp:${v}`
      else if (key !== 'comment/comment') return undefined
    }
  }
  return [direction, proto, address, set, ports].join('|')
}

/** The rules of a port's i or o chain that stand for SG rules (RETURNs Neutron writes for them), by signature. */
export function enforcedRules(table: IptTable, portId: string, direction: 'ingress' | 'egress'): Map<string, IptRule> {
  const chain = table.chains.get(portChain(direction === 'ingress' ? 'i' : 'o', portId))
  const out = new Map<string, IptRule>()
  for (const rule of chain?.rules ?? []) {
    const state = optionOf(rule, 'state', 'state') ?? optionOf(rule, 'conntrack', 'ctstate')
    if (state) continue
    const signature = iptRuleSignature(rule, direction)
    if (signature !== undefined && !out.has(signature)) out.set(signature, rule)
  }
  return out
}

/** The SG rule (and its group) a host rule stands for, among the groups of a port. */
export function sgRuleOf(
  rule: IptRule,
  direction: 'ingress' | 'egress',
  groups: IntentSecurityGroup[],
): {group: IntentSecurityGroup; rule: IntentSgRule} | undefined {
  const signature = iptRuleSignature(rule, direction)
  if (signature === undefined) return undefined
  for (const group of groups)
    for (const r of group.rules)
      if (r.ethertype === 'IPv4' && r.direction === direction && sgRuleSignature(r) === signature)
        return {group, rule: r}
  return undefined
}

/** A one-line description of an SG rule: `ingress tcp/22 from 198.19.201.17/32`. */
export function describeSgRule(rule: IntentSgRule, groups: Map<string, IntentSecurityGroup>): string {
  const proto = protocolName(rule.protocol) ?? 'any protocol'
  const ports =
    rule.portRangeMin === null
      ? ''
      : proto === 'icmp'
        ? ` type ${rule.portRangeMin}${rule.portRangeMax !== null ? ` code ${rule.portRangeMax}` : ''}`
        : rule.portRangeMax === null || rule.portRangeMax === rule.portRangeMin
          ? `/${rule.portRangeMin}`
          : `/${rule.portRangeMin}-${rule.portRangeMax}`
  const peer = rule.remoteGroupId
    ? `members of ${groupLabel(groups.get(rule.remoteGroupId) ?? {id: rule.remoteGroupId, rules: []})}`
    : (rule.remoteIpPrefix ?? 'anywhere')
  return `${rule.direction} ${proto}${ports} ${rule.direction === 'ingress' ? 'from' : 'to'} ${peer}`
}

export function groupLabel(group: IntentSecurityGroup): string {
  return group.name ? `${group.name} (${group.id.slice(0, 8)})` : group.id
}
