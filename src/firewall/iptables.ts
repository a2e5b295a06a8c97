// A packet through the filter table the way the kernel walks it: rules in order, every match of a rule must hold,
// the target decides (ACCEPT, DROP, REJECT end the walk; a user chain is entered and left by RETURN or its end; -g
// does not come back; rules without a terminal target go on), a built-in chain's policy at its end. Only the matches
// Neutron's iptables_hybrid driver writes are modelled (physdev, set, state/conntrack state, mac, comment, tcp/udp
// ports, multiport, icmp, -s/-d/-p/-i/-o); any other match or target makes the verdict unknown, naming it — never a
// guess. Linear in the rules visited.

import type {IptChain, IptOption, IptRule, IptTable} from '../parsers/iptables-save.js'
import type {Ipset} from '../parsers/ipset-save.js'
import {contains, ipv4, prefix} from './ipv4.js'

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED'

/** A packet as netfilter sees it in the FORWARD hook of a Linux bridge (bridge netfilter) or a routed hop. */
export interface FwPacket {
  /** The bridge port it came in on (`--physdev-in`) and leaves by (`--physdev-out`); undefined when not bridged. */
  physdevIn?: string
  physdevOut?: string
  /** `-i` / `-o`: with bridge netfilter, the bridge itself. */
  inInterface?: string
  outInterface?: string
  srcMac?: string
  src: string
  dst: string
  /** IP protocol: 1 icmp, 6 tcp, 17 udp, or another number. */
  proto: number
  sport?: number
  dport?: number
  icmpType?: number
  icmpCode?: number
  /** The connection-tracking state of the packet in this zone. */
  state: CtState
}

export interface FwVerdict {
  verdict: 'accept' | 'drop' | 'unknown'
  /** The rule whose target ended the walk (ACCEPT, DROP, REJECT); undefined when a policy did, or unknown. */
  rule?: IptRule
  /** The built-in chain whose policy decided. */
  policy?: {chain: string; policy: string}
  /** Every rule that matched, in order: exactly the rules whose counters this packet moves. */
  matched: IptRule[]
  /** Why the verdict is unknown: the rule and what in it is not modelled. */
  unknown?: {rule?: IptRule; reason: string}
}

type Tri = boolean | string

const PROTOCOLS: Record<string, number> = {icmp: 1, tcp: 6, udp: 17, all: 0}
const ICMP_TYPES: Record<string, [number, number?]> = {
  'echo-reply': [0],
  'destination-unreachable': [3],
  'echo-request': [8],
  'time-exceeded': [11],
}
const MAX_DEPTH = 64

/** Does the interface name match an iptables interface pattern (`tap+` is a prefix)? */
function ifaceMatches(pattern: string, name: string | undefined): Tri {
  if (name === undefined) return `the packet's interface for ${pattern} is not known`
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern
}

function negate(option: IptOption, result: Tri): Tri {
  return typeof result === 'string' || !option.negated ? result : !result
}

function inPorts(list: string, port: number | undefined): Tri {
  if (port === undefined) return 'the packet has no port'
  for (const item of list.split(',')) {
    const [a, b] = item.split(':')
    const lo = a === '' ? 0 : Number(a)
    const hi = b === undefined ? lo : b === '' ? 65535 : Number(b)
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) return `port list ${list} not read`
    if (port >= lo && port <= hi) return true
  }
  return false
}

function setMatches(set: Ipset | undefined, name: string, address: string): Tri {
  if (!set) return `ipset ${name} is not in the ipset capture`
  const ip = ipv4(address)
  if (ip === undefined) return `address ${address} is not IPv4`
  if (set.type !== 'hash:net' && set.type !== 'hash:ip') return `ipset ${name} is of type ${set.type}`
  // hash:net answers with the most specific entry holding the address; a nomatch entry there means no match.
  let best: {length: number; nomatch: boolean} | undefined
  for (const m of set.members) {
    const p = prefix(m.value)
    if (!p) return `ipset ${name} member ${m.value} not read`
    if (contains(p, ip) && (!best || p.length > best.length)) best = {length: p.length, nomatch: m.nomatch}
  }
  return best !== undefined && !best.nomatch
}

function states(values: string[]): string[] {
  return values.join(',').split(',')
}

/** One option of a match: true, false, or a string saying why it cannot be decided. */
function optionHolds(module: string, o: IptOption, p: FwPacket, sets: Map<string, Ipset>): Tri {
  const v = o.values[0]
  switch (`${module}/${o.name}`) {
    case '/source':
    case '/destination': {
      const pre = prefix(v ?? '')
      const ip = ipv4(o.name === 'source' ? p.src : p.dst)
      if (!pre || ip === undefined) return `${o.name} ${v} is not IPv4`
      return negate(o, contains(pre, ip))
    }
    case '/protocol': {
      const want = PROTOCOLS[v] ?? (/^\d+$/.test(v ?? '') ? Number(v) : undefined)
      if (want === undefined) return `protocol ${v}`
      return negate(o, want === 0 || want === p.proto)
    }
    case '/in-interface':
      return negate(o, ifaceMatches(v, p.inInterface))
    case '/out-interface':
      return negate(o, ifaceMatches(v, p.outInterface))
    case 'physdev/physdev-in':
      return negate(o, p.physdevIn === undefined ? false : ifaceMatches(v, p.physdevIn))
    case 'physdev/physdev-out':
      return negate(o, p.physdevOut === undefined ? false : ifaceMatches(v, p.physdevOut))
    case 'physdev/physdev-is-bridged':
      return negate(o, p.physdevIn !== undefined && p.physdevOut !== undefined)
    case 'physdev/physdev-is-in':
      return negate(o, p.physdevIn !== undefined)
    case 'physdev/physdev-is-out':
      return negate(o, p.physdevOut !== undefined)
    case 'set/match-set': {
      const dir = (o.values[1] ?? '').split(',')[0]
      if (dir !== 'src' && dir !== 'dst') return `match-set direction ${o.values[1]}`
      return negate(o, setMatches(sets.get(v), v, dir === 'src' ? p.src : p.dst))
    }
    case 'state/state':
    case 'conntrack/ctstate':
      return negate(o, states(o.values).includes(p.state))
    case 'mac/mac-source':
      if (p.srcMac === undefined) return 'the packet has no source MAC'
      return negate(o, v.toLowerCase() === p.srcMac.toLowerCase())
    case 'comment/comment':
      return true
    case 'tcp/dport':
    case 'udp/dport':
      return negate(o, inPorts(v, p.dport))
    case 'tcp/sport':
    case 'udp/sport':
      return negate(o, inPorts(v, p.sport))
    case 'multiport/dports':
    case 'multiport/destination-ports':
      return negate(o, inPorts(v, p.dport))
    case 'multiport/sports':
    case 'multiport/source-ports':
      return negate(o, inPorts(v, p.sport))
    case 'multiport/ports':
      return negate(o, inPorts(v, p.sport) === true || inPorts(v, p.dport) === true)
    case 'icmp/icmp-type': {
      if (p.icmpType === undefined) return 'the packet has no ICMP type'
      if (v === 'any') return negate(o, true)
      const named = ICMP_TYPES[v]
      const [type, code] = named ?? v.split('/').map(Number)
      if (!Number.isInteger(type)) return `icmp type ${v}`
      return negate(o, type === p.icmpType && (code === undefined || code === p.icmpCode))
    }
    default:
      return `-m ${module || '(basic)'} --${o.name} is not modelled`
  }
}

/** Does every match of the rule hold? A module with no options (`-m tcp` alone) only needs its protocol. */
function ruleHolds(rule: IptRule, p: FwPacket, sets: Map<string, Ipset>): Tri {
  let unknown: string | undefined
  for (const m of rule.matches) {
    if (m.module === 'tcp' || m.module === 'udp') {
      if (p.proto !== PROTOCOLS[m.module]) return false
    } else if (m.module === 'icmp' && p.proto !== 1) return false
    for (const o of m.options) {
      const r = optionHolds(m.module, o, p, sets)
      if (r === false) return false
      if (typeof r === 'string') unknown ??= r
    }
  }
  return unknown ?? true
}

type Outcome =
  {end: 'accept' | 'drop'; rule?: IptRule} | {end: 'return'} | {end: 'unknown'; rule?: IptRule; reason: string}

const NON_TERMINAL = new Set(['LOG', 'NFLOG', 'MARK', 'CONNMARK', 'CT'])

/** Walks the packet through `chain` of the table (FORWARD by default), from its first rule. */
export function evaluateChain(
  table: IptTable,
  start: string,
  packet: FwPacket,
  sets: Map<string, Ipset> = new Map(),
): FwVerdict {
  const matched: IptRule[] = []
  const walk = (chain: IptChain, depth: number): Outcome => {
    if (depth > MAX_DEPTH) return {end: 'unknown', reason: `chains nested deeper than ${MAX_DEPTH} at ${chain.name}`}
    for (const rule of chain.rules) {
      const holds = ruleHolds(rule, packet, sets)
      if (holds === false) continue
      if (typeof holds === 'string') return {end: 'unknown', rule, reason: holds}
      matched.push(rule)
      const target = rule.target
      if (!target || NON_TERMINAL.has(target.name)) continue
      switch (target.name) {
        case 'ACCEPT':
          return {end: 'accept', rule}
        case 'DROP':
        case 'REJECT':
          return {end: 'drop', rule}
        case 'RETURN':
          return {end: 'return'}
      }
      const next = table.chains.get(target.name)
      if (!next) return {end: 'unknown', rule, reason: `target ${target.name} is not a chain of ${table.name}`}
      if (next.policy !== undefined) return {end: 'unknown', rule, reason: `jump to built-in chain ${target.name}`}
      const inner = walk(next, depth + 1)
      if (inner.end !== 'return' || target.goto) return inner
    }
    return {end: 'return'}
  }
  const chain = table.chains.get(start)
  if (!chain) return {verdict: 'unknown', matched, unknown: {reason: `table ${table.name} has no chain ${start}`}}
  const outcome = walk(chain, 0)
  if (outcome.end === 'unknown')
    return {
      verdict: 'unknown',
      matched,
      unknown: {...(outcome.rule ? {rule: outcome.rule} : {}), reason: outcome.reason},
    }
  if (outcome.end === 'return') {
    const policy = chain.policy ?? 'ACCEPT'
    if (policy !== 'ACCEPT' && policy !== 'DROP')
      return {verdict: 'unknown', matched, unknown: {reason: `policy ${policy} of ${start}`}}
    return {verdict: policy === 'ACCEPT' ? 'accept' : 'drop', policy: {chain: start, policy}, matched}
  }
  return {verdict: outcome.end, ...(outcome.rule ? {rule: outcome.rule} : {}), matched}
}
