// The analyzers, registered explicitly, and the one entry point that runs them.

import type {ActualModel} from '../model/actual.js'
import type {ReferenceModel} from '../model/reference.js'
import {SEVERITY_RANK} from './codes.js'
import type {Analyzer} from './context.js'
import {dataAnalyzer} from './data.js'
import {dhcpAnalyzer} from './dhcp.js'
import {type Finding, sortFindings} from './finding.js'
import {linkAnalyzer, portAnalyzer} from './ports.js'
import {shadowAnalyzer} from './shadow.js'
import {tableMissAnalyzer} from './table-miss.js'
import {tunnelAnalyzer} from './tunnels.js'
import {vifAnalyzer} from './vif.js'
import {vlanAnalyzer} from './vlans.js'

export const ANALYZERS: {name: string; run: Analyzer}[] = [
  {name: 'data', run: dataAnalyzer},
  {name: 'ports', run: portAnalyzer},
  {name: 'links', run: linkAnalyzer},
  {name: 'vlans', run: vlanAnalyzer},
  {name: 'table-miss', run: tableMissAnalyzer},
  {name: 'dhcp', run: dhcpAnalyzer},
  {name: 'vif', run: vifAnalyzer},
  {name: 'shadow', run: shadowAnalyzer},
  {name: 'tunnels', run: tunnelAnalyzer},
]

/** One finding per (host, code, element): the most severe wins, so the generic and the specific check never double up. */
function dedupe(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>()
  for (const f of findings) {
    const key = `${f.host ?? ''}\u0000${f.code}\u0000${f.element}`
    const have = best.get(key)
    if (!have || SEVERITY_RANK[f.severity] > SEVERITY_RANK[have.severity]) best.set(key, f)
  }
  return [...best.values()]
}

export function analyze(actual: ActualModel, reference: ReferenceModel, analyzers = ANALYZERS): Finding[] {
  const ctx = {actual, reference}
  return sortFindings(dedupe(analyzers.flatMap((a) => a.run(ctx))))
}

export {FINDING_CODES, type FindingCode, type Severity} from './codes.js'
export type {Finding} from './finding.js'
