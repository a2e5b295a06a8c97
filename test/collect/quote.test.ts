// shellQuote: whatever the argument, a real POSIX shell (dash and bash) splits the quoted line back into exactly the
// argv it came from, with no expansion.

import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {quoteArg, shellQuote} from '../../src/collect/quote.js'

const NASTY = [
  'plain',
  '',
  ' ',
  "it's",
  "''",
  '"double"',
  '$(id)',
  '`id`',
  '${HOME}',
  '$HOME',
  'a;b',
  'a|b&c',
  '*',
  '~',
  'x=1',
  '-n',
  '--',
  'tab\there',
  'new\nline',
  'back\\slash',
  '!bang',
  '#hash',
  'ünïcödé',
  'qdhcp-x;touch /tmp/pwned',
]

function roundTrip(shell: string, argv: string[]): string[] {
  // printf '%s\0' prints each argument followed by a NUL: the shell's split is then exactly visible.
  const line = shellQuote(['printf', '%s\\0', ...argv])
  const out = execFileSync(shell, ['-c', line]).toString('utf8')
  return out.split('\0').slice(0, -1)
}

describe('shellQuote', () => {
  for (const shell of ['/bin/sh', '/bin/bash']) {
    it(`round-trips hostile arguments through ${shell}`, () => {
      expect(roundTrip(shell, NASTY)).toEqual(NASTY)
    })
  }

  it('quotes every word, so an assignment-looking first word stays a command name', () => {
    expect(shellQuote(['x=1', 'ls'])).toBe("'x=1' 'ls'")
    expect(quoteArg("it's")).toBe("'it'\\''s'")
  })

  it('refuses a NUL byte and an empty argv', () => {
    expect(() => shellQuote(['a\0b'])).toThrow(/NUL/)
    expect(() => shellQuote([])).toThrow(/empty/)
  })
})
