import {describe, expect, it} from 'vitest'
import {matchFlow} from '../../src/sim/match.js'
import {lookupField, parseMasked, parseSubField} from '../../src/sim/fields.js'
import {makePacket, type Packet} from '../../src/sim/packet.js'
import type {PortRef} from '../../src/types.js'
import {flow} from './helpers.js'

const ports: Record<string, number> = {'qvo3f7e5d8a-1b': 2, 'int-br-eth2': 1}
const resolve = (ref: PortRef): number | undefined => (typeof ref === 'number' ? ref : ports[ref])

function m(match: Record<string, string>, packet: Packet, inPort?: PortRef): string {
  return matchFlow(flow({match, inPort, actions: []}), packet, resolve).result
}

const untagged = makePacket({
  in_port: 1,
  dl_src: 'fa:16:3e:4a:5b:6c',
  dl_dst: 'ff:ff:ff:ff:ff:ff',
  dl_type: 0x0800,
  nw_src: '10.0.0.5',
  nw_dst: '10.0.0.255',
  nw_proto: 17,
})
const tagged = {...untagged, vlan: {vid: 100, pcp: 0}}

describe('VLAN matches', () => {
  it('dl_vlan matches only tagged packets with that VID', () => {
    expect(m({dl_vlan: '100'}, tagged)).toBe('match')
    expect(m({dl_vlan: '101'}, tagged)).toBe('no-match')
    expect(m({dl_vlan: '100'}, untagged)).toBe('no-match')
  })
  it('vlan_tci=0x0000/0x1fff and dl_vlan=0xffff mean untagged', () => {
    expect(m({vlan_tci: '0x0000/0x1fff'}, untagged)).toBe('match')
    expect(m({vlan_tci: '0x0000/0x1fff'}, tagged)).toBe('no-match')
    expect(m({dl_vlan: '0xffff'}, untagged)).toBe('match')
    expect(m({vlan_tci: '0x0000/0x1fff'}, {...untagged, vlan: {vid: 0, pcp: 3}})).toBe('no-match')
  })
  it('vlan_tci=0x0fff/0x1fff (Stein–Xena dead-VLAN flow) matches nothing: the mask demands CFI=0 with VID 4095', () => {
    expect(m({vlan_tci: '0x0fff/0x1fff'}, {...untagged, vlan: {vid: 4095, pcp: 0}})).toBe('no-match')
    expect(m({vlan_tci: '0x0fff/0x1fff'}, untagged)).toBe('no-match')
    expect(m({vlan_tci: '0x1fff/0x1fff'}, {...untagged, vlan: {vid: 4095, pcp: 0}})).toBe('match')
  })
  it('dl_vlan_pcp and OXM vlan_vid', () => {
    expect(m({dl_vlan_pcp: '5'}, {...untagged, vlan: {vid: 7, pcp: 5}})).toBe('match')
    expect(m({dl_vlan_pcp: '5'}, tagged)).toBe('no-match')
    expect(m({vlan_vid: '0x1000/0x1000'}, tagged)).toBe('match')
    expect(m({vlan_vid: '0x1000/0x1000'}, untagged)).toBe('no-match')
    expect(m({vlan_vid: '4196'}, tagged)).toBe('match')
  })
})

describe('address matches', () => {
  it('CIDR and dotted masks on nw_src', () => {
    expect(m({dl_type: '0x0800', nw_src: '10.0.0.0/24'}, untagged)).toBe('match')
    expect(m({dl_type: '0x0800', nw_src: '10.0.0.0/255.255.255.0'}, untagged)).toBe('match')
    expect(m({dl_type: '0x0800', nw_src: '10.0.1.0/24'}, untagged)).toBe('no-match')
    expect(m({nw_src: {value: '10.0.0.0', mask: '8'}.value + '/8'}, untagged)).toBe('match')
  })
  it('a masked Ethernet destination (br-tun unicast/multicast split)', () => {
    expect(m({dl_dst: '01:00:00:00:00:00/01:00:00:00:00:00'}, untagged)).toBe('match')
    expect(m({dl_dst: '00:00:00:00:00:00/01:00:00:00:00:00'}, untagged)).toBe('no-match')
  })
  it('MAC case and IPv6 addresses', () => {
    expect(m({dl_src: 'FA:16:3E:4A:5B:6C'}, untagged)).toBe('match')
    const v6 = makePacket({
      in_port: 1,
      dl_type: 0x86dd,
      nw_proto: 58,
      tp_src: 136,
      nd_target: 'fe80::f816:3eff:fe4a:5b6c',
    })
    expect(m({dl_type: '0x86dd', nw_proto: '58', icmp_type: '136', nd_target: 'fe80::f816:3eff:fe4a:5b6c'}, v6)).toBe(
      'match',
    )
    expect(m({ipv6_src: 'fe80::/64'}, {...v6, ipv6_src: 'fe80::1'})).toBe('match')
  })
  it('ARP: nw_src/arp_spa read the sender address either way', () => {
    const arp = makePacket({in_port: 2, dl_type: 0x0806, arp_op: 1, arp_spa: '10.0.0.5', arp_tpa: '10.0.0.1'})
    expect(m({dl_type: '0x0806', arp_spa: '10.0.0.5'}, arp)).toBe('match')
    expect(m({dl_type: '0x0806', nw_src: '10.0.0.5'}, arp)).toBe('match')
    expect(m({dl_type: '0x0806', arp_spa: '10.0.0.99'}, arp)).toBe('no-match')
    expect(m({arp: '', arp_op: '1'}, arp)).toBe('match')
  })
})

describe('ports, shorthands, unknowns', () => {
  it('in_port by number or by name', () => {
    expect(m({}, {...untagged, in_port: 2}, 'qvo3f7e5d8a-1b')).toBe('match')
    expect(m({}, {...untagged, in_port: 2}, 1)).toBe('no-match')
    expect(m({}, untagged, 'no-such-port')).toBe('no-match')
  })
  it('unexpanded protocol shorthands still work', () => {
    expect(m({udp: ''}, untagged)).toBe('match')
    expect(m({tcp: ''}, untagged)).toBe('no-match')
    expect(m({arp: ''}, untagged)).toBe('no-match')
  })
  it('a field the packet does not carry is undetermined, unless another field already fails', () => {
    const r = matchFlow(flow({match: {dl_type: '0x0800', tp_dst: '67'}, actions: []}), untagged, resolve)
    expect(r).toEqual({result: 'undetermined', unknownFields: ['tp_dst'], unsupportedFields: []})
    expect(m({dl_type: '0x0806', tp_dst: '67'}, untagged)).toBe('no-match')
  })
  it('a field the simulator does not model is undetermined and named', () => {
    const r = matchFlow(flow({match: {conj_id: '7'}, actions: []}), untagged, resolve)
    expect(r.unsupportedFields).toEqual(['conj_id'])
  })
  it('registers, metadata and tun_id start at zero', () => {
    expect(m({reg5: '0'}, untagged)).toBe('match')
    expect(m({metadata: '0x0'}, untagged)).toBe('match')
    expect(m({tun_id: '0x3e9'}, untagged)).toBe('no-match')
    expect(m({tun_id: '0x3e9'}, {...untagged, tun_id: 0x3e9n})).toBe('match')
  })
  it('ct_state flags: -trk matches a packet that never went through ct()', () => {
    expect(m({ct_state: '-trk'}, untagged)).toBe('match')
    expect(m({ct_state: '+trk+est'}, untagged)).toBe('no-match')
  })
  it('nw_frag: packets are never fragments', () => {
    expect(m({nw_frag: 'no'}, untagged)).toBe('match')
    expect(m({nw_frag: 'later'}, untagged)).toBe('no-match')
  })
})

describe('fields', () => {
  it('knows NXM/OXM spellings', () => {
    expect(lookupField('NXM_OF_ETH_SRC')?.name).toBe('dl_src')
    expect(lookupField('OXM_OF_METADATA')?.name).toBe('metadata')
    expect(lookupField('NXM_NX_REG13')?.name).toBe('reg13')
    expect(lookupField('tunnel_id')?.name).toBe('tun_id')
    expect(lookupField('nope')).toBeUndefined()
  })
  it('parses sub-fields', () => {
    expect(parseSubField('NXM_NX_REG0[0..15]')).toMatchObject({start: 0, bits: 16})
    expect(parseSubField('reg1[]')).toMatchObject({start: 0, bits: 32})
    expect(parseSubField('NXM_OF_VLAN_TCI[0..11]')).toMatchObject({start: 0, bits: 12})
    expect(parseSubField('NXM_NX_REG0[5..2]')).toBeUndefined()
  })
  it('parses masked values', () => {
    const dst = lookupField('dl_dst')
    expect(dst && parseMasked(dst, {value: 'fa:16:3e:00:00:00', mask: 'ff:ff:ff:00:00:00'})).toEqual({
      value: 0xfa163e000000n,
      mask: 0xffffff000000n,
    })
    const ct = lookupField('ct_state')
    expect(ct && parseMasked(ct, {value: '+trk-est'})).toEqual({value: 0x20n, mask: 0x22n})
    const src = lookupField('nw_src')
    expect(src && parseMasked(src, {value: 'bogus'})).toBeUndefined()
  })
})
