import {describe, expect, it} from 'vitest'
import {formatAction, normaliseAction, parseAction, parseActions} from '../../src/openflow/index.js'

const LEARN =
  'table=20,hard_timeout=300,priority=1,cookie=0xa9b8c7d6e5f40312,NXM_OF_VLAN_TCI[0..11],' +
  'NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]'

describe('the action model', () => {
  it('lexes learn() with nested arguments into the flow it would install', () => {
    const [learn, out] = parseActions(`learn(${LEARN}),output:1`)!
    expect(out).toEqual({type: 'output', port: 1})
    expect(learn).toMatchObject({type: 'learn', text: LEARN})
    if (learn?.type !== 'learn') throw new Error('not a learn action')
    const spec = learn.spec!
    expect(spec).toMatchObject({table: 20, hardTimeout: 300, priority: 1, cookie: '0xa9b8c7d6e5f40312', options: {}})
    expect(spec.matches.map((m) => [m.dst.field, m.dst.bits, m.src?.field, m.value])).toEqual([
      ['vlan_tci', 12, 'vlan_tci', undefined],
      ['dl_dst', undefined, 'dl_src', undefined],
    ])
    expect(spec.actions).toEqual([
      {type: 'load', dst: {text: 'NXM_OF_VLAN_TCI[]', field: 'vlan_tci', known: true, start: 0}, value: '0'},
      {
        type: 'load',
        dst: {text: 'NXM_NX_TUN_ID[]', field: 'tun_id', known: true, start: 0},
        src: {text: 'NXM_NX_TUN_ID[]', field: 'tun_id', known: true, start: 0},
      },
      {type: 'output', src: {text: 'OXM_OF_IN_PORT[]', field: 'in_port', known: true, start: 0}},
    ])
    expect(formatAction(learn)).toBe(`learn(${LEARN})`)
  })

  it('keeps learn() text it cannot lex, without a spec', () => {
    expect(parseAction('learn(table=x,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])')).toEqual({
      type: 'learn',
      text: 'table=x,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[]',
    })
  })

  it('reads the OF1.0 field-setting spellings as set_field', () => {
    expect(parseAction('mod_nw_tos:16')).toEqual({type: 'set_field', field: 'nw_tos', value: '16'})
    expect(parseAction('write_metadata:0x10/0xff')).toEqual({type: 'set_field', field: 'metadata', value: '0x10/0xff'})
    expect(parseAction('set_field:0x5->tun_dst')).toEqual({type: 'set_field', field: 'tun_dst', value: '0x5'})
  })

  it('normalises an action handed over as "other" through the same reader, and leaves real unknowns alone', () => {
    expect(normaliseAction({type: 'other', name: 'mod_dl_src', text: 'mod_dl_src:fa:16:3e:00:00:99'})).toEqual({
      type: 'set_field',
      field: 'dl_src',
      value: 'fa:16:3e:00:00:99',
    })
    expect(normaliseAction({type: 'other', name: 'strip_vlan', text: 'strip_vlan'})).toEqual({type: 'pop_vlan'})
    const group = {type: 'other', name: 'group', text: 'group:1'} as const
    expect(normaliseAction(group)).toBe(group)
  })

  it('leaves out-of-range numbers unread and says why', () => {
    const ctx = {tableNames: new Map<string, number>()} as {tableNames: Map<string, number>; problem?: string}
    expect(parseAction('mod_vlan_vid:5000', ctx)).toMatchObject({type: 'other'})
    expect(ctx.problem).toMatch(/VLAN id 5000 out of range/)
    const ctx2 = {tableNames: new Map<string, number>()} as {tableNames: Map<string, number>; problem?: string}
    expect(parseAction('resubmit(,300)', ctx2)).toMatchObject({type: 'other'})
    expect(ctx2.problem).toMatch(/table 300 out of range/)
  })
})
