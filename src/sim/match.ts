// Does a flow's match cover a packet? Three answers: yes, no, or "cannot tell" (the flow tests a field the packet
// does not carry, a field the simulator lost track of, or a field it does not model).

import type {Flow, Masked, PortRef} from '../types.js'
import {lookupField, parseMasked} from './fields.js'
import {ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_RARP, type Packet, vlanTci} from './packet.js'

export interface MatchOutcome {
  result: 'match' | 'no-match' | 'undetermined'
  /** Fields the packet does not carry or whose value was lost (e.g. after ct()), when the rest matched. */
  unknownFields: string[]
  /** Match fields the simulator does not model. */
  unsupportedFields: string[]
}

/** Protocol shorthands, in case a match still carries them unexpanded. */
const SHORTHANDS: Record<string, {dlType: number; nwProto?: number}> = {
  ip: {dlType: ETH_TYPE_IP},
  icmp: {dlType: ETH_TYPE_IP, nwProto: 1},
  tcp: {dlType: ETH_TYPE_IP, nwProto: 6},
  udp: {dlType: ETH_TYPE_IP, nwProto: 17},
  sctp: {dlType: ETH_TYPE_IP, nwProto: 132},
  igmp: {dlType: ETH_TYPE_IP, nwProto: 2},
  arp: {dlType: ETH_TYPE_ARP},
  rarp: {dlType: ETH_TYPE_RARP},
  ipv6: {dlType: ETH_TYPE_IPV6},
  icmp6: {dlType: ETH_TYPE_IPV6, nwProto: 58},
  tcp6: {dlType: ETH_TYPE_IPV6, nwProto: 6},
  udp6: {dlType: ETH_TYPE_IPV6, nwProto: 17},
  sctp6: {dlType: ETH_TYPE_IPV6, nwProto: 132},
}

type FieldTest = 'match' | 'no-match' | 'unknown' | 'unsupported'

function parseNumber(text: string): number | undefined {
  const t = text.trim()
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16)
  if (/^\d+$/.test(t)) return Number(t)
  return undefined
}

function tciTest(packet: Packet, value: number, mask: number): FieldTest {
  return (vlanTci(packet) & mask) === (value & mask) ? 'match' : 'no-match'
}

/** The OF1.0 VLAN fields are shorthands for vlan_tci value/mask pairs (as ovs-ofctl documents them). */
function vlanFieldTest(name: string, masked: Masked, packet: Packet): FieldTest | undefined {
  const value = parseNumber(masked.value.split('/')[0] ?? '')
  if (name === 'dl_vlan') {
    if (value === undefined) return 'unsupported'
    return value === 0xffff ? tciTest(packet, 0, 0xffff) : tciTest(packet, 0x1000 | (value & 0xfff), 0x1fff)
  }
  if (name === 'dl_vlan_pcp' || name === 'vlan_pcp') {
    if (value === undefined) return 'unsupported'
    return tciTest(packet, 0x1000 | ((value & 7) << 13), 0xf000)
  }
  return undefined
}

function fragTest(masked: Masked): FieldTest {
  // The simulator's packets are never fragments.
  const v = masked.value.trim()
  if (v === 'no' || v === 'not_later') return 'match'
  if (v === 'yes' || v === 'first' || v === 'later') return 'no-match'
  return 'unsupported'
}

function testField(name: string, masked: Masked, packet: Packet, tainted: ReadonlySet<string>): FieldTest {
  const key = name.trim().toLowerCase()
  const vlan = vlanFieldTest(key, masked, packet)
  if (vlan) return vlan
  if (key === 'nw_frag' || key === 'ip_frag') return fragTest(masked)
  const shorthand = SHORTHANDS[key]
  if (shorthand) {
    if (packet.dl_type !== shorthand.dlType) return 'no-match'
    if (shorthand.nwProto === undefined) return 'match'
    if (packet.nw_proto === undefined) return 'unknown'
    return packet.nw_proto === shorthand.nwProto ? 'match' : 'no-match'
  }
  const def = lookupField(key)
  if (!def) return 'unsupported'
  const want = parseMasked(def, masked)
  if (!want) return 'unsupported'
  if (want.mask === 0n) return 'match'
  if (tainted.has(def.name)) return 'unknown'
  const have = def.get(packet)
  if (have === undefined) return 'unknown'
  return (have & want.mask) === want.value ? 'match' : 'no-match'
}

/**
 * Evaluates `flow`'s match against `packet`. `resolvePort` turns a port reference (number or name) into the
 * bridge's OpenFlow port number; `tainted` names fields whose value the simulator no longer knows.
 */
export function matchFlow(
  flow: Flow,
  packet: Packet,
  resolvePort: (ref: PortRef) => number | undefined,
  tainted: ReadonlySet<string> = new Set(),
): MatchOutcome {
  const unknownFields: string[] = []
  const unsupportedFields: string[] = []
  const noMatch = (): MatchOutcome => ({result: 'no-match', unknownFields: [], unsupportedFields: []})
  if (flow.match.inPort !== undefined) {
    const port = resolvePort(flow.match.inPort)
    if (port === undefined || port !== packet.in_port) return noMatch()
  }
  for (const [name, masked] of Object.entries(flow.match.fields)) {
    if (name.toLowerCase() === 'in_port') {
      const ref = parseNumber(masked.value) ?? masked.value.replace(/^"|"$/g, '')
      if (resolvePort(ref) !== packet.in_port) return noMatch()
      continue
    }
    const outcome = testField(name, masked, packet, tainted)
    if (outcome === 'no-match') return noMatch()
    if (outcome === 'unknown') unknownFields.push(name)
    if (outcome === 'unsupported') unsupportedFields.push(name)
  }
  const result = unknownFields.length > 0 || unsupportedFields.length > 0 ? 'undetermined' : 'match'
  return {result, unknownFields, unsupportedFields}
}
