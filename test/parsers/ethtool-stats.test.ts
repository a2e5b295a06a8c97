import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseEthtoolStats} from '../../src/parsers/ethtool-stats.js'

const sample = (name: string) => readFileSync(new URL(`../../fixtures/samples/linux/${name}`, import.meta.url), 'utf8')

describe('parseEthtoolStats', () => {
  it('reads a real veth: peer_ifindex is the other end (qvo3f7e5d8a-1b is index 5)', () => {
    const {value, problems} = parseEthtoolStats(sample('ethtool-S-qvb.txt'))
    expect(problems).toEqual([])
    expect(value.peerIfindex).toBe(5)
    expect(value.stats.rx_queue_0_xdp_packets).toBe(0)
    expect(Object.keys(value.stats)).toHaveLength(10)
  })

  it('reads a real veth whose peer is in another namespace', () => {
    expect(parseEthtoolStats(sample('ethtool-S-tapd.txt')).value.peerIfindex).toBe(2)
  })

  it("reads the seed's transcription", () => {
    expect(parseEthtoolStats(sample('seed-ethtool-S.txt'))).toEqual({
      value: {peerIfindex: 10, stats: {peer_ifindex: 10}},
      problems: [],
    })
  })

  it('no stats available (a real bridge) is a problem, not a crash', () => {
    const {value, problems} = parseEthtoolStats(sample('ethtool-S-bridge.err'))
    expect(value).toEqual({stats: {}})
    expect(problems).toMatchObject([{line: 1, message: 'ethtool reported: no stats available'}])
  })

  it('empty and garbled input', () => {
    expect(parseEthtoolStats('')).toEqual({value: {stats: {}}, problems: []})
    const {value, problems} = parseEthtoolStats('NIC statistics:\n     peer_ifindex: ten\n     rx_packets: 12\n')
    expect(value).toEqual({stats: {rx_packets: 12}})
    expect(problems).toMatchObject([{line: 2}])
  })
})
