// The action model: every spelling of an action OVS prints (OF1.0/NXM and OF1.3, names or numbers) read into one
// normalised FlowAction. The parser calls it on dumps; the simulator calls it on an action it is handed as 'other',
// so no spelling is handled twice.

import {canonicalField, parseSubFieldRef} from './fields.js'
import {parseBigInteger, parseInteger, splitArrow, splitCall, splitTopLevel, unquoteOvs} from './lexer.js'
import type {FlowAction, LearnSpec, PortRef} from './types.js'
import {MAX_VID} from './vlan.js'

/** OpenFlow's reserved port numbers (OF1.0 numbering, as OVS prints and resolves them). */
export const OFPP_LOCAL = 0xfffe
export const RESERVED_PORTS: Readonly<Record<string, number>> = {
  LOCAL: OFPP_LOCAL,
  IN_PORT: 0xfff8,
  TABLE: 0xfff9,
  NORMAL: 0xfffa,
  FLOOD: 0xfffb,
  ALL: 0xfffc,
  CONTROLLER: 0xfffd,
  NONE: 0xffff,
  ANY: 0xffff,
}
/** The largest OpenFlow port number a flow can name (OF1.1+ ports are 32 bits; 0xffffff00 and above are reserved). */
export const MAX_OFPORT = 0xfffffeff
/** Flow tables 0..254 (255 means "all tables" in requests and never holds flows). */
export const MAX_TABLE = 254

// The two tables below are Maps, not objects: the words looked up in them are cut from a dump, and an object looked up
// by such a string first searches V8's table of interned strings, a Map only hashes it (a dump reads thousands).
const SIMPLE_ACTIONS: ReadonlyMap<string, FlowAction> = new Map([
  ['NORMAL', {type: 'normal'}],
  ['FLOOD', {type: 'flood'}],
  ['ALL', {type: 'all'}],
  ['IN_PORT', {type: 'in_port'}],
  ['LOCAL', {type: 'local'}],
  ['drop', {type: 'drop'}],
  ['strip_vlan', {type: 'pop_vlan'}],
  ['pop_vlan', {type: 'pop_vlan'}],
])

/** OF1.0 field-setting actions and the field each sets (`mod_dl_src:V` is `set_field:V->dl_src`). */
const MOD_ACTIONS: ReadonlyMap<string, string> = new Map([
  ['mod_dl_src', 'dl_src'],
  ['mod_dl_dst', 'dl_dst'],
  ['mod_nw_src', 'nw_src'],
  ['mod_nw_dst', 'nw_dst'],
  ['mod_nw_tos', 'nw_tos'],
  ['mod_nw_ecn', 'nw_ecn'],
  ['mod_nw_ttl', 'nw_ttl'],
  ['mod_tp_src', 'tp_src'],
  ['mod_tp_dst', 'tp_dst'],
])

export interface ActionContext {
  /** Table name -> number, for `resubmit(,name)` / `goto_table:name` in dumps taken with `--names`. */
  tableNames: Map<string, number>
  /** Set when a value is out of range (the action is then kept as 'other'): the caller reports it. */
  problem?: string
  /** Set when a table name could not be resolved (yet). */
  unresolvedName?: boolean
}

export function newActionContext(tableNames: Map<string, number> = new Map()): ActionContext {
  return {tableNames}
}

export function parsePortRef(text: string): PortRef {
  if (text.startsWith('"')) return unquoteOvs(text)
  const n = parseInteger(text)
  return n === undefined ? text : n
}

/** A port reference with its number range-checked; a string is a problem to report. */
function portArg(text: string, ctx: ActionContext): PortRef {
  const port = parsePortRef(text)
  if (typeof port === 'number' && port > MAX_OFPORT) ctx.problem ??= `port ${text} out of range (0–${MAX_OFPORT})`
  return port
}

function resolveTable(text: string, ctx: ActionContext): number | undefined {
  const n = parseInteger(text)
  if (n !== undefined) {
    if (n > MAX_TABLE) {
      ctx.problem ??= `table ${text} out of range (0–${MAX_TABLE})`
      return undefined
    }
    return n
  }
  const known = ctx.tableNames.get(unquoteOvs(text))
  if (known === undefined) ctx.unresolvedName = true
  return known
}

function vidArg(text: string, ctx: ActionContext): number | undefined {
  const vid = parseInteger(text)
  if (vid !== undefined && vid > MAX_VID) {
    ctx.problem ??= `VLAN id ${text} out of range (0–${MAX_VID})`
    return undefined
  }
  return vid
}

/** A write of `value` to a field, from set_field / load: the VLAN and tunnel writes get their own action types. */
function fieldWrite(field: string, value: string, whole: boolean): FlowAction | undefined {
  const n = parseInteger(value)
  if (field === 'vlan_vid' && n !== undefined) return {type: 'set_vlan_vid', vid: n & 0xfff}
  if (field === 'dl_vlan_pcp' && n !== undefined) return {type: 'set_vlan_pcp', pcp: n}
  if (field === 'tun_id' && whole) {
    const id = parseBigInteger(value)
    if (id !== undefined) return {type: 'set_tunnel', id}
  }
  if (field === 'vlan_tci' && whole && n !== undefined) {
    // Writing TCI 0 removes the tag (what learned br-tun flows do with load:0->NXM_OF_VLAN_TCI[]).
    if (n === 0) return {type: 'pop_vlan'}
    if ((n & 0x1000) !== 0) return {type: 'set_vlan_vid', vid: n & 0xfff}
  }
  return undefined
}

/** An action with a number argument: built from the number, or left `other` when there is none. */
function numbered(n: number | undefined, other: FlowAction, make: (n: number) => FlowAction): FlowAction {
  return n === undefined ? other : make(n)
}

/** One action as printed, normalised. Out-of-range numbers leave the action 'other' and set `ctx.problem`. */
export function parseAction(text: string, ctx: ActionContext = newActionContext()): FlowAction {
  const first = text.charCodeAt(0)
  if (first === 34) return {type: 'output', port: unquoteOvs(text)}
  if (first >= 48 && first <= 57) {
    const n = parseInteger(text)
    if (n !== undefined && !text.startsWith('0x')) return {type: 'output', port: portArg(text, ctx)}
  }
  const simple = SIMPLE_ACTIONS.get(text)
  if (simple) return {...simple}
  const {name, arg} = splitCall(text)
  const other: FlowAction = {type: 'other', name, text}
  switch (name) {
    case 'output': {
      if (arg === undefined || arg === '' || arg.includes('[')) return other
      const simpleOut = SIMPLE_ACTIONS.get(arg)
      if (simpleOut && simpleOut.type !== 'drop' && simpleOut.type !== 'pop_vlan') return {...simpleOut}
      return {type: 'output', port: portArg(arg, ctx)}
    }
    case 'CONTROLLER':
    case 'controller':
      return {type: 'controller', text: arg ?? ''}
    case 'mod_vlan_vid':
    case 'set_vlan_vid':
      return numbered(vidArg(arg ?? '', ctx), other, (vid) => ({type: 'set_vlan_vid', vid}))
    case 'mod_vlan_pcp':
    case 'set_vlan_pcp':
      return numbered(parseInteger(arg ?? ''), other, (pcp) => ({type: 'set_vlan_pcp', pcp}))
    case 'push_vlan':
      return numbered(parseInteger(arg ?? ''), other, (ethertype) => ({type: 'push_vlan', ethertype}))
    case 'resubmit':
      return parseResubmit(text, arg, ctx) ?? other
    case 'goto_table':
      return numbered(resolveTable(arg ?? '', ctx), other, (table) => ({type: 'goto_table', table}))
    case 'set_tunnel':
    case 'set_tunnel64': {
      const id = parseBigInteger(arg ?? '')
      return id === undefined ? other : {type: 'set_tunnel', id}
    }
    case 'set_field': {
      const parts = splitArrow(arg ?? '')
      if (!parts || !/^[A-Za-z0-9_]+$/.test(parts[1])) return other
      const field = canonicalField(parts[1])
      const value = parts[0]
      return fieldWrite(field, value, !value.includes('/')) ?? {type: 'set_field', field, value}
    }
    case 'load': {
      const parts = splitArrow(arg ?? '')
      if (!parts || parts[1] === '') return other
      const [value, dst] = parts
      const target = /^(NXM_OF_|NXM_NX_|OXM_OF_)/.test(dst) ? parseSubFieldRef(dst) : undefined
      const special = target?.known ? fieldWrite(target.field, value, target.bits === undefined) : undefined
      return special ?? {type: 'load', value, dst}
    }
    case 'move': {
      const parts = splitArrow(arg ?? '')
      return parts && parts[1] !== '' ? {type: 'move', src: parts[0], dst: parts[1]} : other
    }
    case 'write_metadata':
      return arg === undefined || arg === '' ? other : {type: 'set_field', field: 'metadata', value: arg}
    case 'learn':
      return learnAction(arg ?? '')
    case 'ct':
      return {type: 'ct', text: arg ?? ''}
    case 'note':
      return {type: 'note', text: arg ?? ''}
    default: {
      const field = MOD_ACTIONS.get(name)
      if (field !== undefined) return arg === undefined ? other : {type: 'set_field', field, value: arg}
      return other
    }
  }
}

/** resubmit(,N) / resubmit(P,N) / resubmit(P,N,ct) / resubmit:P */
function parseResubmit(text: string, arg: string | undefined, ctx: ActionContext): FlowAction | undefined {
  if (arg === undefined) return undefined
  if (!text.startsWith('resubmit(')) return {type: 'resubmit', port: portArg(arg, ctx)}
  const comma = arg.indexOf(',')
  const portText = comma < 0 ? arg : arg.slice(0, comma)
  const rest = comma < 0 ? '' : arg.slice(comma + 1)
  const comma2 = rest.indexOf(',')
  const tableText = comma2 < 0 ? rest : rest.slice(0, comma2)
  const action: {type: 'resubmit'; port?: PortRef; table?: number} = {type: 'resubmit'}
  if (portText !== '') action.port = portArg(portText, ctx)
  if (tableText !== '') {
    const table = resolveTable(tableText, ctx)
    if (table === undefined) return undefined
    action.table = table
  }
  return action
}

/** learn(table=20,hard_timeout=300,priority=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:...) */
export function parseLearn(text: string): LearnSpec | undefined {
  const args = splitTopLevel(text, ',')
  if (!args) return undefined
  const spec: LearnSpec = {options: {}, matches: [], actions: []}
  const numbers: Record<
    string,
    'table' | 'priority' | 'idleTimeout' | 'hardTimeout' | 'finIdleTimeout' | 'finHardTimeout'
  > = {
    table: 'table',
    priority: 'priority',
    idle_timeout: 'idleTimeout',
    hard_timeout: 'hardTimeout',
    fin_idle_timeout: 'finIdleTimeout',
    fin_hard_timeout: 'finHardTimeout',
  }
  for (const raw of args) {
    const arg = raw.trim()
    const call = splitCall(arg)
    if (!call.paren && call.arg !== undefined && (call.name === 'load' || call.name === 'output')) {
      if (call.name === 'output') {
        const src = parseSubFieldRef(call.arg)
        if (!src) return undefined
        spec.actions.push({type: 'output', src})
        continue
      }
      const parts = splitArrow(call.arg)
      const dst = parts ? parseSubFieldRef(parts[1]) : undefined
      if (!parts || !dst) return undefined
      const src = parseInteger(parts[0]) === undefined ? parseSubFieldRef(parts[0]) : undefined
      spec.actions.push(src ? {type: 'load', dst, src} : {type: 'load', dst, value: parts[0]})
      continue
    }
    const eq = arg.indexOf('=')
    const key = eq < 0 ? arg : arg.slice(0, eq)
    const value = eq < 0 ? undefined : arg.slice(eq + 1)
    const numberKey = Object.hasOwn(numbers, key) ? numbers[key] : undefined
    if (numberKey !== undefined && value !== undefined) {
      const n = parseInteger(value)
      if (n === undefined) return undefined
      spec[numberKey] = n
      continue
    }
    if (key === 'cookie' && value !== undefined) {
      spec.cookie = value.toLowerCase()
      continue
    }
    const dst = parseSubFieldRef(key)
    if (dst && (dst.known || key !== key.toLowerCase() || value !== undefined)) {
      if (value === undefined) spec.matches.push({dst, src: dst})
      else {
        const src = parseInteger(value) === undefined ? parseSubFieldRef(value) : undefined
        spec.matches.push(src?.known ? {dst, src} : {dst, value})
      }
      continue
    }
    spec.options[key] = value ?? ''
  }
  return spec
}

function learnAction(text: string): FlowAction {
  const spec = parseLearn(text)
  return spec ? {type: 'learn', text, spec} : {type: 'learn', text}
}

/** An action list as printed after `actions=`; undefined when its quotes or brackets do not balance. */
/** How many single actions a memo of parseActions holds before it is emptied. */
export const ACTION_MEMO_LIMIT = 4096

/**
 * The actions of a flow, `actions=` cut off. With `memo`, each action's text is looked up first among the actions
 * read before (a dump's new lists most often differ from others by one action: a VM's MAC or port), and only actions
 * read without a problem or an unresolved table name are remembered, so ctx ends as it would without the memo.
 */
export function parseActions(
  text: string,
  ctx: ActionContext = newActionContext(),
  memo?: Map<string, FlowAction>,
): FlowAction[] | undefined {
  const trimmed = text.trim()
  if (trimmed === '') return [{type: 'drop'}]
  const parts = splitTopLevel(trimmed, ',')
  if (!parts) return undefined
  const out: FlowAction[] = []
  if (memo === undefined) {
    for (const part of parts) out.push(parseAction(part.trim(), ctx))
    return out
  }
  let unresolved = ctx.unresolvedName === true
  for (const part of parts) {
    const one = part.trim()
    let action = memo.get(one)
    if (action === undefined) {
      ctx.unresolvedName = false
      action = parseAction(one, ctx)
      if (ctx.problem === undefined && !ctx.unresolvedName) {
        if (memo.size >= ACTION_MEMO_LIMIT) memo.clear()
        memo.set(one, Object.freeze(action))
      }
      unresolved ||= ctx.unresolvedName
    }
    out.push(action)
  }
  ctx.unresolvedName = unresolved
  return out
}

/**
 * An action the simulator was handed as 'other' (a hand-built flow, an older parser): read again by the one action
 * reader, so spellings such as `mod_dl_src:...` or `write_metadata:...` are understood in one place only.
 */
export function normaliseAction(action: FlowAction): FlowAction {
  if (action.type !== 'other') return action
  const again = parseAction(action.text)
  return again.type === 'other' ? action : again
}

/**
 * The same flow read over OF1.0 and OF1.3 has different action lists, because OVS translates when it encodes:
 * `push_vlan:0x8100,set_field:4098->vlan_vid` prints as `mod_vlan_vid:2`, a final `goto_table:N` as `resubmit(,N)`,
 * `set_field:V->reg5` as `load:V->NXM_NX_REG5[]`. This folds those pairs into one form, for comparing flows; the
 * parser itself keeps what the dump says.
 */
export function canonicalActions(actions: FlowAction[]): FlowAction[] {
  const out: FlowAction[] = []
  actions.forEach((action, i) => {
    const next = actions[i + 1]
    if (action.type === 'push_vlan' && action.ethertype === 0x8100 && next?.type === 'set_vlan_vid') return
    if (
      action.type === 'resubmit' &&
      action.port === undefined &&
      action.table !== undefined &&
      i === actions.length - 1
    ) {
      out.push({type: 'goto_table', table: action.table})
      return
    }
    const reg = action.type === 'load' ? parseSubFieldRef(action.dst) : undefined
    if (action.type === 'load' && reg?.known && reg.bits === undefined && /^x?reg\d+$/.test(reg.field)) {
      out.push({type: 'set_field', field: reg.field, value: action.value})
      return
    }
    out.push(action)
  })
  return out
}
