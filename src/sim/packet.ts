// The packet the simulator moves through a bridge: plain data, the same fields OVS's `struct flow` carries for the
// protocols Neutron's flows look at. Field names follow ovs-ofctl (in_port, dl_src, nw_src, tp_dst, ...).

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
}

export const ETH_TYPE_IP = 0x0800
export const ETH_TYPE_ARP = 0x0806
export const ETH_TYPE_RARP = 0x8035
export const ETH_TYPE_IPV6 = 0x86dd
export const ETH_TYPE_VLAN = 0x8100
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff'

export function clonePacket(packet: Packet): Packet {
  return structuredClone(packet)
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
// Addresses as integers, so that masked matches and bit-slice loads work the same for every field.

export function macToBigInt(mac: string): bigint | undefined {
  const parts = mac.trim().split(/[:-]/)
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(parseInt(p, 16)), 0n)
}

export function bigIntToMac(value: bigint): string {
  const bytes: string[] = []
  for (let i = 5; i >= 0; i--) bytes.push(((value >> BigInt(i * 8)) & 0xffn).toString(16).padStart(2, '0'))
  return bytes.join(':')
}

export function ipv4ToBigInt(ip: string): bigint | undefined {
  const parts = ip.trim().split('.')
  if (parts.length !== 4) return undefined
  let acc = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    acc = (acc << 8n) | BigInt(Number(p))
  }
  return acc
}

export function bigIntToIpv4(value: bigint): string {
  return [24, 16, 8, 0].map((shift) => Number((value >> BigInt(shift)) & 0xffn)).join('.')
}

export function ipv6ToBigInt(ip: string): bigint | undefined {
  let text = ip.trim()
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const n = ipv4ToBigInt(v4[1] as string)
    if (n === undefined) return undefined
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (s: string): bigint[] | undefined => {
    if (s === '') return []
    const groups = s.split(':')
    if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined
    return groups.map((g) => BigInt(parseInt(g, 16)))
  }
  const head = parse(halves[0] as string)
  const rest = halves.length === 2 ? parse(halves[1] as string) : []
  if (!head || !rest) return undefined
  const known = head.length + rest.length
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined
  const groups = [...head, ...Array<bigint>(8 - known).fill(0n), ...rest]
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n)
}

export function bigIntToIpv6(value: bigint): string {
  const groups: string[] = []
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16))
  // Compress the longest run of zero groups, as inet_ntop does.
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > bestLen && j - i > 1) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  if (best < 0) return groups.join(':')
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
}

export function isMulticastMac(mac: string): boolean {
  const n = macToBigInt(mac)
  return n !== undefined && (n & (1n << 40n)) !== 0n
}

export function isBroadcastMac(mac: string): boolean {
  return macToBigInt(mac) === 0xffffffffffffn
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
  parts.push(`dl_src=${packet.dl_src}`, `dl_dst=${packet.dl_dst}`, `dl_type=0x${packet.dl_type.toString(16).padStart(4, '0')}`)
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
