// `bridge -j link` (iproute2) and its plain text form: the ports of Linux bridges and the bridge each belongs to.
// In the text form `ifname@…` names the veth peer, or for a port whose peer is in another namespace the master:
// only the part before `@` is the port's name.

import type {ParseProblem, ParseResult} from '../types.js'
import {clip} from '../text.js'
import {decimalIn, eachLine, intIn, MAX_INT32, parseJson} from './bounds.js'

export interface BridgePort {
  ifindex?: number
  ifname: string
  master?: string
  state?: string
}

/** `5: qvo3f7e5d8a-1b@qvb3f7e5d8a-1b: <BROADCAST,…> mtu 1500 master br-lab state forwarding priority 32 cost 2` */
const TEXT_LINE = /^(\d+):\s+([^\s:@]+)(?:@\S+?)?:\s+(?:<[^>]*>)?(.*)$/

/** Parses `bridge -j link` or `bridge link`; never throws. */
export function parseBridgeLink(text: string): ParseResult<BridgePort[]> {
  const trimmed = text.trim()
  if (trimmed === '') return {value: [], problems: []}
  return trimmed.startsWith('[') ? parsePortsJson(trimmed) : parseText(text)
}

function parsePortsJson(text: string): ParseResult<BridgePort[]> {
  const parsed = parseJson(text)
  if ('error' in parsed) {
    return {value: [], problems: [{line: 1, text: text.slice(0, 200), message: `not valid JSON: ${parsed.error}`}]}
  }
  const data = parsed.value
  if (!Array.isArray(data))
    return {value: [], problems: [{line: 1, text: text.slice(0, 200), message: 'expected a JSON array'}]}
  const ports: BridgePort[] = []
  const problems: ParseProblem[] = []
  for (const entry of data) {
    // JSON boundary: fields are checked one by one.
    const raw = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>
    if (typeof raw.ifname !== 'string') {
      problems.push({text: JSON.stringify(entry)?.slice(0, 200), message: 'bridge port without ifname'})
      continue
    }
    const port: BridgePort = {ifname: raw.ifname}
    if (raw.ifindex !== undefined && intIn(raw.ifindex, 1, MAX_INT32) === undefined) {
      problems.push({text: clip(raw.ifname), message: `${clip(raw.ifname, 40)}: ifindex out of range (1–${MAX_INT32})`})
      continue
    }
    if (typeof raw.ifindex === 'number') port.ifindex = raw.ifindex
    if (typeof raw.master === 'string') port.master = raw.master
    if (typeof raw.state === 'string') port.state = raw.state
    ports.push(port)
  }
  return {value: ports, problems}
}

function parseText(text: string): ParseResult<BridgePort[]> {
  const ports: BridgePort[] = []
  const problems: ParseProblem[] = []
  eachLine(text, problems, (raw, i) => {
    const trimmed = raw.trim()
    if (trimmed === '') return
    const match = TEXT_LINE.exec(trimmed)
    if (!match) {
      problems.push({line: i + 1, text: trimmed.slice(0, 200), message: 'not a bridge link line'})
      return
    }
    const ifindex = decimalIn(match[1], 1, MAX_INT32)
    if (ifindex === undefined) {
      problems.push({
        line: i + 1,
        text: clip(trimmed),
        message: `ifindex ${clip(match[1], 40)} out of range (1–${MAX_INT32})`,
      })
      return
    }
    const port: BridgePort = {ifindex, ifname: match[2]}
    const words = match[3].trim().split(/\s+/)
    for (let w = 0; w + 1 < words.length; w++) {
      if (words[w] === 'master') port.master = words[w + 1]
      if (words[w] === 'state') port.state = words[w + 1]
    }
    ports.push(port)
  })
  return {value: ports, problems}
}
