// `ip -j neigh`: the neighbour (ARP/ND) table of a namespace (issue 11: in a router namespace, the next hop's MAC and
// whether it answered: REACHABLE/STALE/PERMANENT, or FAILED/INCOMPLETE when it never did). Only the JSON spelling is
// read; text is a problem, not a guess.

import {isIP} from 'node:net'

import type {ParseResult} from '../types.js'
import {clip} from '../text.js'
import {parseJsonList, str} from './json-list.js'

export interface Neighbour {
  dst: string
  family: 'inet' | 'inet6'
  dev?: string
  /** Lower case; absent while the address is being resolved or when it failed. */
  lladdr?: string
  /** Upper case as printed: REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, PERMANENT, NOARP … */
  state: string[]
  router: boolean
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

function neighbourFromJson(raw: Record<string, unknown>): Neighbour | string {
  const dst = str(raw.dst)
  if (dst === undefined) return 'has no dst'
  const version = isIP(dst)
  if (version === 0) return `has a dst that is not an address: ${clip(dst)}`
  const lladdr = str(raw.lladdr)
  // An InfiniBand or tunnel neighbour has a longer address: kept only when it is an Ethernet MAC.
  const n: Neighbour = {
    dst,
    family: version === 4 ? 'inet' : 'inet6',
    state: Array.isArray(raw.state) ? raw.state.filter((s): s is string => typeof s === 'string') : [],
    router: raw.router === null || raw.router === true,
  }
  const dev = str(raw.dev)
  if (dev !== undefined) n.dev = dev
  if (lladdr !== undefined && MAC.test(lladdr)) n.lladdr = lladdr.toLowerCase()
  return n
}

/** Parses `ip -j neigh`; never throws. */
export function parseIpNeigh(text: string): ParseResult<Neighbour[]> {
  return parseJsonList(text, 'neighbour', neighbourFromJson)
}

/** Has the neighbour answered (a usable MAC), as opposed to FAILED or INCOMPLETE? */
export function resolved(n: Neighbour): boolean {
  return n.lladdr !== undefined && !n.state.includes('FAILED') && !n.state.includes('INCOMPLETE')
}
