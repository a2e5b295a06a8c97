// The match/action fields the simulator understands, under every spelling OVS prints: ovs-ofctl names (dl_src),
// OXM-style names (eth_src) and NXM/OXM register names (NXM_OF_ETH_SRC[]). Each field reads and writes the packet
// as an unsigned integer so masks and bit slices work uniformly.

import type {Masked} from '../types.js'
import {
  type Packet,
  ETH_TYPE_ARP,
  ETH_TYPE_RARP,
  bigIntToIpv4,
  bigIntToIpv6,
  bigIntToMac,
  ipv4ToBigInt,
  ipv6ToBigInt,
  macToBigInt,
  setVlanStack,
  tciToVlan,
  vlanStack,
  vlanTci,
} from './packet.js'

export type FieldKind = 'mac' | 'ipv4' | 'ipv6' | 'int' | 'ct_state'

export interface FieldDef {
  /** Canonical (ovs-ofctl) name. */
  name: string
  bits: number
  kind: FieldKind
  /** The value, or undefined when this packet does not carry the field. */
  get(packet: Packet): bigint | undefined
  set?(packet: Packet, value: bigint): void
}

const isArp = (p: Packet): boolean => p.dl_type === ETH_TYPE_ARP || p.dl_type === ETH_TYPE_RARP

const fromMac = (mac: string | undefined): bigint | undefined => (mac === undefined ? undefined : macToBigInt(mac))
const fromIp4 = (ip: string | undefined): bigint | undefined => (ip === undefined ? undefined : ipv4ToBigInt(ip))
const fromIp6 = (ip: string | undefined): bigint | undefined => (ip === undefined ? undefined : ipv6ToBigInt(ip))
const fromNum = (n: number | undefined): bigint | undefined => (n === undefined ? undefined : BigInt(n))

function regDef(i: number): FieldDef {
  return {
    name: `reg${i}`,
    bits: 32,
    kind: 'int',
    get: (p) => BigInt((p.regs?.[i] ?? 0) >>> 0),
    set: (p, v) => {
      const regs = [...(p.regs ?? [])]
      while (regs.length < i) regs.push(0)
      regs[i] = Number(v & 0xffffffffn)
      p.regs = regs
    },
  }
}

/** The header-level VLAN fields: writing them edits the packet's outer 802.1Q header. */
const VLAN_TCI: FieldDef = {
  name: 'vlan_tci',
  bits: 16,
  kind: 'int',
  get: (p) => BigInt(vlanTci(p)),
  set: (p, v) => {
    const tag = tciToVlan(Number(v))
    const inner = vlanStack(p).slice(1)
    setVlanStack(p, tag ? [tag, ...inner] : inner)
  },
}

const DEFS: FieldDef[] = [
  {name: 'in_port', bits: 32, kind: 'int', get: (p) => BigInt(p.in_port), set: (p, v) => (p.in_port = Number(v))},
  {name: 'dl_src', bits: 48, kind: 'mac', get: (p) => fromMac(p.dl_src), set: (p, v) => (p.dl_src = bigIntToMac(v))},
  {name: 'dl_dst', bits: 48, kind: 'mac', get: (p) => fromMac(p.dl_dst), set: (p, v) => (p.dl_dst = bigIntToMac(v))},
  {name: 'dl_type', bits: 16, kind: 'int', get: (p) => BigInt(p.dl_type), set: (p, v) => (p.dl_type = Number(v))},
  VLAN_TCI,
  {
    // OXM VLAN_VID: 13 bits, the CFI ("present") bit on top of the VID.
    name: 'vlan_vid',
    bits: 13,
    kind: 'int',
    get: (p) => BigInt(vlanTci(p) & 0x1fff),
    set: (p, v) => {
      const present = (v & 0x1000n) !== 0n
      const stack = vlanStack(p)
      if (!present) setVlanStack(p, stack.slice(1))
      else setVlanStack(p, [{vid: Number(v & 0xfffn), pcp: stack[0]?.pcp ?? 0}, ...stack.slice(1)])
    },
  },
  {
    name: 'vlan_pcp',
    bits: 3,
    kind: 'int',
    get: (p) => (p.vlan ? BigInt(p.vlan.pcp) : undefined),
    set: (p, v) => {
      const stack = vlanStack(p)
      setVlanStack(p, [{vid: stack[0]?.vid ?? 0, pcp: Number(v & 7n)}, ...stack.slice(1)])
    },
  },
  {
    // In OVS the ARP sender/target addresses and opcode live in nw_src/nw_dst/nw_proto.
    name: 'nw_src',
    bits: 32,
    kind: 'ipv4',
    get: (p) => fromIp4(isArp(p) ? (p.arp_spa ?? p.nw_src) : p.nw_src),
    set: (p, v) => (isArp(p) ? (p.arp_spa = bigIntToIpv4(v)) : (p.nw_src = bigIntToIpv4(v))),
  },
  {
    name: 'nw_dst',
    bits: 32,
    kind: 'ipv4',
    get: (p) => fromIp4(isArp(p) ? (p.arp_tpa ?? p.nw_dst) : p.nw_dst),
    set: (p, v) => (isArp(p) ? (p.arp_tpa = bigIntToIpv4(v)) : (p.nw_dst = bigIntToIpv4(v))),
  },
  {
    name: 'nw_proto',
    bits: 8,
    kind: 'int',
    get: (p) => fromNum(isArp(p) ? (p.arp_op ?? p.nw_proto) : p.nw_proto),
    set: (p, v) => (p.nw_proto = Number(v)),
  },
  {name: 'nw_tos', bits: 8, kind: 'int', get: (p) => fromNum(p.nw_tos), set: (p, v) => (p.nw_tos = Number(v))},
  {
    name: 'ip_dscp',
    bits: 6,
    kind: 'int',
    get: (p) => (p.nw_tos === undefined ? undefined : BigInt(p.nw_tos >> 2)),
    set: (p, v) => (p.nw_tos = (Number(v) << 2) | ((p.nw_tos ?? 0) & 3)),
  },
  {name: 'nw_ttl', bits: 8, kind: 'int', get: (p) => fromNum(p.nw_ttl), set: (p, v) => (p.nw_ttl = Number(v))},
  {name: 'tp_src', bits: 16, kind: 'int', get: (p) => fromNum(p.tp_src), set: (p, v) => (p.tp_src = Number(v))},
  {name: 'tp_dst', bits: 16, kind: 'int', get: (p) => fromNum(p.tp_dst), set: (p, v) => (p.tp_dst = Number(v))},
  {
    name: 'arp_op',
    bits: 16,
    kind: 'int',
    get: (p) => fromNum(p.arp_op ?? (isArp(p) ? p.nw_proto : undefined)),
    set: (p, v) => (p.arp_op = Number(v)),
  },
  {
    name: 'arp_spa',
    bits: 32,
    kind: 'ipv4',
    get: (p) => fromIp4(p.arp_spa ?? (isArp(p) ? p.nw_src : undefined)),
    set: (p, v) => (p.arp_spa = bigIntToIpv4(v)),
  },
  {
    name: 'arp_tpa',
    bits: 32,
    kind: 'ipv4',
    get: (p) => fromIp4(p.arp_tpa ?? (isArp(p) ? p.nw_dst : undefined)),
    set: (p, v) => (p.arp_tpa = bigIntToIpv4(v)),
  },
  {name: 'arp_sha', bits: 48, kind: 'mac', get: (p) => fromMac(p.arp_sha), set: (p, v) => (p.arp_sha = bigIntToMac(v))},
  {name: 'arp_tha', bits: 48, kind: 'mac', get: (p) => fromMac(p.arp_tha), set: (p, v) => (p.arp_tha = bigIntToMac(v))},
  {name: 'ipv6_src', bits: 128, kind: 'ipv6', get: (p) => fromIp6(p.ipv6_src), set: (p, v) => (p.ipv6_src = bigIntToIpv6(v))},
  {name: 'ipv6_dst', bits: 128, kind: 'ipv6', get: (p) => fromIp6(p.ipv6_dst), set: (p, v) => (p.ipv6_dst = bigIntToIpv6(v))},
  {
    name: 'nd_target',
    bits: 128,
    kind: 'ipv6',
    get: (p) => fromIp6(p.nd_target),
    set: (p, v) => (p.nd_target = bigIntToIpv6(v)),
  },
  {name: 'tun_id', bits: 64, kind: 'int', get: (p) => p.tun_id ?? 0n, set: (p, v) => (p.tun_id = v)},
  {name: 'metadata', bits: 64, kind: 'int', get: (p) => p.metadata ?? 0n, set: (p, v) => (p.metadata = v)},
  {name: 'pkt_mark', bits: 32, kind: 'int', get: (p) => BigInt(p.pkt_mark ?? 0), set: (p, v) => (p.pkt_mark = Number(v))},
  // Connection tracking: a packet that has not been through ct() has all-zero ct fields; after ct() they are unknown.
  {name: 'ct_state', bits: 32, kind: 'ct_state', get: () => 0n},
  {name: 'ct_zone', bits: 16, kind: 'int', get: () => 0n},
  {name: 'ct_mark', bits: 32, kind: 'int', get: () => 0n},
  {name: 'ct_label', bits: 128, kind: 'int', get: () => 0n},
  ...Array.from({length: 16}, (_, i) => regDef(i)),
]

const ALIASES: Record<string, string> = {
  eth_src: 'dl_src',
  eth_dst: 'dl_dst',
  eth_type: 'dl_type',
  ip_src: 'nw_src',
  ip_dst: 'nw_dst',
  ipv4_src: 'nw_src',
  ipv4_dst: 'nw_dst',
  ip_proto: 'nw_proto',
  ip_ttl: 'nw_ttl',
  tcp_src: 'tp_src',
  tcp_dst: 'tp_dst',
  udp_src: 'tp_src',
  udp_dst: 'tp_dst',
  sctp_src: 'tp_src',
  sctp_dst: 'tp_dst',
  icmp_type: 'tp_src',
  icmp_code: 'tp_dst',
  icmpv4_type: 'tp_src',
  icmpv4_code: 'tp_dst',
  icmpv6_type: 'tp_src',
  icmpv6_code: 'tp_dst',
  tunnel_id: 'tun_id',
  nxm_of_in_port: 'in_port',
  oxm_of_in_port: 'in_port',
  nxm_of_eth_src: 'dl_src',
  oxm_of_eth_src: 'dl_src',
  nxm_of_eth_dst: 'dl_dst',
  oxm_of_eth_dst: 'dl_dst',
  nxm_of_eth_type: 'dl_type',
  oxm_of_eth_type: 'dl_type',
  nxm_of_vlan_tci: 'vlan_tci',
  oxm_of_vlan_vid: 'vlan_vid',
  oxm_of_vlan_pcp: 'vlan_pcp',
  nxm_of_ip_src: 'nw_src',
  oxm_of_ipv4_src: 'nw_src',
  nxm_of_ip_dst: 'nw_dst',
  oxm_of_ipv4_dst: 'nw_dst',
  nxm_of_ip_proto: 'nw_proto',
  oxm_of_ip_proto: 'nw_proto',
  nxm_of_ip_tos: 'nw_tos',
  nxm_nx_ip_ttl: 'nw_ttl',
  nxm_of_tcp_src: 'tp_src',
  nxm_of_tcp_dst: 'tp_dst',
  nxm_of_udp_src: 'tp_src',
  nxm_of_udp_dst: 'tp_dst',
  oxm_of_tcp_src: 'tp_src',
  oxm_of_tcp_dst: 'tp_dst',
  oxm_of_udp_src: 'tp_src',
  oxm_of_udp_dst: 'tp_dst',
  nxm_of_icmp_type: 'tp_src',
  nxm_of_icmp_code: 'tp_dst',
  nxm_nx_icmpv6_type: 'tp_src',
  nxm_nx_icmpv6_code: 'tp_dst',
  nxm_of_arp_op: 'arp_op',
  oxm_of_arp_op: 'arp_op',
  nxm_of_arp_spa: 'arp_spa',
  oxm_of_arp_spa: 'arp_spa',
  nxm_of_arp_tpa: 'arp_tpa',
  oxm_of_arp_tpa: 'arp_tpa',
  nxm_nx_arp_sha: 'arp_sha',
  oxm_of_arp_sha: 'arp_sha',
  nxm_nx_arp_tha: 'arp_tha',
  oxm_of_arp_tha: 'arp_tha',
  nxm_nx_ipv6_src: 'ipv6_src',
  oxm_of_ipv6_src: 'ipv6_src',
  nxm_nx_ipv6_dst: 'ipv6_dst',
  oxm_of_ipv6_dst: 'ipv6_dst',
  nxm_nx_nd_target: 'nd_target',
  oxm_of_ipv6_nd_target: 'nd_target',
  nxm_nx_tun_id: 'tun_id',
  oxm_of_tunnel_id: 'tun_id',
  oxm_of_metadata: 'metadata',
  nxm_nx_pkt_mark: 'pkt_mark',
  nxm_nx_ct_state: 'ct_state',
  nxm_nx_ct_zone: 'ct_zone',
  nxm_nx_ct_mark: 'ct_mark',
  nxm_nx_ct_label: 'ct_label',
}

const BY_NAME = new Map<string, FieldDef>(DEFS.map((d) => [d.name, d]))

/** Looks a field up under any of its spellings (case-insensitive); undefined for fields the simulator does not model. */
export function lookupField(name: string): FieldDef | undefined {
  const key = name.trim().toLowerCase()
  const reg = /^(?:nxm_nx_)?reg(\d+)$/.exec(key)
  if (reg) return BY_NAME.get(`reg${Number(reg[1])}`)
  return BY_NAME.get(ALIASES[key] ?? key)
}

// ---------------------------------------------------------------------------------------------------------------------
// Values

const CT_FLAGS: Record<string, number> = {new: 0x01, est: 0x02, rel: 0x04, rpl: 0x08, inv: 0x10, trk: 0x20, snat: 0x40, dnat: 0x80}

export function allOnes(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n
}

function parseInteger(text: string): bigint | undefined {
  const t = text.trim()
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t)
  if (/^\d+$/.test(t)) return BigInt(t)
  return undefined
}

/** One value of a field, written as OVS writes that field's values. */
export function parseFieldValue(def: FieldDef, text: string): bigint | undefined {
  const t = text.trim().replace(/^"|"$/g, '')
  switch (def.kind) {
    case 'mac':
      return macToBigInt(t) ?? parseInteger(t)
    case 'ipv4':
      return ipv4ToBigInt(t) ?? parseInteger(t)
    case 'ipv6':
      return ipv6ToBigInt(t) ?? parseInteger(t)
    default:
      return parseInteger(t)
  }
}

function prefixMask(bits: number, prefix: number): bigint {
  if (prefix <= 0) return 0n
  if (prefix >= bits) return allOnes(bits)
  return allOnes(bits) ^ allOnes(bits - prefix)
}

/** `+trk-est` style ct_state flags → value/mask. */
function parseCtFlags(text: string): {value: bigint; mask: bigint} | undefined {
  let value = 0
  let mask = 0
  const re = /([+-])([a-z]+)/g
  let consumed = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const bit = CT_FLAGS[m[2] as string]
    if (bit === undefined) return undefined
    mask |= bit
    if (m[1] === '+') value |= bit
    consumed += m[0].length
  }
  return consumed === text.length && consumed > 0 ? {value: BigInt(value), mask: BigInt(mask)} : undefined
}

/** A match's value and mask for a field; a decimal mask on an address field is a prefix length (CIDR). */
export function parseMasked(def: FieldDef, masked: Masked): {value: bigint; mask: bigint} | undefined {
  let valueText = masked.value
  let maskText = masked.mask
  if (maskText === undefined && valueText.includes('/')) {
    const i = valueText.indexOf('/')
    maskText = valueText.slice(i + 1)
    valueText = valueText.slice(0, i)
  }
  if (def.kind === 'ct_state' && maskText === undefined) {
    const flags = parseCtFlags(valueText.trim())
    if (flags) return flags
  }
  const value = parseFieldValue(def, valueText)
  if (value === undefined) return undefined
  if (maskText === undefined) return {value, mask: allOnes(def.bits)}
  const isAddress = def.kind === 'ipv4' || def.kind === 'ipv6'
  const mask = isAddress && /^\d+$/.test(maskText.trim()) ? prefixMask(def.bits, Number(maskText)) : parseFieldValue(def, maskText)
  if (mask === undefined) return undefined
  return {value: value & mask, mask}
}

// ---------------------------------------------------------------------------------------------------------------------
// Sub-fields: NXM_NX_REG0[0..15], reg1[], OXM_OF_METADATA[32..63], NXM_OF_VLAN_TCI[0..11], tun_id[5]

export interface SubField {
  /** As written, for messages. */
  text: string
  /** undefined when the field is not one the simulator models. */
  def?: FieldDef
  start: number
  bits: number
}

export function parseSubField(text: string): SubField | undefined {
  const m = /^\s*([A-Za-z0-9_]+)\s*(?:\[\s*(?:(\d+)(?:\s*\.\.\s*(\d+))?)?\s*\])?\s*$/.exec(text)
  if (!m) return undefined
  const def = lookupField(m[1] as string)
  const start = m[2] === undefined ? 0 : Number(m[2])
  const end = m[2] === undefined ? undefined : m[3] === undefined ? start : Number(m[3])
  if (end !== undefined && end < start) return undefined
  const bits = end === undefined ? (def?.bits ?? 0) : end - start + 1
  return {text: text.trim(), def, start, bits}
}

export function readSubField(packet: Packet, sub: SubField): bigint | undefined {
  const whole = sub.def?.get(packet)
  if (whole === undefined) return undefined
  return (whole >> BigInt(sub.start)) & allOnes(sub.bits)
}

/** Writes `value` into the sub-field; returns false when the field cannot be written. */
export function writeSubField(packet: Packet, sub: SubField, value: bigint): boolean {
  const def = sub.def
  if (!def?.set) return false
  const current = def.get(packet) ?? 0n
  const mask = allOnes(sub.bits) << BigInt(sub.start)
  def.set(packet, (current & ~mask) | ((value << BigInt(sub.start)) & mask))
  return true
}
