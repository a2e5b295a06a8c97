// The netfilter tables of a router namespace, evaluated for one packet the way the kernel walks them: a built-in
// chain's rules in order, jumps into user chains and back on RETURN, the first terminal target decides. The matches
// Neutron's L3 agent writes are modelled (addresses, interfaces with `+`, protocol and ports, conntrack state DNAT,
// marks, connmarks, comments); anything else makes the walk unknown at that rule, never a guess.

import type {IptablesSave, IptOption, IptRule} from '../parsers/iptables-save.js'
import {inPrefix} from './ip.js'

export interface L3Packet {
  src: string
  dst: string
  proto: 'icmp' | 'tcp' | 'udp'
  sport?: number
  dport?: number
  /** The device the packet came in on (absent for locally generated packets). */
  inDev?: string
  /** The device routing chose (known from FORWARD/POSTROUTING on). */
  outDev?: string
  mark: number
  connmark: number
  /** conntrack: the connection's destination was translated (ctstate DNAT). */
  dnat: boolean
}

export type Verdict =
  | {kind: 'accept' | 'drop' | 'policy'; rule?: IptRule; policy?: string}
  | {kind: 'dnat' | 'snat'; rule: IptRule; to: string}
  | {kind: 'redirect'; rule: IptRule; port?: number}
  | {kind: 'masquerade'; rule: IptRule}
  | {kind: 'unknown'; rule?: IptRule; reason: string}

export interface ChainWalk {
  verdict: Verdict
  /** Rules that matched without deciding (MARK, CONNMARK, jumps): what set the marks on the way. */
  passed: IptRule[]
}

const MAX_DEPTH = 32

type Match = true | false | string

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN
  return Number.isSafeInteger(n) ? n : undefined
}

/** `v/m` or `v` → value and mask (default all ones). */
function markOf(text: string | undefined): {value: number; mask: number} | undefined {
  if (text === undefined) return undefined
  const [v, m] = text.split('/')
  const value = num(v)
  const mask = m === undefined ? 0xffffffff : num(m)
  return value === undefined || mask === undefined ? undefined : {value, mask}
}

function ifaceMatches(pattern: string, dev: string | undefined): boolean {
  if (dev === undefined) return false
  return pattern.endsWith('+') ? dev.startsWith(pattern.slice(0, -1)) : dev === pattern
}

function portMatches(spec: string, port: number | undefined): boolean {
  if (port === undefined) return false
  const [lo, hi] = spec.split(':')
  const a = lo === '' ? 0 : Number(lo)
  const b = hi === undefined ? a : hi === '' ? 65535 : Number(hi)
  return port >= a && port <= b
}

function negate(m: Match, o: IptOption): Match {
  return typeof m === 'string' ? m : o.negated ? !m : m
}

function basic(o: IptOption, p: L3Packet): Match {
  const v = o.values[0] ?? ''
  switch (o.name) {
    case 'source':
      return inPrefix(p.src, v) || `source ${v} is not an IPv4 prefix`
    case 'destination':
      return inPrefix(p.dst, v) || `destination ${v} is not an IPv4 prefix`
    case 'protocol':
      return v === 'all' || v === p.proto
    case 'in-interface':
      return ifaceMatches(v, p.inDev)
    case 'out-interface':
      return ifaceMatches(v, p.outDev)
    case 'fragment':
      return false
    default:
      return `option -${o.name} is not modelled`
  }
}

function fixSource(m: Match, o: IptOption, v: string): Match {
  // inPrefix returned false for a valid prefix: a non-match, not a problem.
  if (typeof m === 'string' && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(v)) return false
  return negate(m, o)
}

function optionMatches(module: string, o: IptOption, p: L3Packet): Match {
  const v = o.values[0]
  if (module === '') {
    const m = basic(o, p)
    return o.name === 'source' || o.name === 'destination' ? fixSource(m, o, v ?? '') : negate(m, o)
  }
  switch (module) {
    case 'comment':
      return true
    case 'tcp':
    case 'udp':
      if (o.name === 'dport' || o.name === 'destination-port') return negate(portMatches(v ?? '', p.dport), o)
      if (o.name === 'sport' || o.name === 'source-port') return negate(portMatches(v ?? '', p.sport), o)
      if (o.name === 'syn') return negate(true, o) // the packets traced open connections
      return `--${o.name} of -m ${module} is not modelled`
    case 'icmp':
      if (o.name === 'icmp-type') return negate(['8', '8/0', 'echo-request', 'any'].includes(v ?? ''), o)
      return `--${o.name} of -m icmp is not modelled`
    case 'conntrack':
    case 'state': {
      if (o.name !== 'ctstate' && o.name !== 'state') return `--${o.name} of -m ${module} is not modelled`
      const states = new Set(['NEW', ...(p.dnat && module === 'conntrack' ? ['DNAT'] : [])])
      return negate(
        (v ?? '').split(',').some((s) => states.has(s)),
        o,
      )
    }
    case 'mark':
    case 'connmark': {
      const m = o.name === 'mark' ? markOf(v) : undefined
      if (!m) return `--${o.name} ${v ?? ''} of -m ${module} is not read`
      const have = module === 'mark' ? p.mark : p.connmark
      return negate((have & m.mask) >>> 0 === m.value, o)
    }
    default:
      return `-m ${module} is not modelled`
  }
}

function ruleMatches(rule: IptRule, p: L3Packet): Match {
  for (const m of rule.matches) {
    for (const o of m.options) {
      const r = optionMatches(m.module, o, p)
      if (r !== true) return r
    }
  }
  return true
}

function targetOption(rule: IptRule, name: string): string | undefined {
  return rule.target?.options.find((o) => o.name === name)?.values[0]
}

/** Walks one built-in chain of one table; the packet's marks change as MARK/CONNMARK rules say. */
export function walkChain(save: IptablesSave, table: string, chain: string, p: L3Packet): ChainWalk {
  const passed: IptRule[] = []
  const t = save.tables.get(table)
  const builtin = t?.chains.get(chain)
  if (!t || !builtin) return {verdict: {kind: 'policy', policy: 'ACCEPT'}, passed}
  const walk = (name: string, depth: number): Verdict | 'return' => {
    if (depth > MAX_DEPTH) return {kind: 'unknown', reason: `chains nested deeper than ${MAX_DEPTH} (a loop?)`}
    const c = t.chains.get(name)
    if (!c) return {kind: 'unknown', reason: `chain ${name} is not declared in table ${table}`}
    for (const rule of c.rules) {
      const m = ruleMatches(rule, p)
      if (typeof m === 'string') return {kind: 'unknown', rule, reason: m}
      if (!m) continue
      const target = rule.target?.name
      if (target === undefined) continue
      switch (target) {
        case 'ACCEPT':
          return {kind: 'accept', rule}
        case 'DROP':
        case 'REJECT':
          return {kind: 'drop', rule}
        case 'RETURN':
          return 'return'
        case 'DNAT':
        case 'SNAT': {
          const to = targetOption(rule, target === 'DNAT' ? 'to-destination' : 'to-source')
          if (!to) return {kind: 'unknown', rule, reason: `${target} without an address`}
          return {kind: target === 'DNAT' ? 'dnat' : 'snat', rule, to: to.split(':')[0].split('-')[0]}
        }
        case 'REDIRECT': {
          const port = num(targetOption(rule, 'to-ports')?.split('-')[0])
          return {kind: 'redirect', rule, ...(port !== undefined ? {port} : {})}
        }
        case 'MASQUERADE':
          return {kind: 'masquerade', rule}
        case 'MARK': {
          const x = markOf(targetOption(rule, 'set-xmark') ?? targetOption(rule, 'set-mark'))
          if (!x) return {kind: 'unknown', rule, reason: 'MARK without a value this model reads'}
          p.mark = ((p.mark & ~x.mask) ^ x.value) >>> 0
          passed.push(rule)
          continue
        }
        case 'CONNMARK': {
          const nfmask = num(targetOption(rule, 'nfmask')) ?? 0xffffffff
          const ctmask = num(targetOption(rule, 'ctmask')) ?? 0xffffffff
          if (rule.target!.options.some((o) => o.name === 'save-mark'))
            p.connmark = ((p.connmark & ~ctmask) | (p.mark & nfmask)) >>> 0
          else if (rule.target!.options.some((o) => o.name === 'restore-mark'))
            p.mark = ((p.mark & ~nfmask) | (p.connmark & ctmask)) >>> 0
          passed.push(rule)
          continue
        }
        case 'LOG':
        case 'CT':
        case 'NOTRACK':
        case 'CHECKSUM':
          continue
        default: {
          if (!t.chains.has(target)) return {kind: 'unknown', rule, reason: `target ${target} is not modelled`}
          passed.push(rule)
          const r = walk(target, depth + 1)
          if (r !== 'return') return r
          if (rule.target!.goto) return 'return'
        }
      }
    }
    return 'return'
  }
  const v = walk(chain, 0)
  return {verdict: v === 'return' ? {kind: 'policy', policy: builtin.policy ?? 'ACCEPT'} : v, passed}
}
