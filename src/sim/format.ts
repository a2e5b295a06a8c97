// Text for people: flows, actions and a whole simulated bridge pass, laid out like `ovs-appctl ofproto/trace`.

import {describeFlow, formatAction, formatMatch as formatFlowMatch} from '../openflow/format.js'
import type {FlowMatch} from '../types.js'
import type {BridgeResult, SimStep} from './model.js'
import {describeVlan} from './packet.js'

/** Matches and actions are written the way evidence writes them (src/openflow/format.ts), so both read alike. */
export function formatMatch(match: FlowMatch): string {
  return formatFlowMatch(match) || '(any packet)'
}

export {describeFlow, formatAction}

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
