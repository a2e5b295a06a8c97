// Connection tracking within one trace, the way `ovs-appctl ofproto/trace --ct-next` lets a user state it: a packet
// the connection tracker has not seen is +trk+new; after a ct(commit) in a zone, the answer (the reversed 5-tuple in
// that zone) is +trk+est+rpl and carries the mark the commit set. Anything else — a second packet in the original
// direction, a related packet, a protocol without ports or echo ids the model knows — is not guessed: the caller gets
// undefined and the ct fields become unknown.

import {ETH_TYPE_IP} from '../openflow/fields.js'
import type {Packet} from './packet.js'

/** ct_state bits (OVS's CS_* values, as ct_state=+trk-est is parsed in src/openflow/values.ts). */
export const CS = {new: 0x01, est: 0x02, rel: 0x04, rpl: 0x08, inv: 0x10, trk: 0x20} as const

/** ICMP echo-style types and their answers (conntrack's invmap for the types it tracks as connections). */
const ICMP_REPLY: Record<number, number> = {8: 0, 13: 14, 15: 16, 17: 18}

export interface CtResult {
  state: number
  mark: number
}

interface Connection {
  zone: number
  /** The original direction's key and the reply direction's key. */
  orig: string
  reply: string
  mark: number
}

/** The tuple of one direction, or undefined for a packet whose connection the model does not track. */
function tupleKeys(zone: number, p: Packet): {key: string; reverse: string} | undefined {
  if (p.dl_type !== ETH_TYPE_IP || !p.nw_src || !p.nw_dst || p.nw_proto === undefined) return undefined
  const at = (src: string, dst: string, a: number | string, b: number | string) =>
    `${zone}|${p.nw_proto}|${src}|${dst}|${a}|${b}`
  if (p.nw_proto === 6 || p.nw_proto === 17) {
    if (p.tp_src === undefined || p.tp_dst === undefined) return undefined
    return {key: at(p.nw_src, p.nw_dst, p.tp_src, p.tp_dst), reverse: at(p.nw_dst, p.nw_src, p.tp_dst, p.tp_src)}
  }
  if (p.nw_proto === 1 && p.tp_src !== undefined) {
    // ICMP: OVS keeps the type in tp_src and the code in tp_dst. A request and its answer share one connection.
    const answer = ICMP_REPLY[p.tp_src]
    const request = Object.entries(ICMP_REPLY).find(([, r]) => r === p.tp_src)?.[0]
    if (answer !== undefined)
      return {key: at(p.nw_src, p.nw_dst, 'req', p.tp_src), reverse: at(p.nw_dst, p.nw_src, 'rep', answer)}
    if (request !== undefined)
      return {key: at(p.nw_src, p.nw_dst, 'rep', p.tp_src), reverse: at(p.nw_dst, p.nw_src, 'req', Number(request))}
  }
  return undefined
}

/** One host's connection tracker for the legs of one trace (request, then reply). */
export class Conntrack {
  private readonly connections: Connection[] = []

  /** What ct() says of `packet` in `zone`; undefined when the model cannot tell. */
  lookup(zone: number, packet: Packet): CtResult | undefined {
    const keys = tupleKeys(zone, packet)
    if (!keys) return undefined
    for (const c of this.connections) {
      if (c.reply === keys.key) return {state: CS.trk | CS.est | CS.rpl, mark: c.mark}
      // The original direction again after a commit: +new or +est depends on what the peer answered; not guessed.
      if (c.orig === keys.key) return undefined
    }
    return {state: CS.trk | CS.new, mark: 0}
  }

  /** ct(commit): the packet's connection is remembered in `zone` (an existing one keeps its entry, mark updated). */
  commit(zone: number, packet: Packet, mark: number | undefined): boolean {
    const keys = tupleKeys(zone, packet)
    if (!keys) return false
    const known = this.connections.find((c) => c.orig === keys.key || c.reply === keys.key)
    if (known) {
      if (mark !== undefined) known.mark = mark
      return true
    }
    this.connections.push({zone, orig: keys.key, reply: keys.reverse, mark: mark ?? 0})
    return true
  }

  get size(): number {
    return this.connections.length
  }
}
