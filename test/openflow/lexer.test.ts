import {describe, expect, it} from 'vitest'
import {bestTimeMs} from '../support/best-time.js'
import {findKeyword, splitTopLevel, unquoteOvs} from '../../src/openflow/index.js'

describe('the OVS lexer', () => {
  it('splits outside quotes and brackets and refuses what does not balance', () => {
    expect(splitTopLevel('a=1, b="x, y",c(1,2) d', ', ')).toEqual(['a=1', 'b="x, y"', 'c(1,2)', 'd'])
    expect(splitTopLevel('a,(b', ',')).toBeUndefined()
    expect(splitTopLevel('a,"b', ',')).toBeUndefined()
    expect(splitTopLevel('a,(b]', ',')).toBeUndefined()
    expect(splitTopLevel(`${'('.repeat(33)}${')'.repeat(33)}`, ',')).toBeUndefined()
    expect(splitTopLevel(`${'('.repeat(32)}${')'.repeat(32)}`, ',')).toHaveLength(1)
    expect(splitTopLevel('"a\\"b",c', ',')).toEqual(['"a\\"b"', 'c'])
  })

  it('finds actions= only where it starts a token outside quotes', () => {
    expect(findKeyword('in_port="x actions=y" actions=drop', 'actions=')).toBe(22)
    expect(findKeyword('noactions=1 actions=drop', 'actions=')).toBe(12)
    expect(findKeyword('priority=1', 'actions=')).toBe(-1)
  })

  it('unquotes the JSON way, and the C way when JSON refuses', () => {
    expect(unquoteOvs('"we\\"ird"')).toBe('we"ird')
    expect(unquoteOvs('"a\\qb"')).toBe('aqb')
    expect(unquoteOvs('plain')).toBe('plain')
  })

  it('takes linear time on hostile text (1 MB of quotes, brackets, escapes)', () => {
    const mb = 1 << 20
    for (const unit of ['"', '(', '\\', ' actions', '"\\', 'actions="']) {
      const text = unit.repeat(Math.ceil(mb / unit.length))
      expect(
        bestTimeMs(() => splitTopLevel(text, ', \t')),
        unit,
      ).toBeLessThan(200)
      expect(
        bestTimeMs(() => findKeyword(text, 'actions=')),
        unit,
      ).toBeLessThan(200)
    }
  })
})
