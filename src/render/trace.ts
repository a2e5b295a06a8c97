// trace output: text (one hop a line, the VLAN the frame carries), JSON, and DOT. Names are escaped for each medium
// where they are written (./escape.ts).

import type {Finding} from '../analyze/index.js'
import {publicTrace, type TraceReport} from '../contracts/index.js'
import type {Hop, TraceResult} from '../trace/tracer.js'
import {dotLabel, dotString, escapeTerminal as t} from './escape.js'
import {renderTable} from './table.js'

const TRACE_SCHEMA_VERSION: TraceReport['schemaVersion'] = 1

/** `trace --format json`: the public shape of schemas/trace.schema.json, not the tracer's internal records. */
export function traceJson(results: TraceResult[], version: string): TraceReport {
  return {schemaVersion: TRACE_SCHEMA_VERSION, tool: {name: 'neutrace', version}, traces: results.map(publicTrace)}
}

function vlanText(v: number | null, vni?: number): string {
  if (v === null && vni !== undefined) return `VNI ${vni}`
  return v === null ? 'untagged' : `VLAN ${v}`
}

function targetText(r: TraceResult): string {
  if (r.target === 'dhcp') return 'its DHCP server'
  if (r.target === 'ip') return t(r.l3?.sent.dst ?? 'an address beyond its router')
  if (r.target === 'fip') return `from the external network to ${t(r.l3?.sent.dst ?? 'its floating IP')}`
  return 'the uplink'
}

export function renderTraceText(r: TraceResult): string {
  const vm = r.vm
  const out: string[] = []
  out.push(
    `Trace of ${t(vm.name ?? vm.uuid ?? vm.mac)} (${t(vm.mac)}${vm.ip ? `, ${t(vm.ip)}` : ''}) on ${t(vm.host)} → ${targetText(r)}`,
  )
  out.push('')
  out.push(
    renderTable(
      ['#', 'Host', 'Hop', 'Element', 'VLAN', 'Detail'],
      r.hops.map((h, i) => [String(i + 1), h.host, h.kind, h.element, vlanText(h.vlan, h.vni), h.note ?? '']),
      [3, 12, 16, 42, 9, 70],
    ),
  )
  out.push('')
  out.push(`Path: ${compactPath(r)}`)
  out.push(`Verdict: ${r.verdict.toUpperCase()} — ${t(r.reason)}`)
  if (r.dropFlow)
    out.push(`Dropped by: ${t(r.dropFlow.host)} ${t(r.dropFlow.bridge)} line ${r.dropFlow.line}: ${t(r.dropFlow.text)}`)
  if (r.l3) {
    const l = r.l3
    out.push(
      `Router: ${t(l.router)} (${t(l.namespace)} on ${t(l.host)}): sent ${t(l.sent.src)} → ${t(l.sent.dst)}, seen as ${t(l.seen.src)} → ${t(l.seen.dst)}`,
    )
  }
  if (r.reply) out.push(`Reply: ${compactPath(r.reply)} — ${r.reply.verdict.toUpperCase()}: ${t(r.reply.reason)}`)
  if (r.dhcp) {
    const d = r.dhcp
    out.push(
      `DHCP: ${t(d.namespace)} on ${t(d.host)} via ${t(d.device)}: dnsmasq ${d.server ? 'running' : 'NOT running'}, ${d.knowsMac ? `knows ${t(vm.mac)} → ${t(d.offers ?? '?')}` : `has no entry for ${t(vm.mac)}`}`,
    )
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
    const element =
      h.kind === 'physical-network'
        ? '[physical network]'
        : h.kind === 'underlay'
          ? `[underlay, VNI ${h.vni ?? '?'}]`
          : h.kind === 'namespace'
            ? `in ${t(h.element)}`
            : t(h.element)
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
  return parts
    .map((p) => {
      if (p.element.startsWith('[') || p.element.startsWith('in ')) return p.element
      if (p.bridge)
        return p.vlanOut !== p.vlanIn
          ? `${p.element} (VLAN ${p.vlanIn ?? 'untagged'}→${p.vlanOut ?? 'untagged'})`
          : p.element
      if (p.vlanIn === null || p.vlanIn === shown) return p.element
      shown = p.vlanIn
      return `${p.element} (VLAN ${p.vlanIn})`
    })
    .join(' → ')
}

/**
 * The findings that name this element on this host: `br-eth2` for `br-eth2 table 0: …`, `dnsmasq pid 7`, a namespace.
 */
export function findingsAt(findings: readonly Finding[], host: string, element: string): Finding[] {
  return findings.filter(
    (f) =>
      f.host === host &&
      f.severity !== 'info' &&
      (f.element === element ||
        f.element.split(' ')[0].replace(/:$/, '') === element ||
        f.element === `dnsmasq ${element}`),
  )
}

/** Text wrapped for a DOT label (words kept whole unless longer than the width). */
export function wrapLabel(text: string, width = 44): string {
  const lines: string[] = []
  for (const para of text.split('\n')) {
    let line = ''
    for (const word of para.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line)
        line = ''
      }
      line = line ? `${line} ${word}` : word
      while (line.length > width) {
        lines.push(line.slice(0, width))
        line = line.slice(width)
      }
    }
    lines.push(line)
  }
  return lines.join('\n')
}

const KIND_LABEL: Record<string, string> = {
  vm: 'VM',
  tap: 'tap device',
  'linux-bridge': 'Linux bridge',
  veth: 'veth',
  'ovs-port': 'OVS port',
  'ovs-bridge': 'OVS bridge',
  patch: 'patch port',
  uplink: 'physical NIC',
  'physical-network': 'physical network',
  tunnel: 'tunnel port',
  namespace: 'namespace',
  'dhcp-server': 'DHCP server',
  router: 'router',
}

const NODE_STYLE: Record<string, string> = {
  vm: 'shape=box3d, fillcolor="#e3f2e1"',
  'linux-bridge': 'shape=box, fillcolor="#fff4d6"',
  'ovs-bridge': 'shape=component, fillcolor="#dcecfb"',
  uplink: 'shape=box, fillcolor="#eeeeee", penwidth=2',
  'physical-network': 'shape=ellipse, fillcolor="#f4f4f4", penwidth=2',
  namespace: 'shape=folder, fillcolor="#efe6f7"',
  'dhcp-server': 'shape=box, style="rounded,filled", fillcolor="#efe6f7"',
}

interface PathNode {
  id: string
  host: string
  kind: string
  element: string
  vlanIn: number | null
  vlanOut: number | null
  /** The tunnel id the frame carries in and out, where it has no VLAN because it is (or was just) encapsulated. */
  vniIn?: number
  vniOut?: number
  hops: Hop[]
}

function vlanShort(v: number | null, vni?: number): string {
  return v === null ? (vni !== undefined ? `VNI ${vni}` : 'untagged') : `VLAN ${v}`
}

/** Consecutive hops on one element (a veth end that is also an OVS port) become one node of the picture. */
function pathNodes(prefix: string, hops: Hop[]): PathNode[] {
  const nodes: PathNode[] = []
  for (const h of hops) {
    const last = nodes[nodes.length - 1]
    if (last && last.host === h.host && last.element === h.element) {
      last.vlanOut = h.vlan
      last.hops.push(h)
      if (last.kind !== 'ovs-bridge' && (h.kind === 'ovs-port' || h.kind === 'ovs-bridge')) last.kind = h.kind
      continue
    }
    nodes.push({
      id: `${prefix}_${nodes.length}`,
      host: h.host,
      kind: h.kind,
      element: h.element,
      vlanIn: h.vlan,
      vlanOut: h.vlan,
      hops: [h],
    })
  }
  // The tunnel id: a hop that names it, or, for an untagged hop right after the tunnel (br-tun on the far side, where
  // the frame arrives decapsulated with its tun_id still set), the one the tunnel carried.
  nodes.forEach((n, i) => {
    const prev = nodes[i - 1]
    n.vniIn = n.hops[0]!.vni ?? (n.vlanIn === null && prev?.vlanOut === null ? prev.vniOut : undefined)
    n.vniOut = n.hops[n.hops.length - 1]!.vni ?? (n.vlanOut === null ? n.vniIn : undefined)
  })
  // A bridge's outgoing VLAN (or tunnel id) is the one its next hop carries.
  nodes.forEach((n, i) => {
    const next = nodes[i + 1]
    if (n.kind === 'ovs-bridge' && next) {
      n.vlanOut = next.vlanIn
      n.vniOut = next.vlanIn === null ? next.vniIn : undefined
    }
  })
  return nodes
}

const RED = '#c62828'
/** Hops between hosts: drawn under the hosts' boxes, where the chain turns from going down to climbing up. */
const WIRES = new Set(['physical-network', 'underlay'])

function impactless(f: Finding): boolean {
  return !f.impact.vms.length && !f.impact.ports.length && !f.impact.networks.length
}

/** Whether a finding bears on this VM's path: it names the VM, its port or its network, or names nothing it affects. */
function concerns(f: Finding, r: TraceResult): boolean {
  const vm = r.vm
  return (
    impactless(f) ||
    [vm.name, vm.uuid].some((x) => x !== undefined && f.impact.vms.includes(x)) ||
    (vm.portId !== undefined && f.impact.ports.includes(vm.portId)) ||
    (vm.networkId !== undefined && f.impact.networks.some((n) => n.includes(vm.networkId!)))
  )
}

/**
 * A VM's path drawn the way the seed's diagrams draw it: each host a box, its elements top to bottom (VM first on the
 * VM's host; on the far host the chain climbs from the NIC to the DHCP namespace), the physical network between the
 * hosts at the bottom, the VLAN carried on every hop, and the faulty elements with their findings in red.
 */
export function renderTraceDot(results: TraceResult[], findings: readonly Finding[] = []): string {
  const out = [
    'digraph neutrace_trace {',
    '  rankdir=TB; newrank=true; nodesep=0.5; ranksep=0.32;',
    '  graph [fontname="Courier", fontsize=12, labeljust=l];',
    '  node [shape=box, style=filled, fillcolor=white, fontname="Courier", fontsize=11, margin="0.12,0.05"];',
    '  edge [fontname="Courier", fontsize=10, color="#555555", fontcolor="#333333"];',
  ]
  for (const [k, r] of results.entries()) {
    const mine = findings.filter((f) => concerns(f, r))
    const nodes = pathNodes(`t${k}`, r.hops)
    const noted = new Set<Finding>()
    // Segments: the chain on one host. The first goes down; after the physical network the next climbs back up.
    let segment = 0
    const segmentOf = new Map<PathNode, number>()
    for (const n of nodes) {
      if (WIRES.has(n.kind)) segment++
      segmentOf.set(n, WIRES.has(n.kind) ? -1 : segment)
    }
    const dropAt = r.dropFlow
      ? nodes.find((n) => n.host === r.dropFlow!.host && n.element === r.dropFlow!.bridge)
      : undefined
    const hosts = [...new Set(nodes.filter((n) => !WIRES.has(n.kind)).map((n) => n.host))]
    if (results.length > 1)
      out.push(
        `  subgraph ${dotString(`cluster_trace_${k}`)} {`,
        `    label=${dotString(`${r.vm.name ?? r.vm.mac} (${r.vm.mac})`)};`,
      )
    for (const host of hosts) {
      out.push(
        `  subgraph ${dotString(`cluster_t${k}_${host}`)} {`,
        `    label=${dotString(host)}; style="rounded"; color="#777777"; fontsize=13;`,
      )
      for (const n of nodes.filter((x) => x.host === host && !WIRES.has(x.kind))) {
        const faults = findingsAt(mine, n.host, n.element)
        const red = faults.length > 0 || n === dropAt
        const lines = [n.element]
        if (n.kind === 'ovs-bridge' && (n.vlanIn !== n.vlanOut || n.vniIn !== n.vniOut))
          lines.push(`${vlanShort(n.vlanIn, n.vniIn)} → ${vlanShort(n.vlanOut, n.vniOut)}`)
        else if (n.kind !== 'dhcp-server' && n.kind !== 'vm') lines.push(KIND_LABEL[n.kind] ?? n.kind)
        if (n.kind === 'dhcp-server' && r.dhcp)
          lines.push(r.dhcp.knowsMac ? `offers ${r.dhcp.offers ?? '?'}` : `no entry for ${r.vm.mac}`)
        const style = NODE_STYLE[n.kind] ?? ''
        const redStyle = red ? `, color="${RED}", fontcolor="${RED}", penwidth=2.5, fillcolor="#fdecea"` : ''
        out.push(`    ${n.id} [label=${dotLabel(...lines)}${style ? `, ${style}` : ''}${redStyle}];`)
        for (const f of faults) noted.add(f)
        const notes = [...faults.map((f) => `${f.code}: ${f.message}`)]
        if (n === dropAt && r.dropFlow)
          notes.push(`dropped by ${r.dropFlow.bridge} line ${r.dropFlow.line}: ${r.dropFlow.text}`)
        if (notes.length) {
          out.push(
            `    ${n.id}_note [shape=note, style=filled, fillcolor="#fdecea", color="${RED}", fontcolor="${RED}", fontsize=10, label=${dotLabel(...wrapLabel(notes.join('\n'), 46).split('\n'))}];`,
          )
          out.push(`    { rank=same; ${n.id}; ${n.id}_note; }`)
          out.push(`    ${n.id} -> ${n.id}_note [style=dashed, color="${RED}", arrowhead=none];`)
        }
      }
      out.push('  }')
    }
    for (const n of nodes.filter((x) => WIRES.has(x.kind))) {
      const physnet = n.hops[0].note?.replace(/^physical network /, '')
      const label =
        n.kind === 'underlay'
          ? dotLabel('underlay', n.element, `VNI ${n.hops[0].vni ?? '?'}`)
          : dotLabel(`physical network${physnet ? ` ${physnet}` : ''}`, vlanShort(n.vlanIn))
      out.push(`  ${n.id} [label=${label}, ${NODE_STYLE['physical-network']}];`)
    }
    for (let i = 1; i < nodes.length; i++) {
      const a = nodes[i - 1]
      const b = nodes[i]
      const carried = vlanShort(b.vlanIn, b.vniIn)
      const label = `label=${dotString(` ${carried} `)}`
      // Climbing segments are written bottom-up with the arrow turned back, so the chain reads upwards.
      const climbing = (segmentOf.get(b) ?? 0) % 2 === 1
      if (climbing) out.push(`  ${b.id} -> ${a.id} [dir=back, ${label}];`)
      else out.push(`  ${a.id} -> ${b.id} [${label}];`)
    }
    // The verdict, under the last element reached.
    const last = nodes[nodes.length - 1]
    const delivered = r.verdict === 'delivered'
    const replyBad = r.reply && r.reply.verdict !== 'delivered'
    const verdict = [`${r.verdict.toUpperCase()}: ${r.reason}`]
    if (r.reply) verdict.push(`reply ${r.reply.verdict.toUpperCase()}: ${r.reply.reason}`)
    if (r.reply?.dropFlow)
      verdict.push(
        `reply dropped by ${r.reply.dropFlow.host} ${r.reply.dropFlow.bridge} line ${r.reply.dropFlow.line}: ${r.reply.dropFlow.text}`,
      )
    const others = mine.filter((f) => !noted.has(f) && f.severity === 'error' && !impactless(f))
    for (const f of others) verdict.push(`${f.code} on ${f.host ?? '-'} ${f.element}: ${f.message}`)
    const ok = delivered && !replyBad && !others.length
    const color = ok ? '#2e7d32' : RED
    out.push(
      `  t${k}_verdict [shape=note, style=filled, fillcolor="${ok ? '#e8f5e9' : '#fdecea'}", color="${color}", fontcolor="${color}", fontsize=10, label=${dotLabel(...wrapLabel(verdict.join('\n'), 52).split('\n'))}];`,
    )
    if (last) {
      const climbing = (segmentOf.get(last) ?? 0) % 2 === 1
      out.push(
        climbing
          ? `  t${k}_verdict -> ${last.id} [style=dashed, color="${color}", dir=back];`
          : `  ${last.id} -> t${k}_verdict [style=dashed, color="${color}"];`,
      )
    }
    if (results.length > 1) out.push('  }')
  }
  out.push('}')
  return out.join('\n')
}
