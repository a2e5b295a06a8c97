// neutrace as a library: what a runbook imports (`import {loadAnalysis, diagnose, trace} from 'neutrace'`). Everything
// returned here has the public shape of the JSON output (schemas/), not the engine's internal records.
//
//   const analysis = await loadAnalysis('./snap', {intentDir: './intent'})
//   for (const f of diagnose(analysis)) if (f.severity === 'error') console.log(f.code, f.host, f.element)
//   const [t] = trace(analysis, 'fa:16:3e:fe:c7:87', 'dhcp'); console.log(t.verdict, t.reason)

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {publicFinding, publicTrace, type DiagnoseReport, type Finding, type Trace} from './contracts/index.js'
import {type Analysis, diagnose as diagnoseAnalysis, traceVm} from './engine.js'
import {PACKAGE_ROOT} from './package-root.js'
import {buildReport} from './render/findings.js'
import {topologyJson} from './render/topology.js'
import {traceJson} from './render/trace.js'
import type {TopologyReport, TraceReport} from './contracts/index.js'
import type {TraceTarget} from './trace/tracer.js'

/** The version of this neutrace, as the JSON reports' `tool.version` gives it. */
export const VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {version: string}
).version

/** What is wrong in the analysed snapshot, most severe first. */
export function diagnose(analysis: Analysis): Finding[] {
  return diagnoseAnalysis(analysis).map(publicFinding)
}

/** Follow a VM's DHCP request (by instance uuid or name, MAC, port id, port name or IP) to its uplink or its DHCP
 * server. One trace per matching VM; throws TraceError when none matches. */
export function trace(analysis: Analysis, vm: string, to: TraceTarget = 'uplink'): Trace[] {
  return traceVm(analysis, vm, to).map(publicTrace)
}

/** The report `diagnose --format json` prints. */
export function diagnoseReport(analysis: Analysis): DiagnoseReport {
  return buildReport(analysis, diagnoseAnalysis(analysis), VERSION)
}

/** The document `trace --format json` prints. */
export function traceReport(analysis: Analysis, vm: string, to: TraceTarget = 'uplink'): TraceReport {
  return traceJson(traceVm(analysis, vm, to), VERSION)
}

/** The document `topology --format json` prints, for every host or one. */
export function topologyReport(analysis: Analysis, host?: string): TopologyReport {
  return topologyJson(analysis.actual, host, VERSION)
}

export {loadAnalysis, SEED_SNAPSHOT, SnapshotError, TraceError, type Analysis} from './engine.js'
export {FINDING_CODES, SEVERITY_RANK, type FindingCode, type Severity} from './analyze/codes.js'
export type {TraceTarget} from './trace/tracer.js'
export type * from './contracts/index.js'
