import {describe, expect, it} from 'vitest'
import {matchTci, tciVlan, vlanFieldTci} from '../../src/openflow/index.js'

describe('VLAN match fields as TCI bits', () => {
  it('reads each VLAN field as ovs-ofctl documents it', () => {
    expect(vlanFieldTci('dl_vlan', {value: '3'})).toEqual({value: 0x1003, mask: 0x1fff})
    expect(vlanFieldTci('dl_vlan', {value: '0xffff'})).toEqual({value: 0, mask: 0x1fff})
    expect(vlanFieldTci('dl_vlan_pcp', {value: '5'})).toEqual({value: 0xb000, mask: 0xf000})
    expect(vlanFieldTci('vlan_vid', {value: '0x1000', mask: '0x1000'})).toEqual({value: 0x1000, mask: 0x1000})
    expect(vlanFieldTci('vlan_tci', {value: '0x0003', mask: '0x0fff'})).toEqual({value: 3, mask: 0x0fff})
  })

  it('refuses values out of range', () => {
    expect(vlanFieldTci('dl_vlan', {value: '99999'})).toBeUndefined()
    expect(vlanFieldTci('dl_vlan', {value: '4096'})).toBeUndefined()
    expect(vlanFieldTci('dl_vlan_pcp', {value: '8'})).toBeUndefined()
    expect(vlanFieldTci('vlan_tci', {value: '0x10000'})).toBeUndefined()
    expect(vlanFieldTci('dl_vlan', {value: 'abc'})).toBeUndefined()
  })

  it('says which VLAN a match selects', () => {
    expect(tciVlan(matchTci({dl_vlan: {value: '1000'}})!)).toBe(1000)
    expect(tciVlan(matchTci({vlan_tci: {value: '0x0000', mask: '0x1fff'}})!)).toBe('untagged')
    expect(tciVlan(matchTci({vlan_tci: {value: '0x1000', mask: '0x1000'}})!)).toBe('any-tagged')
    expect(tciVlan(matchTci({dl_vlan: {value: '7'}, dl_vlan_pcp: {value: '2'}})!)).toBe(7)
    expect(tciVlan(matchTci({vlan_tci: {value: '0x0003', mask: '0x0fff'}})!)).toBeUndefined()
    expect(matchTci({dl_src: {value: 'fa:16:3e:00:00:01'}})).toBeUndefined()
  })
})
