import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseBridgeLink} from '../../src/parsers/bridge-link.js'

const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')

const EXPECTED = [
  {ifindex: 5, ifname: 'qvo3f7e5d8a-1b', master: 'br-lab', state: 'forwarding'},
  {ifindex: 6, ifname: 'qvb3f7e5d8a-1b', master: 'qbr3f7e5d8a-1b', state: 'forwarding'},
  {ifindex: 7, ifname: 'tap3f7e5d8a-1b', master: 'qbr3f7e5d8a-1b', state: 'forwarding'},
  {ifindex: 8, ifname: 'tapd1e2f3a4-5b', master: 'br-lab', state: 'forwarding'},
]

describe('parseBridgeLink', () => {
  it('reads real bridge -j link', () => {
    expect(parseBridgeLink(sample('bridge-j-link.json'))).toEqual({value: EXPECTED, problems: []})
  })

  it('reads real bridge link text, where `@` may name the master rather than a peer', () => {
    expect(parseBridgeLink(sample('bridge-link.txt'))).toEqual({value: EXPECTED, problems: []})
  })

  it('empty input is no ports', () => {
    expect(parseBridgeLink('')).toEqual({value: [], problems: []})
    expect(parseBridgeLink('[]\n')).toEqual({value: [], problems: []})
  })

  it('error text, garbled JSON and entries without a name are problems', () => {
    expect(parseBridgeLink('Error: Cannot find device "x"\n').problems).toMatchObject([{line: 1}])
    expect(parseBridgeLink('[{"ifindex":5,').problems[0].message).toMatch(/not valid JSON/)
    const mixed = parseBridgeLink('[{"ifindex":3},{"ifindex":4,"ifname":"eth1","master":"br0"}]')
    expect(mixed.value).toEqual([{ifindex: 4, ifname: 'eth1', master: 'br0'}])
    expect(mixed.problems).toHaveLength(1)
  })
})
