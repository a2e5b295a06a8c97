// trace output: text (one hop a line, the VLAN the frame carries), JSON, and DOT. Names are escaped for each medium
// where they are written (./escape.ts).

import {publicTrace, type TraceReport} from '../contracts/index.js'
import type {TraceResult} from '../trace/tracer.js'
import {dotLabel, escapeTerminal as t} from './escape.js'
import {renderTable} from './table.js'

export const TRACE_SCHEMA_VERSION: TraceReport['schemaVersion'] = 1

/** `trace --format json`: the public shape of schemas/trace.schema.json, not the tracer's internal records. */
export function traceJson(results: TraceResult[], version: string): TraceReport {
  return {schemaVersion: TRACE_SCHEMA_VERSION, tool: {name: 'neutrace', version}, traces: results.map(publicTrace)}
}

function vlanText(v: number | null, vni?: number): string {
  if (v === null && vni !== undefined) return `VNI ${vni}`
  return v === null ? 'untagged' : `VLAN ${v}`
}

export function renderTraceText(r: TraceResult): string {
  const vm = r.vm
  const out: string[] = []
  out.push(`Trace of ${t(vm.name ?? vm.uuid ?? vm.mac)} (${t(vm.mac)}${vm.ip ? `, ${t(vm.ip)}` : ''}) on ${t(vm.host)} → ${r.target === 'dhcp' ? 'its DHCP server' : 'the uplink'}`)
  out.push('')
  out.push(renderTable(['#', 'Host', 'Hop', 'Element', 'VLAN', 'Detail'],
    r.hops.map((h, i) => [String(i + 1), h.host, h.kind, h.element, vlanText(h.vlan, h.vni), h.note ?? '']), [3, 12, 16, 42, 9, 70]))
  out.push('')
  out.push(`Path: ${compactPath(r)}`)
  out.push(`Verdict: ${r.verdict.toUpperCase()} — ${t(r.reason)}`)
  if (r.dropFlow) out.push(`Dropped by: ${t(r.dropFlow.host)} ${t(r.dropFlow.bridge)} line ${r.dropFlow.line}: ${t(r.dropFlow.text)}`)
  if (r.reply) out.push(`Reply: ${compactPath(r.reply)} — ${r.reply.verdict.toUpperCase()}: ${t(r.reply.reason)}`)
  if (r.dhcp) {
    const d = r.dhcp
    out.push(`DHCP: ${t(d.namespace)} on ${t(d.host)} via ${t(d.device)}: dnsmasq ${d.server ? 'running' : 'NOT running'}, ${d.knowsMac ? `knows ${t(vm.mac)} → ${t(d.offers ?? '?')}` : `has no entry for ${t(vm.mac)}`}`)
  }
  if (r.unknowns.length) {
    out.push('Unknown:')
    for (const u of r.unknowns) out.push(`  - ${t(u)}`)
  }
  return out.join('\n')
}

/** tap53903a95-82 → qbr53903a95-82 → … → br-eth2 (VLAN 3→1000) → eth2 (VLAN 1000): the arrow path the seed draws.
 * Consecutive hops on one element collapse into one; a VLAN is written where it changes. Terminal text. */
export function compactPath(r: Pick<TraceResult, 'hops'>): string {
  const parts: {element: string; vlanIn: number | null; vlanOut: number | null; bridge: boolean}[] = []
  for (const h of r.hops) {
    if (h.kind === 'vm' || h.kind === 'dhcp-server') continue
    const element = h.kind === 'physical-network' ? '[physical network]' : h.kind === 'underlay' ? `[underlay, VNI ${h.vni ?? '?'}]`
      : h.kind === 'namespace' ? `in ${t(h.element)}` : t(h.element)
    const last = parts[parts.length - 1]
    if (last && last.element === element) {
      last.vlanOut = h.vlan
      last.vlanIn ??= h.vlan
      continue
    }
    parts.push({element, vlanIn: h.vlan, vlanOut: h.vlan, bridge: h.kind === 'ovs-bridge'})
  }
  // A bridge's outgoing VLAN is the one its next hop carries.
  parts.forEach((p, i) => {
    if (p.bridge && parts[i + 1]) p.vlanOut = parts[i + 1].vlanIn
  })
  let shown: number | null = null
  return parts.map((p) => {
    if (p.element.startsWith('[') || p.element.startsWith('in ')) return p.element
    if (p.bridge) return p.vlanOut !== p.vlanIn ? `${p.element} (VLAN ${p.vlanIn ?? 'untagged'}→${p.vlanOut ?? 'untagged'})` : p.element
    if (p.vlanIn === null || p.vlanIn === shown) return p.element
    shown = p.vlanIn
    return `${p.element} (VLAN ${p.vlanIn})`
  }).join(' → ')
}

export function renderTraceDot(results: TraceResult[]): string {
  const out = ['digraph neutrace_trace {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];']
  for (const [n, r] of results.entries()) {
    const ids = r.hops.map((h, i) => `t${n}_${i}`)
    for (const [i, h] of r.hops.entries()) {
      out.push(`  ${ids[i]} [label=${dotLabel(h.host, h.element, `${h.kind}${h.vlan !== null ? ` VLAN ${h.vlan}` : ''}`)}];`)
    }
    for (let i = 1; i < ids.length; i++) out.push(`  ${ids[i - 1]} -> ${ids[i]};`)
    const color = r.verdict === 'delivered' ? 'darkgreen' : 'red'
    out.push(`  t${n}_verdict [shape=note, color=${color}, label=${dotLabel(`${r.verdict}: ${r.reason}`)}];`)
    if (ids.length) out.push(`  ${ids[ids.length - 1]} -> t${n}_verdict [style=dashed];`)
  }
  out.push('}')
  return out.join('\n')
}
