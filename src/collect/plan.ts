// What to run on a host, in two stages. Stage 1: every host-scoped spec that applies to the host's roles. Stage 2:
// the scoped specs, once per key that stage 1's output names; where each scope's keys come from is spec data
// (specs.ts KEY_SOURCES), read here with the real parsers. Every name taken from a host's output is validated
// (validate.ts) before it becomes an argument; a rejected one is returned as a problem and never run.

import {parseDnsmasqArgv} from '../parsers/dnsmasq.js'
import {parseFindListLines, parseList} from '../parsers/find-list.js'
import {parseIpLink} from '../parsers/ip-link.js'
import {parseIpNetnsLines} from '../parsers/ip-netns.js'
import {parsePs} from '../parsers/ps.js'
import {type KeySource, keySourcesOf, KEY_SOURCES, type Role, type Spec} from '../specs.js'
import type {ParseProblem, ParseResult} from '../types.js'
import {clip} from '../text.js'
import {type Checked, checkBridgeName, checkFilePath, checkIfName, checkNetnsName, checkPid} from './validate.js'

export interface PlannedCapture {
  spec: Spec
  /** Bridge, namespace, file path, pid or device for scoped specs. */
  key?: string
}

/** A name from a host's output that was not used, and why. */
export interface PlanProblem extends ParseProblem {
  /** The spec whose output held the name (or, when cut short, the spec that fanned out). */
  spec: string
  kind: 'rejected' | 'truncated'
}

export interface FollowUpPlan {
  captures: PlannedCapture[]
  problems: PlanProblem[]
}

/** Empty roles = not known: everything applies. */
function appliesTo(spec: Spec, roles: readonly Role[]): boolean {
  return spec.roles === undefined || roles.length === 0 || spec.roles.some((r) => roles.includes(r))
}

export function hostStage(specs: readonly Spec[], roles: readonly Role[]): PlannedCapture[] {
  return specs.filter((s) => s.scope === 'host' && appliesTo(s, roles)).map((spec) => ({spec}))
}

/** The host-scoped specs whose output names the keys of these specs' scopes: what stage 2 needs from stage 1. */
export function keySourceIds(specs: readonly Spec[]): ReadonlySet<string> {
  return new Set(specs.flatMap((s) => keySourcesOf(s).map((k) => k.from)))
}

interface Candidate {
  line?: number
  text: string
  checked: Checked
}

/** Keep the accepted names (deduplicated, sorted); the parser's problems and the rejected names become problems. */
function collect(parsed: ParseProblem[], candidates: Candidate[]): ParseResult<string[]> {
  const values = new Set<string>()
  const problems: ParseProblem[] = [...parsed]
  for (const c of candidates) {
    if (c.checked.ok) values.add(c.checked.value)
    else problems.push({...(c.line === undefined ? {} : {line: c.line}), text: clip(c.text), message: c.checked.reason})
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
  return {value: [...values].sort(), problems}
}

/** `ovs-vsctl list-br`: one bridge name a line. */
function bridgesFrom(text: string): ParseResult<string[]> {
  const listed = parseList(text)
  return collect(
    listed.problems,
    listed.value.map(({line, text}) => ({line, text: text.trim(), checked: checkBridgeName(text.trim())})),
  )
}

/** `ip netns list`: `name` or `name (id: N)`. A line of any other shape is rejected whole, not cut at a space. */
export function namespacesFrom(text: string): ParseResult<string[]> {
  const parsed = parseIpNetnsLines(text)
  return collect(
    parsed.problems,
    parsed.value.map((ns) => ({line: ns.line, text: ns.name, checked: checkNetnsName(ns.name)})),
  )
}

/** `ps -eo pid=,args=`: the pids of the dnsmasq processes (as the actual model recognises them). */
export function dnsmasqPidsFrom(text: string): ParseResult<string[]> {
  const parsed = parsePs(text)
  const candidates = parsed.value
    .filter((p) => p.pid !== undefined && parseDnsmasqArgv(p.argv))
    .map((p) => ({line: p.line, text: String(p.pid), checked: checkPid(String(p.pid))}))
  // Lines ps itself would never print (control characters) are not this listing's concern: they name no pid.
  return collect([], candidates)
}

/** `find` output: one path a line, each under the expected directories (or one of the exact paths). */
export function filesFrom(
  text: string,
  allowed: {dirs?: string[]; exact?: string[]; suffix?: string},
): ParseResult<string[]> {
  const listed = parseFindListLines(text)
  return collect(
    listed.problems,
    listed.value.map(({line, text}) => ({line, text, checked: checkFilePath(text, allowed)})),
  )
}

/** `ip -j -d link`: names of veth devices. */
export function vethsFrom(text: string): ParseResult<string[]> {
  const parsed = parseIpLink(text)
  const veths = parsed.value.filter((d) => d.kind === 'veth')
  // Only the problems that can hide a veth matter here; a device the parser could not read is reported by the model.
  return collect(
    parsed.problems,
    veths.map((d) => ({text: d.name, checked: checkIfName(d.name)})),
  )
}

/** `find /etc/neutron -name '*.ini'`: only the catalogued agent configuration files are read (others hold secrets). */
export function configFilesFrom(text: string): ParseResult<string[]> {
  const source = KEY_SOURCES.file.find((k) => k.from === 'neutron_config_files')!
  return keysFrom(source, text)
}

/** The keys one source names, validated. */
function keysFrom(source: KeySource, text: string): ParseResult<string[]> {
  switch (source.take) {
    case 'bridges':
      return bridgesFrom(text)
    case 'namespaces':
      return namespacesFrom(text)
    case 'router-namespaces': {
      const all = namespacesFrom(text)
      return {value: all.value.filter((ns) => /^(qrouter|snat|fip)-/.test(ns)), problems: all.problems}
    }
    case 'dnsmasq-pids':
      return dnsmasqPidsFrom(text)
    case 'veths':
      return vethsFrom(text)
    case 'files': {
      const listed = filesFrom(text, {dirs: source.dirs, suffix: source.suffix})
      return source.only
        ? {value: listed.value.filter((p) => source.only!.includes(p)), problems: listed.problems}
        : listed
    }
  }
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
  const read = new Map<KeySource, ParseResult<string[]>>()
  for (const spec of specs) {
    if (spec.scope === 'host' || !appliesTo(spec, roles)) continue
    const keys = new Set<string>()
    for (const source of keySourcesOf(spec)) {
      const result = read.get(source) ?? keysFrom(source, outputs.get(source.from) ?? '')
      read.set(source, result)
      // The same bad name feeds several scoped specs (netns_ip_link, netns_ip_addr): report it once per source.
      for (const p of result.problems) {
        const id = `${source.from}\u0000${p.line}\u0000${p.text}`
        if (reported.has(id)) continue
        reported.add(id)
        problems.push({...p, spec: source.from, kind: 'rejected'})
      }
      for (const v of result.value) keys.add(v)
    }
    const all = [...keys]
    if (all.length > max) {
      problems.push({
        spec: spec.id,
        kind: 'truncated',
        message: `${all.length} keys; only the first ${max} were collected`,
        text: all[max],
      })
    }
    for (const key of all.slice(0, max)) captures.push({spec, key})
  }
  return {captures, problems}
}
