// The packet the simulator moves through a bridge: plain data, the same fields OVS's `struct flow` carries for the
// protocols Neutron's flows look at. Field names follow ovs-ofctl (in_port, dl_src, nw_src, tp_dst, ...).

import {ETH_TYPE_ARP, ETH_TYPE_IPV6, ETH_TYPE_RARP} from '../openflow/fields.js'
import {macToBigInt} from '../openflow/values.js'

/** One 802.1Q header. `vid` 0 with the header present is a priority tag. */
export interface VlanTag {
  vid: number
  pcp: number
}

export interface Packet {
  /** OpenFlow port number the packet entered on. */
  in_port: number
  dl_src: string
  dl_dst: string
  /** Ethertype of the payload (after any VLAN headers), as OVS's dl_type. 0 = none given (like ofproto/trace). */
  dl_type: number
  /** Outer 802.1Q header; undefined = untagged. */
  vlan?: VlanTag
  /** Further headers below the outer one (QinQ), outermost first. Rare. */
  innerVlans?: VlanTag[]
  nw_src?: string
  nw_dst?: string
  nw_proto?: number
  nw_tos?: number
  nw_ttl?: number
  ipv6_src?: string
  ipv6_dst?: string
  nd_target?: string
  /** TCP/UDP ports, or ICMP type (tp_src) and code (tp_dst) as OVS stores them. */
  tp_src?: number
  tp_dst?: number
  arp_op?: number
  arp_spa?: string
  arp_tpa?: string
  arp_sha?: string
  arp_tha?: string
  /** Tunnel id; OVS starts every packet with 0. */
  tun_id?: bigint
  metadata?: bigint
  /** reg0..reg15 by index; missing entries are 0, as OVS starts them. */
  regs?: number[]
  pkt_mark?: number
  /** Connection tracking fields after ct(table=N) recirculated the packet (0 = untracked, as OVS starts them). */
  ct_state?: number
  ct_zone?: number
  ct_mark?: number
}

export {ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_RARP, ETH_TYPE_VLAN} from '../openflow/fields.js'

/** A deep copy of plain data: the scalars copied at once, the nested values (VLAN tags, registers) copied in turn. */
export function clonePacket(packet: Packet): Packet {
  // The own fields in one spread (the traces' most frequent copy); only object-valued ones need a deeper copy.
  const copy: Record<string, unknown> = {...packet}
  for (const k in copy) {
    const v = copy[k]
    if (typeof v === 'object' && v !== null) copy[k] = copyData(v)
  }
  return copy as unknown as Packet
}

function copyData(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(copyData)
  // Own enumerable string keys in order, as Object.entries gives them, without an array of pairs per object.
  const from = value as Record<string, unknown>
  const copy: Record<string, unknown> = {}
  for (const k of Object.keys(from)) {
    const v = from[k]
    copy[k] = typeof v === 'object' && v !== null ? copyData(v) : v
  }
  return copy
}

/** A packet with the fields a caller gives and OVS's defaults for the rest. */
export function makePacket(fields: Partial<Packet> & Pick<Packet, 'in_port'>): Packet {
  return {dl_src: '00:00:00:00:00:00', dl_dst: '00:00:00:00:00:00', dl_type: 0, ...fields}
}

/** The whole VLAN stack, outermost first. */
export function vlanStack(packet: Packet): VlanTag[] {
  return packet.vlan ? [packet.vlan, ...(packet.innerVlans ?? [])] : []
}

export function setVlanStack(packet: Packet, stack: VlanTag[]): void {
  const [outer, ...inner] = stack
  if (outer) packet.vlan = {...outer}
  else delete packet.vlan
  if (inner.length > 0) packet.innerVlans = inner.map((tag) => ({...tag}))
  else delete packet.innerVlans
}

/** The outer TCI as OVS matches it: CFI bit (0x1000) set when a header is present. */
export function vlanTci(packet: Packet): number {
  const tag = packet.vlan
  return tag ? 0x1000 | ((tag.pcp & 7) << 13) | (tag.vid & 0xfff) : 0
}

export function tciToVlan(tci: number): VlanTag | undefined {
  return tci & 0x1000 ? {vid: tci & 0xfff, pcp: (tci >> 13) & 7} : undefined
}

export function describeVlan(tag: VlanTag | undefined): string {
  if (!tag) return 'untagged'
  return tag.pcp ? `VLAN ${tag.vid} (pcp ${tag.pcp})` : `VLAN ${tag.vid}`
}

// ---------------------------------------------------------------------------------------------------------------------
// Addresses as integers (src/openflow/values.ts), so that masked matches and bit-slice loads work the same for every
// field.

export {bigIntToIpv4, bigIntToIpv6, bigIntToMac, ipv4ToBigInt, ipv6ToBigInt, macToBigInt} from '../openflow/values.js'

export function isMulticastMac(mac: string): boolean {
  const n = macToBigInt(mac)
  return n !== undefined && (n & (1n << 40n)) !== 0n
}

/** 01:80:c2:00:00:00 – 01:80:c2:00:00:0f (STP, LACP, LLDP ...): NORMAL drops these unless other-config:forward-bpdu. */
export function isReservedMac(mac: string): boolean {
  const n = macToBigInt(mac)
  return n !== undefined && n >> 4n === 0x0180c200000n
}

// ---------------------------------------------------------------------------------------------------------------------

const L4_NAMES: Record<number, [string, string]> = {
  1: ['icmp_type', 'icmp_code'],
  6: ['tcp_src', 'tcp_dst'],
  17: ['udp_src', 'udp_dst'],
  58: ['icmpv6_type', 'icmpv6_code'],
  132: ['sctp_src', 'sctp_dst'],
}

/**
 * The packet in `ovs-appctl ofproto/trace` flow syntax, so the same packet can be given to OVS and to the simulator.
 * Only fields the packet carries are written.
 */
export function packetToTraceFlow(packet: Packet): string {
  const parts: string[] = [`in_port=${packet.in_port}`]
  if (packet.vlan) parts.push(`dl_vlan=${packet.vlan.vid}`, `dl_vlan_pcp=${packet.vlan.pcp}`)
  parts.push(
    `dl_src=${packet.dl_src}`,
    `dl_dst=${packet.dl_dst}`,
    `dl_type=0x${packet.dl_type.toString(16).padStart(4, '0')}`,
  )
  const isArp = packet.dl_type === ETH_TYPE_ARP || packet.dl_type === ETH_TYPE_RARP
  const put = (name: string, value: string | number | bigint | undefined): void => {
    if (value !== undefined) parts.push(`${name}=${typeof value === 'bigint' ? `0x${value.toString(16)}` : value}`)
  }
  if (isArp) {
    put('arp_op', packet.arp_op ?? packet.nw_proto)
    put('arp_spa', packet.arp_spa ?? packet.nw_src)
    put('arp_tpa', packet.arp_tpa ?? packet.nw_dst)
    put('arp_sha', packet.arp_sha)
    put('arp_tha', packet.arp_tha)
  } else if (packet.dl_type === ETH_TYPE_IPV6) {
    put('ipv6_src', packet.ipv6_src)
    put('ipv6_dst', packet.ipv6_dst)
    put('nw_proto', packet.nw_proto)
  } else {
    put('nw_src', packet.nw_src)
    put('nw_dst', packet.nw_dst)
    put('nw_proto', packet.nw_proto)
    put('nw_tos', packet.nw_tos)
  }
  if (packet.nw_ttl !== undefined && !isArp) put('nw_ttl', packet.nw_ttl)
  // ofproto/trace wants the L4 field names of the protocol (it refuses tp_src on an IP packet).
  const l4 = L4_NAMES[packet.nw_proto ?? -1]
  if (l4 && !isArp) {
    put(l4[0], packet.tp_src)
    put(l4[1], packet.tp_dst)
  }
  put('nd_target', packet.nd_target)
  if (packet.tun_id) put('tun_id', packet.tun_id)
  if (packet.metadata) put('metadata', packet.metadata)
  packet.regs?.forEach((value, i) => {
    if (value) put(`reg${i}`, `0x${(value >>> 0).toString(16)}`)
  })
  if (packet.pkt_mark) put('pkt_mark', packet.pkt_mark)
  return parts.join(',')
}
