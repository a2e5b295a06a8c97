// trace output: text (one hop a line, the VLAN the frame carries), JSON, and DOT.

import type {TraceResult} from '../trace/tracer.js'
import {dotId, renderTable} from './table.js'

export const TRACE_SCHEMA_VERSION = 1

export function traceJson(results: TraceResult[], version: string): unknown {
  return {schemaVersion: TRACE_SCHEMA_VERSION, tool: {name: 'neutrace', version}, traces: results}
}

function vlanText(v: number | null): string {
  return v === null ? 'untagged' : `VLAN ${v}`
}

export function renderTraceText(r: TraceResult): string {
  const vm = r.vm
  const out: string[] = []
  out.push(`Trace of ${vm.name ?? vm.uuid ?? vm.mac} (${vm.mac}${vm.ip ? `, ${vm.ip}` : ''}) on ${vm.host} → ${r.target === 'dhcp' ? 'its DHCP server' : 'the uplink'}`)
  out.push('')
  out.push(renderTable(['#', 'Host', 'Hop', 'Element', 'VLAN', 'Detail'],
    r.hops.map((h, i) => [String(i + 1), h.host, h.kind, h.element, vlanText(h.vlan), h.note ?? '']), [3, 12, 16, 42, 9, 70]))
  out.push('')
  out.push(`Path: ${compactPath(r)}`)
  out.push(`Verdict: ${r.verdict.toUpperCase()} — ${r.reason}`)
  if (r.dropFlow) out.push(`Dropped by: ${r.dropFlow.host} ${r.dropFlow.bridge} line ${r.dropFlow.line}: ${r.dropFlow.text}`)
  if (r.reply) out.push(`Reply: ${compactPath(r.reply)} — ${r.reply.verdict.toUpperCase()}: ${r.reply.reason}`)
  if (r.dhcp) out.push(`DHCP: ${r.dhcp.namespace} on ${r.dhcp.host} via ${r.dhcp.device}: dnsmasq ${r.dhcp.server ? 'running' : 'NOT running'}, ${r.dhcp.knowsMac ? `knows ${vm.mac} → ${r.dhcp.offers}` : `has no entry for ${vm.mac}`}`)
  if (r.unknowns.length) {
    out.push('Unknown:')
    for (const u of r.unknowns) out.push(`  - ${u}`)
  }
  return out.join('\n')
}

/** tap53903a95-82 → qbr53903a95-82 → … → br-eth2 (VLAN 3→1000) → eth2 (VLAN 1000): the arrow path the seed draws.
 * Consecutive hops on one element collapse into one; a VLAN is written where it changes. */
export function compactPath(r: Pick<TraceResult, 'hops'>): string {
  const parts: {element: string; vlanIn: number | null; vlanOut: number | null; bridge: boolean}[] = []
  for (const h of r.hops) {
    if (h.kind === 'vm' || h.kind === 'dhcp-server') continue
    const element = h.kind === 'physical-network' ? '[physical network]' : h.kind === 'namespace' ? `in ${h.element}` : h.element
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
  for (const [t, r] of results.entries()) {
    const ids = r.hops.map((h, i) => `t${t}_${i}`)
    for (const [i, h] of r.hops.entries()) {
      out.push(`  ${ids[i]} [label=${dotId(`${h.host}\n${h.element}\n${h.kind}${h.vlan !== null ? ` VLAN ${h.vlan}` : ''}`)}];`)
    }
    for (let i = 1; i < ids.length; i++) out.push(`  ${ids[i - 1]} -> ${ids[i]};`)
    const color = r.verdict === 'delivered' ? 'darkgreen' : 'red'
    out.push(`  t${t}_verdict [shape=note, color=${color}, label=${dotId(`${r.verdict}: ${r.reason}`)}];`)
    if (ids.length) out.push(`  ${ids[ids.length - 1]} -> t${t}_verdict [style=dashed];`)
  }
  out.push('}')
  return out.join('\n')
}
