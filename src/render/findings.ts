// diagnose output: the JSON report (a versioned contract, schemas/diagnose.schema.json) and the human table.

import type {Finding} from '../analyze/index.js'
import type {Analysis} from '../engine.js'
import {renderTable} from './table.js'

export const REPORT_SCHEMA_VERSION = 1

export interface DiagnoseReport {
  schemaVersion: number
  tool: {name: 'neutrace'; version: string}
  snapshot: {dir: string; createdAt?: string; source?: string; hosts: {name: string; roles: string[]; status: string}[]}
  intent: {known: boolean; sources: string[]}
  summary: {error: number; warning: number; info: number}
  unknowns: string[]
  findings: Finding[]
}

export function buildReport(analysis: Analysis, findings: Finding[], version: string): DiagnoseReport {
  const count = (s: string) => findings.filter((f) => f.severity === s).length
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: {name: 'neutrace', version},
    snapshot: {
      dir: analysis.snapshot.dir, createdAt: analysis.snapshot.manifest.createdAt, source: analysis.snapshot.manifest.source,
      hosts: analysis.snapshot.hosts.map((h) => ({name: h.name, roles: h.roles ?? [], status: h.status ?? 'complete'})),
    },
    intent: {known: analysis.reference.intentKnown, sources: analysis.intent?.sources ?? []},
    summary: {error: count('error'), warning: count('warning'), info: count('info')},
    unknowns: analysis.reference.unknowns,
    findings,
  }
}

export function renderReportTable(report: DiagnoseReport): string {
  const out: string[] = []
  const hosts = report.snapshot.hosts.map((h) => `${h.name} (${h.roles.join(',') || '?'}${h.status === 'complete' ? '' : `, ${h.status}`})`).join(', ')
  out.push(`Snapshot ${report.snapshot.dir}${report.snapshot.createdAt ? ` taken ${report.snapshot.createdAt}` : ''}`)
  out.push(`Hosts: ${hosts}`)
  out.push(`Intent: ${report.intent.known ? report.intent.sources.join(', ') : 'none (inferred from the hosts)'}`)
  out.push('')
  if (!report.findings.length) {
    out.push('No findings: the hosts match what Neutron expects.')
  } else {
    out.push(renderTable(['Severity', 'Host', 'Code', 'Element', 'Message'],
      report.findings.map((f) => [f.severity, f.host ?? '-', f.code, f.element, f.message]), [8, 12, 24, 36, 60]))
    const detailed = report.findings.filter((f) => f.severity !== 'info')
    if (detailed.length) out.push('')
    for (const [i, f] of detailed.entries()) {
      out.push(`[${i + 1}] ${f.code} on ${f.host ?? '-'}: ${f.element}${f.confidence === 'low' ? '  (inferred, low confidence)' : ''}`)
      if (f.expected) out.push(`    expected: ${f.expected}`)
      if (f.actual) out.push(`    actual:   ${f.actual}`)
      for (const e of f.evidence) {
        const where = [e.file ?? e.spec, e.line ? `line ${e.line}` : ''].filter(Boolean).join(' ')
        out.push(`    evidence: ${e.host} ${where}${e.text ? `: ${e.text}` : ''}`)
      }
      if (f.impact.vms.length || f.impact.networks.length) {
        out.push(`    impact:   ${[f.impact.vms.length ? `VMs ${f.impact.vms.join(', ')}` : '', f.impact.networks.length ? `networks ${f.impact.networks.join(', ')}` : ''].filter(Boolean).join('; ')}`)
      }
      if (f.remedy) out.push(`    remedy:   ${f.remedy}`)
    }
  }
  if (report.unknowns.length) {
    out.push('')
    out.push('Not known (checks depending on these were skipped or ran with low confidence):')
    for (const u of report.unknowns) out.push(`  - ${u}`)
  }
  out.push('')
  out.push(`${report.summary.error} error(s), ${report.summary.warning} warning(s), ${report.summary.info} info`)
  return out.join('\n')
}
