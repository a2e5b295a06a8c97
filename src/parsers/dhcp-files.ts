// The DHCP agent's state files under /var/lib/neutron/dhcp/<net-id>/, read the way dnsmasq reads them:
// `host` (--dhcp-hostsfile), `opts` (--dhcp-optsfile), `addn_hosts` (--addn-hosts) and `leases` (--dhcp-leasefile).

import {isIPv4, isIPv6} from 'node:net'

import type {DhcpHostEntry, DhcpLease, DhcpOptEntry, ParseProblem, ParseResult} from '../types.js'
import {clip} from '../text.js'
import {decimalIn, eachLine, MAX_FIELDS} from './bounds.js'

export interface AddnHostEntry {
  line: number
  ip: string
  names: string[]
}

const MAC = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/
const HOSTNAME = /^[A-Za-z0-9_*]([A-Za-z0-9_.*-]*[A-Za-z0-9_.*])?$/
const LEASE_TIME = /^(\d+[smhdw]?|infinite)$/

function isMac(word: string): boolean {
  return MAC.test(word)
}

/** IPv4, or IPv6 with or without the brackets dnsmasq's files put around it. */
function isIp(word: string): boolean {
  return isIPv4(word) || isIPv6(unbracket(word))
}

function unbracket(word: string): string {
  return word.startsWith('[') && word.endsWith(']') ? word.slice(1, -1) : word
}

/** Looks like an address someone meant to write (so a malformed one is an error, not a host name). */
function looksLikeIp(word: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(word) || word.startsWith('[')
}

interface Line {
  line: number
  text: string
}

/** Non-blank, non-comment lines with their 1-based numbers. */
function contentLines(text: string, problems: ParseProblem[]): Line[] {
  const out: Line[] = []
  eachLine(text, problems, (raw, i) => {
    const trimmed = raw.trim()
    if (trimmed !== '' && !trimmed.startsWith('#')) out.push({line: i + 1, text: trimmed})
  })
  return out
}

function problem(line: Line, message: string): ParseProblem {
  return {line: line.line, text: line.text.slice(0, 200), message}
}

/**
 * --dhcp-hostsfile: Havana `mac,host-10-0-0-5.openstacklocal,10.0.0.5[,set:<id>]`; modern `mac,[tag:dhcpv6,]fqdn,ip`,
 * `mac,fqdn,ip,set:port-<uuid>`, `mac,id:<client-id>,fqdn,ip[,set:…]`, IPv6 in brackets, FQDN with a trailing dot
 * (dropped here, so names compare equal), `mac,ip`. `tags` holds the names the line sets (`set:`); match conditions
 * (`tag:dhcpv6`) are not kept.
 */
export function parseDhcpHosts(text: string): ParseResult<DhcpHostEntry[]> {
  const entries: DhcpHostEntry[] = []
  const problems: ParseProblem[] = []
  for (const line of contentLines(text, problems)) {
    const fields = line.text.split(',', MAX_FIELDS + 1).map((field) => field.trim())
    if (fields.length > MAX_FIELDS) {
      problems.push(problem(line, `more than ${MAX_FIELDS} fields`))
      continue
    }
    if (!isMac(fields[0])) {
      problems.push(problem(line, `invalid MAC address "${fields[0]}"`))
      continue
    }
    const entry: DhcpHostEntry = {line: line.line, mac: fields[0].toLowerCase(), ip: '', tags: []}
    let bad = false
    for (const field of fields.slice(1)) {
      if (field === '' || field.startsWith('tag:') || field === 'ignore' || LEASE_TIME.test(field)) continue
      if (field.startsWith('set:')) entry.tags.push(field.slice(4))
      else if (field.startsWith('id:')) entry.clientId = field.slice(3)
      else if (isIp(field)) {
        if (entry.ip !== '') {
          problems.push(problem(line, `more than one address (${entry.ip}, ${field})`))
          bad = true
        }
        entry.ip = unbracket(field)
      } else if (looksLikeIp(field)) {
        problems.push(problem(line, `invalid IP address "${field}"`))
        bad = true
      } else if (HOSTNAME.test(field)) entry.hostname = field.replace(/\.$/, '')
      else {
        problems.push(problem(line, `unrecognised field "${field}"`))
        bad = true
      }
    }
    if (!bad && entry.ip === '') {
      problems.push(problem(line, 'no IP address'))
      bad = true
    }
    if (!bad) entries.push(entry)
  }
  return {value: entries, problems}
}

/**
 * --dhcp-optsfile: `tag:tag0,option:router,10.0.0.1` (Havana), `tag:subnet-<uuid>,option:dns-server,…`,
 * `tag:…,249,…` (numeric), `option6:…`. `option` is kept as written (`option:router`, `option6:dns-server`, `249`);
 * `tag` is the first `tag:` condition; `value` is the rest, empty when none (`option:router` alone = no gateway).
 */
export function parseDhcpOpts(text: string): ParseResult<DhcpOptEntry[]> {
  const entries: DhcpOptEntry[] = []
  const problems: ParseProblem[] = []
  for (const line of contentLines(text, problems)) {
    const fields = line.text.split(',')
    let i = 0
    let tag: string | undefined
    for (; i < fields.length; i++) {
      const field = fields[i].trim()
      if (field.startsWith('tag:') || field.startsWith('net:')) tag ??= field.slice(4)
      else if (!/^(encap|vi-encap|vendor):/.test(field) && field !== 'force') break
    }
    const option = fields[i]?.trim() ?? ''
    if (!/^(option6?:[A-Za-z0-9-]+|\d+)$/.test(option)) {
      problems.push(problem(line, option === '' ? 'no option' : `not an option "${option}"`))
      continue
    }
    const entry: DhcpOptEntry = {line: line.line, option, value: fields.slice(i + 1).join(',')}
    if (tag !== undefined) entry.tag = tag
    entries.push(entry)
  }
  return {value: entries, problems}
}

/** --addn-hosts: hosts(5) lines, `10.0.0.5\thost-10-0-0-5.openstacklocal host-10-0-0-5`. */
export function parseAddnHosts(text: string): ParseResult<AddnHostEntry[]> {
  const entries: AddnHostEntry[] = []
  const problems: ParseProblem[] = []
  for (const line of contentLines(text, problems)) {
    const [ip, ...names] = line.text.replace(/\s#.*$/, '').split(/\s+/)
    if (!isIPv4(ip) && !isIPv6(ip)) {
      problems.push(problem(line, `invalid IP address "${ip}"`))
      continue
    }
    const badName = names.find((name) => !HOSTNAME.test(name))
    if (names.length === 0 || badName !== undefined) {
      problems.push(problem(line, names.length === 0 ? 'address without a name' : `invalid host name "${badName}"`))
      continue
    }
    entries.push({line: line.line, ip, names})
  }
  return {value: entries, problems}
}

/**
 * --dhcp-leasefile: `expiry mac ip hostname client-id`, `*` for an unknown name or client id. DHCPv6 leases follow a
 * `duid …` line and have an IAID where the MAC would be; they are kept with `mac: ''` and the IAID dropped.
 */
export function parseDhcpLeases(text: string): ParseResult<DhcpLease[]> {
  const leases: DhcpLease[] = []
  const problems: ParseProblem[] = []
  for (const line of contentLines(text, problems)) {
    const words = line.text.split(/\s+/)
    if (words[0] === 'duid') continue
    const [expiry, hw, ip, hostname, clientId] = words
    if (words.length < 3 || !/^\d+$/.test(expiry)) {
      problems.push(problem(line, 'not a lease line'))
      continue
    }
    // Seconds since the epoch (or, built with HAVE_BROKEN_RTC, the lease length): a time_t, never near 2^53.
    if (decimalIn(expiry, 0, Number.MAX_SAFE_INTEGER) === undefined) {
      problems.push(problem(line, `lease expiry ${clip(expiry, 40)} out of range`))
      continue
    }
    const v6 = ip.includes(':')
    // A DHCPv6 lease has the IAID, a 32-bit number, where a DHCPv4 lease has the MAC.
    if (!(v6 ? decimalIn(hw, 0, 0xffffffff) !== undefined : isMac(hw))) {
      problems.push(
        problem(line, v6 ? `IAID ${clip(hw, 40)} out of range (0–2^32-1)` : `invalid MAC address "${clip(hw, 40)}"`),
      )
      continue
    }
    if (!isIp(ip)) {
      problems.push(problem(line, `invalid IP address "${clip(ip, 40)}"`))
      continue
    }
    const lease: DhcpLease = {line: line.line, expiry, mac: v6 ? '' : hw.toLowerCase(), ip: unbracket(ip)}
    if (hostname && hostname !== '*') lease.hostname = hostname
    if (clientId && clientId !== '*') lease.clientId = clientId
    leases.push(lease)
  }
  return {value: leases, problems}
}
