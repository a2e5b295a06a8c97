import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {commentOf, optionOf, parseIptablesSave} from '../../src/parsers/iptables-save.js'
import {bestTimeMs} from '../support/best-time.js'

// Captured by fixtures/samples/firewall/capture-local.sh (iptables 1.8.9, nf_tables, in a private namespace).
const sample = (name: string) =>
  readFileSync(new URL(`../../fixtures/samples/firewall/${name}`, import.meta.url), 'utf8')

describe('parseIptablesSave', () => {
  it('reads real iptables-save -c: tables, chains with policies and counters, rules as matches and targets', () => {
    const {value, problems} = parseIptablesSave(sample('iptables-save-c-local.txt'))
    expect(problems).toEqual([])
    expect([...value.tables.keys()]).toEqual(['raw', 'filter'])
    const filter = value.tables.get('filter')!
    expect(filter.committed).toBe(true)
    expect([...filter.chains.keys()]).toEqual([
      'INPUT',
      'FORWARD',
      'OUTPUT',
      'neutron-openvswi-idemo',
      'neutron-openvswi-sg-fallback',
    ])
    expect(filter.chains.get('FORWARD')).toMatchObject({policy: 'ACCEPT', counters: {packets: 0, bytes: 0}})
    expect(filter.chains.get('neutron-openvswi-idemo')!.policy).toBeUndefined()
    // The loopback ping moved the INPUT rule's counters.
    expect(filter.chains.get('INPUT')!.rules[0]).toMatchObject({counters: {packets: 4, bytes: 336}, number: 1})
    const [forward] = filter.chains.get('FORWARD')!.rules
    expect(commentOf(forward)).toBe('a "quoted" comment')
    expect(forward.matches[0]).toEqual({
      module: 'physdev',
      options: [
        {name: 'physdev-out', values: ['tapdemo'], negated: false},
        {name: 'physdev-is-bridged', values: [], negated: false},
      ],
    })
    expect(forward.target).toEqual({name: 'neutron-openvswi-idemo', goto: false, options: []})
    expect(forward.text).toMatch(/^-A FORWARD -m physdev/)
    const rules = filter.chains.get('neutron-openvswi-idemo')!.rules
    expect(rules.map((r) => r.number)).toEqual([1, 2, 3, 4, 5, 6])
    expect(optionOf(rules[0], 'state', 'state')!.values).toEqual(['RELATED,ESTABLISHED'])
    expect(optionOf(rules[1], 'set', 'match-set')!.values).toEqual(['NIPv4demo', 'src'])
    expect(optionOf(rules[2], '', 'source')).toEqual({name: 'source', values: ['198.19.0.0/16'], negated: true})
    expect(optionOf(rules[2], '', 'protocol')!.values).toEqual(['tcp'])
    expect(optionOf(rules[2], 'multiport', 'dports')!.values).toEqual(['20:30,80'])
    expect(optionOf(rules[3], 'icmp', 'icmp-type')!.values).toEqual(['8'])
    expect(optionOf(rules[4], 'mac', 'mac-source')).toMatchObject({values: ['fa:16:3e:aa:bb:cc'], negated: true})
    expect(rules[5].target).toEqual({name: 'neutron-openvswi-sg-fallback', goto: true, options: []})
    const [zone] = value.tables.get('raw')!.chains.get('PREROUTING')!.rules
    expect(zone.target).toEqual({name: 'CT', goto: false, options: [{name: 'zone', values: ['4097'], negated: false}]})
    expect(zone.line).toBe(5)
  })

  it('reads output without counters (iptables-save without -c, as sos runs it)', () => {
    const text = sample('iptables-save-c-local.txt').replace(/^\[\d+:\d+\] /gm, '')
    const {value, problems} = parseIptablesSave(text)
    expect(problems).toEqual([])
    const rule = value.tables.get('filter')!.chains.get('INPUT')!.rules[0]
    expect(rule.counters).toBeUndefined()
    expect(rule.text).toBe('-A INPUT -i lo -p icmp -j ACCEPT')
  })

  it('empty output is no tables', () => {
    expect(parseIptablesSave('')).toEqual({value: {tables: new Map()}, problems: []})
  })

  it('bad lines are problems with their line; the rest is kept', () => {
    const text = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD DROP [1:2]',
      '-A FORWARD -j ACCEPT',
      '-A NOPE -j ACCEPT',
      '-A FORWARD -m comment --comment "open',
      '-A FORWARD --dport 22 -j ACCEPT',
      '[x:1] -A FORWARD -j DROP',
      'garbage',
      '-A FORWARD ! ! -s 198.19.0.1 -j DROP',
      'COMMIT',
      '-A FORWARD -j DROP',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
    ].join('\n')
    const {value, problems} = parseIptablesSave(text)
    expect(value.tables.get('filter')!.chains.get('FORWARD')!.rules).toHaveLength(1)
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [5, 'rule in chain NOPE, which the table does not declare'],
      [6, 'a quote is not closed'],
      [7, 'rule not read: option --dport outside any -m module or target'],
      [8, 'not a rule: bad [packets:bytes] counters'],
      [9, 'not a rule (-A CHAIN …), chain declaration, table or COMMIT'],
      [10, 'rule not read: two "!" in a row'],
      [12, 'outside any table (no *table line before it)'],
      [13, 'table nat has no COMMIT: cut short'],
    ])
  })

  it('reads a long capture in linear time', () => {
    const rules = Array.from({length: 20_000}, (_, i) => `[${i}:${i * 60}] -A c -s 198.19.${i % 250}.1/32 -j RETURN`)
    const text = ['*filter', ':c - [0:0]', ...rules, 'COMMIT', ''].join('\n')
    expect(bestTimeMs(() => parseIptablesSave(text))).toBeLessThan(5000)
    const {value, problems} = parseIptablesSave(text)
    expect(problems).toEqual([])
    expect(value.tables.get('filter')!.chains.get('c')!.rules).toHaveLength(20_000)
  })
})
