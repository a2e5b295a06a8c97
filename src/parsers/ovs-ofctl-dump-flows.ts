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
  addMatchField,
  addShorthand,
  MatchTokens,
  SHORTHANDS,
  FIELDS,
  Words,
  isKeywordAt,
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
  cache: Map<string, readonly FlowAction[]>
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
 * The actions in text[from, to), read once per distinct text: real dumps repeat a few hundred action lists over
 * thousands of flows. Flows with the same text share one frozen list (nothing may change a parsed flow). The cache
 * is looked up by a hash of the text compared in place, so a hit neither cuts the text nor hashes a new string.
 */
function cachedActions(text: string, from: number, to: number, ctx: DumpContext): readonly FlowAction[] | string {
  const actionText = text.slice(from, to)
  const hit = ctx.cache.get(actionText)
  if (hit) return hit
  ctx.problem = undefined
  const unresolvedBefore = ctx.unresolvedName
  ctx.unresolvedName = false
  const actions = parseActions(actionText, ctx)
  if (!actions) return 'unbalanced quotes or brackets in the actions'
  if (ctx.problem !== undefined) return ctx.problem
  for (const action of actions) Object.freeze(action)
  Object.freeze(actions)
  if (!ctx.unresolvedName) {
    if (ctx.cache.size >= ACTION_CACHE) ctx.cache.clear()
    ctx.cache.set(actionText, actions)
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

/** Match fields whose values addMatchField may refuse (range checks): the fast path checks them as it reads. */
const CHECKED_FIELDS = new Set(['in_port', 'dl_vlan', 'vlan_tci', 'vlan_vid', 'dl_type', 'nw_proto'])
/** Their spellings (aliases included), found in place; each gives its field's name. */
const CHECKED_KEYS = new Words(
  FIELDS.filter((f) => CHECKED_FIELDS.has(f.name)).flatMap((f) => [f.name, ...f.aliases].map((w) => [w, f.name])),
)
const SHORTHAND_WORDS = new Words(Object.keys(SHORTHANDS).map((w) => [w, w]))
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
    // Without an in_port the property still becomes own data (hidden from keys and spreads, as on a plain match),
    // so reading it again does not decode again.
    if (match.inPort !== undefined) own(this, 'inPort', match.inPort)
    else
      Object.defineProperty(this, 'inPort', {value: undefined, writable: true, enumerable: false, configurable: true})
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
 * One pass over a line that reads as a flow, text[from, to) (`line` is that text, cut): the tokens of the match up
 * to the one that starts with `actions=`, then the actions. Keys are told apart in place; only the values that can
 * be refused are cut out and checked (LazyMatch decodes the match on first use). Whatever it cannot answer exactly
 * as the two-pass reader (`parseFlowLineReference`) does — a line that is not a clean flow, an `actions=` the
 * reference would find elsewhere — is left to that reader: undefined.
 */
function parseFlowLineFast(
  text: string,
  from: number,
  to: number,
  line: string,
  lineNo: number,
  ctx: DumpContext,
): Flow | undefined {
  let flow: Flow = new ParsedFlow(line, lineNo, scratch, EMPTY_ACTIONS)
  let rest = leadingStats(flow, text, from, to, ctx)
  if (rest < 0) {
    // A bad value: the generic loop below finds it again (and so leaves the line to the reference reader).
    flow = new ParsedFlow(line, lineNo, scratch, EMPTY_ACTIONS)
    rest = from
  }
  let unknown: ParseProblem[] | undefined
  const tok = tokens.reset(text, rest, to)
  for (let start = tok.skip(); start >= 0; start = tok.skip()) {
    if (text.charCodeAt(start) === 97 && text.startsWith(ACTIONS, start)) {
      // The reference reader cuts the line at the first `actions=` after a space or a comma outside quotes: the same
      // place when it is the first anywhere and follows a space or a comma.
      const before = start === from ? 32 : text.charCodeAt(start - 1)
      if ((before !== 32 && before !== 44) || text.indexOf(ACTIONS, from) !== start) return undefined
      const actions = cachedActions(text, start + 8, to, ctx)
      if (typeof actions === 'string') return undefined
      flow.actions = actions as FlowAction[]
      flow.match = new LazyMatch(line, start - from)
      if (unknown !== undefined) ctx.flowProblems.set(flow, unknown)
      return flow
    }
    if (tok.next() !== true) return undefined
    const {stop, eq} = tok
    if (eq < 0) {
      if (SHORTHAND_WORDS.at(text, start, stop) !== undefined) continue
      const word = text.slice(start, stop)
      if (FLOW_FLAGS.has(word)) continue
      if (!isKeyword(word)) return undefined
      unknown ??= []
      unknown.push({line: lineNo, text: clip(line), message: `unknown match keyword '${word}'`})
      continue
    }
    const error = statField(flow, text, start, eq, stop, ctx)
    if (error === undefined) continue
    if (error !== NOT_A_STAT || !isKeywordAt(text, start, eq)) return undefined
    const key = CHECKED_KEYS.at(text, start, eq)
    if (key === undefined || (key === 'in_port' && portNameOrSmall(text, eq + 1, stop))) continue
    if (addMatchField(scratch, key, text.slice(eq + 1, stop)) !== undefined) return undefined
  }
  return undefined
}

/**
 * The flow's own fields where OVS prints them, first on the line (cookie, duration, table, counters, ages, priority),
 * read in place as plain `key=value` tokens. Returns where the first other token starts (a match field, a flag, a
 * token with quotes or brackets: the generic loop reads those), or -1 when one of them has a bad value.
 */
function leadingStats(flow: Flow, text: string, from: number, to: number, ctx: DumpContext): number {
  let i = from
  for (;;) {
    while (i < to) {
      const c = text.charCodeAt(i)
      if (c !== 32 && c !== 44 && c !== 9) break
      i++
    }
    const start = i
    let eq = -1
    for (; i < to; i++) {
      const c = text.charCodeAt(i)
      if (c === 61) {
        eq = i
        break
      }
      if (!((c >= 97 && c <= 122) || c === 95)) return start
    }
    if (eq < 0) return start
    let stop = eq + 1
    for (; stop < to; stop++) {
      const c = text.charCodeAt(stop)
      if (c === 32 || c === 44 || c === 9) break
      if (c === 34 || c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125) return start
    }
    const error = statField(flow, text, start, eq, stop, ctx)
    if (error === NOT_A_STAT) return start
    if (error !== undefined) return -1
    i = stop
  }
}

/** An in_port value addMatchField accepts without a look: a name (quoted or not) or a number of at most 9 digits. */
function portNameOrSmall(text: string, from: number, to: number): boolean {
  if (from === to) return false
  const c = text.charCodeAt(from)
  if (c < 48 || c > 57) return true
  if (to - from > 9) return false
  for (let i = from + 1; i < to; i++) {
    const d = text.charCodeAt(i)
    if (d < 48 || d > 57) return false
  }
  return true
}

/** The two-pass reader: the actions from the first `actions=` outside quotes, then the match before it. */
function parseFlowLineReference(line: string, lineNo: number, ctx: DumpContext): LineResult {
  const at = findKeyword(line, 'actions=')
  if (at < 0) return {error: 'not a flow: no actions='}
  const actions = cachedActions(line, at + 8, line.length, ctx)
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

/** One token of the match into the flow: undefined when read, else why the line is not a flow. */
function matchToken(flow: Flow, tok: MatchTokens, line: string, lineNo: number, ctx: DumpContext): string | undefined {
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
  const error = statField(flow, line, start, eq, stop, ctx)
  if (error === undefined) return undefined
  if (error !== NOT_A_STAT) return error
  const key = line.slice(start, eq)
  if (IGNORED_KEYS.has(key)) return undefined
  if (!isKeyword(key)) return `garbled token '${clip(line.slice(start, stop))}'`
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

/** Is text[start, eq) the key `word`? (Its first character is already known to be the word's.) */
function keyIs(text: string, start: number, eq: number, word: string): boolean {
  if (eq - start !== word.length) return false
  for (let i = 1; i < word.length; i++) if (text.charCodeAt(start + i) !== word.charCodeAt(i)) return false
  return true
}

/**
 * The flow's own fields among the match tokens (cookie, table, priority and the counters), read in place from the
 * token text[start, stop) whose first '=' is at eq. Returns undefined when read, an error message when the value is
 * bad, NOT_A_STAT for every other token.
 */
function statField(
  flow: Flow,
  text: string,
  start: number,
  eq: number,
  to: number,
  ctx: DumpContext,
): string | undefined {
  const from = eq + 1
  switch (text.charCodeAt(start)) {
    case 99: // c
      if (!keyIs(text, start, eq, 'cookie')) break
      if (to - from === ctx.cookie.length && text.startsWith(ctx.cookie, from)) {
        flow.cookie = ctx.cookie
        return undefined
      }
      if (!isCookie(text, from, to)) return `bad cookie '${clip(text.slice(from, to))}'`
      flow.cookie = hasUpper(text, from, to) ? text.slice(from, to).toLowerCase() : text.slice(from, to)
      if (flow.cookie === text.slice(from, to)) ctx.cookie = flow.cookie
      return undefined
    case 112: {
      // p
      if (!keyIs(text, start, eq, 'priority')) break
      const p = decimalAt(text, from, to) ?? parseInteger(text.slice(from, to))
      if (p === undefined || p > MAX_PRIORITY) return `bad priority '${clip(text.slice(from, to))}'`
      flow.priority = p
      return undefined
    }
    case 116: {
      // t
      if (!keyIs(text, start, eq, 'table')) break
      const n = to - from < 6 ? decimalAt(text, from, to) : undefined
      if (n !== undefined && n <= MAX_TABLE) {
        flow.table = n
        return undefined
      }
      const table = parseTableToken(text.slice(from, to), ctx)
      if (typeof table === 'string') return table
      flow.table = table.table
      if (table.name !== undefined) flow.tableName = table.name
      return undefined
    }
    case 100: {
      // d
      if (!keyIs(text, start, eq, 'duration')) break
      const d = fractionAt(text, from, text.charCodeAt(to - 1) === 115 ? to - 1 : to)
      if (d === undefined) return `bad duration '${clip(text.slice(from, to))}'`
      flow.durationS = d
      return undefined
    }
    case 110: // n
      if (keyIs(text, start, eq, 'n_packets')) {
        flow.nPackets = decimalAt(text, from, to)
        return flow.nPackets === undefined ? `bad n_packets '${clip(text.slice(from, to))}'` : undefined
      }
      if (keyIs(text, start, eq, 'n_bytes')) {
        flow.nBytes = decimalAt(text, from, to)
        return flow.nBytes === undefined ? `bad n_bytes '${clip(text.slice(from, to))}'` : undefined
      }
      break
    case 105: // i
      if (!keyIs(text, start, eq, 'idle_age')) break
      flow.idleAge = decimalAt(text, from, to)
      return flow.idleAge === undefined ? `bad idle_age '${clip(text.slice(from, to))}'` : undefined
    case 104: // h
      if (!keyIs(text, start, eq, 'hard_age')) break
      flow.hardAge = decimalAt(text, from, to)
      return flow.hardAge === undefined ? `bad hard_age '${clip(text.slice(from, to))}'` : undefined
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
  let result: LineResult | undefined = ctx.reference ? undefined : parseFlowLineFast(text, from, to, line, lineNo, ctx)
  if (result === undefined) {
    ctx.unresolvedName = false
    result = parseFlowLineReference(line, lineNo, ctx)
  }
  if ('error' in result) return {line: lineNo, text: clip(line), message: result.error}
  if (ctx.unresolvedName) ctx.unresolved.add(result)
  return result
}
