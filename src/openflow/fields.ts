// Every OpenFlow field neutrace knows, once, under every spelling OVS prints: the ovs-ofctl name a match uses (dl_src),
// its OXM-style aliases (eth_src) and its NXM/OXM names in load/move/learn (NXM_OF_ETH_SRC[], OXM_OF_ETH_SRC[]).
// The parser, the simulator and the analyzers all read this one table.

import type {SubFieldRef} from './types.js'

export type FieldKind = 'mac' | 'ipv4' | 'ipv6' | 'int' | 'ct_state' | 'frag'

export interface FieldInfo {
  /** The name neutrace writes in a normalised match (the ovs-ofctl / NXM-era spelling). */
  name: string
  bits: number
  kind: FieldKind
  /** Other names a match may use for it (OF1.2+ OXM spellings). */
  aliases: string[]
  /** Its NXM/OXM names, as load, move, learn() and set_field print them (without the `[]`). */
  nxm: string[]
  /**
   * Where OVS keeps its bits when it is a view of another field. A match names ICMP type and code `icmp_type` and
   * `icmp_code`, but OVS stores them, unchanged, in tp_src and tp_dst, and NXM_OF_ICMP_TYPE[] reads tp_src: both
   * facts are here.
   */
  storedIn?: string
}

const field = (
  name: string,
  bits: number,
  kind: FieldKind,
  aliases: string[],
  nxm: string[],
  storedIn?: string,
): FieldInfo => (storedIn === undefined ? {name, bits, kind, aliases, nxm} : {name, bits, kind, aliases, nxm, storedIn})

export const FIELDS: readonly FieldInfo[] = [
  field('in_port', 32, 'int', ['in_port_oxm'], ['NXM_OF_IN_PORT', 'OXM_OF_IN_PORT']),
  field('dl_src', 48, 'mac', ['eth_src'], ['NXM_OF_ETH_SRC', 'OXM_OF_ETH_SRC']),
  field('dl_dst', 48, 'mac', ['eth_dst'], ['NXM_OF_ETH_DST', 'OXM_OF_ETH_DST']),
  field('dl_type', 16, 'int', ['eth_type'], ['NXM_OF_ETH_TYPE', 'OXM_OF_ETH_TYPE']),
  // The 802.1Q header: vlan_tci is the whole TCI; dl_vlan (OF1.0 VID), vlan_vid (OXM: CFI bit + VID) and dl_vlan_pcp
  // are views of its bits, each with its own layout (vlan.ts maps them onto the TCI).
  field('vlan_tci', 16, 'int', [], ['NXM_OF_VLAN_TCI']),
  field('vlan_vid', 13, 'int', [], ['OXM_OF_VLAN_VID']),
  field('dl_vlan', 12, 'int', [], []),
  field('dl_vlan_pcp', 3, 'int', ['vlan_pcp'], ['OXM_OF_VLAN_PCP']),
  field('nw_src', 32, 'ipv4', ['ip_src', 'ipv4_src'], ['NXM_OF_IP_SRC', 'OXM_OF_IPV4_SRC']),
  field('nw_dst', 32, 'ipv4', ['ip_dst', 'ipv4_dst'], ['NXM_OF_IP_DST', 'OXM_OF_IPV4_DST']),
  field('nw_proto', 8, 'int', ['ip_proto'], ['NXM_OF_IP_PROTO', 'OXM_OF_IP_PROTO']),
  field('nw_tos', 8, 'int', [], ['NXM_OF_IP_TOS']),
  field('ip_dscp', 6, 'int', [], ['OXM_OF_IP_DSCP']),
  field('nw_ecn', 2, 'int', ['ip_ecn'], ['NXM_NX_IP_ECN', 'OXM_OF_IP_ECN']),
  field('nw_ttl', 8, 'int', ['ip_ttl'], ['NXM_NX_IP_TTL']),
  field('nw_frag', 8, 'frag', ['ip_frag'], ['NXM_NX_IP_FRAG']),
  field(
    'tp_src',
    16,
    'int',
    ['tcp_src', 'udp_src', 'sctp_src'],
    ['NXM_OF_TCP_SRC', 'NXM_OF_UDP_SRC', 'OXM_OF_TCP_SRC', 'OXM_OF_UDP_SRC', 'OXM_OF_SCTP_SRC'],
  ),
  field(
    'tp_dst',
    16,
    'int',
    ['tcp_dst', 'udp_dst', 'sctp_dst'],
    ['NXM_OF_TCP_DST', 'NXM_OF_UDP_DST', 'OXM_OF_TCP_DST', 'OXM_OF_UDP_DST', 'OXM_OF_SCTP_DST'],
  ),
  field(
    'icmp_type',
    8,
    'int',
    ['icmpv4_type', 'icmpv6_type'],
    ['NXM_OF_ICMP_TYPE', 'NXM_NX_ICMPV6_TYPE', 'OXM_OF_ICMPV4_TYPE', 'OXM_OF_ICMPV6_TYPE'],
    'tp_src',
  ),
  field(
    'icmp_code',
    8,
    'int',
    ['icmpv4_code', 'icmpv6_code'],
    ['NXM_OF_ICMP_CODE', 'NXM_NX_ICMPV6_CODE', 'OXM_OF_ICMPV4_CODE', 'OXM_OF_ICMPV6_CODE'],
    'tp_dst',
  ),
  // In OVS the ARP opcode and sender/target addresses are matched as arp_op/arp_spa/arp_tpa and live in nw_proto,
  // nw_src and nw_dst (the simulator's packet keeps both).
  field('arp_op', 16, 'int', [], ['NXM_OF_ARP_OP', 'OXM_OF_ARP_OP']),
  field('arp_spa', 32, 'ipv4', [], ['NXM_OF_ARP_SPA', 'OXM_OF_ARP_SPA']),
  field('arp_tpa', 32, 'ipv4', [], ['NXM_OF_ARP_TPA', 'OXM_OF_ARP_TPA']),
  field('arp_sha', 48, 'mac', [], ['NXM_NX_ARP_SHA', 'OXM_OF_ARP_SHA']),
  field('arp_tha', 48, 'mac', [], ['NXM_NX_ARP_THA', 'OXM_OF_ARP_THA']),
  field('ipv6_src', 128, 'ipv6', [], ['NXM_NX_IPV6_SRC', 'OXM_OF_IPV6_SRC']),
  field('ipv6_dst', 128, 'ipv6', [], ['NXM_NX_IPV6_DST', 'OXM_OF_IPV6_DST']),
  field('nd_target', 128, 'ipv6', [], ['NXM_NX_ND_TARGET', 'OXM_OF_IPV6_ND_TARGET']),
  // Tunnel metadata: set by set_tunnel / set_field, matched on br-tun, carried by learn().
  field('tun_id', 64, 'int', ['tunnel_id'], ['NXM_NX_TUN_ID', 'OXM_OF_TUNNEL_ID']),
  field('tun_src', 32, 'ipv4', ['tun_ipv4_src'], ['NXM_NX_TUN_IPV4_SRC']),
  field('tun_dst', 32, 'ipv4', ['tun_ipv4_dst'], ['NXM_NX_TUN_IPV4_DST']),
  field('metadata', 64, 'int', [], ['OXM_OF_METADATA']),
  field('pkt_mark', 32, 'int', [], ['NXM_NX_PKT_MARK']),
  field('ct_state', 32, 'ct_state', [], ['NXM_NX_CT_STATE']),
  field('ct_zone', 16, 'int', [], ['NXM_NX_CT_ZONE']),
  field('ct_mark', 32, 'int', [], ['NXM_NX_CT_MARK']),
  field('ct_label', 128, 'int', [], ['NXM_NX_CT_LABEL']),
  ...Array.from({length: 16}, (_, i) => field(`reg${i}`, 32, 'int', [], [`NXM_NX_REG${i}`])),
  ...Array.from({length: 8}, (_, i) => field(`xreg${i}`, 64, 'int', [], [`NXM_NX_XREG${i}`, `OXM_OF_PKT_REG${i}`])),
]

/** Every spelling, lower case -> the field. */
const BY_SPELLING = new Map<string, FieldInfo>()
/** Match spellings only (what a dump's match may say) -> canonical name. */
const MATCH_NAMES = new Map<string, string>()
for (const f of FIELDS) {
  for (const name of [f.name, ...f.aliases]) {
    BY_SPELLING.set(name, f)
    MATCH_NAMES.set(name, f.name)
  }
  for (const name of f.nxm) BY_SPELLING.set(name.toLowerCase(), f)
}

/** The field under any of its spellings (case-insensitive); undefined for fields neutrace does not know. */
export function fieldInfo(name: string): FieldInfo | undefined {
  return BY_SPELLING.get(name) ?? BY_SPELLING.get(name.trim().toLowerCase())
}

/** The name a normalised match uses for a match key (`eth_src` -> `dl_src`); unknown keys are kept as they are. */
export function canonicalField(name: string): string {
  return MATCH_NAMES.get(name) ?? name
}

/** The field whose bits hold this one (`icmp_type` -> `tp_src`); itself otherwise. */
export function storageOf(info: FieldInfo): FieldInfo {
  return info.storedIn === undefined ? info : (BY_SPELLING.get(info.storedIn) ?? info)
}

// ---------------------------------------------------------------------------------------------------------------------
// Protocol shorthands

/** A protocol shorthand of a match: the dl_type and nw_proto it stands for. */
export interface Shorthand {
  dlType: number
  nwProto?: number
}

export const ETH_TYPE_IP = 0x0800
export const ETH_TYPE_ARP = 0x0806
export const ETH_TYPE_RARP = 0x8035
export const ETH_TYPE_IPV6 = 0x86dd
export const ETH_TYPE_VLAN = 0x8100

export const SHORTHANDS: Readonly<Record<string, Shorthand>> = {
  ip: {dlType: ETH_TYPE_IP},
  ipv6: {dlType: ETH_TYPE_IPV6},
  arp: {dlType: ETH_TYPE_ARP},
  rarp: {dlType: ETH_TYPE_RARP},
  mpls: {dlType: 0x8847},
  mplsm: {dlType: 0x8848},
  icmp: {dlType: ETH_TYPE_IP, nwProto: 1},
  igmp: {dlType: ETH_TYPE_IP, nwProto: 2},
  tcp: {dlType: ETH_TYPE_IP, nwProto: 6},
  udp: {dlType: ETH_TYPE_IP, nwProto: 17},
  sctp: {dlType: ETH_TYPE_IP, nwProto: 132},
  icmp6: {dlType: ETH_TYPE_IPV6, nwProto: 58},
  tcp6: {dlType: ETH_TYPE_IPV6, nwProto: 6},
  udp6: {dlType: ETH_TYPE_IPV6, nwProto: 17},
  sctp6: {dlType: ETH_TYPE_IPV6, nwProto: 132},
}

export function shorthand(name: string): Shorthand | undefined {
  return Object.hasOwn(SHORTHANDS, name) ? SHORTHANDS[name] : undefined
}

export function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`
}

// ---------------------------------------------------------------------------------------------------------------------
// Sub-fields: NXM_NX_REG0[0..15], reg1[], OXM_OF_METADATA[32..63], NXM_OF_VLAN_TCI[0..11], tun_id[5]

/** A (sub-)field reference as load, move and learn() write it; undefined when it is not one. */
export function parseSubFieldRef(text: string): SubFieldRef | undefined {
  const t = text.trim()
  const open = t.indexOf('[')
  const name = open < 0 ? t : t.slice(0, open)
  if (name === '' || !/^[A-Za-z0-9_]+$/.test(name)) return undefined
  const info = fieldInfo(name)
  const ref: SubFieldRef = {text: t, field: info?.name ?? name, known: info !== undefined, start: 0}
  if (open < 0) return ref
  if (!t.endsWith(']')) return undefined
  const range = t.slice(open + 1, -1).trim()
  if (range === '') return ref
  const dots = range.indexOf('..')
  const first = Number(dots < 0 ? range : range.slice(0, dots).trim())
  const last = dots < 0 ? first : Number(range.slice(dots + 2).trim())
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last < first || last > 1023) return undefined
  if (!/^\d/.test(range) || (dots >= 0 && !/^\s*\d+$/.test(range.slice(dots + 2)))) return undefined
  ref.start = first
  ref.bits = last - first + 1
  return ref
}
