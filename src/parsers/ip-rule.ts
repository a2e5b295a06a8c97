// `ip -j rule`: the routing policy of a namespace (issue 11: DVR router namespaces send a floating IP's traffic to
// table 16 and a subnet's to a table named by its address; a legacy router has only the kernel's three rules). Only
// the JSON spelling is read; text is a problem, not a guess.

import {isIP} from 'node:net'

import type {ParseResult} from '../types.js'
import {clip} from '../text.js'
import {parseJsonList, str} from './json-list.js'

export interface IpRule {
  /** 0..2^32-1: rules are tried in ascending order. */
  priority: number
  /** `all` or an address, with `srclen` its prefix length. */
  src: string
  srclen?: number
  dst?: string
  dstlen?: number
  iif?: string
  oif?: string
  /** Hex as printed (`0x4000000`), with its mask. */
  fwmark?: string
  fwmask?: string
  /** The table a `lookup` rule names: main, local, default or a number. */
  table?: string
  /** lookup (the default), blackhole, unreachable, prohibit, goto, nop. */
  action: string
  not: boolean
}

const U32 = 0xffffffff

function prefixLen(value: unknown, address: string | undefined): number | undefined | string {
  if (value === undefined) return undefined
  const max = address !== undefined && isIP(address) === 6 ? 128 : 32
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
    ? value
    : `has a prefix length out of range: ${clip(String(value))}`
}

function ruleFromJson(raw: Record<string, unknown>): IpRule | string {
  const priority = raw.priority
  if (!(typeof priority === 'number' && Number.isInteger(priority) && priority >= 0 && priority <= U32))
    return `has no priority in 0..${U32}: ${clip(String(priority))}`
  const src = str(raw.src) ?? 'all'
  if (src !== 'all' && isIP(src) === 0) return `has a src that is neither "all" nor an address: ${clip(src)}`
  const dst = str(raw.dst)
  if (dst !== undefined && dst !== 'all' && isIP(dst) === 0) return `has a dst that is not an address: ${clip(dst)}`
  const srclen = prefixLen(raw.srclen, src)
  if (typeof srclen === 'string') return srclen
  const dstlen = prefixLen(raw.dstlen, dst)
  if (typeof dstlen === 'string') return dstlen
  const rule: IpRule = {priority, src, action: str(raw.action) ?? 'lookup', not: raw.not === null || raw.not === true}
  if (srclen !== undefined) rule.srclen = srclen
  if (dst !== undefined && dst !== 'all') rule.dst = dst
  if (dstlen !== undefined) rule.dstlen = dstlen
  for (const field of ['iif', 'oif', 'fwmark', 'fwmask', 'table'] as const) {
    const value = str(raw[field])
    if (value !== undefined) rule[field] = value
  }
  if (rule.fwmark !== undefined && !/^0x[0-9a-f]{1,8}$/i.test(rule.fwmark))
    return `has a fwmark that is not a 32-bit hex number: ${clip(rule.fwmark)}`
  if (rule.fwmask !== undefined && !/^0x[0-9a-f]{1,8}$/i.test(rule.fwmask))
    return `has a fwmask that is not a 32-bit hex number: ${clip(rule.fwmask)}`
  return rule
}

/** Parses `ip -j rule`; never throws. */
export function parseIpRule(text: string): ParseResult<IpRule[]> {
  return parseJsonList(text, 'rule', ruleFromJson)
}
