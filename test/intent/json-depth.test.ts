// jsonTooDeep crosses strings by indexOf to their closing quote: it must give what a reading of every character gives
// (a backslash escapes the next character inside a string), on JSON and on anything else.

import {describe, expect, it} from 'vitest'
import {jsonTooDeep} from '../../src/parsers/bounds.js'

/** The character-at-a-time reading jsonTooDeep replaced. */
function reference(text: string, max: number): number | undefined {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '[' || c === '{') {
      if (++depth > max) return i
    } else if (c === ']' || c === '}') depth--
  }
  return undefined
}

describe('jsonTooDeep', () => {
  it('finds what a reading of every character finds, on random texts of quotes, backslashes and brackets', () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const alphabet = ['"', '\\', '[', ']', '{', '}', 'a', ' ', ',', ':', '\\\\', '\\"']
    for (let n = 0; n < 20_000; n++) {
      const length = Math.floor(random() * 40)
      let text = ''
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)]
      const max = Math.floor(random() * 5)
      expect(jsonTooDeep(text, max), JSON.stringify(text)).toBe(reference(text, max))
    }
  })

  it('reads JSON: brackets inside strings, escaped quotes, the bound itself', () => {
    const nest = (k: number) => '['.repeat(k) + ']'.repeat(k)
    expect(jsonTooDeep(nest(64))).toBeUndefined()
    expect(jsonTooDeep(nest(65))).toBe(64)
    expect(jsonTooDeep(JSON.stringify({a: '[[[[[[', b: ['x\\"[[[', '\\\\'], c: [[[1]]]}), 4)).toBeUndefined()
    expect(jsonTooDeep(JSON.stringify({a: '"[[', b: [[[[1]]]]}), 3)).toBe(
      reference(JSON.stringify({a: '"[[', b: [[[[1]]]]}), 3),
    )
    expect(jsonTooDeep('"unterminated [[[[', 1)).toBeUndefined()
  })
})
