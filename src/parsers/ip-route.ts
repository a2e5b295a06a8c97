// `ip -j route show table all`: the routing tables of a namespace, IPv4 and IPv6, as iproute2 prints them in JSON.
// A route without `table` is in main; without `type`, unicast. Only the JSON spelling is read (the collector asks
// for it); text is a problem, not a guess.

import {isIP} from 'node:net'

import type {ParseProblem, ParseResult} from '../types.js'
import {clip} from '../text.js'
import {parseJson} from './bounds.js'

export interface Route {
  /** `default`, a prefix (`198.18.0.0/24`) or an address (`198.18.0.11`, a host route). */
  dst: string
  family: 'inet' | 'inet6'
  /** main, local, or a number / name of another table. */
  table: string
  /** unicast, local, broadcast, blackhole, unreachable, prohibit, multicast, … */
  type: string
  gateway?: string
  dev?: string
  protocol?: string
  scope?: string
  prefsrc?: string
  metric?: number
  flags: string[]
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** An address or a prefix of one family; `default` has the family of the other fields (IPv4 when none says). */
function familyOf(dst: string, gateway?: string): 'inet' | 'inet6' | undefined {
  if (dst === 'default') return gateway !== undefined && isIP(gateway) === 6 ? 'inet6' : 'inet'
  const slash = dst.indexOf('/')
  const address = slash < 0 ? dst : dst.slice(0, slash)
  const length = slash < 0 ? undefined : dst.slice(slash + 1)
  const version = isIP(address)
  if (version === 0) return undefined
  if (length !== undefined && (!/^\d{1,3}$/.test(length) || Number(length) > (version === 4 ? 32 : 128)))
    return undefined
  return version === 4 ? 'inet' : 'inet6'
}

/** Parses `ip -j route [show table all]`; never throws. */
export function parseIpRoute(text: string): ParseResult<Route[]> {
  const trimmed = text.trim()
  if (trimmed === '') return {value: [], problems: []}
  const parsed = parseJson(trimmed)
  if ('error' in parsed) {
    return {value: [], problems: [{line: 1, text: clip(trimmed), message: `not valid JSON: ${parsed.error}`}]}
  }
  const data = parsed.value
  if (!Array.isArray(data))
    return {value: [], problems: [{line: 1, text: clip(trimmed), message: 'expected a JSON array of routes'}]}
  const routes: Route[] = []
  const problems: ParseProblem[] = []
  data.forEach((entry: unknown, index) => {
    const route = routeFromJson(entry)
    if (typeof route === 'string')
      problems.push({text: clip(JSON.stringify(entry) ?? String(entry)), message: `route #${index + 1} ${route}`})
    else routes.push(route)
  })
  return {value: routes, problems}
}

function routeFromJson(entry: unknown): Route | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'is not an object'
  // JSON boundary: every field is checked before use.
  const raw = entry as Record<string, unknown>
  const dst = str(raw.dst)
  if (dst === undefined) return 'has no dst'
  const gateway = str(raw.gateway)
  const family = familyOf(dst, gateway)
  if (!family) return `has a dst that is neither "default", an address nor a prefix: ${clip(dst)}`
  if (gateway !== undefined && isIP(gateway) === 0) return `has a gateway that is not an address: ${clip(gateway)}`
  const metric = raw.metric
  if (
    metric !== undefined &&
    !(typeof metric === 'number' && Number.isInteger(metric) && metric >= 0 && metric <= 0xffffffff)
  ) {
    return `has a metric out of range: ${clip(String(metric))}`
  }
  const route: Route = {
    dst,
    family,
    table: str(raw.table) ?? 'main',
    type: str(raw.type) ?? 'unicast',
    flags: Array.isArray(raw.flags) ? raw.flags.filter((f): f is string => typeof f === 'string') : [],
  }
  if (gateway !== undefined) route.gateway = gateway
  for (const field of ['dev', 'protocol', 'scope', 'prefsrc'] as const) {
    const value = str(raw[field])
    if (value !== undefined) route[field] = value
  }
  if (typeof metric === 'number') route.metric = metric
  return route
}
