// `ip route show table all` as sos keeps it (text) → the `ip -j route show table all` form the route parser reads.
// Real outputs of the Neutron lab (fixtures/sos/ip-route: a compute node's root namespace and a qdhcp namespace, the
// text and the JSON taken at once): the converted text must parse to exactly what the JSON parses to.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {PACKAGE_ROOT} from '../../src/engine.js'
import {parseIpRoute} from '../../src/parsers/ip-route.js'
import {ipRouteTextToJson} from '../../src/sos/convert.js'

const DIR = join(PACKAGE_ROOT, 'fixtures', 'sos', 'ip-route')
const read = (name: string): string => readFileSync(join(DIR, name), 'utf8')

describe('ip route text → JSON (sos)', () => {
  for (const name of ['nlab-cmp1', 'nlab-ctl-qdhcp']) {
    it(`${name}: the converted text parses to what ip -j printed`, () => {
      const converted = ipRouteTextToJson(read(`${name}.txt`))
      expect(converted.problems).toEqual([])
      const fromText = parseIpRoute(converted.text)
      const fromJson = parseIpRoute(read(`${name}.json`))
      expect(fromText.problems).toEqual([])
      expect(fromJson.value.length).toBeGreaterThan(5)
      expect(fromText.value).toEqual(fromJson.value)
    })
  }

  it('the qdhcp namespace: its default route, both families, the local table', () => {
    const routes = parseIpRoute(ipRouteTextToJson(read('nlab-ctl-qdhcp.txt')).text).value
    expect(routes.find((r) => r.dst === 'default')).toMatchObject({family: 'inet', table: 'main', protocol: 'static'})
    expect(routes.some((r) => r.family === 'inet6' && r.type === 'multicast' && r.table === 'local')).toBe(true)
  })

  it('multipath nexthop lines, metrics with lock, an IPv6 gateway for IPv4; an unknown word is a problem on its line', () => {
    const text = [
      'default proto static metric 100 ',
      '\tnexthop via 198.18.0.1 dev eth0 weight 1 ',
      '198.18.1.0/24 via inet6 fe80::1 dev eth1 mtu lock 1400 onlink ',
      '198.18.2.0/24 dev eth2 frobnicate 3',
      'unreachable 198.18.3.0/24 metric x',
      '',
    ].join('\n')
    const out = ipRouteTextToJson(text)
    expect(out.problems.map((p) => [p.line, p.message])).toEqual([
      [4, '`frobnicate` is not a word of `ip route`'],
      [5, 'metric x is not a number'],
    ])
    expect(JSON.parse(out.text)).toEqual([
      {dst: 'default', protocol: 'static', metric: 100, flags: []},
      {dst: '198.18.1.0/24', gateway: 'fe80::1', dev: 'eth1', flags: ['onlink']},
    ])
  })

  it('empty: no route', () => {
    expect(ipRouteTextToJson('')).toEqual({text: '[]\n', problems: []})
  })
})
