// Text for people: flows, actions and a whole simulated bridge pass, laid out like `ovs-appctl ofproto/trace`.

import type {Flow, FlowAction, FlowMatch, PortRef} from '../types.js'
import type {BridgeResult, SimStep} from './openflow.js'
import {describeVlan} from './packet.js'

function portRef(ref: PortRef): string {
  return typeof ref === 'number' ? String(ref) : /^[A-Za-z][A-Za-z0-9]*$/.test(ref) ? ref : `"${ref}"`
}

export function formatMatch(match: FlowMatch): string {
  const parts: string[] = []
  if (match.inPort !== undefined) parts.push(`in_port=${portRef(match.inPort)}`)
  for (const [name, m] of Object.entries(match.fields)) {
    parts.push(m.value === '' && m.mask === undefined ? name : `${name}=${m.value}${m.mask !== undefined ? `/${m.mask}` : ''}`)
  }
  return parts.length > 0 ? parts.join(',') : '(any packet)'
}

export function formatAction(action: FlowAction): string {
  switch (action.type) {
    case 'output':
      return `output:${portRef(action.port)}`
    case 'normal':
      return 'NORMAL'
    case 'flood':
      return 'FLOOD'
    case 'all':
      return 'ALL'
    case 'in_port':
      return 'IN_PORT'
    case 'local':
      return 'LOCAL'
    case 'controller':
      return action.text || 'CONTROLLER'
    case 'drop':
      return 'drop'
    case 'set_vlan_vid':
      return `mod_vlan_vid:${action.vid}`
    case 'pop_vlan':
      return 'pop_vlan'
    case 'push_vlan':
      return `push_vlan:0x${action.ethertype.toString(16)}`
    case 'set_vlan_pcp':
      return `mod_vlan_pcp:${action.pcp}`
    case 'resubmit':
      return `resubmit(${action.port === undefined ? '' : portRef(action.port)},${action.table ?? ''})`
    case 'goto_table':
      return `goto_table:${action.table}`
    case 'set_tunnel':
      return `set_tunnel:0x${action.id.toString(16)}`
    case 'set_field':
      return `set_field:${action.value}->${action.field}`
    case 'load':
      return `load:${action.value}->${action.dst}`
    case 'move':
      return `move:${action.src}->${action.dst}`
    case 'learn':
      return action.text.startsWith('learn') ? action.text : `learn(${action.text})`
    case 'ct':
      return action.text.startsWith('ct') ? action.text : `ct(${action.text})`
    case 'note':
      return action.text.startsWith('note') ? action.text : `note:${action.text}`
    case 'other':
      return action.text || action.name
  }
}

/** `table=0, priority=3, in_port=1,dl_vlan=1000` — enough to find the flow in a dump. */
export function describeFlow(flow: Flow): string {
  const cookie = flow.cookie && flow.cookie !== '0x0' ? ` cookie=${flow.cookie}` : ''
  return `table=${flow.table} priority=${flow.priority} ${formatMatch(flow.match)}${cookie}`
}

function stepHeader(step: SimStep): string {
  const label = `${step.table}.`.padStart(3)
  if (!step.flow) return `${label} No match.`
  const cookie = step.flow.cookie && step.flow.cookie !== '0x0' ? `, cookie ${step.flow.cookie}` : ''
  const match = formatMatch(step.flow.match)
  return `${label} ${match === '(any packet)' ? `priority ${step.flow.priority}` : `${match}, priority ${step.flow.priority}`}${cookie}`
}

function formatStep(result: BridgeResult, index: number, indent: number, lines: string[]): void {
  const step = result.steps[index]
  if (!step) return
  const pad = ' '.repeat(indent)
  lines.push(`${pad}${stepHeader(step)}`)
  const body = `${pad}    `
  if (step.lookupInPort !== result.packet.in_port && step.lookupInPort !== undefined) {
    lines.push(`${body}(looked up as if the packet came in on port ${step.lookupInPort})`)
  }
  for (const other of step.ambiguousWith) lines.push(`${body}!! same priority also matches: ${describeFlow(other)}`)
  for (const u of step.undecided) {
    lines.push(`${body}?? cannot tell whether ${describeFlow(u.flow)} matches: packet lacks ${u.fields.join(', ')}`)
  }
  for (const note of step.notes) lines.push(`${body}-> ${note}`)
  if (!step.flow) lines.push(`${body}drop`)
  for (const event of step.events) {
    lines.push(`${body}${formatAction(event.action)}`)
    for (const note of event.notes) lines.push(`${body} -> ${note}`)
    if (event.next !== undefined) {
      const child = result.steps[event.next]
      const nested = child !== undefined && child.depth > step.depth
      formatStep(result, event.next, nested ? indent + 4 : indent, lines)
    }
  }
}

function verdictLine(result: BridgeResult): string {
  if (result.verdict === 'forwarded') {
    const outs = result.outputs.map((o) => `${o.port.name} (${describeVlan(o.packet.vlan)})`)
    return `Verdict: forwarded to ${outs.join(', ')}`
  }
  if (result.verdict === 'dropped') return `Verdict: dropped — ${result.dropReason ?? 'no action output the packet'}`
  return `Verdict: unknown — ${result.unknownReasons.join('; ')}`
}

/** The simulated pass through one bridge, step by step, in the shape of `ovs-appctl ofproto/trace`. */
export function formatSteps(result: BridgeResult): string {
  const title = `bridge("${result.bridge}")`
  const lines: string[] = [title, '-'.repeat(title.length)]
  const roots = result.steps.map((s, i) => ({s, i})).filter(({s}) => s.parent === undefined)
  for (const {i} of roots) formatStep(result, i, 0, lines)
  lines.push('')
  for (const note of result.notes) lines.push(`Note: ${note}`)
  const unknownOnly = result.verdict !== 'unknown' ? result.unknownReasons : []
  for (const reason of unknownOnly) lines.push(`Not modelled: ${reason}`)
  lines.push(verdictLine(result))
  return lines.join('\n')
}
