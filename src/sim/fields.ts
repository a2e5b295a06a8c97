// How the simulator reads and writes each OpenFlow field on its packet. Which fields exist, their spellings, widths and
// value syntax are src/openflow/'s (one table); this file only binds them to the packet, as unsigned integers so that
// masks and bit slices work uniformly.

import {type FieldKind, FIELDS, allOnes, fieldInfo, parseSubFieldRef, storageOf} from '../openflow/index.js'
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

export {allOnes, parseFieldValue, parseMasked} from '../openflow/index.js'

export interface FieldDef {
  /** Canonical (ovs-ofctl) name. */
  name: string
  bits: number
  kind: FieldKind
  /** The value, or undefined when this packet does not carry the field. */
  get(packet: Packet): bigint | undefined
  set?(packet: Packet, value: bigint): void
}

type Access = Pick<FieldDef, 'get' | 'set'>

const isArp = (p: Packet): boolean => p.dl_type === ETH_TYPE_ARP || p.dl_type === ETH_TYPE_RARP

const fromMac = (mac: string | undefined): bigint | undefined => (mac === undefined ? undefined : macToBigInt(mac))
const fromIp4 = (ip: string | undefined): bigint | undefined => (ip === undefined ? undefined : ipv4ToBigInt(ip))
const fromIp6 = (ip: string | undefined): bigint | undefined => (ip === undefined ? undefined : ipv6ToBigInt(ip))
const fromNum = (n: number | undefined): bigint | undefined => (n === undefined ? undefined : BigInt(n))

function regAccess(i: number): Access {
  return {
    get: (p) => BigInt((p.regs?.[i] ?? 0) >>> 0),
    set: (p, v) => {
      const regs = [...(p.regs ?? [])]
      while (regs.length < i) regs.push(0)
      regs[i] = Number(v & 0xffffffffn)
      p.regs = regs
    },
  }
}

const ACCESS: Record<string, Access> = {
  in_port: {get: (p) => BigInt(p.in_port), set: (p, v) => (p.in_port = Number(v))},
  dl_src: {get: (p) => fromMac(p.dl_src), set: (p, v) => (p.dl_src = bigIntToMac(v))},
  dl_dst: {get: (p) => fromMac(p.dl_dst), set: (p, v) => (p.dl_dst = bigIntToMac(v))},
  dl_type: {get: (p) => BigInt(p.dl_type), set: (p, v) => (p.dl_type = Number(v))},
  // The header-level VLAN fields: writing them edits the packet's outer 802.1Q header.
  vlan_tci: {
    get: (p) => BigInt(vlanTci(p)),
    set: (p, v) => {
      const tag = tciToVlan(Number(v))
      const inner = vlanStack(p).slice(1)
      setVlanStack(p, tag ? [tag, ...inner] : inner)
    },
  },
  vlan_vid: {
    // OXM VLAN_VID: 13 bits, the CFI ("present") bit on top of the VID.
    get: (p) => BigInt(vlanTci(p) & 0x1fff),
    set: (p, v) => {
      const present = (v & 0x1000n) !== 0n
      const stack = vlanStack(p)
      if (!present) setVlanStack(p, stack.slice(1))
      else setVlanStack(p, [{vid: Number(v & 0xfffn), pcp: stack[0]?.pcp ?? 0}, ...stack.slice(1)])
    },
  },
  dl_vlan_pcp: {
    get: (p) => (p.vlan ? BigInt(p.vlan.pcp) : undefined),
    set: (p, v) => {
      const stack = vlanStack(p)
      setVlanStack(p, [{vid: stack[0]?.vid ?? 0, pcp: Number(v & 7n)}, ...stack.slice(1)])
    },
  },
  // In OVS the ARP sender/target addresses and opcode live in nw_src/nw_dst/nw_proto.
  nw_src: {
    get: (p) => fromIp4(isArp(p) ? (p.arp_spa ?? p.nw_src) : p.nw_src),
    set: (p, v) => (isArp(p) ? (p.arp_spa = bigIntToIpv4(v)) : (p.nw_src = bigIntToIpv4(v))),
  },
  nw_dst: {
    get: (p) => fromIp4(isArp(p) ? (p.arp_tpa ?? p.nw_dst) : p.nw_dst),
    set: (p, v) => (isArp(p) ? (p.arp_tpa = bigIntToIpv4(v)) : (p.nw_dst = bigIntToIpv4(v))),
  },
  nw_proto: {
    get: (p) => fromNum(isArp(p) ? (p.arp_op ?? p.nw_proto) : p.nw_proto),
    set: (p, v) => (p.nw_proto = Number(v)),
  },
  nw_tos: {get: (p) => fromNum(p.nw_tos), set: (p, v) => (p.nw_tos = Number(v))},
  ip_dscp: {
    get: (p) => (p.nw_tos === undefined ? undefined : BigInt(p.nw_tos >> 2)),
    set: (p, v) => (p.nw_tos = (Number(v) << 2) | ((p.nw_tos ?? 0) & 3)),
  },
  nw_ttl: {get: (p) => fromNum(p.nw_ttl), set: (p, v) => (p.nw_ttl = Number(v))},
  tp_src: {get: (p) => fromNum(p.tp_src), set: (p, v) => (p.tp_src = Number(v))},
  tp_dst: {get: (p) => fromNum(p.tp_dst), set: (p, v) => (p.tp_dst = Number(v))},
  arp_op: {get: (p) => fromNum(p.arp_op ?? (isArp(p) ? p.nw_proto : undefined)), set: (p, v) => (p.arp_op = Number(v))},
  arp_spa: {
    get: (p) => fromIp4(p.arp_spa ?? (isArp(p) ? p.nw_src : undefined)),
    set: (p, v) => (p.arp_spa = bigIntToIpv4(v)),
  },
  arp_tpa: {
    get: (p) => fromIp4(p.arp_tpa ?? (isArp(p) ? p.nw_dst : undefined)),
    set: (p, v) => (p.arp_tpa = bigIntToIpv4(v)),
  },
  arp_sha: {get: (p) => fromMac(p.arp_sha), set: (p, v) => (p.arp_sha = bigIntToMac(v))},
  arp_tha: {get: (p) => fromMac(p.arp_tha), set: (p, v) => (p.arp_tha = bigIntToMac(v))},
  ipv6_src: {get: (p) => fromIp6(p.ipv6_src), set: (p, v) => (p.ipv6_src = bigIntToIpv6(v))},
  ipv6_dst: {get: (p) => fromIp6(p.ipv6_dst), set: (p, v) => (p.ipv6_dst = bigIntToIpv6(v))},
  nd_target: {get: (p) => fromIp6(p.nd_target), set: (p, v) => (p.nd_target = bigIntToIpv6(v))},
  tun_id: {get: (p) => p.tun_id ?? 0n, set: (p, v) => (p.tun_id = v)},
  metadata: {get: (p) => p.metadata ?? 0n, set: (p, v) => (p.metadata = v)},
  pkt_mark: {get: (p) => BigInt(p.pkt_mark ?? 0), set: (p, v) => (p.pkt_mark = Number(v))},
  // Connection tracking: a packet that has not been through ct() has all-zero ct fields; ct(table=N) sets them (with a
  // connection tracker for the trace, src/sim/conntrack.ts) or leaves them unknown (tainted).
  ct_state: {get: (p) => BigInt(p.ct_state ?? 0)},
  ct_zone: {get: (p) => BigInt(p.ct_zone ?? 0)},
  ct_mark: {get: (p) => BigInt(p.ct_mark ?? 0)},
  ct_label: {get: () => 0n},
  ...Object.fromEntries(Array.from({length: 16}, (_, i) => [`reg${i}`, regAccess(i)])),
}

const DEFS = new Map<string, FieldDef>()
for (const info of FIELDS) {
  const access = ACCESS[info.name]
  if (access) DEFS.set(info.name, {name: info.name, bits: info.bits, kind: info.kind, ...access})
}

/**
 * Looks a field up under any of its spellings (case-insensitive); undefined for fields the simulator does not model.
 */
export function lookupField(name: string): FieldDef | undefined {
  const info = fieldInfo(name)
  return info && (DEFS.get(info.name) ?? DEFS.get(storageOf(info).name))
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
  const ref = parseSubFieldRef(text)
  if (!ref) return undefined
  const def = lookupField(ref.field)
  return {text: ref.text, def, start: ref.start, bits: ref.bits ?? def?.bits ?? 0}
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
