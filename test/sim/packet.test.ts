import {describe, expect, it} from 'vitest'
import {
  bigIntToIpv6,
  bigIntToMac,
  clonePacket,
  ipv4ToBigInt,
  ipv6ToBigInt,
  isMulticastMac,
  isReservedMac,
  macToBigInt,
  makePacket,
  packetToTraceFlow,
  setVlanStack,
  vlanStack,
  vlanTci,
} from '../../src/sim/packet.js'

describe('addresses', () => {
  it('MACs round-trip and classify', () => {
    expect(bigIntToMac(macToBigInt('FA:16:3E:4A:5B:6C') ?? 0n)).toBe('fa:16:3e:4a:5b:6c')
    expect(macToBigInt('fa:16:3e:4a:5b')).toBeUndefined()
    expect(isMulticastMac('ff:ff:ff:ff:ff:ff')).toBe(true)
    expect(isMulticastMac('01:00:5e:00:00:01')).toBe(true)
    expect(isMulticastMac('fa:16:3e:4a:5b:6c')).toBe(false)
    expect(isReservedMac('01:80:c2:00:00:0e')).toBe(true)
    expect(isReservedMac('01:80:c2:00:00:10')).toBe(false)
  })
  it('IPv4 and IPv6', () => {
    expect(ipv4ToBigInt('10.0.0.5')).toBe(0x0a000005n)
    expect(ipv4ToBigInt('10.0.0.256')).toBeUndefined()
    expect(ipv6ToBigInt('::1')).toBe(1n)
    expect(ipv6ToBigInt('fe80::f816:3eff:fe4a:5b6c')).toBe(0xfe80000000000000f8163efffe4a5b6cn)
    expect(ipv6ToBigInt('::ffff:10.0.0.1')).toBe(0xffff0a000001n)
    expect(ipv6ToBigInt('1:2:3')).toBeUndefined()
    expect(ipv6ToBigInt('1::2::3')).toBeUndefined()
    expect(bigIntToIpv6(0xfe80000000000000f8163efffe4a5b6cn)).toBe('fe80::f816:3eff:fe4a:5b6c')
    expect(bigIntToIpv6(0n)).toBe('::')
  })
})

describe('VLAN helpers', () => {
  it('TCI has the CFI bit when tagged', () => {
    expect(vlanTci(makePacket({in_port: 1}))).toBe(0)
    expect(vlanTci(makePacket({in_port: 1, vlan: {vid: 100, pcp: 5}}))).toBe(0xb064)
  })
  it('stack edits keep outer and inner headers apart', () => {
    const p = makePacket({in_port: 1})
    setVlanStack(p, [
      {vid: 1, pcp: 0},
      {vid: 2, pcp: 0},
    ])
    expect(p.vlan).toEqual({vid: 1, pcp: 0})
    expect(vlanStack(p)).toHaveLength(2)
    setVlanStack(p, [])
    expect(p.vlan).toBeUndefined()
    expect(p.innerVlans).toBeUndefined()
  })
  it('clones deeply', () => {
    const p = makePacket({in_port: 1, vlan: {vid: 1, pcp: 0}, regs: [1], tun_id: 5n})
    const c = clonePacket(p)
    c.vlan!.vid = 9
    c.regs![0] = 7
    expect(p.vlan?.vid).toBe(1)
    expect(p.regs?.[0]).toBe(1)
    expect(c.tun_id).toBe(5n)
  })
})

describe('packetToTraceFlow', () => {
  it('writes the ofproto/trace flow for a tagged UDP packet', () => {
    const p = makePacket({
      in_port: 1,
      vlan: {vid: 1000, pcp: 0},
      dl_src: 'fa:16:3e:fe:c7:87',
      dl_dst: 'ff:ff:ff:ff:ff:ff',
      dl_type: 0x0800,
      nw_src: '0.0.0.0',
      nw_dst: '255.255.255.255',
      nw_proto: 17,
      tp_src: 68,
      tp_dst: 67,
    })
    expect(packetToTraceFlow(p)).toBe(
      'in_port=1,dl_vlan=1000,dl_vlan_pcp=0,dl_src=fa:16:3e:fe:c7:87,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0800,nw_src=0.0.0.0,nw_dst=255.255.255.255,nw_proto=17,udp_src=68,udp_dst=67',
    )
  })
  it('uses arp_* names for ARP and writes registers and tun_id', () => {
    const p = makePacket({
      in_port: 2,
      dl_type: 0x0806,
      arp_op: 1,
      arp_spa: '10.0.0.5',
      arp_tpa: '10.0.0.1',
      tun_id: 0x3e9n,
      regs: [0, 5],
    })
    const text = packetToTraceFlow(p)
    expect(text).toContain('arp_op=1,arp_spa=10.0.0.5,arp_tpa=10.0.0.1')
    expect(text).toContain('tun_id=0x3e9')
    expect(text).toContain('reg1=0x5')
    expect(text).not.toContain('reg0')
  })
})
