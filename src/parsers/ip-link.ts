// `ip link` / `ip addr` in every spelling iproute2 prints: `-j [-d]` JSON, `-o` one line per device (continuation
// joined with `\`), and the classic multi-line text (which is also what `ip addr` prints, addresses included).
// One reader serves both parseIpLink and parseIpAddr (see ip-addr.ts): the formats differ only in which lines appear.

import {isIPv4, isIPv6} from 'node:net'

import type {LinkDevice, ParseProblem, ParseResult} from '../types.js'
import {clip} from '../text.js'
import {decimalIn, eachLine, intIn, MAX_INT32, parseJson} from './bounds.js'

type Address = LinkDevice['addresses'][number]

/** Parses `ip -j [-d] link|addr`, `ip -o link|addr` and the classic text; never throws. */
export function parseIpLink(text: string): ParseResult<LinkDevice[]> {
  return parseIpDevices(text)
}

export function parseIpDevices(text: string): ParseResult<LinkDevice[]> {
  const trimmed = text.trim()
  if (trimmed === '') return {value: [], problems: []}
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseDevicesJson(trimmed)
  return parseText(text)
}

// ---------------------------------------------------------------------------------------------------------------------
// JSON

function parseDevicesJson(text: string): ParseResult<LinkDevice[]> {
  const parsed = parseJson(text)
  if ('error' in parsed) {
    return {value: [], problems: [{line: 1, text: clip(text), message: `not valid JSON: ${parsed.error}`}]}
  }
  const data = parsed.value
  if (!Array.isArray(data)) {
    return {value: [], problems: [{line: 1, text: clip(text), message: 'expected a JSON array of devices'}]}
  }
  const devices: LinkDevice[] = []
  const problems: ParseProblem[] = []
  data.forEach((entry: unknown, index) => {
    const device = deviceFromJson(entry, problems, index)
    if (device) devices.push(device)
  })
  return {value: devices, problems}
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined
}

function deviceFromJson(entry: unknown, problems: ParseProblem[], index: number): LinkDevice | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push({
      text: clip(JSON.stringify(entry) ?? String(entry)),
      message: `device #${index + 1} is not an object`,
    })
    return undefined
  }
  // JSON boundary: iproute2's objects are loosely typed, every field is checked before use.
  const raw = entry as Record<string, unknown>
  const ifindex = int(raw.ifindex)
  const name = str(raw.ifname)
  if (ifindex === undefined || name === undefined) {
    problems.push({text: clip(JSON.stringify(raw)), message: `device #${index + 1} has no ifindex or ifname`})
    return undefined
  }
  if (intIn(ifindex, 1, MAX_INT32) === undefined) {
    problems.push({text: clip(name), message: `device #${index + 1}: ifindex ${ifindex} out of range (1–${MAX_INT32})`})
    return undefined
  }
  /** An integer field in its range; out of range is a problem naming the device, and the field is left out. */
  const ranged = (field: string, min: number, max: number): number | undefined => {
    const n = int(raw[field])
    if (n === undefined || intIn(n, min, max) !== undefined) return n
    problems.push({text: clip(name), message: `${clip(name, 40)}: ${field} ${n} out of range (${min}–${max})`})
    return undefined
  }
  const flags = Array.isArray(raw.flags) ? raw.flags.filter((f): f is string => typeof f === 'string') : []
  const device: LinkDevice = {ifindex, name, flags, adminUp: flags.includes('UP'), addresses: []}
  const linkinfo =
    typeof raw.linkinfo === 'object' && raw.linkinfo !== null ? (raw.linkinfo as Record<string, unknown>) : undefined
  const kind = str(linkinfo?.info_kind)
  if (kind) device.kind = kind
  else if (raw.link_type === 'loopback') device.kind = 'loopback'
  // Only `-d` output says what kind a device is; there, a device with no linkinfo is a real NIC.
  else if ('min_mtu' in raw && raw.link_type === 'ether') device.kind = 'physical'
  const slaveKind = str(linkinfo?.info_slave_kind)
  if (slaveKind) device.slaveKind = slaveKind
  const mac = str(raw.address)
  if (mac) device.mac = mac
  const mtu = ranged('mtu', 0, MAX_INT32)
  if (mtu !== undefined) device.mtu = mtu
  const operState = str(raw.operstate)
  if (operState) device.operState = operState
  const master = str(raw.master)
  if (master) device.master = master
  const link = str(raw.link)
  if (link && link !== 'NONE') device.peerName = link
  const linkIndex = ranged('link_index', 1, MAX_INT32)
  if (linkIndex !== undefined) device.peerIfindex = linkIndex
  const netnsid = ranged('link_netnsid', 0, MAX_INT32)
  if (netnsid !== undefined) device.peerNetnsId = netnsid
  const netns = str(raw.link_netns)
  if (netns) device.peerNetns = netns
  if (Array.isArray(raw.addr_info)) {
    for (const info of raw.addr_info) {
      const address = addressFromJson(info)
      if (address) device.addresses.push(address)
      else
        problems.push({
          text: clip(JSON.stringify(info)),
          message: `${clip(name, 40)}: address entry without family, local or a prefixlen in range (0–32, 0–128)`,
        })
    }
  }
  return device
}

function addressFromJson(info: unknown): Address | undefined {
  if (typeof info !== 'object' || info === null) return undefined
  const raw = info as Record<string, unknown>
  const family = raw.family
  const address = str(raw.local)
  const prefixlen = intIn(raw.prefixlen, 0, family === 'inet6' ? 128 : 32)
  if ((family !== 'inet' && family !== 'inet6') || !address || prefixlen === undefined) return undefined
  return {family, address, prefixlen}
}

// ---------------------------------------------------------------------------------------------------------------------
// Text

/** `12: tap26c9b807-7c: <BROADCAST,UP,LOWER_UP> mtu 1500 ...`, `5: qvo…@qvb…: <…>`, `7: tap…@if2: <…>` */
const LINK_HEADER = /^(\d+):\s+(\S+?):\s+<([^>]*)>(.*)$/
/** `ip -o addr`: `4: br-lab    inet 198.18.0.1/24 scope global br-lab` */
const ADDR_ONELINE = /^(\d+):\s+(\S+)\s+(inet6?)\s+(.*)$/
/** Indented lines under a device that can follow `link/…` in -d output without naming a kind. */
const IGNORED_DETAIL = /^(valid_lft|altname|prop|vf|alias|addrgenmode|RX|TX|\d)/

interface TextLine {
  line: number
  text: string
  /** The line continues the device of the previous header line. */
  indented: boolean
}

/** `ip -o` puts a device on one line and joins what would be its further lines with `\`: split them back. */
function splitLines(text: string, problems: ParseProblem[]): TextLine[] {
  const out: TextLine[] = []
  eachLine(text, problems, (raw, i) => {
    // Split on the backslash itself and trim around it: `split(/\s*\\\s*/)` is quadratic on a long run of spaces.
    const parts = raw.split('\\').map((part, j, all) => {
      const left = j > 0 ? part.trimStart() : part
      return j < all.length - 1 ? left.trimEnd() : left
    })
    parts.forEach((part, j) => {
      if (part.trim() === '') return
      out.push({line: i + 1, text: part, indented: j > 0 || /^\s/.test(part)})
    })
  })
  return out
}

function parseText(text: string): ParseResult<LinkDevice[]> {
  const devices: LinkDevice[] = []
  const byIndex = new Map<number, LinkDevice>()
  const problems: ParseProblem[] = []
  let current: LinkDevice | undefined
  /** -d output: the line after `link/…` names the kind; only that one line may. */
  let expectKind = false
  /** -d output for an Ethernet device: no kind line there means a real NIC, as in the JSON. */
  const detailedEther = new Set<LinkDevice>()

  for (const {line, text: raw, indented} of splitLines(text, problems)) {
    const trimmed = raw.trim()
    if (!indented) {
      const header = LINK_HEADER.exec(trimmed)
      if (header) {
        const read = deviceFromHeader(header)
        if (typeof read === 'string') {
          current = undefined
          problems.push({line, text: clip(trimmed), message: read})
          continue
        }
        current = read
        expectKind = false
        const seen = byIndex.get(current.ifindex)
        if (seen) problems.push({line, text: clip(trimmed), message: `device index ${current.ifindex} listed twice`})
        devices.push(current)
        byIndex.set(current.ifindex, current)
        continue
      }
      const oneline = ADDR_ONELINE.exec(trimmed)
      if (oneline) {
        const ifindex = decimalIn(oneline[1], 1, MAX_INT32)
        if (ifindex === undefined) {
          current = undefined
          problems.push({
            line,
            text: clip(trimmed),
            message: `ifindex ${clip(oneline[1], 40)} out of range (1–${MAX_INT32})`,
          })
          continue
        }
        let device = byIndex.get(ifindex)
        if (!device) {
          device = {ifindex, name: oneline[2], flags: [], adminUp: false, addresses: []}
          devices.push(device)
          byIndex.set(ifindex, device)
        }
        current = device
        expectKind = false
        addAddressLine(device, `${oneline[3]} ${oneline[4]}`, line, problems)
        continue
      }
      current = undefined
      problems.push({line, text: clip(trimmed), message: 'not an ip link/addr line'})
      continue
    }
    if (!current) {
      problems.push({line, text: clip(trimmed), message: 'detail line before any device'})
      continue
    }
    const word = trimmed.split(/\s+/, 1)[0]
    if (word.startsWith('link/')) {
      const bad = readLinkLine(current, trimmed)
      if (bad) problems.push({line, text: clip(trimmed), message: `${clip(current.name, 40)}: ${bad}`})
      expectKind = /\bpromiscuity\b/.test(trimmed)
      if (expectKind && word === 'link/ether') detailedEther.add(current)
      continue
    }
    if (word === 'inet' || word === 'inet6') {
      addAddressLine(current, trimmed, line, problems)
      expectKind = false
      continue
    }
    if (/_slave$/.test(word)) {
      current.slaveKind = word.replace(/_slave$/, '')
      expectKind = false
      continue
    }
    if (expectKind && !IGNORED_DETAIL.test(trimmed)) current.kind = word
    expectKind = false
  }
  for (const device of detailedEther) device.kind ??= 'physical'
  return {value: devices, problems}
}

/** The device of a header line, or why it cannot be one (a number out of range). */
function deviceFromHeader(match: RegExpExecArray): LinkDevice | string {
  const [, indexText, fullName, flagText, rest] = match
  const index = decimalIn(indexText, 1, MAX_INT32)
  if (index === undefined) return `ifindex ${clip(indexText, 40)} out of range (1–${MAX_INT32})`
  const flags = flagText.split(',').filter((f) => f !== '')
  const at = fullName.indexOf('@')
  const name = at > 0 ? fullName.slice(0, at) : fullName
  const device: LinkDevice = {ifindex: index, name, flags, adminUp: flags.includes('UP'), addresses: []}
  if (at > 0) {
    // For a veth `@` names the peer; for vlan/macvlan it names the lower device (kind tells which).
    const peer = fullName.slice(at + 1)
    const ifN = /^if(\d+)$/.exec(peer)
    if (ifN) {
      const peerIndex = decimalIn(ifN[1], 1, MAX_INT32)
      if (peerIndex === undefined) return `peer ifindex ${clip(ifN[1], 40)} out of range (1–${MAX_INT32})`
      device.peerIfindex = peerIndex
    } else if (peer !== 'NONE') device.peerName = peer
  }
  const words = rest.trim().split(/\s+/)
  for (let i = 0; i + 1 < words.length; i++) {
    const value = words[i + 1]
    switch (words[i]) {
      case 'mtu': {
        const mtu = decimalIn(value, 0, MAX_INT32)
        if (mtu === undefined) return `mtu ${clip(value, 40)} out of range (0–${MAX_INT32})`
        device.mtu = mtu
        break
      }
      case 'master':
        device.master = value
        break
      case 'state':
        device.operState = value
        break
      default:
        continue
    }
    i++
  }
  if (flags.includes('LOOPBACK')) device.kind = 'loopback'
  return device
}

/** `link/ether fa:16:3e:1d:5c:81 brd ff:ff:ff:ff:ff:ff link-netnsid 0` (or `link-netns NAME`) */
function readLinkLine(device: LinkDevice, text: string): string | undefined {
  const words = text.split(/\s+/)
  if (words[1] && /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})+$/.test(words[1])) device.mac = words[1]
  for (let i = 2; i + 1 < words.length; i++) {
    if (words[i] === 'link-netnsid') {
      const netnsid = decimalIn(words[i + 1], 0, MAX_INT32)
      if (netnsid === undefined) return `link-netnsid ${clip(words[i + 1], 40)} out of range (0–${MAX_INT32})`
      device.peerNetnsId = netnsid
    }
    if (words[i] === 'link-netns') device.peerNetns = words[i + 1]
  }
  return undefined
}

/** `inet 198.18.0.1/24 brd … scope global br-lab`, `inet6 fe80::…/64 scope link`, `inet 10.0.0.1 peer 10.0.0.2/32 …` */
function addAddressLine(device: LinkDevice, text: string, line: number, problems: ParseProblem[]): void {
  const words = text.trim().split(/\s+/)
  const family = words[0] === 'inet6' ? 'inet6' : 'inet'
  const candidate = words[1] ?? ''
  const [address, prefix] = candidate.split('/', 2)
  const looksLikeAddress = family === 'inet' ? isIPv4(address) : isIPv6(address)
  if (!looksLikeAddress) {
    problems.push({
      line,
      text: clip(text.trim()),
      message: `${device.name}: ${family} line has no address (lost in transcription?)`,
    })
    return
  }
  let prefixlen: number | undefined = prefix !== undefined && /^\d+$/.test(prefix) ? Number(prefix) : undefined
  if (prefix === undefined) {
    const peerAt = words.indexOf('peer')
    const peerPrefix = peerAt > 0 ? words[peerAt + 1]?.split('/', 2)[1] : undefined
    prefixlen = peerPrefix !== undefined && /^\d+$/.test(peerPrefix) ? Number(peerPrefix) : family === 'inet' ? 32 : 128
  }
  const max = family === 'inet' ? 32 : 128
  if (prefixlen === undefined || prefixlen > max) {
    problems.push({line, text: clip(text.trim()), message: `${device.name}: bad prefix length in ${candidate}`})
    return
  }
  device.addresses.push({family, address, prefixlen})
}
