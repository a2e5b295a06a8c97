// What is known: each check names the captures it rests on (`needs`, in the capture vocabulary of model/actual.ts). A
// capture that is missing, failed, cut short or partly unreadable on a host makes the checks that rest on it *unknown*
// on that host: their findings there are withheld (a fault read from damaged data would send an operator to fix what
// is not broken), and the one DATA_MISSING or PARSE_ERROR finding about the capture says which checks could not run.

import {type ActualModel, captureOfProblem, damaged, type HostModel, type Need, needsCapture} from '../model/actual.js'
import type {DataProblem} from '../types.js'
import type {Finding} from './finding.js'

export interface Check {
  name: string
  /** What it checks, for the report of what could not run. */
  about: string
  /** The captures its findings rest on: where one is damaged on a host, the check is unknown there. */
  needs: readonly Need[]
}

/** Is the check unknown on this host: unreachable, or a capture it needs damaged there? */
function unknownOn(check: Check, host: HostModel | undefined): boolean {
  return host !== undefined && check.needs.some((n) => damaged(host, n).length > 0)
}

/** The checks a problem makes unknown on its host (every check, when the host could not be reached). */
export function unknownChecks(checks: readonly Check[], actual: ActualModel, p: DataProblem): Check[] {
  if (p.spec === 'ssh') return [...checks]
  const host = actual.hosts.find((h) => h.name === p.host)
  const status = host && captureOfProblem(host, p)
  if (!status) return []
  return checks.filter((c) => c.needs.some((n) => needsCapture(n, status)))
}

/** Withhold a check's findings on hosts where it is unknown (every host the finding cites). */
export function gate(check: Check, findings: Finding[], actual: ActualModel): Finding[] {
  if (!check.needs.length || !findings.length) return findings
  const unknown = new Map<string, boolean>()
  const isUnknown = (name: string) => {
    let u = unknown.get(name)
    if (u === undefined) {
      u = unknownOn(
        check,
        actual.hosts.find((h) => h.name === name),
      )
      unknown.set(name, u)
    }
    return u
  }
  return findings.filter((f) => {
    const hosts = new Set([f.host, ...f.evidence.map((e) => e.host)].filter((h): h is string => h !== undefined))
    return ![...hosts].some(isUnknown)
  })
}
