// The one-pass MAC reader answers exactly as the split-and-regex reader it replaced, on random and edge-case text.

import {describe, expect, it} from 'vitest'
import {macToBigInt} from '../../src/openflow/values.js'

/** The reader before it was made fast: the reference. */
function reference(mac: string): bigint | undefined {
  const parts = mac.trim().split(/[:-]/)
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(parseInt(p, 16)), 0n)
}

describe('macToBigInt', () => {
  it('reads MACs as the reference reader does, and refuses what it refuses', () => {
    let valid = 0
    const edge = [
      'fa:16:3e:00:00:01',
      'FA-16-3E-4A-5B-6C',
      ' 1:2:3:4:5:6 ',
      'ff:ff:ff:ff:ff:ff',
      '0:0:0:0:0:0',
      'fa:16:3e:4a:5b',
      'fa:16:3e:4a:5b:6c:7d',
      'fa::3e:4a:5b:6c',
      'fa:16:3e:4a:5b:',
      ':fa:16:3e:4a:5b',
      'fag:1:2:3:4:5',
      '100:1:2:3:4:5',
      'fa:16:3e:4a:5b:6c\n',
      '',
      ':::::',
      'g:1:2:3:4:5',
      '@:1:2:3:4:5',
      '`:1:2:3:4:5',
      'fa:16-3e:4a-5b:6c',
    ]
    for (const mac of edge) expect(macToBigInt(mac), JSON.stringify(mac)).toBe(reference(mac))
    const alphabet = '0123456789abcdefABCDEFgG:-: \t@`/'
    let seed = 7
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296
    for (let n = 0; n < 20000; n++) {
      let mac = ''
      if (n % 2) {
        // Near-MACs: 5 to 7 groups of mostly 1 or 2 hex digits, now and then 0 or 3.
        const groups = 5 + Math.floor(rnd() * 3)
        for (let g = 0; g < groups; g++) {
          if (g) mac += rnd() < 0.9 ? ':' : '-'
          const digits = rnd() < 0.95 ? 1 + Math.floor(rnd() * 2) : 3 * Math.floor(rnd() * 2)
          for (let k = digits; k > 0; k--) mac += alphabet[Math.floor(rnd() * 22)]
        }
      } else for (let k = Math.floor(rnd() * 20); k > 0; k--) mac += alphabet[Math.floor(rnd() * alphabet.length)]
      expect(macToBigInt(mac), JSON.stringify(mac)).toBe(reference(mac))
      if (reference(mac) !== undefined) valid++
    }
    expect(valid).toBeGreaterThan(1000)
  })
})
