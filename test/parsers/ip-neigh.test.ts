import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpNeigh, resolved} from '../../src/parsers/ip-neigh.js'

// Captured by fixtures/samples/linux/capture-ip-rule-neigh.sh (iproute2 6.1).
const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')

describe('parseIpNeigh', () => {
  it('reads real `ip -j neigh`: permanent, reachable, stale, failed and incomplete entries', () => {
    const {value, problems} = parseIpNeigh(sample('ip-j-neigh.json'))
    expect(problems).toEqual([])
    expect(value.map((n) => `${n.dst} ${n.state.join(',')}`)).toEqual([
      '198.19.1.8 FAILED',
      '198.19.1.9 INCOMPLETE',
      '198.19.1.6 REACHABLE',
      '198.19.1.7 STALE',
      '198.19.1.5 PERMANENT',
    ])
    expect(value[2]).toEqual({
      dst: '198.19.1.6',
      family: 'inet',
      dev: 'qr-1a2b3c4d-5e',
      lladdr: 'fa:16:3e:00:00:06',
      state: ['REACHABLE'],
      router: false,
    })
    expect(value.filter(resolved).map((n) => n.dst)).toEqual(['198.19.1.6', '198.19.1.7', '198.19.1.5'])
  })

  it('empty output is no neighbours; text and bad entries are problems, the rest is kept', () => {
    expect(parseIpNeigh('')).toEqual({value: [], problems: []})
    expect(parseIpNeigh('198.19.1.6 dev qr-x lladdr fa:16:3e:00:00:06 REACHABLE\n').problems).toHaveLength(1)
    const {value, problems} = parseIpNeigh(
      JSON.stringify([{dst: '198.19.1.6', lladdr: 'FA:16:3E:00:00:06', state: ['STALE']}, {dst: 'x'}, {}, 7]),
    )
    expect(value).toEqual([
      {dst: '198.19.1.6', family: 'inet', lladdr: 'fa:16:3e:00:00:06', state: ['STALE'], router: false},
    ])
    expect(problems.map((p) => p.message)).toEqual([
      'neighbour #2 has a dst that is not an address: x',
      'neighbour #3 has no dst',
      'neighbour #4 is not an object',
    ])
  })
})
