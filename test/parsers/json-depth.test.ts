// The JSON parsers refuse a document nested deeper than any command prints before JSON.parse sees it: JSON.parse of a
// megabyte of `[` builds a million levels (100–400 ms, over the fuzz tier's 200 ms bound on a busy machine); the
// depth scan is one pass. Timed in CPU time, so a busy machine does not fail it.

import {describe, expect, it} from 'vitest'
import {parseBridgeLink} from '../../src/parsers/bridge-link.js'
import {parseIpAddr} from '../../src/parsers/ip-addr.js'
import {parseIpNeigh} from '../../src/parsers/ip-neigh.js'
import {parseIpRoute} from '../../src/parsers/ip-route.js'
import {parseIpRule} from '../../src/parsers/ip-rule.js'
import {parseOvsdbJson} from '../../src/parsers/ovs-vsctl-json.js'
import type {ParseResult} from '../../src/types.js'

const PARSERS: [string, (text: string) => ParseResult<unknown>][] = [
  ['bridge link', parseBridgeLink],
  ['ip addr', parseIpAddr],
  ['ip route', parseIpRoute],
  ['ip rule', parseIpRule],
  ['ip neigh', parseIpNeigh],
  ['ovs-vsctl list', parseOvsdbJson],
]

function cpuMs(run: () => unknown): number {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const t0 = process.cpuUsage()
    run()
    const t = process.cpuUsage(t0)
    best = Math.min(best, (t.user + t.system) / 1000)
  }
  return best
}

describe('JSON nested past 64 levels', () => {
  for (const [name, parse] of PARSERS) {
    it(`${name}: a megabyte of [ or {"a": is refused with a problem, in a few ms`, () => {
      for (const unit of ['[', '[{"a":']) {
        const text = unit.repeat(Math.ceil(1_000_000 / unit.length))
        const {problems} = parse(text)
        expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/nested more than 64 levels deep/)])
        expect(cpuMs(() => parse(text))).toBeLessThan(40)
      }
    })
  }
  it('64 levels inside a string do not count', () => {
    const text = JSON.stringify([{ifindex: 1, ifname: 'eth0', flags: [], alias: '['.repeat(1000)}])
    expect(parseIpAddr(text).problems).toEqual([])
  })
})
