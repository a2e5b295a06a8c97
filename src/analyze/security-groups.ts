// Security groups (iptables_hybrid): does each host's firewall enforce what Neutron has? Per port bound to a host that
// runs the hybrid driver, every IPv4 rule of its groups must have its RETURN in the port's i/o chain (Neutron writes
// no rule for a remote group without members), and every SG-shaped RETURN there must come from a rule Neutron still
// has; the ipset of a remote group must hold every IPv4 address (fixed IPs and allowed address pairs) of the group's
// ports; and bridged frames must reach iptables at all (net.bridge.bridge-nf-call-iptables = 1).

import type {HostModel} from '../model/actual.js'
import type {PortView, ReferenceModel} from '../model/reference.js'
import {contains, prefix} from '../firewall/ipv4.js'
import {type IptRule, type IptTable, optionOf} from '../parsers/iptables-save.js'
import {
  describeSgRule,
  enforcedRules,
  groupLabel,
  ipsetName,
  portChain,
  sgRuleSignature,
  WRAP,
} from '../firewall/neutron.js'
import {bridgeNfOn, firewallDriverOf} from '../trace/packet.js'
import type {IntentSecurityGroup, IntentSgRule} from '../types.js'
import {type Analyzer, type AnalysisContext, finding, impactOf} from './context.js'
import type {Finding} from './finding.js'

const isV4 = (ip: string) => prefix(ip) !== undefined

/** The IPv4 addresses of a group's members: every port in it, its fixed IPs and its allowed address pairs. */
function membersOf(ctx: AnalysisContext, groupId: string): string[] {
  return ctx.reference.ports
    .filter((p) => p.security?.groups?.includes(groupId))
    .flatMap((p) => [...p.ips, ...(p.security?.pairs ?? []).map((x) => x.ipAddress)])
    .filter(isV4)
}

/** The IPv4 rules Neutron writes for a port: a remote-group rule only when the group has members. */
function wantedRules(ctx: AnalysisContext, groups: IntentSecurityGroup[]): IntentSgRule[] {
  return groups
    .flatMap((g) => g.rules)
    .filter((r) => r.ethertype === 'IPv4' && (!r.remoteGroupId || membersOf(ctx, r.remoteGroupId).length > 0))
}

function portLabel(p: PortView): string {
  return p.vmName ? `${p.id} (${p.vmName})` : p.id
}

function portFindings(ctx: AnalysisContext, host: HostModel, port: PortView): Finding[] {
  const table = host.firewall.iptables?.value.tables.get('filter')
  const known = ctx.reference.securityGroups
  const ids = port.security?.groups
  if (!table || !known || !ids || port.security?.enabled === false || !port.id) return []
  if (!table.chains.has(portChain('i', port.id)) && !table.chains.has(portChain('o', port.id))) return []
  const groups = ids.map((id) => known.get(id))
  if (groups.some((g) => g === undefined)) return []
  const wanted = wantedRules(ctx, groups as IntentSecurityGroup[])
  const out: Finding[] = []
  const evidence = host.firewall.iptables!.evidence
  for (const direction of ['ingress', 'egress'] as const) {
    const chain = portChain(direction === 'ingress' ? 'i' : 'o', port.id)
    const have = enforcedRules(table, port.id, direction)
    const mine = wanted.filter((r) => r.direction === direction)
    const signatures = new Set(mine.map(sgRuleSignature))
    for (const rule of mine) {
      if (have.has(sgRuleSignature(rule))) continue
      const group = known.get(rule.securityGroupId)!
      out.push(
        finding(
          'SG_RULE_NOT_ENFORCED',
          'missing',
          {host: host.name, port: portLabel(port), rule: describeSgRule(rule, known), group: groupLabel(group)},
          {
            host: host.name,
            element: `${chain}: ${rule.id}`,
            expected: `a RETURN rule for ${describeSgRule(rule, known)} (rule ${rule.id} of ${groupLabel(group)})`,
            actual: `no such rule in ${chain}`,
            evidence: [{...evidence, text: `chain ${chain}`}],
            impact: impactOf(ctx, [port], port.networkId ? [port.networkId] : []),
          },
        ),
      )
    }
    for (const [signature, rule] of have) {
      if (signatures.has(signature)) continue
      out.push(
        finding(
          'SG_RULE_STALE',
          'extra',
          {host: host.name, port: portLabel(port), text: rule.text, chain},
          {
            host: host.name,
            element: `${chain} rule ${rule.number}`,
            expected: `only the rules of ${ids.map((id) => groupLabel(known.get(id)!)).join(', ')}`,
            actual: rule.text,
            evidence: [{...evidence, line: rule.line, text: rule.text}],
            impact: impactOf(ctx, [port], port.networkId ? [port.networkId] : []),
          },
        ),
      )
    }
  }
  return out
}

/** Does one of the port's groups have a rule naming `groupId` as its remote group? */
function usesGroup(known: Map<string, IntentSecurityGroup>, port: PortView, groupId: string): boolean {
  return (port.security?.groups ?? []).some((g) => known.get(g)?.rules.some((r) => r.remoteGroupId === groupId))
}

/** Every remote group the rules of this host's ports name: its ipset must hold all its members' addresses. */
function ipsetFindings(ctx: AnalysisContext, host: HostModel, ports: PortView[]): Finding[] {
  const known = ctx.reference.securityGroups
  const sets = host.firewall.ipsets?.value
  if (!known || !sets) return []
  const remote = new Set<string>()
  for (const p of ports)
    for (const id of p.security?.groups ?? [])
      for (const r of known.get(id)?.rules ?? [])
        if (r.ethertype === 'IPv4' && r.remoteGroupId) remote.add(r.remoteGroupId)
  const out: Finding[] = []
  for (const groupId of remote) {
    const set = sets.get(ipsetName(groupId))
    if (!set) continue
    const have = set.members.filter((m) => !m.nomatch).map((m) => prefix(m.value))
    const group = known.get(groupId) ?? {id: groupId, rules: []}
    for (const ip of new Set(membersOf(ctx, groupId))) {
      const address = prefix(ip)!.base
      if (have.some((p) => p !== undefined && contains(p, address))) continue
      const owner = ctx.reference.ports.filter(
        (p) => p.ips.includes(ip) || p.security?.pairs?.some((x) => x.ipAddress === ip),
      )
      out.push(
        finding(
          'SG_IPSET_MEMBER_MISSING',
          'missing',
          {host: host.name, set: set.name, ip, group: groupLabel(group)},
          {
            host: host.name,
            element: `ipset ${set.name}: ${ip}`,
            expected: `${ip} (a member of ${groupLabel(group)})`,
            actual: `${set.members.length} members, not ${ip}`,
            evidence: [{...host.firewall.ipsets!.evidence, line: set.line, text: `create ${set.name} ${set.type}`}],
            impact: impactOf(ctx, [...ports.filter((p) => usesGroup(known, p, groupId)), ...owner]),
          },
        ),
      )
    }
  }
  return out
}

/** The IP/MAC pairs a port's s chain lets out: `-s IP -m mac --mac-source MAC -j RETURN`. */
function spoofPairs(table: IptTable, portId: string): Map<string, IptRule> {
  const out = new Map<string, IptRule>()
  for (const rule of table.chains.get(portChain('s', portId))?.rules ?? []) {
    const source = optionOf(rule, '', 'source')?.values[0]
    const mac = optionOf(rule, 'mac', 'mac-source')?.values[0]
    if (rule.target?.name !== 'RETURN' || !source || !mac) continue
    const p = prefix(source)
    if (p) out.set(`${p.base}/${p.length} ${mac.toLowerCase()}`, rule)
  }
  return out
}

/** Anti-spoofing (the s chain) against the port's fixed IPs and MAC and its allowed address pairs; port security
 * disabled with chains still there, or enabled with none for a port whose bridge is on the host. */
function spoofFindings(ctx: AnalysisContext, host: HostModel, port: PortView): Finding[] {
  const table = host.firewall.iptables?.value.tables.get('filter')
  if (!table || !port.id || !port.mac) return []
  const chains = ['i', 'o', 's'].map((k) => portChain(k as 'i', port.id)).filter((c) => table.chains.has(c))
  const evidence = host.firewall.iptables!.evidence
  const impact = impactOf(ctx, [port], port.networkId ? [port.networkId] : [])
  if (port.security?.enabled === false) {
    if (!chains.length) return []
    return [
      finding(
        'SG_PORT_SECURITY_MISMATCH',
        'disabledButFiltered',
        {host: host.name, port: portLabel(port), chains: chains.join(', ')},
        {
          host: host.name,
          element: `port ${port.id}`,
          expected: 'no firewall chains (port_security_enabled false)',
          actual: chains.join(', '),
          evidence: [{...evidence, text: `chain ${chains[0]}`}],
          impact,
        },
      ),
    ]
  }
  if (port.security?.enabled !== true || !port.security.groups?.length) return []
  const qbr = `qbr${port.short}`
  if (!chains.length) {
    if (!host.linuxBridges.some((b) => b.name === qbr)) return []
    return [
      finding(
        'SG_PORT_SECURITY_MISMATCH',
        'enabledButUnfiltered',
        {host: host.name, port: portLabel(port)},
        {
          host: host.name,
          element: `port ${port.id}`,
          expected: `chains ${portChain('i', port.id)} and ${portChain('o', port.id)}`,
          actual: 'none',
          evidence: [{...evidence, text: `no chain ${portChain('i', port.id)}`}],
          impact,
        },
      ),
    ]
  }
  if (!table.chains.has(portChain('s', port.id))) return []
  const have = spoofPairs(table, port.id)
  const want = new Map<string, string>()
  for (const ip of port.ips.filter(isV4)) want.set(`${prefix(ip)!.base}/32 ${port.mac}`, `${ip} ${port.mac}`)
  for (const pair of port.security.pairs ?? []) {
    const p = prefix(pair.ipAddress)
    if (p)
      want.set(
        `${p.base}/${p.length} ${pair.macAddress ?? port.mac}`,
        `${pair.ipAddress} ${pair.macAddress ?? port.mac}`,
      )
  }
  const out: Finding[] = []
  const chain = portChain('s', port.id)
  for (const [key, label] of want)
    if (!have.has(key))
      out.push(
        finding(
          'SG_ANTISPOOF_MISMATCH',
          'missing',
          {host: host.name, port: portLabel(port), pair: label},
          {
            host: host.name,
            element: `${chain}: ${label}`,
            expected: `-s ${label.replace(' ', ' -m mac --mac-source ')} -j RETURN`,
            actual: `no such rule in ${chain}`,
            evidence: [{...evidence, text: `chain ${chain}`}],
            impact,
          },
        ),
      )
  for (const [key, rule] of have)
    if (!want.has(key))
      out.push(
        finding(
          'SG_ANTISPOOF_MISMATCH',
          'extra',
          {host: host.name, port: portLabel(port), text: rule.text},
          {
            host: host.name,
            element: `${chain} rule ${rule.number}`,
            expected: "only the port's fixed IPs and allowed address pairs",
            actual: rule.text,
            evidence: [{...evidence, line: rule.line, text: rule.text}],
            impact,
          },
        ),
      )
  return out
}

function bridgeNfFindings(ctx: AnalysisContext, host: HostModel, ports: PortView[]): Finding[] {
  if (firewallDriverOf(host) !== 'iptables_hybrid' || bridgeNfOn(host) !== false) return []
  // Harmless where the firewall filters no port (a network node's DHCP and router ports have no chains).
  const filter = host.firewall.iptables?.value.tables.get('filter')
  const filtered = ports.filter(
    (p) => filter?.chains.has(portChain('i', p.id)) || filter?.chains.has(portChain('o', p.id)),
  )
  if (filter && !filtered.length) return []
  const sysctl = host.firewall.sysctl!
  const value = sysctl.value.get('net.bridge.bridge-nf-call-iptables')
  return [
    finding(
      'BRIDGE_NF_OFF',
      'off',
      {host: host.name, value: value?.value},
      {
        host: host.name,
        element: 'net.bridge.bridge-nf-call-iptables',
        expected: '1',
        actual: value ? value.value : 'absent (br_netfilter not loaded)',
        evidence: [
          {
            ...sysctl.evidence,
            ...(value ? {line: value.line, text: `net.bridge.bridge-nf-call-iptables = ${value.value}`} : {}),
          },
        ],
        impact: impactOf(ctx, filtered),
      },
    ),
  ]
}

interface PortIndex {
  count: number
  byHost: Map<string, PortView[]>
  /** By the first 10 characters of the id: what the agent's chain names keep of it. */
  byChainId: Map<string, PortView[]>
  positions: Map<PortView, number>
}
const portIndexes = new WeakMap<ReferenceModel, PortIndex>()

/** The reference's ports with an id, by bound host and by chain id, once per reference (built again if ports were
 * added); a filter of every port of the cloud per host was quadratic in the hosts. */
function portIndex(ref: ReferenceModel): PortIndex {
  const have = portIndexes.get(ref)
  if (have?.count === ref.ports.length) return have
  const out: PortIndex = {count: ref.ports.length, byHost: new Map(), byChainId: new Map(), positions: new Map()}
  const add = (map: Map<string, PortView[]>, key: string, p: PortView) => {
    const list = map.get(key)
    if (list) list.push(p)
    else map.set(key, [p])
  }
  ref.ports.forEach((p, at) => {
    if (!p.id) return
    out.positions.set(p, at)
    if (p.host !== undefined) add(out.byHost, p.host, p)
    add(out.byChainId, p.id.slice(0, 10), p)
  })
  portIndexes.set(ref, out)
  return out
}

/** The ports a host filters: bound to it, or with a chain of the agent's in its filter table; in reference order. */
function filteredPorts(ctx: AnalysisContext, host: HostModel, filter: IptTable | undefined): PortView[] {
  const index = portIndex(ctx.reference)
  const mine = new Set(index.byHost.get(host.name) ?? [])
  const chain = `${WRAP}-i`
  for (const name of filter?.chains.keys() ?? []) {
    if (!name.startsWith(chain)) continue
    for (const p of index.byChainId.get(name.slice(chain.length)) ?? []) mine.add(p)
  }
  return [...mine].sort((a, b) => index.positions.get(a)! - index.positions.get(b)!)
}

export const securityGroupAnalyzer: Analyzer = (ctx) =>
  ctx.actual.hosts.flatMap((host) => {
    if (firewallDriverOf(host) !== 'iptables_hybrid') return []
    const filter = host.firewall.iptables?.value.tables.get('filter')
    const ports = filteredPorts(ctx, host, filter)
    return [
      ...ports.flatMap((p) => [...portFindings(ctx, host, p), ...spoofFindings(ctx, host, p)]),
      ...ipsetFindings(ctx, host, ports),
      ...bridgeNfFindings(ctx, host, ports),
    ]
  })
