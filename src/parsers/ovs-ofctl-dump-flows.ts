// `ovs-ofctl dump-flows BRIDGE` in every spelling OVS prints: NXM/OF1.0 and OF1.3, with or without stats, port
// numbers or (quoted) names, table numbers or names. Matches and actions are normalised by src/openflow/ so that flows
// written by a Havana agent over OF1.0 and by a modern agent over OF1.3 compare equal (neutron-wiring.md §3).
// One pass over the text, no backtracking regular expression: time is linear in the input, lines are bounded.

import {
  type ActionContext,
  type Flow,
  type FlowAction,
  MAX_TABLE,
  addMatchField,
  addShorthand,
  findKeyword,
  isKeyword,
  newActionContext,
  parseActions,
  parseDecimal,
  parseInteger,
  splitTopLevel,
  unquoteOvs,
} from '../openflow/index.js'
import type {ParseProblem, ParseResult} from '../types.js'

export interface DumpFlowsOptions {
  /** Table name -> number, for dumps taken with `--names` on a bridge whose tables have names. */
  tableNames?: Record<string, number>
}

const DEFAULT_PRIORITY = 32768
const MAX_PRIORITY = 65535
const MAX_TEXT = 200
/** A longer line is not read: OVS prints flows far shorter, so it is damage (and would only cost time). */
export const MAX_LINE = 65536
/** Distinct action lists remembered while parsing one dump (real dumps repeat a few hundred). */
const ACTION_CACHE = 4096

/** Flags and counters that sit among the match fields but are not part of the match. */
const FLOW_FLAGS = new Set(['send_flow_rem', 'reset_counts', 'no_packet_counts', 'no_byte_counts', 'check_overlap'])
const IGNORED_KEYS = new Set(['idle_timeout', 'hard_timeout', 'importance', 'out_port', 'out_group'])

const HEADER = /^(NXST|OFPST)_FLOW reply\b/
const ERROR_LINE = /^(ovs-ofctl|ovs-vsctl|ovs-appctl|ovs-vswitchd|ovsdb-server): /
const LOG_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|/

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text
}

function isDecimal(text: string): boolean {
  if (text.length === 0) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function isCookie(text: string): boolean {
  if (text.length < 3 || text.charCodeAt(0) !== 48 || (text.charCodeAt(1) | 32) !== 120) return false
  for (let i = 2; i < text.length; i++) {
    const c = text.charCodeAt(i) | 32
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
  }
  return true
}

interface DumpContext extends ActionContext {
  cache: Map<string, FlowAction[]>
}

type LineResult = {flow: Flow; problems?: ParseProblem[]; unresolved?: boolean} | {error: string}

function parseTableToken(value: string, ctx: DumpContext): {table: number; name?: string} | string {
  const open = value.indexOf('(')
  if (open > 0 && value.endsWith(')') && isDecimal(value.slice(0, open))) {
    const table = Number(value.slice(0, open))
    if (table > MAX_TABLE) return `table ${clip(value)} out of range (0–${MAX_TABLE})`
    const name = unquoteOvs(value.slice(open + 1, -1))
    ctx.tableNames.set(name, table)
    return {table, name}
  }
  const n = parseInteger(value)
  if (n !== undefined) return n > MAX_TABLE ? `table ${clip(value)} out of range (0–${MAX_TABLE})` : {table: n}
  const name = unquoteOvs(value)
  if (name === '') return `bad table '${clip(value)}'`
  const known = ctx.tableNames.get(name)
  if (known === undefined) ctx.unresolvedName = true
  return {table: known ?? -1, name}
}

function cachedActions(text: string, ctx: DumpContext): FlowAction[] | string {
  const hit = ctx.cache.get(text)
  if (hit) return hit.map((a) => ({...a}))
  ctx.problem = undefined
  const unresolvedBefore = ctx.unresolvedName
  ctx.unresolvedName = false
  const actions = parseActions(text, ctx)
  if (!actions) return 'unbalanced quotes or brackets in the actions'
  if (ctx.problem !== undefined) return ctx.problem
  if (!ctx.unresolvedName) {
    if (ctx.cache.size >= ACTION_CACHE) ctx.cache.clear()
    ctx.cache.set(text, actions.map((a) => ({...a})))
  }
  ctx.unresolvedName ||= unresolvedBefore
  return actions
}

function parseFlowLine(line: string, lineNo: number, ctx: DumpContext): LineResult {
  const at = findKeyword(line, 'actions=')
  if (at < 0) return {error: 'not a flow: no actions='}
  const tokens = splitTopLevel(line.slice(0, at), ', \t')
  if (!tokens) return {error: 'unbalanced quotes or brackets in the match'}
  const actions = cachedActions(line.slice(at + 8), ctx)
  if (typeof actions === 'string') return {error: actions}

  const flow: Flow = {line: lineNo, raw: line, table: 0, priority: DEFAULT_PRIORITY, cookie: '0x0', match: {fields: {}}, actions}
  let problems: ParseProblem[] | undefined
  for (const token of tokens) {
    const eq = token.indexOf('=')
    if (eq < 0) {
      if (FLOW_FLAGS.has(token) || addShorthand(flow.match, token)) continue
      if (!isKeyword(token)) return {error: `garbled token '${clip(token)}'`}
      flow.match.fields[token] = {value: ''}
      ;(problems ??= []).push({line: lineNo, text: clip(line), message: `unknown match keyword '${token}'`})
      continue
    }
    const key = token.slice(0, eq)
    const value = token.slice(eq + 1)
    switch (key) {
      case 'cookie':
        if (!isCookie(value)) return {error: `bad cookie '${clip(value)}'`}
        flow.cookie = value.toLowerCase()
        break
      case 'priority': {
        const p = parseInteger(value)
        if (p === undefined || p > MAX_PRIORITY) return {error: `bad priority '${clip(value)}'`}
        flow.priority = p
        break
      }
      case 'table': {
        const table = parseTableToken(value, ctx)
        if (typeof table === 'string') return {error: table}
        flow.table = table.table
        if (table.name !== undefined) flow.tableName = table.name
        break
      }
      case 'duration': {
        const d = parseDecimal(value.endsWith('s') ? value.slice(0, -1) : value)
        if (d === undefined) return {error: `bad duration '${clip(value)}'`}
        flow.durationS = d
        break
      }
      case 'n_packets':
      case 'n_bytes':
      case 'idle_age':
      case 'hard_age': {
        const n = isDecimal(value) ? Number(value) : undefined
        if (n === undefined) return {error: `bad ${key} '${clip(value)}'`}
        if (key === 'n_packets') flow.nPackets = n
        else if (key === 'n_bytes') flow.nBytes = n
        else if (key === 'idle_age') flow.idleAge = n
        else flow.hardAge = n
        break
      }
      default: {
        if (IGNORED_KEYS.has(key)) break
        if (!isKeyword(key)) return {error: `garbled token '${clip(token)}'`}
        const err = addMatchField(flow.match, key, value)
        if (err) return {error: err}
      }
    }
  }
  return problems ? {flow, problems} : {flow}
}

export function parseDumpFlows(text: string, options: DumpFlowsOptions = {}): ParseResult<Flow[]> {
  const flows: Flow[] = []
  const problems: ParseProblem[] = []
  const lines = text.split('\n')
  const ctx: DumpContext = {...newActionContext(new Map(Object.entries(options.tableNames ?? {}))), cache: new Map()}
  // One pass; lines that named a table not yet seen (`resubmit(,name)` before `table=N(name)`) are read again once
  // all the names are known.
  const results: (ReadLine | undefined)[] = new Array(lines.length)
  const again: number[] = []
  for (let index = 0; index < lines.length; index++) {
    const result = readLine(lines[index]!, index + 1, ctx)
    results[index] = result
    if (result !== undefined && 'flow' in result && result.unresolved) again.push(index)
  }
  for (const index of again) results[index] = readLine(lines[index]!, index + 1, ctx)

  const unresolved = new Set<string>()
  for (const result of results) {
    if (result === undefined) continue
    if (!('flow' in result)) {
      problems.push(result)
      continue
    }
    const flow = result.flow
    if (result.problems) problems.push(...result.problems)
    if (flow.table < 0 && flow.tableName !== undefined && !unresolved.has(flow.tableName)) {
      unresolved.add(flow.tableName)
      problems.push({
        line: flow.line,
        text: clip(flow.raw),
        message: `table '${flow.tableName}' is printed by name only; its number is unknown (table -1)`,
      })
    }
    flows.push(flow)
  }
  return {value: flows, problems}
}

/** One line: a flow, a problem, or undefined for lines with nothing to say (blank, the reply header). */
type ReadLine = {flow: Flow; problems?: ParseProblem[]; unresolved?: boolean} | ParseProblem

function readLine(rawLine: string, lineNo: number, ctx: DumpContext): ReadLine | undefined {
  const line = rawLine.charCodeAt(rawLine.length - 1) === 13 ? rawLine.slice(0, -1) : rawLine
  if (line.length > MAX_LINE) {
    return {line: lineNo, text: clip(line.trim()), message: `line of ${line.length} characters is too long to be a flow (over ${MAX_LINE})`}
  }
  const trimmed = line.trim()
  if (trimmed === '') return undefined
  const c0 = trimmed.charCodeAt(0)
  if ((c0 === 78 || c0 === 79) && HEADER.test(trimmed)) return undefined
  if ((c0 === 111 && ERROR_LINE.test(trimmed)) || (c0 >= 48 && c0 <= 57 && LOG_LINE.test(trimmed))) {
    return {line: lineNo, text: clip(trimmed), message: `command reported: ${clip(trimmed)}`}
  }
  ctx.unresolvedName = false
  const result = parseFlowLine(trimmed, lineNo, ctx)
  if ('error' in result) return {line: lineNo, text: clip(trimmed), message: result.error}
  if (ctx.unresolvedName) result.unresolved = true
  return result
}
