// `ovs-ofctl dump-flows BRIDGE` in every spelling OVS prints: NXM/OF1.0 and OF1.3, with or without stats, port
// numbers or (quoted) names, table numbers or names. Matches and actions are normalised by src/openflow/ so that flows
// written by a Havana agent over OF1.0 and by a modern agent over OF1.3 compare equal
// (shared/reference/neutron-wiring.md §3).
// One pass over the text, no backtracking regular expression: time is linear in the input, lines are bounded.

import {
  type ActionContext,
  type Flow,
  type FlowAction,
  type FlowMatch,
  type Masked,
  type PortRef,
  MAX_TABLE,
  canonicalField,
  addMatchField,
  addShorthand,
  MatchTokens,
  decimalAt,
  findKeyword,
  isKeyword,
  isTrimmed,
  newActionContext,
  parseActions,
  parseDecimal,
  parseInteger,
  unquoteOvs,
} from '../openflow/index.js'
import type {ParseProblem, ParseResult} from '../types.js'
import {clip} from '../text.js'

export interface DumpFlowsOptions {
  /** Table name -> number, for dumps taken with `--names` on a bridge whose tables have names. */
  tableNames?: Record<string, number>
  /** Read every line with the two-pass reference reader only: what the one-pass fast path is tested against. */
  reference?: boolean
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

function isDecimal(text: string): boolean {
  if (text.length === 0) return false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function hasUpper(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c >= 65 && c <= 90) return true
  }
  return false
}

function isCookie(text: string, from: number, to: number): boolean {
  if (to - from < 3 || text.charCodeAt(from) !== 48 || (text.charCodeAt(from + 1) | 32) !== 120) return false
  for (let i = from + 2; i < to; i++) {
    const c = text.charCodeAt(i) | 32
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false
  }
  return true
}

interface DumpContext extends ActionContext {
  cache: Map<string, FlowAction[]>
  /** The last cookie read: a dump repeats one cookie per agent, so equal text shares one string. */
  cookie: string
  /** Problems of lines that were still read as flows (unknown match keywords), by flow. */
  flowProblems: Map<Flow, ParseProblem[]>
  /** Flows that named a table not yet known: read again at the end. */
  unresolved: Set<Flow>
  reference: boolean
}

type LineResult = Flow | {error: string}

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

/**
 * The actions of a line, read once per distinct text: real dumps repeat a few hundred action lists over thousands of
 * flows. Flows with the same text share one frozen list (nothing may change a parsed flow).
 */
function cachedActions(text: string, ctx: DumpContext): readonly FlowAction[] | string {
  const hit = ctx.cache.get(text)
  if (hit) return hit
  ctx.problem = undefined
  const unresolvedBefore = ctx.unresolvedName
  ctx.unresolvedName = false
  const actions = parseActions(text, ctx)
  if (!actions) return 'unbalanced quotes or brackets in the actions'
  if (ctx.problem !== undefined) return ctx.problem
  for (const action of actions) Object.freeze(action)
  Object.freeze(actions)
  if (!ctx.unresolvedName) {
    if (ctx.cache.size >= ACTION_CACHE) ctx.cache.clear()
    ctx.cache.set(text, actions)
  }
  ctx.unresolvedName ||= unresolvedBefore
  return actions
}

const tokens = new MatchTokens()

const ACTIONS = 'actions='
const EMPTY_ACTIONS: FlowAction[] = []

/**
 * A flow as the parser builds it: a class rather than an object literal so that the counters set after it is made
 * (nPackets, durationS, ...) land in the object's own slots, not in a separate store. Only what the line says is set,
 * as on a literal; equal (toEqual) to the reference reader's plain objects.
 */
class ParsedFlow implements Flow {
  line: number
  raw: string
  table = 0
  priority = DEFAULT_PRIORITY
  cookie = '0x0'
  match: FlowMatch
  actions: FlowAction[]
  declare nPackets?: number
  declare nBytes?: number
  declare durationS?: number
  declare idleAge?: number
  declare hardAge?: number
  declare tableName?: string

  constructor(raw: string, lineNo: number, match: FlowMatch, actions: FlowAction[]) {
    this.line = lineNo
    this.raw = raw
    this.match = match
    this.actions = actions
  }
}

/** A flow with the dump's defaults and an empty match, before its match tokens are read. */
function newFlow(line: string, lineNo: number, actions: FlowAction[]): Flow {
  return new ParsedFlow(line, lineNo, {fields: {}}, actions)
}

/** Match spellings whose values addMatchField may refuse (range checks): the fast path checks them as it reads. */
const CHECKED_FIELDS = new Set(['in_port', 'dl_vlan', 'vlan_tci', 'vlan_vid', 'dl_type', 'nw_proto'])
/** Where the fast path checks those values; what it writes here is never read. */
const scratch: FlowMatch = {fields: {}}
const decodeTokens = new MatchTokens()

/**
 * The match of a flow the fast path read, decoded from its line on first use: the parser has already checked every
 * token (it is a flag, a shorthand, a keyword, a flow field or a match field whose value addMatchField accepts), so
 * decoding cannot fail and gives what the reference reader gives. Most of a dump's flows are never looked at by
 * field (a trace visits a few per bridge), and building them all was a third of the parse. On first use `fields`
 * and `inPort` become own data properties, so the object then compares, spreads and prints like a plain FlowMatch.
 */
class LazyMatch implements FlowMatch {
  readonly #raw: string
  readonly #to: number

  constructor(raw: string, to: number) {
    this.#raw = raw
    this.#to = to
  }

  get fields(): Record<string, Masked> {
    return this.#decode().fields
  }

  set fields(fields: Record<string, Masked>) {
    own(this, 'fields', fields)
  }

  get inPort(): PortRef | undefined {
    return this.#decode().inPort
  }

  set inPort(port: PortRef | undefined) {
    own(this, 'inPort', port)
  }

  toJSON(): FlowMatch {
    const {inPort, fields} = this
    return inPort === undefined ? {fields} : {fields, inPort}
  }

  #decode(): FlowMatch {
    const match: FlowMatch = {fields: {}}
    const line = this.#raw
    const tok = decodeTokens.reset(line, 0, this.#to)
    while (tok.next() === true) {
      const {start, stop, eq} = tok
      if (eq < 0) {
        const word = line.slice(start, stop)
        if (!FLOW_FLAGS.has(word) && !addShorthand(match, word)) match.fields[word] = {value: ''}
        continue
      }
      if (isStatKey(tok, line)) continue
      const key = line.slice(start, eq)
      if (!IGNORED_KEYS.has(key)) addMatchField(match, key, line.slice(eq + 1, stop))
    }
    own(this, 'fields', match.fields)
    if (match.inPort !== undefined) own(this, 'inPort', match.inPort)
    return match
  }
}

function own(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {value, writable: true, enumerable: true, configurable: true})
}

/** Is the token one of the flow's own fields that statField reads (cookie, table, priority, counters)? */
function isStatKey(tok: MatchTokens, line: string): boolean {
  switch (line.charCodeAt(tok.start)) {
    case 99: // c
      return tok.keyIs('cookie')
    case 112: // p
      return tok.keyIs('priority')
    case 116: // t
      return tok.keyIs('table')
    case 100: // d
      return tok.keyIs('duration')
    case 110: // n
      return tok.keyIs('n_packets') || tok.keyIs('n_bytes')
    case 105: // i
      return tok.keyIs('idle_age')
    case 104: // h
      return tok.keyIs('hard_age')
  }
  return false
}

/**
 * One pass over a line that reads as a flow: the tokens of the match up to the one that starts with `actions=`, then
 * the actions. Whatever it cannot answer exactly as the two-pass reader (`parseFlowLineReference`) does — a line
 * that is not a clean flow, an `actions=` the reference would find elsewhere — is left to that reader: undefined.
 */
function parseFlowLineFast(line: string, lineNo: number, ctx: DumpContext): Flow | undefined {
  const flow: Flow = new ParsedFlow(line, lineNo, scratch, EMPTY_ACTIONS)
  const tok = tokens.reset(line, 0, line.length)
  for (let more = tok.next(); ; more = tok.next()) {
    if (more !== true) return abandon(flow, ctx)
    const start = tok.start
    if (line.charCodeAt(start) === 97 && line.startsWith(ACTIONS, start)) {
      // The reference reader cuts the line at the first `actions=` after a space or a comma outside quotes: the same
      // place when it is the first anywhere and follows a space or a comma.
      const before = start === 0 ? 32 : line.charCodeAt(start - 1)
      if ((before !== 32 && before !== 44) || line.indexOf(ACTIONS) !== start) return abandon(flow, ctx)
      const actions = cachedActions(line.slice(start + 8), ctx)
      if (typeof actions === 'string') return abandon(flow, ctx)
      flow.actions = actions as FlowAction[]
      flow.match = new LazyMatch(line, start)
      return flow
    }
    if (matchToken(flow, tok, line, lineNo, ctx, true) !== undefined) return abandon(flow, ctx)
  }
}

/** Leaves the line to the reference reader: problems noted for this flow object go with it. */
function abandon(flow: Flow, ctx: DumpContext): undefined {
  ctx.flowProblems.delete(flow)
  return undefined
}

function parseFlowLine(line: string, lineNo: number, ctx: DumpContext): LineResult {
  const fast = ctx.reference ? undefined : parseFlowLineFast(line, lineNo, ctx)
  if (fast !== undefined) return fast
  ctx.unresolvedName = false
  return parseFlowLineReference(line, lineNo, ctx)
}

/** The two-pass reader: the actions from the first `actions=` outside quotes, then the match before it. */
function parseFlowLineReference(line: string, lineNo: number, ctx: DumpContext): LineResult {
  const at = findKeyword(line, 'actions=')
  if (at < 0) return {error: 'not a flow: no actions='}
  const actions = cachedActions(line.slice(at + 8), ctx)
  if (typeof actions === 'string') return {error: actions}

  const flow = newFlow(line, lineNo, actions as FlowAction[])
  const tok = tokens.reset(line, 0, at)
  for (let more = tok.next(); more !== false; more = tok.next()) {
    if (more === undefined) return {error: 'unbalanced quotes or brackets in the match'}
    const error = matchToken(flow, tok, line, lineNo, ctx)
    if (error !== undefined) return {error}
  }
  return flow
}

/**
 * One token of the match into the flow: undefined when read, else why the line is not a flow. With `lazy` (the fast
 * path) match fields are only checked, LazyMatch decodes them on first use; the flow's own fields are set either way.
 */
function matchToken(
  flow: Flow,
  tok: MatchTokens,
  line: string,
  lineNo: number,
  ctx: DumpContext,
  lazy = false,
): string | undefined {
  const {start, stop, eq} = tok
  if (eq < 0) {
    const word = line.slice(start, stop)
    if (FLOW_FLAGS.has(word) || addShorthand(flow.match, word)) return undefined
    if (!isKeyword(word)) return `garbled token '${clip(word)}'`
    flow.match.fields[word] = {value: ''}
    const problem = {line: lineNo, text: clip(line), message: `unknown match keyword '${word}'`}
    const problems = ctx.flowProblems.get(flow)
    if (problems) problems.push(problem)
    else ctx.flowProblems.set(flow, [problem])
    return undefined
  }
  const error = statField(flow, tok, line, ctx)
  if (error === undefined) return undefined
  if (error !== NOT_A_STAT) return error
  const key = line.slice(start, eq)
  if (IGNORED_KEYS.has(key)) return undefined
  if (!isKeyword(key)) return `garbled token '${clip(line.slice(start, stop))}'`
  if (lazy && !CHECKED_FIELDS.has(canonicalField(key))) return undefined
  return addMatchField(flow.match, key, line.slice(eq + 1, stop))
}

const NOT_A_STAT = '\0'

/** `12` or `12.345` in text[from, to), read in place (a quotient of two exact integers rounds like Number() does);
 * long ones go to parseDecimal. */
function fractionAt(text: string, from: number, to: number): number | undefined {
  if (to - from > 15) return parseDecimal(text.slice(from, to))
  let value = 0
  let scale = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c === 46 && scale === 0 && i > from && i < to - 1) scale = 1
    else if (c < 48 || c > 57) return undefined
    else {
      value = value * 10 + (c - 48)
      if (scale) scale *= 10
    }
  }
  return from === to ? undefined : scale ? value / scale : value
}

/**
 * The flow's own fields among the match tokens (cookie, table, priority and the counters), read in place. Returns
 * undefined when read, an error message when the value is bad, NOT_A_STAT for every other token.
 */
function statField(flow: Flow, tok: MatchTokens, line: string, ctx: DumpContext): string | undefined {
  const from = tok.eq + 1
  const to = tok.stop
  switch (line.charCodeAt(tok.start)) {
    case 99: // c
      if (!tok.keyIs('cookie')) break
      if (to - from === ctx.cookie.length && line.startsWith(ctx.cookie, from)) {
        flow.cookie = ctx.cookie
        return undefined
      }
      if (!isCookie(line, from, to)) return `bad cookie '${clip(line.slice(from, to))}'`
      flow.cookie = hasUpper(line, from, to) ? line.slice(from, to).toLowerCase() : line.slice(from, to)
      if (flow.cookie === line.slice(from, to)) ctx.cookie = flow.cookie
      return undefined
    case 112: {
      // p
      if (!tok.keyIs('priority')) break
      const p = decimalAt(line, from, to) ?? parseInteger(line.slice(from, to))
      if (p === undefined || p > MAX_PRIORITY) return `bad priority '${clip(line.slice(from, to))}'`
      flow.priority = p
      return undefined
    }
    case 116: {
      // t
      if (!tok.keyIs('table')) break
      const n = to - from < 6 ? decimalAt(line, from, to) : undefined
      if (n !== undefined && n <= MAX_TABLE) {
        flow.table = n
        return undefined
      }
      const table = parseTableToken(line.slice(from, to), ctx)
      if (typeof table === 'string') return table
      flow.table = table.table
      if (table.name !== undefined) flow.tableName = table.name
      return undefined
    }
    case 100: {
      // d
      if (!tok.keyIs('duration')) break
      const d = fractionAt(line, from, line.charCodeAt(to - 1) === 115 ? to - 1 : to)
      if (d === undefined) return `bad duration '${clip(line.slice(from, to))}'`
      flow.durationS = d
      return undefined
    }
    case 110: // n
      if (tok.keyIs('n_packets')) {
        flow.nPackets = decimalAt(line, from, to)
        return flow.nPackets === undefined ? `bad n_packets '${clip(line.slice(from, to))}'` : undefined
      }
      if (tok.keyIs('n_bytes')) {
        flow.nBytes = decimalAt(line, from, to)
        return flow.nBytes === undefined ? `bad n_bytes '${clip(line.slice(from, to))}'` : undefined
      }
      break
    case 105: // i
      if (!tok.keyIs('idle_age')) break
      flow.idleAge = decimalAt(line, from, to)
      return flow.idleAge === undefined ? `bad idle_age '${clip(line.slice(from, to))}'` : undefined
    case 104: // h
      if (!tok.keyIs('hard_age')) break
      flow.hardAge = decimalAt(line, from, to)
      return flow.hardAge === undefined ? `bad hard_age '${clip(line.slice(from, to))}'` : undefined
  }
  return NOT_A_STAT
}

export function parseDumpFlows(text: string, options: DumpFlowsOptions = {}): ParseResult<Flow[]> {
  const flows: Flow[] = []
  const problems: ParseProblem[] = []
  const ctx: DumpContext = {
    ...newActionContext(new Map(Object.entries(options.tableNames ?? {}))),
    cache: new Map(),
    cookie: '0x0',
    flowProblems: new Map(),
    unresolved: new Set(),
    reference: options.reference === true,
  }
  // One pass over the lines, each cut from the text once; lines that named a table not yet seen (`resubmit(,name)`
  // before `table=N(name)`) are read again once all the names are known.
  scratch.fields = {}
  const results: ReadLine[] = []
  const again: {at: number; lineNo: number; from: number; to: number}[] = []
  let lineNo = 0
  for (let from = 0; from <= text.length;) {
    let to = text.indexOf('\n', from)
    if (to < 0) to = text.length
    lineNo++
    const result = readLine(text, from, to, lineNo, ctx)
    if (result !== undefined) {
      if ('raw' in result && ctx.unresolved.has(result)) again.push({at: results.length, lineNo, from, to})
      results.push(result)
    }
    from = to + 1
  }
  for (const {at, lineNo, from, to} of again) {
    ctx.flowProblems.delete(results[at] as Flow)
    results[at] = readLine(text, from, to, lineNo, ctx)!
  }
  scratch.fields = {}

  const unresolved = new Set<string>()
  for (const result of results) {
    if (!('raw' in result)) {
      problems.push(result)
      continue
    }
    const flow = result
    const mine = ctx.flowProblems.get(flow)
    if (mine) problems.push(...mine)
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
type ReadLine = Flow | ParseProblem

function readLine(text: string, from: number, to: number, lineNo: number, ctx: DumpContext): ReadLine | undefined {
  if (to > from && text.charCodeAt(to - 1) === 13) to--
  if (to - from > MAX_LINE) {
    const head = text.slice(from, from + 2 * MAX_TEXT).trim()
    return {
      line: lineNo,
      text: clip(head),
      message: `line of ${to - from} characters is too long to be a flow (over ${MAX_LINE})`,
    }
  }
  while (from < to && isTrimmed(text.charCodeAt(from))) from++
  while (to > from && isTrimmed(text.charCodeAt(to - 1))) to--
  if (from === to) return undefined
  const line = text.slice(from, to)
  const c0 = line.charCodeAt(0)
  if ((c0 === 78 || c0 === 79) && HEADER.test(line)) return undefined
  if ((c0 === 111 && ERROR_LINE.test(line)) || (c0 >= 48 && c0 <= 57 && LOG_LINE.test(line))) {
    return {line: lineNo, text: clip(line), message: `command reported: ${clip(line)}`}
  }
  ctx.unresolvedName = false
  const result = parseFlowLine(line, lineNo, ctx)
  if ('error' in result) return {line: lineNo, text: clip(line), message: result.error}
  if (ctx.unresolvedName) ctx.unresolved.add(result)
  return result
}
