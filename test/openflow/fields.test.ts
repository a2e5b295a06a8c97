import {describe, expect, it} from 'vitest'
import {FIELDS, SHORTHANDS, canonicalField, fieldInfo, parseSubFieldRef, storageOf} from '../../src/openflow/index.js'
import {lookupField} from '../../src/sim/fields.js'

describe('the one field table', () => {
  it('gives every spelling to one field only', () => {
    const seen = new Map<string, string>()
    for (const f of FIELDS) {
      for (const name of [f.name, ...f.aliases, ...f.nxm.map((n) => n.toLowerCase())]) {
        expect(seen.get(name), `${name} is spelled for ${seen.get(name)} and ${f.name}`).toBeUndefined()
        seen.set(name, f.name)
      }
    }
  })

  it('reads OXM aliases into the ovs-ofctl name a normalised match uses', () => {
    expect(canonicalField('eth_src')).toBe('dl_src')
    expect(canonicalField('ipv4_dst')).toBe('nw_dst')
    expect(canonicalField('udp_dst')).toBe('tp_dst')
    expect(canonicalField('vlan_pcp')).toBe('dl_vlan_pcp')
    expect(canonicalField('tunnel_id')).toBe('tun_id')
    expect(canonicalField('frobnicate')).toBe('frobnicate')
  })

  it('keeps both facts about ICMP: matched as icmp_type/icmp_code, stored in tp_src/tp_dst', () => {
    expect(canonicalField('icmpv6_type')).toBe('icmp_type')
    expect(canonicalField('icmpv4_code')).toBe('icmp_code')
    const type = fieldInfo('NXM_OF_ICMP_TYPE')!
    expect(type.name).toBe('icmp_type')
    expect(storageOf(type).name).toBe('tp_src')
    expect(storageOf(fieldInfo('icmp_code')!).name).toBe('tp_dst')
    // The simulator reads and writes them where OVS keeps them.
    expect(lookupField('icmp_type')?.name).toBe('tp_src')
    expect(lookupField('NXM_NX_ICMPV6_CODE')?.name).toBe('tp_dst')
  })

  it('knows the tunnel fields and the NXM/OXM names learn() and the tunnel flows use', () => {
    for (const name of ['tun_id', 'tun_src', 'tun_dst']) expect(fieldInfo(name)?.name).toBe(name)
    expect(parseSubFieldRef('NXM_NX_TUN_ID[]')).toEqual({
      text: 'NXM_NX_TUN_ID[]',
      field: 'tun_id',
      known: true,
      start: 0,
    })
    expect(parseSubFieldRef('NXM_OF_VLAN_TCI[0..11]')).toEqual({
      text: 'NXM_OF_VLAN_TCI[0..11]',
      field: 'vlan_tci',
      known: true,
      start: 0,
      bits: 12,
    })
    expect(parseSubFieldRef('OXM_OF_IN_PORT[]')).toMatchObject({field: 'in_port', known: true})
    expect(parseSubFieldRef('NXM_NX_TUN_IPV4_DST[]')).toMatchObject({field: 'tun_dst', known: true})
    expect(parseSubFieldRef('tun_id[5]')).toMatchObject({field: 'tun_id', start: 5, bits: 1})
    expect(parseSubFieldRef('NXM_NX_FROB[]')).toMatchObject({field: 'NXM_NX_FROB', known: false})
    expect(parseSubFieldRef('NXM_NX_REG0[5..2]')).toBeUndefined()
    expect(parseSubFieldRef('NXM_NX_REG0[0..')).toBeUndefined()
  })

  it('has one table of protocol shorthands', () => {
    expect(SHORTHANDS.tcp6).toEqual({dlType: 0x86dd, nwProto: 6})
    expect(SHORTHANDS.rarp).toEqual({dlType: 0x8035})
  })
})
