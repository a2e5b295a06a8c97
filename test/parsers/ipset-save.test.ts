import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpsetSave} from '../../src/parsers/ipset-save.js'
import {parseSysctl} from '../../src/parsers/sysctl.js'

// Captured by fixtures/samples/firewall/capture-local.sh (ipset 7.17, procps sysctl, in a private namespace).
const sample = (name: string) =>
  readFileSync(new URL(`../../fixtures/samples/firewall/${name}`, import.meta.url), 'utf8')

describe('parseIpsetSave', () => {
  it('reads real ipset save: sets, their type, family and members', () => {
    const {value, problems} = parseIpsetSave(sample('ipset-save-local.txt'))
    expect(problems).toEqual([])
    const set = value.get('NIPv4demo')!
    expect(set).toMatchObject({name: 'NIPv4demo', type: 'hash:net', family: 'inet', line: 1})
    expect(set.options.maxelem).toBe('65536')
    expect(set.members).toEqual([
      {value: '198.19.1.5', line: 2, nomatch: false},
      {value: '198.19.2.0/24', line: 3, nomatch: false},
      {value: '198.19.2.7', line: 4, nomatch: true},
    ])
  })

  it('empty output is no sets; bad lines are problems', () => {
    expect(parseIpsetSave('')).toEqual({value: new Map(), problems: []})
    const {value, problems} = parseIpsetSave('add X 1.2.3.4\ncreate Y hash:net family inet\nadd Y\nhello\n')
    expect([...value.keys()]).toEqual(['Y'])
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [1, 'member of set X, which no create line made'],
      [3, 'add without a set name and member'],
      [4, 'neither a create nor an add line'],
    ])
  })
})

describe('parseSysctl', () => {
  it('reads real sysctl -e output: a key the kernel lacks is simply absent', () => {
    const {value, problems} = parseSysctl(sample('sysctl-local.txt'))
    expect(problems).toEqual([])
    expect([...value.entries()]).toEqual([
      ['net.bridge.bridge-nf-call-iptables', {value: '1', line: 1}],
      ['net.bridge.bridge-nf-call-ip6tables', {value: '1', line: 2}],
    ])
    expect(parseSysctl('what\n').problems).toEqual([{line: 1, text: 'what', message: 'not a "key = value" line'}])
  })
})
