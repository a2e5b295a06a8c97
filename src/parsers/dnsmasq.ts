// The DHCP agent's dnsmasq, read from its argv (as ps shows it, or as the agent builds it). The agent starts it as
// `ip netns exec qdhcp-<net> env NEUTRON_NETWORK_ID=<net> dnsmasq …` (often behind sudo/rootwrap); which wrapper
// words survive depends on how the process was started, so a chain of known wrappers may stand before `dnsmasq`
// (anything else there — `grep dnsmasq`, `tail …/dnsmasq` — is not dnsmasq) and the network id also comes from the
// state file paths (/var/lib/neutron/dhcp/<net-id>/…).

import type {DnsmasqProcess} from '../types.js'
import {MAX_FIELDS} from './bounds.js'

type DhcpRange = DnsmasqProcess['ranges'][number]

/** Options whose value may also come as the next argv element (`--interface tap0`). */
const VALUE_OPTIONS = new Set([
  'interface',
  'pid-file',
  'dhcp-hostsfile',
  'dhcp-optsfile',
  'addn-hosts',
  'dhcp-leasefile',
  'dhcp-range',
  'domain',
])

/** dhcp-range keywords in the mode position (dnsmasq(8)). */
const RANGE_MODES = new Set([
  'static',
  'proxy',
  'ra-only',
  'ra-names',
  'ra-stateless',
  'ra-advrouter',
  'slaac',
  'off-link',
])

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
/** /var/lib/neutron/dhcp/<net-id>/file, or the multi-segment /var/lib/neutron/dhcp/<segment>/<net-id>/file. */
const STATE_PATH = new RegExp(`/dhcp/(?:[^/]+/)?(${UUID})/[^/]+$`)
const QDHCP = new RegExp(`^qdhcp-(${UUID})$`)

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** Reads a dnsmasq command line; undefined when the argv does not run dnsmasq. Never throws. */
export function parseDnsmasqArgv(argv: string[]): DnsmasqProcess | undefined {
  const proc: DnsmasqProcess = {argv: [...argv], ranges: [], bindMode: 'wildcard'}
  const start = readWrappers(argv, proc)
  if (start === undefined) return undefined
  readOptions(argv.slice(start + 1), proc)
  if (!proc.networkId) {
    for (const path of [proc.hostsFile, proc.optsFile, proc.pidFile, proc.leaseFile, proc.addnHostsFile]) {
      const match = path ? STATE_PATH.exec(path) : null
      if (match) {
        proc.networkId = match[1].toLowerCase()
        break
      }
    }
  }
  if (!proc.networkId && proc.netns) {
    const match = QDHCP.exec(proc.netns)
    if (match) proc.networkId = match[1].toLowerCase()
  }
  return proc
}

/** Walks the wrapper chain; returns the index of `dnsmasq`, or undefined when something else runs. */
function readWrappers(words: string[], proc: DnsmasqProcess): number | undefined {
  let i = 0
  while (i < words.length) {
    const word = words[i]
    const name = basename(word)
    if (name === 'dnsmasq') return i
    if (word === '') i++
    else if (name === 'sudo' || name === 'env' || /^python[\d.]*$/.test(name)) {
      i++
      while (words[i]?.startsWith('-')) i++
    } else if (name === 'neutron-rootwrap') i += 2
    else if (name === 'ip' && words[i + 1] === 'netns' && words[i + 2] === 'exec' && words[i + 3]) {
      proc.netns = words[i + 3]
      i += 4
    } else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
      const env = /^NEUTRON_NETWORK_ID=(.+)$/.exec(word)
      if (env) proc.networkId = env[1]
      i++
    } else return undefined
  }
  return undefined
}

function readOptions(words: string[], proc: DnsmasqProcess): void {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (!word.startsWith('--')) continue
    const eq = word.indexOf('=')
    const name = eq < 0 ? word.slice(2) : word.slice(2, eq)
    let value = eq < 0 ? undefined : word.slice(eq + 1)
    if (value === undefined && VALUE_OPTIONS.has(name) && words[i + 1] !== undefined && !words[i + 1].startsWith('-')) {
      value = words[++i]
    }
    applyOption(name, value, proc)
  }
}

function applyOption(name: string, value: string | undefined, proc: DnsmasqProcess): void {
  switch (name) {
    case 'bind-interfaces':
    case 'bind-dynamic':
      proc.bindMode = name
      return
  }
  if (value === undefined || value === '') return
  switch (name) {
    case 'interface':
      proc.interface = value
      return
    case 'pid-file':
      proc.pidFile = value
      return
    case 'dhcp-hostsfile':
      proc.hostsFile = value
      return
    case 'dhcp-optsfile':
      proc.optsFile = value
      return
    case 'addn-hosts':
      proc.addnHostsFile = value
      return
    case 'dhcp-leasefile':
      proc.leaseFile = value
      return
    case 'domain':
      proc.domain = value
      return
    case 'dhcp-range':
      proc.ranges.push(parseDhcpRange(value))
  }
}

function isIp(word: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(word) || (word.includes(':') && /^[0-9a-fA-F:.]+$/.test(word))
}

function isNetmask(word: string): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(word)) return false
  const bits = word
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('')
  return /^1*0*$/.test(bits)
}

/**
 * `set:tag0,10.0.0.0,static,86400s` (Havana), `tag0,10.0.0.0,static,120s` (older dnsmasq's bare network id, as in the
 * seed, where the address was lost: `tag0,,static,120s`), `set:subnet-<uuid>,10.0.0.0,static,255.255.255.0,86400s`
 * (modern), `set:subnet-<uuid>,2001:db8::,static,64,86400s` (IPv6 takes a prefix length).
 */
export function parseDhcpRange(value: string): DhcpRange {
  // A real range has at most six fields; a runaway value is not split past the bound.
  const fields = value.split(',', MAX_FIELDS)
  let i = 0
  let tag: string | undefined
  for (; i < fields.length; i++) {
    const field = fields[i]
    if (field.startsWith('set:') || field.startsWith('net:')) tag = field.slice(4)
    else if (field.startsWith('tag:')) continue
    else if (i === 0 && field !== '' && !isIp(field) && fields.length > 2) tag = field
    else break
  }
  const range: DhcpRange = {start: fields[i] ?? ''}
  if (tag !== undefined) range.tag = tag
  const rest = fields.slice(i + 1)
  const v6 = range.start.includes(':')
  rest.forEach((field, j) => {
    const last = j === rest.length - 1
    if (RANGE_MODES.has(field) || field.startsWith('constructor:')) range.mode ??= field
    else if (isNetmask(field)) range.netmask = field
    else if (v6 && /^\d{1,3}$/.test(field) && !last && range.netmask === undefined) range.netmask = field
    else if (last && /^(\d+[smhdw]?|infinite|deprecated)$/.test(field)) range.lease = field
  })
  return range
}
