// Is a capture whole? Truncation detected, not guessed: only what the format or the collector's own fan-out proves.
//  - NUL bytes or bytes that are not UTF-8 in a text capture: garbled;
//  - a command's output that does not end with a newline (every command captured here ends its last line): cut short;
//    likewise an agent configuration file, which a cut would silently change;
//  - empty output from a command that always prints something (ovs-vsctl, ip, ps, ovs-ofctl show, an OpenFlow table
//    of a bridge the agent manages);
//  - a table without its header (brctl show, ovs-ofctl show);
//  - a listing that lacks what the collector fanned out from it when it ran: a namespace, pid or bridge that has its
//    own capture but is missing from ip netns / ps / ovs-vsctl show; Linux bridges ip link shows but brctl does not.
// Each proof becomes a problem on the capture; the checks that rest on it are then unknown (model/actual.ts damaged).

import type {Capture} from '../snapshot/read.js'
import type {DataProblem} from '../types.js'
import {captureFileName} from '../snapshot/manifest.js'
import {CONFIG_FILES, SETTINGS_FILES, sourceOf} from '../specs.js'
import {excerpt} from './bounds.js'

/** Commands that always print at least one line when they succeed. */
const NEVER_EMPTY = new Set([
  'ovs_vsctl_show',
  'ovs_vsctl_list_open_vswitch',
  'ovs_vsctl_list_bridge',
  'ovs_vsctl_list_port',
  'ovs_vsctl_list_interface',
  'ovs_ofctl_show',
  'ovs_ofctl_dump_flows',
  'ip_link',
  'ip_addr',
  'netns_ip_link',
  'netns_ip_addr',
  'netns_ip_rule',
  'netns_ip_neigh',
  'ps',
  'hostname',
])

/** A table's first line. */
const HEADERS: Record<string, RegExp> = {
  brctl_show: /^bridge name\s/,
  ovs_ofctl_show: /^OFPT_FEATURES_REPLY\b/,
}

/** NUL (a zero-filled block after a crash or a full disk) and U+FFFD (bytes that were not UTF-8). Other control
 * characters are not damage: a hostile device or network name may hold them. */
const GARBLED = /[\x00\ufffd]/
/** Files written a line at a time (Neutron leaves opts, interface and pid without a final newline). */
const LINE_FILES = /\.ini$|\/dhcp\/.*\/(host|leases|addn_hosts)$/
/** A DHCP host file is never empty: the agent writes a line per port of the network. */
const DHCP_HOSTS = /\/dhcp\/.*\/host$/

function lineOf(text: string, index: number): number {
  let n = 1
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++
  return n
}

function wholeness(c: Capture, text: string): string | undefined {
  const garbled = GARBLED.exec(text)
  if (garbled)
    return `binary data (U+${garbled[0].charCodeAt(0).toString(16).padStart(4, '0')}) at line ${lineOf(text, garbled.index)}: garbled`
  if (text === '') {
    if (NEVER_EMPTY.has(c.spec))
      return `empty output, but ${c.record.argv[0] ?? c.spec} always prints something: cut short or lost`
    if (c.spec === 'file' && DHCP_HOSTS.test(c.key ?? ''))
      return 'empty, but the DHCP agent writes a line per port: emptied, or the agent failed to write it'
    if (c.spec === 'file' && CONFIG_FILES.includes(c.key ?? '')) return 'empty agent configuration: emptied, or lost'
    return undefined
  }
  const lineEnded = c.spec !== 'file' || LINE_FILES.test(c.key ?? '')
  if (lineEnded && !text.endsWith('\n')) return 'the last line has no newline: cut short'
  const header = HEADERS[c.spec]
  if (header && !header.test(text))
    return `no ${header.source.replace(/^\^|\\[sb]$/g, '')} header line: cut, or not this command's output`
  return undefined
}

/** Keys of the follow-up captures the collector planned from `spec`'s output, with the word that must appear in it. */
const FANOUT: {listing: string; followUps: string[]; present: (text: string, key: string) => boolean}[] = [
  {
    listing: 'ip_netns',
    followUps: ['netns_ip_link', 'netns_ip_addr'],
    present: (t, k) => t.split('\n').some((l) => l.split(/\s/, 1)[0] === k),
  },
  {
    listing: 'ps',
    followUps: ['netns_of_pid'],
    present: (t, k) => t.split('\n').some((l) => l.trim().split(/\s/, 1)[0] === k),
  },
  {
    listing: 'ovs_vsctl_show',
    followUps: ['ovs_ofctl_dump_flows', 'ovs_ofctl_show'],
    present: (t, k) => t.includes(`Bridge ${k}\n`) || t.includes(`Bridge "${k}"`),
  },
]

/** Problems that prove a host's captures incomplete. */
export function incompleteCaptures(captures: Capture[]): DataProblem[] {
  const problems: DataProblem[] = []
  const ok = captures.filter(
    (c) => c.text !== undefined && !c.record.error && (c.record.exitCode === 0 || c.record.exitCode === undefined),
  )
  const flagged = new Set<Capture>()
  const flag = (c: Capture, message: string, line?: number, text?: string) => {
    if (flagged.has(c)) return
    flagged.add(c)
    problems.push({host: c.host, spec: sourceOf(c.spec), file: c.record.file, kind: 'parse', message, line, text})
  }
  for (const c of ok) {
    const why = wholeness(c, c.text!)
    if (why) flag(c, why, undefined, excerpt(c.text!.slice(-200).replace(/[\x00-\x1f\x7f]/g, '?')))
  }
  for (const {listing, followUps, present} of FANOUT) {
    const list = ok.find((c) => c.spec === listing)
    if (!list || flagged.has(list)) continue
    const missing = ok.filter((c) => followUps.includes(c.spec) && c.key !== undefined && !present(list.text!, c.key))
    if (missing.length)
      flag(
        list,
        `lacks ${missing[0].key}, which the collector found in it (${missing[0].spec}@${missing[0].key} was captured): cut short`,
      )
  }
  // An agent configuration file the listing names but no capture holds: its settings (bridge_mappings) are unknown.
  const configs = ok.find((c) => c.spec === 'neutron_config_files')
  for (const path of configs?.text!.split('\n').filter((p) => SETTINGS_FILES.includes(p)) ?? []) {
    if (captures.some((c) => c.spec === 'file' && c.key === path)) continue
    problems.push({
      host: configs!.host,
      spec: 'file',
      key: path,
      file: captureFileName(configs!.host, 'file', path),
      kind: 'missing',
      message: `${path} is listed by neutron_config_files but was not captured`,
    })
  }
  // ip link and brctl read the same kernel table: a bridge ip link shows that brctl does not is a cut brctl listing.
  const brctl = ok.find((c) => c.spec === 'brctl_show')
  const ipLink = ok.find((c) => c.spec === 'ip_link')
  if (brctl && ipLink && !flagged.has(brctl)) {
    // Bridges by what ip link says of them: a master of other devices, or Nova's qbr name (old text output has no
    // kind).
    const bridges = [...ipLink.text!.matchAll(/"master":"([^"]+)"|\bmaster (\S+)|^\d+: (qbr[0-9a-f-]+)[:@]/gm)]
      .map((m) => m[1] ?? m[2] ?? m[3])
      .filter((b) => b !== 'ovs-system')
    const listed = new Set(brctl.text!.split('\n').map((l) => l.split(/\s/, 1)[0]))
    const gone = bridges.find((b) => !listed.has(b))
    if (gone) flag(brctl, `lacks Linux bridge ${gone}, which ip link shows: cut short`)
  }
  return problems
}
