// What is known: each check names the captures it rests on. A capture that is missing, failed, cut short or partly
// unreadable on a host makes the checks that rest on it *unknown* on that host: their findings there are withheld (a
// fault read from damaged data would send an operator to fix what is not broken), and the one DATA_MISSING or
// PARSE_ERROR finding about the capture says which checks could not run.

import type {ActualModel} from '../model/actual.js'
import type {DataProblem} from '../types.js'
import type {Finding} from './finding.js'

/** A capture a check rests on: a spec id, or for the `file` spec one kind of file. */
export type Requirement = string

/**
 * The `file` captures by what they hold, told by the capture's file name (the key's extension and path survive in it).
 */
const FILE_KINDS: [Requirement, RegExp][] = [
  ['file:agent-config', /\.ini(~[0-9a-f]{8})?\.out$/],
  ['file:libvirt', /\.xml(~[0-9a-f]{8})?\.out$/],
  ['file:dhcp', /_dhcp_.*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_/],
]

/** The requirement a problem damages: its spec, or the kind of file. */
export function requirementOf(p: Pick<DataProblem, 'spec' | 'file'>): Requirement {
  if (p.spec !== 'file') return p.spec
  return FILE_KINDS.find(([, re]) => p.file !== undefined && re.test(p.file))?.[0] ?? 'file'
}

export interface Check {
  name: string
  /** What it checks, for the report of what could not run. */
  about: string
  requires: Requirement[]
}

/** Per host, the requirements some problem damaged. A host that could not be reached at all damages everything. */
export function damage(actual: ActualModel): Map<string, Set<Requirement>> {
  const out = new Map<string, Set<Requirement>>()
  for (const p of actual.problems) {
    const set = out.get(p.host) ?? new Set<Requirement>()
    set.add(p.spec === 'ssh' ? '*' : requirementOf(p))
    out.set(p.host, set)
  }
  return out
}

function hits(damaged: Set<Requirement> | undefined, check: Check): boolean {
  if (!damaged) return false
  return (
    damaged.has('*') || check.requires.some((r) => damaged.has(r) || (r.startsWith('file:') && damaged.has('file')))
  )
}

/** The checks a problem on `host` makes unknown there. */
export function unknownChecks(checks: Check[], p: Pick<DataProblem, 'host' | 'spec' | 'file'>): Check[] {
  const damaged = new Set([p.spec === 'ssh' ? '*' : requirementOf(p)])
  return checks.filter((c) => hits(damaged, c))
}

/** Withhold a check's findings on hosts where a capture it rests on is damaged (every host the finding cites). */
export function gate(check: Check, findings: Finding[], damaged: Map<string, Set<Requirement>>): Finding[] {
  if (!check.requires.length) return findings
  return findings.filter((f) => {
    const hosts = new Set([f.host, ...f.evidence.map((e) => e.host)].filter((h): h is string => h !== undefined))
    return ![...hosts].some((h) => hits(damaged.get(h), check))
  })
}
