import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpRoute} from '../../src/parsers/ip-route.js'

// Captured by fixtures/samples/linux/capture-ip-route.sh (iproute2 6.1).
const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')

describe('parseIpRoute', () => {
  it('reads real `ip -j route show table all`: every table, type and family', () => {
    const {value, problems} = parseIpRoute(sample('ip-j-route-table-all.json'))
    expect(problems).toEqual([])
    expect(value).toHaveLength(15)
    expect(value[1]).toEqual({
      dst: 'default',
      family: 'inet',
      table: 'main',
      type: 'unicast',
      gateway: '198.18.0.1',
      dev: 'eth2',
      flags: [],
    })
    expect(value.find((r) => r.dst === '198.18.0.0/24')).toEqual({
      dst: '198.18.0.0/24',
      family: 'inet',
      table: 'main',
      type: 'unicast',
      dev: 'eth2',
      protocol: 'kernel',
      scope: 'link',
      prefsrc: '198.18.0.11',
      flags: [],
    })
    expect(value.find((r) => r.dst === '198.18.64.0/18')?.metric).toBe(100)
    expect(value.find((r) => r.dst === '198.19.10.0/24')).toMatchObject({table: '100', gateway: '198.18.0.254'})
    expect(value.find((r) => r.dst === '198.19.200.0/24')).toMatchObject({type: 'blackhole', table: 'main'})
    expect(value.find((r) => r.dst === '198.18.0.11')).toMatchObject({type: 'local', table: 'local', scope: 'host'})
    expect(value.filter((r) => r.family === 'inet6').map((r) => r.dst)).toEqual([
      'fe80::/64',
      'fe80::/64',
      '::1',
      'ff00::/8',
      'ff00::/8',
    ])
  })

  it('empty output is no routes', () => {
    expect(parseIpRoute('')).toEqual({value: [], problems: []})
    expect(parseIpRoute('[]\n')).toEqual({value: [], problems: []})
  })

  it('text, cut JSON and bad entries are problems; the rest is kept', () => {
    expect(parseIpRoute('default via 198.18.0.1 dev eth2\n').problems[0].message).toMatch(/^not valid JSON/)
    const cut = sample('ip-j-route-table-all.json').slice(0, 200)
    expect(parseIpRoute(cut)).toEqual({
      value: [],
      problems: [expect.objectContaining({line: 1, message: expect.stringMatching(/^not valid JSON/)})],
    })
    const {value, problems} = parseIpRoute(
      JSON.stringify([
        {dst: 'default', gateway: '198.18.0.1', dev: 'eth2'},
        null,
        {dev: 'eth2'},
        {dst: '198.18.0.0/99'},
        {dst: 'nope'},
        {dst: '198.18.0.0/24', gateway: 'x;y'},
        {dst: '198.18.0.0/24', metric: 1e23},
        {dst: 'default', gateway: 'fe80::1', dev: 'eth2'},
      ]),
    )
    expect(value.map((r) => [r.dst, r.family])).toEqual([
      ['default', 'inet'],
      ['default', 'inet6'],
    ])
    expect(problems.map((p) => p.message)).toEqual([
      'route #2 is not an object',
      'route #3 has no dst',
      'route #4 has a dst that is neither "default", an address nor a prefix: 198.18.0.0/99',
      'route #5 has a dst that is neither "default", an address nor a prefix: nope',
      'route #6 has a gateway that is not an address: x;y',
      'route #7 has a metric out of range: 1e+23',
    ])
  })
})
