// What to run on a host, in two stages. Stage 1: every host-scoped spec that applies to the host's roles. Stage 2:
// the scoped specs, once per bridge / namespace / dnsmasq pid / file / veth named by stage 1's output. Every name
// taken from a host's output is validated (validate.ts) before it becomes an argument; a rejected one is returned as
// a problem and never run.

import {CONFIG_FILES, type Role, type Spec} from '../specs.js'
import type {ParseProblem, ParseResult} from '../types.js'
import {type Checked, checkBridgeName, checkFilePath, checkIfName, checkNetnsName, checkPid} from './validate.js'

export interface PlannedCapture {
  spec: Spec
  /** Bridge, namespace, file path, pid or device for scoped specs. */
  key?: string
}

/** A name from a host's output that was not used, and why. */
export interface PlanProblem extends ParseProblem {
  /** The spec whose output held the name. */
  spec: string
  kind: 'rejected' | 'truncated'
}

export interface FollowUpPlan {
  captures: PlannedCapture[]
  problems: PlanProblem[]
}

/** Where the names for each scope come from. */
export const SOURCES = {
  bridge: 'ovs_vsctl_list_br',
  netns: 'ip_netns',
  pid: 'ps',
  dhcpFiles: 'neutron_dhcp_files',
  instanceFiles: 'nova_instance_files',
  configFiles: 'neutron_config_files',
  links: 'ip_link',
} as const

const DHCP_DIRS = ['/var/lib/neutron/dhcp/']
const INSTANCE_DIRS = ['/var/lib/nova/instances/', '/etc/libvirt/qemu/']

/** Empty roles = not known: everything applies. */
export function appliesTo(spec: Spec, roles: readonly Role[]): boolean {
  return spec.roles === undefined || roles.length === 0 || spec.roles.some((r) => roles.includes(r))
}

export function hostStage(specs: readonly Spec[], roles: readonly Role[]): PlannedCapture[] {
  return specs.filter((s) => s.scope === 'host' && appliesTo(s, roles)).map((spec) => ({spec}))
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/** Run every non-blank line through `take`, collecting values and problems; dedupe and sort the values. */
function eachLine(text: string, take: (line: string) => Checked | undefined): ParseResult<string[]> {
  const values = new Set<string>()
  const problems: ParseProblem[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '') return
    const checked = take(line)
    if (checked === undefined) return
    if (checked.ok) values.add(checked.value)
    else problems.push({line: i + 1, text: clip(line), message: checked.reason})
  })
  return {value: [...values].sort(), problems}
}

/** `ovs-vsctl list-br`: one bridge name a line. */
export function bridgesFrom(text: string): ParseResult<string[]> {
  return eachLine(text, (line) => checkBridgeName(line.trim()))
}

/** `ip netns list`: `name` or `name (id: N)`. A line of any other shape is rejected whole, not cut at a space. */
export function namespacesFrom(text: string): ParseResult<string[]> {
  return eachLine(text, (line) => {
    const m = /^(\S+)(?: \(id: \d+\))?$/.exec(line.trim())
    if (!m) return {ok: false, reason: 'not a namespace line (expected "name" or "name (id: N)")'}
    return checkNetnsName(m[1])
  })
}

/** `ps -eo pid=,args=`: the pids of processes whose argv has a word named dnsmasq. */
export function dnsmasqPidsFrom(text: string): ParseResult<string[]> {
  return eachLine(text, (line) => {
    const m = /^\s*(\S+)\s+(.*)$/.exec(line)
    const words = m ? m[2].split(/\s+/) : []
    if (!words.some((w) => w.split('/').pop() === 'dnsmasq')) return undefined
    return checkPid(m![1])
  })
}

/** `find` output: one path a line, each under the expected directories (or one of the exact paths). */
export function filesFrom(text: string, allowed: {dirs?: string[]; exact?: string[]; suffix?: string}): ParseResult<string[]> {
  return eachLine(text, (line) => checkFilePath(line, allowed))
}

/** `ip -j -d link`: names of veth devices. */
export function vethsFrom(text: string): ParseResult<string[]> {
  if (text.trim() === '') return {value: [], problems: []}
  let links: unknown
  try {
    links = JSON.parse(text)
  } catch (error) {
    return {value: [], problems: [{message: `not JSON: ${(error as Error).message}`}]}
  }
  if (!Array.isArray(links)) return {value: [], problems: [{message: 'expected a JSON array of links'}]}
  const values = new Set<string>()
  const problems: ParseProblem[] = []
  for (const link of links as {ifname?: unknown; linkinfo?: {info_kind?: unknown}}[]) {
    if (link?.linkinfo?.info_kind !== 'veth') continue
    const name = typeof link.ifname === 'string' ? link.ifname : JSON.stringify(link.ifname)
    const checked = checkIfName(name)
    if (checked.ok) values.add(checked.value)
    else problems.push({text: clip(name), message: checked.reason})
  }
  return {value: [...values].sort(), problems}
}

/** The keys for each scoped spec, from stage 1's stdout by spec id. */
function keysFor(spec: Spec, outputs: ReadonlyMap<string, string>): {source: string; result: ParseResult<string[]>}[] {
  const out = (id: string) => outputs.get(id) ?? ''
  switch (spec.scope) {
    case 'bridge': return [{source: SOURCES.bridge, result: bridgesFrom(out(SOURCES.bridge))}]
    case 'netns': return [{source: SOURCES.netns, result: namespacesFrom(out(SOURCES.netns))}]
    case 'pid': return [{source: SOURCES.pid, result: dnsmasqPidsFrom(out(SOURCES.pid))}]
    case 'file':
      // ethtool_stats is catalogued as file-scoped but takes a device name.
      if (spec.id === 'ethtool_stats') return [{source: SOURCES.links, result: vethsFrom(out(SOURCES.links))}]
      return [
        {source: SOURCES.dhcpFiles, result: filesFrom(out(SOURCES.dhcpFiles), {dirs: DHCP_DIRS})},
        {source: SOURCES.instanceFiles, result: filesFrom(out(SOURCES.instanceFiles), {dirs: INSTANCE_DIRS, suffix: '.xml'})},
        {source: SOURCES.configFiles, result: configFilesFrom(out(SOURCES.configFiles))},
      ]
    default:
      return []
  }
}

/** `find /etc/neutron -name '*.ini'`: only the catalogued agent configuration files are read (others hold secrets). */
export function configFilesFrom(text: string): ParseResult<string[]> {
  const listed = eachLine(text, (line) => checkFilePath(line, {dirs: ['/etc/neutron/']}))
  return {value: listed.value.filter((p) => CONFIG_FILES.includes(p)), problems: listed.problems}
}

/**
 * Stage 2 from stage 1. `outputs` maps a host-scoped spec id to its stdout. `maxPerSpec` bounds the fan-out of one
 * scoped spec (default 2000); the rest is reported as truncated.
 */
export function followUps(
  specs: readonly Spec[],
  roles: readonly Role[],
  outputs: ReadonlyMap<string, string>,
  opts: {maxPerSpec?: number} = {},
): FollowUpPlan {
  const max = opts.maxPerSpec ?? 2000
  const captures: PlannedCapture[] = []
  const problems: PlanProblem[] = []
  const reported = new Set<string>()
  for (const spec of specs) {
    if (spec.scope === 'host' || !appliesTo(spec, roles)) continue
    const keys = new Set<string>()
    for (const {source, result} of keysFor(spec, outputs)) {
      // The same bad name feeds several scoped specs (netns_ip_link, netns_ip_addr): report it once per source.
      for (const p of result.problems) {
        const id = `${source}\u0000${p.line}\u0000${p.text}`
        if (reported.has(id)) continue
        reported.add(id)
        problems.push({...p, spec: source, kind: 'rejected'})
      }
      for (const v of result.value) keys.add(v)
    }
    const all = [...keys]
    if (all.length > max) {
      problems.push({spec: spec.id, kind: 'truncated', message: `${all.length} keys; only the first ${max} were collected`, text: all[max]})
    }
    for (const key of all.slice(0, max)) captures.push({spec, key})
  }
  return {captures, problems}
}
