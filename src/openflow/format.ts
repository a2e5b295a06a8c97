// How a flow is written for people: evidence, findings, traces and remedies all print flows with these functions, so a
// flow reads the same everywhere.

import type {Flow, FlowAction, FlowMatch, PortRef} from './types.js'

function isPlainName(text: string): boolean {
  if (text.length === 0) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 32
    const letter = c >= 97 && c <= 122
    if (!(letter || (i > 0 && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57))) return false
  }
  return true
}

function formatPort(port: PortRef): string {
  if (typeof port === 'number') return String(port)
  return isPlainName(port) ? port : JSON.stringify(port)
}

export function formatAction(action: FlowAction): string {
  switch (action.type) {
    case 'output':
      return `output:${formatPort(action.port)}`
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
      return action.text === '' ? 'CONTROLLER' : `CONTROLLER:${action.text}`
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
      return `resubmit(${action.port === undefined ? '' : formatPort(action.port)},${action.table ?? ''})`
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
      return `learn(${action.text})`
    case 'ct':
      return `ct(${action.text})`
    case 'note':
      return `note:${action.text}`
    case 'other':
      return action.text
  }
}

export function formatMatch(match: FlowMatch): string {
  const parts: string[] = []
  if (match.inPort !== undefined) parts.push(`in_port=${formatPort(match.inPort)}`)
  for (const [key, masked] of Object.entries(match.fields)) {
    if (masked.value === '' && masked.mask === undefined) parts.push(key)
    else parts.push(`${key}=${masked.value}${masked.mask === undefined ? '' : `/${masked.mask}`}`)
  }
  return parts.join(',')
}

/** One line for evidence: `table=0 priority=3 cookie=0x0 in_port=1,dl_vlan=1000 actions=mod_vlan_vid:1,NORMAL`. */
export function formatFlow(flow: Flow): string {
  const name = flow.tableName === undefined ? undefined : formatPort(flow.tableName)
  const table = name === undefined ? String(flow.table) : flow.table < 0 ? name : `${flow.table}(${name})`
  const match = formatMatch(flow.match)
  const actions = flow.actions.map(formatAction).join(',')
  return `table=${table} priority=${flow.priority} cookie=${flow.cookie}${match === '' ? '' : ` ${match}`} actions=${actions}`
}

/** `table=0 priority=3 in_port=1,dl_vlan=1000` — enough to find the flow in a dump (no actions). */
export function describeFlow(flow: Flow): string {
  const cookie = flow.cookie && flow.cookie !== '0x0' ? ` cookie=${flow.cookie}` : ''
  return `table=${flow.table} priority=${flow.priority} ${formatMatch(flow.match) || '(any packet)'}${cookie}`
}
