// The report people look at: one self-contained HTML page (inline CSS and SVG, no script, no fetch), made to open
// from a mail attachment. Findings with their evidence and remedy; the hosts together and one by one; every VM's
// path to its DHCP server drawn the way the seed draws it, the faulty element in red.

import type {Finding} from '../analyze/index.js'
import {diagnose, type Analysis} from '../engine.js'
import {findVm, trace, TraceError, type TraceResult} from '../trace/tracer.js'
import {buildReport, type DiagnoseReport} from './findings.js'
import {escapeHtml} from './escape.js'
import {dotToSvg} from './svg.js'
import {renderTopologyDot} from './topology.js'
import {compactPath, renderTraceDot} from './trace.js'

export interface ReportInput {
  report: DiagnoseReport
  traces: TraceResult[]
  /** VMs that could not be traced, with the reason. */
  untraced: {vm: string; reason: string}[]
  analysis: Analysis
}

/** Everything the page shows: the diagnosis and a trace to DHCP of every VM interface the hosts define. */
export function reportInput(analysis: Analysis, version: string): ReportInput {
  const findings = diagnose(analysis)
  const report = buildReport(analysis, findings, version)
  const traces: TraceResult[] = []
  const untraced: {vm: string; reason: string}[] = []
  const seen = new Set<string>()
  const macs = analysis.actual.hosts.flatMap((h) =>
    h.vms.flatMap((v) =>
      v.domain.interfaces.map((i) => ({mac: i.mac, vm: v.domain.novaName ?? v.domain.name ?? v.domain.uuid ?? '?'})),
    ),
  )
  // Instances Neutron knows whose libvirt definition was not captured (or that are not libvirt's: the Neutron lab).
  for (const p of analysis.reference.ports) {
    if ((p.vmName || p.owner?.startsWith('compute:')) && p.mac && !macs.some((m) => m.mac?.toLowerCase() === p.mac))
      macs.push({mac: p.mac, vm: p.vmName ?? p.deviceId ?? p.id})
  }
  for (const {mac, vm} of macs) {
    if (!mac) {
      untraced.push({vm, reason: 'its interface has no MAC address'})
      continue
    }
    for (const target of findVm(analysis.actual, analysis.reference, mac)) {
      const key = `${target.host}|${target.mac}`
      if (seen.has(key)) continue
      seen.add(key)
      try {
        traces.push(trace(analysis.actual, analysis.reference, target, 'dhcp'))
      } catch (error) {
        if (!(error instanceof TraceError)) throw error
        untraced.push({vm, reason: error.message})
      }
    }
  }
  // The paths that fail come first: they are what the reader came for.
  const failing = (r: TraceResult) =>
    r.verdict !== 'delivered' || (r.reply !== undefined && r.reply.verdict !== 'delivered')
  traces.sort((a, b) => Number(failing(b)) - Number(failing(a)))
  return {report, traces, untraced, analysis}
}

const e = escapeHtml

/** Graphviz's SVG as an inline element: the XML prolog, doctype and comments dropped (the text is already escaped). */
async function inlineSvg(dot: string, label: string): Promise<string> {
  const svg = await dotToSvg(dot)
  const start = svg.indexOf('<svg')
  return svg
    .slice(start)
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace('<svg', `<svg role="img" aria-label="${e(label)}"`)
}

const CSS = `
:root{color-scheme:light}
body{font:15px/1.45 "DejaVu Sans",Arial,sans-serif;color:#1d1d1d;margin:0;background:#fafafa}
header{background:#263238;color:#fff;padding:16px 28px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:#cfd8dc}
main{padding:8px 28px 40px;max-width:1500px}
h2{font-size:19px;margin:28px 0 10px;border-bottom:2px solid #cfd8dc;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}
code,.mono{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:13px;overflow-wrap:anywhere}
.summary span{display:inline-block;margin-right:14px;padding:2px 10px;border-radius:10px;font-weight:bold}
.sev-error{background:#fdecea;color:#b71c1c}.sev-warning{background:#fff4e0;color:#8a5300}.sev-info{background:#e8f0fe;color:#174ea6}
.ok{background:#e8f5e9;color:#1b5e20}
table{border-collapse:collapse;width:100%;background:#fff;table-layout:fixed}
th,td{border:1px solid #d7dbdd;padding:6px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eceff1}
.finding{background:#fff;border:1px solid #d7dbdd;border-left:6px solid #9e9e9e;margin:12px 0;padding:8px 14px}
.finding.error{border-left-color:#c62828}.finding.warning{border-left-color:#ef8f00}
.finding h3{margin:4px 0 6px}
.finding dl{display:grid;grid-template-columns:7em 1fr;gap:3px 10px;margin:0}
.finding dt{font-weight:bold;color:#455a64}.finding dd{margin:0;min-width:0}
.evidence{list-style:none;margin:0;padding:0}
.evidence li{margin:0 0 3px}
figure{margin:10px 0 18px;background:#fff;border:1px solid #d7dbdd;padding:10px;overflow-x:auto}
figure svg{display:block;height:auto}
figure svg text{font-family:"DejaVu Sans Mono","Liberation Mono",monospace}
figcaption{font-size:14px;margin:6px 0 0;color:#37474f}
.verdict-delivered{color:#1b5e20;font-weight:bold}.verdict-bad{color:#b71c1c;font-weight:bold}
nav a{margin-right:14px}
`

function severityBadge(sev: string): string {
  return `<span class="sev-${e(sev)}">${e(sev)}</span>`
}

function findingBlock(f: Finding, i: number): string {
  const rows: string[] = []
  rows.push(`<dt>message</dt><dd>${e(f.message)}</dd>`)
  if (f.expected) rows.push(`<dt>expected</dt><dd><code>${e(f.expected)}</code></dd>`)
  if (f.actual) rows.push(`<dt>actual</dt><dd><code>${e(f.actual)}</code></dd>`)
  if (f.evidence.length) {
    rows.push(
      `<dt>evidence</dt><dd><ul class="evidence">${f.evidence
        .map((ev) => {
          const where = [ev.file ?? ev.spec, ev.line ? `line ${ev.line}` : ''].filter(Boolean).join(' ')
          return `<li>${e(ev.host)} <code>${e(where)}</code>${ev.text ? `: <code>${e(ev.text)}</code>` : ''}</li>`
        })
        .join('')}</ul></dd>`,
    )
  }
  const impact = [
    f.impact.vms.length ? `VMs ${f.impact.vms.join(', ')}` : '',
    f.impact.networks.length ? `networks ${f.impact.networks.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ')
  if (impact) rows.push(`<dt>impact</dt><dd>${e(impact)}</dd>`)
  if (f.remedy) rows.push(`<dt>remedy</dt><dd><code>${e(f.remedy)}</code></dd>`)
  if (f.confidence === 'low')
    rows.push('<dt>confidence</dt><dd>low: the expectation was inferred from the hosts, not read from Neutron</dd>')
  return (
    `<section class="finding ${e(f.severity)}" id="finding-${i + 1}"><h3>[${i + 1}] ${severityBadge(f.severity)} ` +
    `<code>${e(f.code)}</code> on ${e(f.host ?? '-')}: <code>${e(f.element)}</code></h3><dl>${rows.join('')}</dl></section>`
  )
}

function vmTitle(r: TraceResult): string {
  return `${r.vm.name ?? r.vm.uuid ?? r.vm.mac} (${r.vm.mac}${r.vm.ip ? `, ${r.vm.ip}` : ''}) on ${r.vm.host}`
}

/** The page. Every name from a host passes through escapeHtml once, here; the pictures' text is escaped by Graphviz. */
export async function renderHtmlReport(input: ReportInput): Promise<string> {
  const {report, traces, untraced, analysis} = input
  const findings = report.findings
  const out: string[] = []
  const s = report.summary
  const title = `neutrace report: ${report.snapshot.hosts.map((h) => h.name).join(', ')}`
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${CSS}</style></head><body>`,
  )
  out.push(
    '<header>',
    `<h1>${e(title)}</h1>`,
    report.snapshot.sosreports
      ? `<p>Sosreports ${e(report.snapshot.sosreports.join(', '))}${report.snapshot.createdAt ? ` (imported ${e(report.snapshot.createdAt)})` : ''}</p>`
      : `<p>Snapshot ${e(report.snapshot.dir)}${report.snapshot.createdAt ? ` taken ${e(report.snapshot.createdAt)}` : ''}${report.snapshot.source ? ` from ${e(report.snapshot.source)}` : ''}</p>`,
    `<p>Hosts: ${report.snapshot.hosts.map((h) => `${e(h.name)} (${e(h.roles.join(', ') || '?')}${h.status === 'complete' ? '' : `, ${e(h.status)}`})`).join(', ')}</p>`,
    `<p>Intent: ${report.intent.known ? e(report.intent.sources.join(', ')) : 'none (inferred from the hosts)'} · neutrace ${e(report.tool.version)}</p>`,
    '</header><main>',
  )
  out.push('<nav><a href="#findings">Findings</a><a href="#paths">Paths to DHCP</a><a href="#hosts">Hosts</a></nav>')
  // Findings
  out.push(
    '<h2 id="findings">Findings</h2>',
    '<p class="summary">',
    `<span class="${s.error ? 'sev-error' : 'ok'}">${s.error} error(s)</span>`,
    `<span class="sev-warning">${s.warning} warning(s)</span>`,
    `<span class="sev-info">${s.info} info</span></p>`,
  )
  if (!findings.length) out.push('<p class="ok">No findings: the hosts match what Neutron expects.</p>')
  else {
    out.push(
      '<table><colgroup><col style="width:7em"><col style="width:10em"><col style="width:14em"><col style="width:28%"><col></colgroup>',
      '<thead><tr><th>Severity</th><th>Host</th><th>Code</th><th>Element</th><th>Message</th></tr></thead><tbody>',
    )
    for (const [i, f] of findings.entries()) {
      out.push(
        `<tr class="row-${e(f.severity)}"><td>${severityBadge(f.severity)}</td><td>${e(f.host ?? '-')}</td>` +
          `<td><a href="#finding-${i + 1}"><code>${e(f.code)}</code></a></td><td><code>${e(f.element)}</code></td><td>${e(f.message)}</td></tr>`,
      )
    }
    out.push('</tbody></table>')
    for (const [i, f] of findings.entries()) out.push(findingBlock(f, i))
  }
  if (report.unknowns.length) {
    out.push('<h3>Not known</h3><p>Checks depending on these were skipped or ran with low confidence:</p><ul>')
    for (const u of report.unknowns) out.push(`<li>${e(u)}</li>`)
    out.push('</ul>')
  }
  // Paths
  out.push('<h2 id="paths">Paths to DHCP</h2>')
  if (!traces.length && !untraced.length) out.push('<p>No VM is defined on these hosts.</p>')
  for (const [i, r] of traces.entries()) {
    const ok = r.verdict === 'delivered' && (!r.reply || r.reply.verdict === 'delivered')
    out.push(
      `<section class="path" id="path-${i + 1}"><h3>${e(vmTitle(r))}</h3>`,
      `<figure>${await inlineSvg(renderTraceDot([r], findings), `path of ${vmTitle(r)} to its DHCP server`)}`,
      `<figcaption><span class="${ok ? 'verdict-delivered' : 'verdict-bad'}">${e(r.verdict.toUpperCase())}</span> — ${e(r.reason)}` +
        `${r.reply ? `<br>Reply: <span class="${r.reply.verdict === 'delivered' ? 'verdict-delivered' : 'verdict-bad'}">${e(r.reply.verdict.toUpperCase())}</span> — ${e(r.reply.reason)}` : ''}` +
        `<br>Path: <span class="mono">${e(compactPath(r))}</span></figcaption></figure></section>`,
    )
  }
  for (const u of untraced) out.push(`<p>${e(u.vm)}: not traced (${e(u.reason)})</p>`)
  // Hosts
  out.push('<h2 id="hosts">Hosts</h2>')
  if (analysis.actual.hosts.length > 1) {
    out.push(
      '<h3>All hosts and the physical network</h3>',
      `<figure>${await inlineSvg(renderTopologyDot(analysis.actual, undefined, findings), 'all hosts')}</figure>`,
    )
  }
  for (const host of analysis.actual.hosts) {
    out.push(
      `<h3 id="host-${e(host.name)}">${e(host.name)} (${e(host.roles.join(', ') || '?')})</h3>`,
      `<figure>${await inlineSvg(renderTopologyDot(analysis.actual, host.name, findings), `host ${host.name}`)}</figure>`,
    )
  }
  out.push('</main></body></html>')
  return out.join('\n')
}
