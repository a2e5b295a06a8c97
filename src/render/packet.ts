// `trace --from VM --to VM|IP`: the ARP answer, the packet's hops with the firewalls it met, the verdict naming the
// deciding rule (and the Neutron rule behind it), and the reply. Terminal text escaped once here.

import type {TraceReport} from '../contracts/index.js'
import type {FirewallStep, PacketLeg, PacketTraceResult} from '../trace/packet.js'
import {escapeTerminal as t} from './escape.js'
import {renderTable} from './table.js'
import {compactPath} from './trace.js'

/** `trace --from VM --to VM|IP --format json`: schemas/trace.schema.json with the packet trace in `packet`. */
export function packetJson(r: PacketTraceResult, version: string): TraceReport {
  return {schemaVersion: 1, tool: {name: 'neutrace', version}, traces: [], packet: r}
}

function firewallLines(steps: FirewallStep[]): string[] {
  return steps.map((s) => {
    const rule = s.rule ? ` ${t(s.rule.chain)} rule ${s.rule.number} (line ${s.rule.line}): ${t(s.rule.text)}` : ''
    const flow = s.flow ? ` ${t(s.flow.bridge)} table ${s.flow.table} (line ${s.flow.line}): ${t(s.flow.text)}` : ''
    const sg = s.sgRule
      ? `; Neutron rule ${t(s.sgRule.id)} of group ${t(s.sgRule.group)}: ${t(s.sgRule.text)}`
      : s.flow
        ? `; ${t(s.reason)}`
        : ''
    return `  ${t(s.host)} ${t(s.port)} ${s.direction}: ${s.verdict.toUpperCase()}${rule}${flow}${sg}`
  })
}

function legLines(title: string, leg: PacketLeg): string[] {
  const out = [
    `${title}: ${compactPath(leg)}`,
    `${title === 'Path' ? 'Verdict' : 'Reply verdict'}: ${leg.verdict.toUpperCase()} — ${t(leg.reason)}`,
  ]
  if (leg.dropFlow)
    out.push(
      `Dropped by: ${t(leg.dropFlow.host)} ${t(leg.dropFlow.bridge)} line ${leg.dropFlow.line}: ${t(leg.dropFlow.text)}`,
    )
  if (leg.firewall.length) out.push('Firewall:', ...firewallLines(leg.firewall))
  return out
}

export function renderPacketText(r: PacketTraceResult): string {
  const q = r.query
  const what = q.proto === 'icmp' ? 'icmp echo' : `${q.proto}/${q.dport ?? (q.proto === 'tcp' ? 22 : 53)}`
  const out = [
    `Trace of ${what} from ${t(r.from.name ?? r.from.uuid ?? r.from.mac)} (${t(r.from.ip ?? '?')}) on ${t(r.from.host)} to ${t(r.to.label)} (${t(r.to.ip)}) on ${t(r.to.host)}`,
    `ARP: ${r.arp.answeredBy} — ${t(r.arp.reason)}`,
    '',
  ]
  if (r.hops.length)
    out.push(
      renderTable(
        ['#', 'Host', 'Hop', 'Element', 'VLAN', 'Detail'],
        r.hops.map((h, i) => [
          String(i + 1),
          h.host,
          h.kind,
          h.element,
          h.vlan === null ? 'untagged' : `VLAN ${h.vlan}`,
          h.note ?? '',
        ]),
        [3, 12, 16, 42, 9, 70],
      ),
      '',
    )
  out.push(...legLines('Path', r))
  if (r.reply) out.push(...legLines('Reply', r.reply))
  if (r.unknowns.length) out.push('Unknown:', ...r.unknowns.map((u) => `  - ${t(u)}`))
  return out.join('\n')
}
