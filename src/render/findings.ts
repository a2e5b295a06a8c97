// diagnose output: the JSON report (a versioned contract, schemas/diagnose.schema.json) and the human table, every
// field of which is escaped for the terminal (names come from hosts and tenants).

import type {Finding} from '../analyze/index.js'
import {type DiagnoseReport, publicFinding} from '../contracts/index.js'
import type {Analysis} from '../engine.js'
import {snapshotOrigin} from '../snapshot/read.js'
import {escapeTerminal} from './escape.js'
import {renderTable} from './table.js'

const REPORT_SCHEMA_VERSION: DiagnoseReport['schemaVersion'] = 1

export type {DiagnoseReport}

export function buildReport(analysis: Analysis, findings: Finding[], version: string): DiagnoseReport {
  const count = (s: string) => findings.filter((f) => f.severity === s).length
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: {name: 'neutrace', version},
    snapshot: {
      ...snapshotOrigin(analysis.snapshot),
      createdAt: analysis.snapshot.manifest.createdAt,
      source: analysis.snapshot.manifest.source,
      hosts: analysis.snapshot.hosts.map((h) => ({name: h.name, roles: h.roles ?? [], status: h.status ?? 'complete'})),
    },
    intent: {known: analysis.reference.intentKnown, sources: analysis.intent?.sources ?? []},
    summary: {error: count('error'), warning: count('warning'), info: count('info')},
    unknowns: analysis.reference.unknowns,
    findings: findings.map(publicFinding),
  }
}

export function renderReportTable(report: DiagnoseReport): string {
  const t = escapeTerminal
  const out: string[] = []
  const hosts = report.snapshot.hosts
    .map((h) => `${t(h.name)} (${t(h.roles.join(',')) || '?'}${h.status === 'complete' ? '' : `, ${t(h.status)}`})`)
    .join(', ')
  out.push(
    report.snapshot.sosreports
      ? `Sosreports ${report.snapshot.sosreports.map(t).join(', ')}${report.snapshot.createdAt ? ` (imported ${t(report.snapshot.createdAt)})` : ''}`
      : `Snapshot ${t(report.snapshot.dir)}${report.snapshot.createdAt ? ` taken ${t(report.snapshot.createdAt)}` : ''}`,
  )
  out.push(`Hosts: ${hosts}`)
  out.push(
    `Intent: ${report.intent.known ? report.intent.sources.map(t).join(', ') : 'none (inferred from the hosts)'}`,
  )
  out.push('')
  if (!report.findings.length) {
    out.push('No findings: the hosts match what Neutron expects.')
  } else {
    out.push(
      renderTable(
        ['Severity', 'Host', 'Code', 'Element', 'Message'],
        report.findings.map((f) => [f.severity, f.host ?? '-', f.code, f.element, f.message]),
        [8, 12, 24, 36, 60],
      ),
    )
    const detailed = report.findings.filter((f) => f.severity !== 'info')
    if (detailed.length) out.push('')
    for (const [i, f] of detailed.entries()) {
      out.push(
        `[${i + 1}] ${f.code} on ${t(f.host ?? '-')}: ${t(f.element)}${f.confidence === 'low' ? '  (inferred, low confidence)' : ''}`,
      )
      if (f.expected) out.push(`    expected: ${t(f.expected)}`)
      if (f.actual) out.push(`    actual:   ${t(f.actual)}`)
      for (const e of f.evidence) {
        const where = [e.file ?? e.spec, e.line ? `line ${e.line}` : ''].filter(Boolean).join(' ')
        out.push(`    evidence: ${t(e.host)} ${t(where)}${e.text ? `: ${t(e.text)}` : ''}`)
      }
      if (f.impact.vms.length || f.impact.networks.length) {
        const vms = f.impact.vms.length ? `VMs ${f.impact.vms.map(t).join(', ')}` : ''
        const networks = f.impact.networks.length ? `networks ${f.impact.networks.map(t).join(', ')}` : ''
        out.push(`    impact:   ${[vms, networks].filter(Boolean).join('; ')}`)
      }
      if (f.remedy) out.push(`    remedy:   ${t(f.remedy)}`)
    }
  }
  if (report.unknowns.length) {
    out.push('')
    out.push('Not known (checks depending on these were skipped or ran with low confidence):')
    for (const u of report.unknowns) out.push(`  - ${t(u)}`)
  }
  out.push('')
  out.push(`${report.summary.error} error(s), ${report.summary.warning} warning(s), ${report.summary.info} info`)
  return out.join('\n')
}
