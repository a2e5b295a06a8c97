import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpRule} from '../../src/parsers/ip-rule.js'

// Captured by fixtures/samples/linux/capture-ip-rule-neigh.sh (iproute2 6.1).
const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')

describe('parseIpRule', () => {
  it("reads real `ip -j rule`: the kernel's three, DVR's from-lookups, iif + fwmark, blackhole", () => {
    const {value, problems} = parseIpRule(sample('ip-j-rule.json'))
    expect(problems).toEqual([])
    expect(value.map((r) => r.priority)).toEqual([0, 100, 200, 32766, 32767, 32768, 3323134209])
    expect(value[0]).toEqual({priority: 0, src: 'all', table: 'local', action: 'lookup', not: false})
    expect(value[1]).toMatchObject({iif: 'qr-1a2b3c4d-5e', fwmark: '0x4000000', fwmask: '0xffff0000', table: '100'})
    expect(value[2]).toMatchObject({dst: '198.19.9.0', dstlen: 24, action: 'blackhole'})
    expect(value[5]).toMatchObject({src: '198.19.1.5', table: '16', action: 'lookup'})
    expect(value[6]).toMatchObject({src: '198.19.1.1', srclen: 24, table: '3323134209'})
  })

  it('empty output is no rules; text, cut JSON and bad entries are problems, the rest is kept', () => {
    expect(parseIpRule('')).toEqual({value: [], problems: []})
    expect(parseIpRule('0:\tfrom all lookup local\n').problems[0]!.message).toMatch(/^not valid JSON/)
    expect(parseIpRule(sample('ip-j-rule.json').slice(0, 80)).value).toEqual([])
    const {value, problems} = parseIpRule(
      JSON.stringify([
        {priority: 0, src: 'all', table: 'local'},
        {priority: 2 ** 32, src: 'all', table: 'main'},
        {priority: 5, src: 'nowhere'},
        {priority: 6, src: '198.19.1.0', srclen: 33},
        {priority: 7, src: 'all', fwmark: '0x1ffffffff'},
        'rule',
      ]),
    )
    expect(value).toHaveLength(1)
    expect(problems.map((p) => p.message)).toEqual([
      'rule #2 has no priority in 0..4294967295: 4294967296',
      'rule #3 has a src that is neither "all" nor an address: nowhere',
      'rule #4 has a prefix length out of range: 33',
      'rule #5 has a fwmark that is not a 32-bit hex number: 0x1ffffffff',
      'rule #6 is not an object',
    ])
  })
})
