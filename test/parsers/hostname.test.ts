import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseHostname} from '../../src/parsers/hostname.js'
import {bestTimeMs} from '../support/best-time.js'

/** `hostname` as the lab's nodes printed it (each node its own UTS namespace), captured by the collector. */
const captured = (snapshot: string, host: string) =>
  readFileSync(new URL(`../../fixtures/snapshots/${snapshot}/hosts/${host}/hostname.out`, import.meta.url), 'utf8')

describe('parseHostname', () => {
  it('reads real output: one name and its newline', () => {
    expect(parseHostname(captured('neutron-lab', 'nlab-cmp1'))).toEqual({value: 'nlab-cmp1', problems: []})
    expect(parseHostname(captured('lab-healthy', 'control'))).toEqual({value: 'control', problems: []})
  })

  it('an FQDN, its root dot dropped; CRLF and blank lines tolerated', () => {
    expect(parseHostname('cmp-1.dc1.example.org.\r\n\n')).toEqual({value: 'cmp-1.dc1.example.org', problems: []})
  })

  it('empty is no name (complete.ts reports an empty hostname as cut short)', () => {
    expect(parseHostname('')).toEqual({value: undefined, problems: []})
  })

  it('what is not a host name is a problem with its line, never kept', () => {
    expect(parseHostname('hostname: command not found\n')).toEqual({
      value: undefined,
      problems: [{line: 1, text: 'hostname: command not found', message: expect.stringMatching(/^not a host name/)}],
    })
    expect(parseHostname(`${'a'.repeat(65)}\n`).problems[0].message).toBe('longer than 64 characters')
    expect(parseHostname('-x\n').value).toBeUndefined()
    expect(parseHostname('a..b\n').value).toBeUndefined()
    expect(parseHostname('bad\u0000name\n').value).toBeUndefined()
  })

  it('a second line is a problem; the first name is kept', () => {
    expect(parseHostname('one\ntwo\n')).toEqual({
      value: 'one',
      problems: [{line: 2, text: 'two', message: 'a second line: hostname prints one name'}],
    })
  })

  it('linear time on a megabyte of one label', () => {
    expect(parseHostname(`${'a'.repeat(1_000_000)}!\n`).value).toBeUndefined()
    expect(parseHostname(`${'a-'.repeat(30_000)}\n`).value).toBeUndefined()
    expect(bestTimeMs(() => parseHostname(`${'a'.repeat(1_000_000)}!\n`))).toBeLessThan(1000)
    expect(bestTimeMs(() => parseHostname(`${'a-'.repeat(30_000)}\n`))).toBeLessThan(1000)
  })
})
