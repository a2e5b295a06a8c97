// `ethtool -S DEV`: `NIC statistics:` then `     name: value` lines. For a veth, `peer_ifindex` is the ifindex of the
// other end (in the peer's namespace). Devices without statistics make ethtool print `no stats available`.

import type {ParseProblem, ParseResult} from '../types.js'
import {eachLine, MAX_U64_DIGITS} from './bounds.js'

export interface EthtoolStats {
  peerIfindex?: number
  stats: Record<string, number>
}

const STAT = /^([^:]+):\s*(-?\d+)$/

/** Parses `ethtool -S` output; never throws. */
export function parseEthtoolStats(text: string): ParseResult<EthtoolStats> {
  // Null prototype: the names come from the device driver.
  const stats = Object.create(null) as Record<string, number>
  const problems: ParseProblem[] = []
  let sawHeader = false
  eachLine(text, problems, (raw, i) => {
    const trimmed = raw.trim()
    if (trimmed === '') return
    if (/^NIC statistics:$/.test(trimmed)) {
      sawHeader = true
      return
    }
    const match = STAT.exec(trimmed)
    if (!match || !sawHeader) {
      const message = /no stats available|Operation not supported|No such device|Cannot get/i.test(trimmed)
        ? `ethtool reported: ${trimmed}`
        : 'not an ethtool statistics line'
      problems.push({line: i + 1, text: trimmed.slice(0, 200), message})
      return
    }
    // Counters are u64 (peer_ifindex a positive int): a negative or longer number is damage.
    if (match[2].startsWith('-') || match[2].length > MAX_U64_DIGITS || BigInt(match[2]) > 0xffffffffffffffffn) {
      problems.push({line: i + 1, text: trimmed.slice(0, 200), message: 'counter out of range (0–2^64-1)'})
      return
    }
    stats[match[1].trim()] = Number(match[2])
  })
  const value: EthtoolStats = {stats}
  if (stats.peer_ifindex !== undefined) value.peerIfindex = stats.peer_ifindex
  return {value, problems}
}
