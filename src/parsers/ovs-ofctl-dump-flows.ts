// `ovs-ofctl dump-flows BRIDGE` in every spelling OVS prints: NXM/OF1.0 and OF1.3, with or without stats, port
// numbers or (quoted) names, table numbers or names. Matches and actions are normalised by src/openflow/ so that flows
// written by a Havana agent over OF1.0 and by a modern agent over OF1.3 compare equal
// (shared/reference/neutron-wiring.md §3).
// One pass over the text: time is linear in the input, lines are bounded. The few regular expressions (PLAIN_STATS,
// PLAIN_TOKENS) are sticky and linear by construction: they check the common spellings in V8's compiled matcher,
// which looks at a character several times faster than a loop of charCodeAt does.

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
  cache: ActionCache
  /** The single actions read so far, by their text (parseActions' memo). */
  actions: Map<string, FlowAction>
  /** The last cookie read: a dump repeats one cookie per agent, so equal text shares one string. */
  cookie: string
  /** PLAIN_STATS for the cookie `cookieStatsFor` (cookieStats), when there is one. */
  cookieStats: RegExp | undefined
  cookieStatsFor: string | undefined
  /** The patterns cookieStats made, by cookie. */
  statsByCookie: Map<string, RegExp>
  /** Problems of lines that were still read as flows (unknown match keywords), by flow. */
  flowProblems: Map<Flow, ParseProblem[]>
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

/** Slots of the ActionCache: a power of two, twice the entries it holds. */
const CACHE_SLOTS = 2 * ACTION_CACHE

/** The FNV-1a hash of text[from, to), computed where the text lies (no slice, no string hash). */
function textHash(text: string, from: number, to: number): number {
  let h = 0x811c9dc5 | 0
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h
}

/**
 * Parsed action lists by their text, in open addressing on textHash: a lookup hashes the text where it lies and cuts
 * it out only to compare it with a text of the same hash and length. Emptied when full.
 */
class ActionCache {
  private readonly texts: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined)
  private readonly lists: (readonly FlowAction[] | undefined)[] = new Array<undefined>(CACHE_SLOTS).fill(undefined)
  private readonly hashes = new Int32Array(CACHE_SLOTS)
  private size = 0

  /** The list of text[from, to), whose textHash is `hash`. */
  find(text: string, from: number, to: number, hash: number): readonly FlowAction[] | undefined {
    for (let slot = hash & (CACHE_SLOTS - 1); ; slot = (slot + 1) & (CACHE_SLOTS - 1)) {
      const known = this.texts[slot]
      if (known === undefined) return undefined
      // Compared as a cut-out string: V8 compares two strings natively, several times faster than startsWith does,
      // and the cut dies young.
      if (this.hashes[slot] === hash && known.length === to - from && text.slice(from, to) === known) {
        return this.lists[slot]
      }
    }
  }

  /** Remembers `actions` as the list of `text`, whose textHash is `hash`. */
  add(text: string, actions: readonly FlowAction[], hash: number): void {
    if (this.size >= ACTION_CACHE) {
      this.texts.fill(undefined)
      this.lists.fill(undefined)
      this.size = 0
    }
    let slot = hash & (CACHE_SLOTS - 1)
    while (this.texts[slot] !== undefined) slot = (slot + 1) & (CACHE_SLOTS - 1)
    this.texts[slot] = text
    this.lists[slot] = actions
    this.hashes[slot] = hash
    this.size++
  }
}

/**
 * The actions in text[from, to), read once per distinct text: real dumps repeat a few hundred action lists over
 * thousands of flows. Flows with the same text share one frozen list (nothing may change a parsed flow); a new list
 * reads only its single actions not met before (ctx.actions, parseActions' memo).
 */
function cachedActions(text: string, from: number, to: number, ctx: DumpContext): readonly FlowAction[] | string {
  const hash = textHash(text, from, to)
  const hit = ctx.cache.find(text, from, to, hash)
  if (hit) return hit
  const actionText = text.slice(from, to)
  ctx.problem = undefined
  const unresolvedBefore = ctx.unresolvedName
  ctx.unresolvedName = false
  const actions = parseActions(actionText, ctx, ctx.actions)
  if (!actions) return 'unbalanced quotes or brackets in the actions'
  if (ctx.problem !== undefined) return ctx.problem
  for (const action of actions) Object.freeze(action)
  Object.freeze(actions)
  if (!ctx.unresolvedName) ctx.cache.add(actionText, actions, hash)
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

/**
 * A flow whose line starts with the five statistics in OVS's order (orderedStats): made once they are read, so that
 * its counters are part of its shape from the start instead of added one by one; the same keys, in the same order, as
 * the ParsedFlow the reference reader fills in as it reads them.
 */
class StatsFlow implements Flow {
  declare line: number
  declare raw: string
  declare table: number
  declare priority: number
  declare cookie: string
  declare match: FlowMatch
  declare actions: FlowAction[]
  declare durationS: number
  declare nPackets: number
  declare nBytes: number
  declare idleAge?: number
  declare hardAge?: number
  declare tableName?: string

  constructor(raw: string, lineNo: number, stats: LeadingStats) {
    this.line = lineNo
    this.raw = raw
    this.table = stats.table
    this.priority = stats.priority
    this.cookie = stats.cookie
    this.match = scratch
    this.actions = EMPTY_ACTIONS
    this.durationS = stats.durationS
    this.nPackets = stats.nPackets
    this.nBytes = stats.nBytes
  }
}

/**
 * What orderedStats read: the first `count` of cookie, duration, table, n_packets, n_bytes; with all five, the
 * priority when it follows them in its plain form (else the default).
 */
interface LeadingStats {
  count: number
  priority: number
  cookie: string
  durationS: number
  table: number
  nPackets: number
  nBytes: number
}
const leading: LeadingStats = {
  count: 0,
  priority: DEFAULT_PRIORITY,
  cookie: '0x0',
  durationS: 0,
  table: 0,
  nPackets: 0,
  nBytes: 0,
}

/** The flow for a line whose leading statistics orderedStats read into `leading`. */
function flowWithStats(line: string, lineNo: number): Flow {
  const stats = leading
  if (stats.count === 5) return new StatsFlow(line, lineNo, stats)
  // Fewer: set in the order the line gave them (the reference reader adds the keys in that order).
  const flow = new ParsedFlow(line, lineNo, scratch, EMPTY_ACTIONS)
  if (stats.count > 0) flow.cookie = stats.cookie
  if (stats.count > 1) flow.durationS = stats.durationS
  if (stats.count > 2) flow.table = stats.table
  if (stats.count > 3) flow.nPackets = stats.nPackets
  return flow
}

/** Match fields whose values addMatchField may refuse (range checks): the fast path checks them as it reads. */
const CHECKED_FIELDS = new Set(['in_port', 'dl_vlan', 'vlan_tci', 'vlan_vid', 'dl_type', 'nw_proto'])

/** What a key or a bare word of a match is to the fast path (KEYS); any other key is a plain match field. */
const STAT = 1 // one of the flow's own fields (statField reads it)
const CHECKED = 2 // a CHECKED_FIELDS spelling (aliases included): its value is checked as it is read
const FLAG = 3 // a flow flag or a protocol shorthand: a bare word that reads without a problem
const PRIORITY = 4 // the priority: a plain number is read here, anything else by statField

/** The words the fast path tells apart, by length: spelling, kind, and for CHECKED the field's name. */
const KEYS: [string, number, string][][] = []
for (const w of ['cookie', 'priority', 'table', 'duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age']) {
  ;(KEYS[w.length] ??= []).push([w, w === 'priority' ? PRIORITY : STAT, w])
}
for (const f of FIELDS.filter((f) => CHECKED_FIELDS.has(f.name))) {
  for (const w of [f.name, ...f.aliases]) (KEYS[w.length] ??= []).push([w, CHECKED, f.name])
}
for (const w of [...FLOW_FLAGS, ...Object.keys(SHORTHANDS)]) (KEYS[w.length] ??= []).push([w, FLAG, w])

/**
 * A run of match tokens that need no look beyond their spelling, each followed by its separators: a bare flag or
 * shorthand (FLAG), an in_port that portNameOrSmall accepts, and `key=value` where the key is none of the other KEYS
 * (nor `actions`) and the value has no `=` nor brackets (quotes closed on the line). Exactly the tokens the loop in
 * parseFlowLineFast would read and pass over, found by one sticky regular expression instead of a character loop (it
 * runs several times faster). Linear: the alternatives part on their first characters, the characters of a value
 * exclude separators and quotes, and nothing follows the outer repetition, so a token that does not fit only ends
 * the run there. An `actions=` after the run is taken too: parseFlowLineFast then reads the actions.
 */
const PLAIN_TOKENS = ((): RegExp => {
  const words = (kinds: number[]) =>
    KEYS.flat()
      .filter((e) => kinds.includes(e[1]) && /^[a-z][a-z0-9_]*$/.test(e[0]))
      .map((e) => e[0])
  const plain = '[^ ,\\t\\n\\r"=()[\\]{}]'
  const quoted = '"(?:[^"\\\\\\n]|\\\\[^\\n])*"'
  const value = `(?:${plain}|${quoted})*`
  const looked = [...words([STAT, PRIORITY, CHECKED]), 'actions'].join('|')
  const inPort = `in_port=(?:\\d{1,9}|(?:[^0-9 ,\\t\\n\\r"=()[\\]{}]|${quoted})${value})`
  const keyValue = `(?!(?:${looked})=)[a-z][a-z0-9_]*=${value}`
  return new RegExp(`(?:(?:${inPort}|${keyValue}|(?:${words([FLAG]).join('|')}))[ ,\\t]+)*(?:actions=)?`, 'y')
})()

/** The KEYS entry of text[from, to), if it is one of them. */
function keyAt(text: string, from: number, to: number): [string, number, string] | undefined {
  const candidates = KEYS[to - from]
  if (candidates === undefined) return undefined
  for (const entry of candidates) if (wordAt(text, from, entry[0])) return entry
  return undefined
}

/** Does text hold `word` at `at`? */
function wordAt(text: string, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (text.charCodeAt(at + k) !== word.charCodeAt(k)) return false
  return true
}

/** Where the fast path checks those values; what it writes here is never read. */
const scratch: FlowMatch = {fields: {}}
const decodeTokens = new MatchTokens()

/**
 * The match of a flow the fast path read, decoded from its line on first use: the parser has already checked every
 * token (it is a flag, a shorthand, a keyword, a flow field or a match field whose value addMatchField accepts), so
 * decoding cannot fail and gives what the reference reader gives. Most of a dump's flows are never looked at by
 * field (a trace visits a few per bridge), and building them all was a third of the parse. On first use `fields`
 * and `inPort` become own data properties, so the object then compares, spreads and prints like a plain FlowMatch.
 * It holds only the line (the match ends where the reference reader cuts it, which the fast path made sure of) and
 * has no private instance method, which would add a field to every instance: a dump keeps one per flow.
 */
class LazyMatch implements FlowMatch {
  readonly #raw: string

  constructor(raw: string) {
    this.#raw = raw
  }

  get fields(): Record<string, Masked> {
    return LazyMatch.#decode(this).fields
  }

  set fields(fields: Record<string, Masked>) {
    own(this, 'fields', fields)
  }

  get inPort(): PortRef | undefined {
    return LazyMatch.#decode(this).inPort
  }

  set inPort(port: PortRef | undefined) {
    own(this, 'inPort', port)
  }

  toJSON(): FlowMatch {
    const {inPort, fields} = this
    return inPort === undefined ? {fields} : {fields, inPort}
  }

  static #decode(lazy: LazyMatch): FlowMatch {
    const match: FlowMatch = {fields: {}}
    const line = lazy.#raw
    const tok = decodeTokens.reset(line, 0, findKeyword(line, ACTIONS))
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
    own(lazy, 'fields', match.fields)
    // Without an in_port the property still becomes own data (hidden from keys and spreads, as on a plain match),
    // so reading it again does not decode again.
    if (match.inPort !== undefined) own(lazy, 'inPort', match.inPort)
    else
      Object.defineProperty(lazy, 'inPort', {value: undefined, writable: true, enumerable: false, configurable: true})
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
 * One pass over a line that reads as a flow, text[from, to) (`line` is that text, cut): the statistics in OVS's order,
 * then the tokens of the match up to the one that starts with `actions=`, then the actions. Keys are told apart in
 * place; only the values that can be refused are cut out and checked (LazyMatch decodes the match on first use).
 * Whatever it cannot answer exactly as the two-pass reader (`parseFlowLineReference`) does — a line that is not a
 * clean flow (a key that is not a keyword, unbalanced quotes or brackets, a bad value), an `actions=` the reference
 * would find elsewhere — is left to that reader: undefined.
 */
function parseFlowLineFast(
  text: string,
  from: number,
  to: number,
  line: string,
  lineNo: number,
  ctx: DumpContext,
): Flow | undefined {
  let i = orderedStats(text, from, to, ctx)
  const flow = flowWithStats(line, lineNo)
  let unknown: ParseProblem[] | undefined
  // Whether an `actions=` may sit inside a token read so far where the reference reader would see it: after a key's
  // letters, in a value's `=` or inside brackets (inside quotes it sees none, as the tokens here do not).
  let recheck = false
  for (;;) {
    let c = 0
    for (; i < to; i++) {
      c = text.charCodeAt(i)
      if (c !== 32 && c !== 44 && c !== 9) break
    }
    if (i >= to) return undefined
    // The plain tokens from here, and the `actions=` after them (the only way the run ends in `=`).
    PLAIN_TOKENS.lastIndex = i
    PLAIN_TOKENS.test(text)
    const run = PLAIN_TOKENS.lastIndex
    if (run !== i && text.charCodeAt(run - 1) === 61) {
      // The reference reader cuts the line at the first `actions=` after a space or a comma outside quotes: the same
      // place when it follows a space or a comma and no token before it holds one.
      const at = run - 8
      const before = at === from ? 32 : text.charCodeAt(at - 1)
      if ((before !== 32 && before !== 44) || (recheck && text.indexOf(ACTIONS, from) !== at)) return undefined
      const actions = cachedActions(text, run, to, ctx)
      if (typeof actions === 'string') return undefined
      flow.actions = actions as FlowAction[]
      flow.match = new LazyMatch(line)
      if (unknown !== undefined) ctx.flowProblems.set(flow, unknown)
      return flow
    }
    if (run !== i) {
      // Past the plain tokens (a run that ends past `to` has only trailing blanks left: no actions).
      i = run
      if (i >= to) return undefined
      c = text.charCodeAt(i)
    }
    const start = i
    // The key (or the bare word): a keyword, else the reference reader finds the token garbled or unbalanced.
    if (c < 97 || c > 122) return undefined
    for (i++; i < to; i++) {
      c = text.charCodeAt(i)
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) break
    }
    if (i === to || c === 32 || c === 44 || c === 9) {
      const entry = keyAt(text, start, i)
      if (entry !== undefined && entry[1] === FLAG) continue
      const word = text.slice(start, i)
      unknown ??= []
      unknown.push({line: lineNo, text: clip(line), message: `unknown match keyword '${word}'`})
      continue
    }
    if (c !== 61) return undefined
    const eq = i
    if (eq - start > 7 && text.charCodeAt(eq - 1) === 115) recheck = true
    // The value, up to a separator outside quotes and brackets (a bracket is rare: MatchTokens reads that token).
    for (i++; i < to; i++) {
      c = text.charCodeAt(i)
      if (c === 32 || c === 44 || c === 9) break
      if (c === 34) {
        i = closingQuote(text, i, to)
        if (i < 0) return undefined
      } else if (c === 61) recheck = true
      else if (c === 40 || c === 41 || c === 91 || c === 93 || c === 123 || c === 125) {
        const tok = tokens.reset(text, start, to)
        if (tok.next() !== true) return undefined
        i = tok.stop
        recheck = true
        break
      }
    }
    const entry = keyAt(text, start, eq)
    if (entry === undefined) continue
    const kind = entry[1]
    if (kind === PRIORITY && i - eq <= 6) {
      const p = decimalAt(text, eq + 1, i)
      if (p !== undefined && p <= MAX_PRIORITY) {
        flow.priority = p
        continue
      }
    }
    if (kind === STAT || kind === PRIORITY) {
      if (statField(flow, text, start, eq, i, ctx) !== undefined) return undefined
    } else if (kind === CHECKED) {
      const key = entry[2]
      if (key === 'in_port' && portNameOrSmall(text, eq + 1, i)) continue
      if (addMatchField(scratch, key, text.slice(eq + 1, i)) !== undefined) return undefined
    }
  }
}

/** Index of the `"` that closes the quote opened at `open` (backslash escapes skipped), before `end`; -1 if none. */
function closingQuote(text: string, open: number, end: number): number {
  for (let i = open + 1; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === 92) i++
    else if (c === 34) return i
  }
  return -1
}

/**
 * The flow's statistics at the start of the line as OVS prints them — `cookie=0x…, duration=N.NNNs, table=N,
 * n_packets=N, n_bytes=N, ` — read in place while they come in that order and in their plain form (the cookie of the
 * line before, digits), each value read as it is scanned. Returns where the next token starts: anything else,
 * including a stat in another order or spelling, is read by the token loop (statField), as the reference reader does.
 */
function orderedStats(text: string, from: number, to: number, ctx: DumpContext): number {
  const stats = leading
  stats.priority = DEFAULT_PRIORITY
  // Most lines: the statistics in OVS's form with the cookie of the line before, then the same with another cookie.
  if (ctx.cookieStatsFor !== ctx.cookie) cookieStats(ctx)
  const same = ctx.cookieStats
  if (same !== undefined) {
    same.lastIndex = from
    if (same.test(text)) {
      const end = plainStats(text, from + 7 + ctx.cookie.length, same.lastIndex, ctx.cookie)
      if (end >= 0) return end
    }
  }
  PLAIN_STATS.lastIndex = from
  if (PLAIN_STATS.test(text)) {
    const comma = text.indexOf(',', from + 9)
    const cookie = ctx.cookie
    if (comma - from - 7 !== cookie.length || !text.startsWith(cookie, from + 7)) {
      ctx.cookie = text.slice(from + 7, comma)
      cookieStats(ctx)
    }
    const end = plainStats(text, comma, PLAIN_STATS.lastIndex, ctx.cookie)
    if (end >= 0) return end
  }
  stats.count = 0
  let i = from
  // cookie=: most often the text of the line before (a dump repeats one cookie per agent).
  if (!wordAt(text, i, 'cookie=')) return i
  let j = i + 7
  if (wordAt(text, j, ctx.cookie)) j += ctx.cookie.length
  else {
    while (j < to && !isSeparator(text.charCodeAt(j))) j++
    // A new cookie, in lower case: kept for the lines after (statField reads any other spelling).
    if (!isCookie(text, i + 7, j) || hasUpper(text, i + 7, j)) return i
    ctx.cookie = text.slice(i + 7, j)
  }
  if (j < to && !isSeparator(text.charCodeAt(j))) return i
  stats.cookie = ctx.cookie
  stats.count = 1
  i = skipSeparators(text, j, to)
  // duration=: digits, an optional fraction and `s`, read as fractionAt reads them.
  if (!wordAt(text, i, 'duration=')) return i
  let value = 0
  let scale = 0
  let c = 0
  for (j = i + 9; j < to; j++) {
    c = text.charCodeAt(j)
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48)
      scale *= 10
    } else if (c === 46 && scale === 0 && j > i + 9) scale = 1
    else break
  }
  if (c === 115 && j < to) c = text.charCodeAt(++j)
  const end = text.charCodeAt(j - 1) === 115 ? j - 1 : j
  if (scale === 1 || end === i + 9 || end - (i + 9) > 15 || (j < to && !isSeparator(c))) return i
  stats.durationS = scale ? value / scale : value
  stats.count = 2
  i = skipSeparators(text, j, to)
  // table=: a number in range.
  if (!wordAt(text, i, 'table=')) return i
  j = numberEnd(text, i + 6, to, 5)
  if (j < 0 || decimalAt(text, i + 6, j)! > MAX_TABLE) return i
  stats.table = decimalAt(text, i + 6, j)!
  stats.count = 3
  i = skipSeparators(text, j, to)
  // n_packets=, n_bytes=: numbers.
  if (!wordAt(text, i, 'n_packets=') || (j = numberEnd(text, i + 10, to, 15)) < 0) return i
  stats.nPackets = decimalAt(text, i + 10, j)!
  stats.count = 4
  i = skipSeparators(text, j, to)
  if (!wordAt(text, i, 'n_bytes=') || (j = numberEnd(text, i + 8, to, 15)) < 0) return i
  stats.nBytes = decimalAt(text, i + 8, j)!
  stats.count = 5
  return skipSeparators(text, j, to)
}

/**
 * The five statistics in the one form OVS prints them, `cookie=0x…, duration=N.NNNs, table=N, n_packets=N, n_bytes=N`,
 * maybe the priority, and a separator: checked at once by a sticky regular expression (linear: no alternatives but
 * the optional priority, bounded repetitions), a subset of what orderedStats' loop reads with all five. The ranges of
 * the table and the priority are left to plainStats.
 */
const STATS_AFTER_COOKIE =
  ', duration=\\d{1,11}(?:\\.\\d{1,3})?s, table=\\d{1,3}, n_packets=\\d{1,15}, n_bytes=\\d{1,15}(?:, priority=\\d{1,5})?[ ,\\t]'
const PLAIN_STATS = new RegExp(`cookie=0x[0-9a-f]{1,16}${STATS_AFTER_COOKIE}`, 'y')

/** How many cookies get a pattern of their own in one dump (cookieStats); lines with others use PLAIN_STATS only. */
const COOKIE_PATTERNS = 64

/**
 * Points ctx.cookieStats at PLAIN_STATS with ctx.cookie written out, which checks the cookie of a line as part of the
 * one match instead of comparing it apart (a dump repeats one cookie per agent). Each is made once per dump, and at
 * most COOKIE_PATTERNS of them, so a dump of many cookies costs no more than one pattern per cookie.
 */
function cookieStats(ctx: DumpContext): void {
  const cookie = ctx.cookie
  let pattern = ctx.statsByCookie.get(cookie)
  // A cookie that orderedStats' loop or statField kept is lower-case hex (isCookie, hasUpper): no character is special.
  if (pattern === undefined && ctx.statsByCookie.size < COOKIE_PATTERNS && /^0x[0-9a-f]+$/.test(cookie)) {
    pattern = new RegExp(`cookie=${cookie}${STATS_AFTER_COOKIE}`, 'y')
    ctx.statsByCookie.set(cookie, pattern)
  }
  ctx.cookieStats = pattern
  ctx.cookieStatsFor = cookie
}

/**
 * The values of the statistics PLAIN_STATS matched, up to `end`, into `leading` as orderedStats reads them, with the
 * line's `cookie`: their form is known, so only the digits are looked at, from the comma after the cookie at `at`.
 * Returns where the separator after them is (after the priority when it was read), or -1 for a table out of range
 * (orderedStats' loop then reads the line).
 */
function plainStats(text: string, at: number, end: number, cookie: string): number {
  const stats = leading
  let i = at + 11 // `, duration=`
  let c = text.charCodeAt(i)
  let value = 0
  for (; c !== 46 && c !== 115; c = text.charCodeAt(++i)) value = value * 10 + (c - 48)
  let scale = 0
  if (c === 46) {
    for (scale = 1, c = text.charCodeAt(++i); c !== 115; c = text.charCodeAt(++i)) {
      value = value * 10 + (c - 48)
      scale *= 10
    }
  }
  const durationS = scale ? value / scale : value
  i += 9 // `s, table=`
  let table = 0
  for (c = text.charCodeAt(i); c !== 44; c = text.charCodeAt(++i)) table = table * 10 + (c - 48)
  if (table > MAX_TABLE) return -1
  i += 12 // `, n_packets=`
  let nPackets = 0
  for (c = text.charCodeAt(i); c !== 44; c = text.charCodeAt(++i)) nPackets = nPackets * 10 + (c - 48)
  i += 10 // `, n_bytes=`
  let nBytes = 0
  for (c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) nBytes = nBytes * 10 + (c - 48)
  if (end - 1 > i) {
    // `, priority=N`: the token loop reads one out of range (and says why).
    let priority = 0
    for (let k = i + 11; k < end - 1; k++) priority = priority * 10 + (text.charCodeAt(k) - 48)
    if (priority <= MAX_PRIORITY) {
      stats.priority = priority
      i = end - 1
    }
  }
  stats.cookie = cookie
  stats.durationS = durationS
  stats.table = table
  stats.nPackets = nPackets
  stats.nBytes = nBytes
  stats.count = 5
  return i
}

function isSeparator(c: number): boolean {
  return c === 32 || c === 44 || c === 9
}

function skipSeparators(text: string, i: number, to: number): number {
  while (i < to && isSeparator(text.charCodeAt(i))) i++
  return i
}

/** Where the digits that start at `from` end, when there are 1 to `most` of them and a separator or the end follows;
 * else -1. */
function numberEnd(text: string, from: number, to: number, most: number): number {
  let i = from
  for (; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) break
  }
  return i === from || i - from > most || (i < to && !isSeparator(text.charCodeAt(i))) ? -1 : i
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
  let flows: Flow[] = []
  const ctx: DumpContext = {
    ...newActionContext(new Map(Object.entries(options.tableNames ?? {}))),
    cache: new ActionCache(),
    actions: new Map(),
    cookie: '0x0',
    cookieStats: undefined,
    cookieStatsFor: undefined,
    statsByCookie: new Map(),
    flowProblems: new Map(),
    reference: options.reference === true,
  }
  // One pass over the lines, each cut from the text once; lines that named a table not yet seen (`resubmit(,name)`
  // before `table=N(name)`) are read again once all the names are known. Lines that are not flows leave their problem
  // in lineProblems (in line order), flows go straight to `flows`.
  scratch.fields = {}
  const lineProblems: ParseProblem[] = []
  const again: {at: number; lineNo: number; from: number; to: number}[] = []
  let lineNo = 0
  let filtered = false
  for (let from = 0; from <= text.length;) {
    let to = text.indexOf('\n', from)
    if (to < 0) to = text.length
    lineNo++
    const flow = readLine(text, from, to, lineNo, ctx, lineProblems)
    if (flow !== undefined) {
      if (ctx.unresolvedName) again.push({at: flows.length, lineNo, from, to})
      flows.push(flow)
    }
    from = to + 1
  }
  if (again.length > 0) {
    const notFlows = new Set<Flow>()
    for (const {at, lineNo, from, to} of again) {
      const before = flows[at]!
      ctx.flowProblems.delete(before)
      const flow = readLine(text, from, to, lineNo, ctx, lineProblems)
      if (flow === undefined) notFlows.add(before)
      else flows[at] = flow
    }
    if (notFlows.size > 0) {
      flows = flows.filter((f) => !notFlows.has(f))
      lineProblems.sort((x, y) => (x.line ?? 0) - (y.line ?? 0))
      filtered = true
    }
  }
  scratch.fields = {}

  // The problems in line order: each line gave either a problem or a flow (with its own problems).
  const problems: ParseProblem[] = []
  const unresolved = new Set<string>()
  const byFlow = ctx.flowProblems.size > 0
  // A table known by name only comes from a line that was read again (parseTableToken marks it unresolved), so unless
  // flows have problems of their own, only those flows need a look: a large dump is not walked a second time.
  const looked = byFlow || filtered ? flows : again.map((a) => flows[a.at]!)
  let next = 0
  for (const flow of looked) {
    if (next < lineProblems.length) {
      while (next < lineProblems.length && (lineProblems[next]!.line ?? 0) < flow.line)
        problems.push(lineProblems[next++]!)
    }
    if (byFlow) {
      const mine = ctx.flowProblems.get(flow)
      if (mine) problems.push(...mine)
    }
    if (flow.table < 0 && flow.tableName !== undefined && !unresolved.has(flow.tableName)) {
      unresolved.add(flow.tableName)
      problems.push({
        line: flow.line,
        text: clip(flow.raw),
        message: `table '${flow.tableName}' is printed by name only; its number is unknown (table -1)`,
      })
    }
  }
  while (next < lineProblems.length) problems.push(lineProblems[next++]!)
  return {value: flows, problems}
}

/**
 * One line: its flow, or undefined for a line that is not one — its problem pushed to `problems` — and for lines with
 * nothing to say (blank, the reply header). ctx.unresolvedName tells whether the flow named a table not yet known.
 */
function readLine(
  text: string,
  from: number,
  to: number,
  lineNo: number,
  ctx: DumpContext,
  problems: ParseProblem[],
): Flow | undefined {
  ctx.unresolvedName = false
  if (to > from && text.charCodeAt(to - 1) === 13) to--
  if (to - from > MAX_LINE) {
    const head = text.slice(from, from + 2 * MAX_TEXT).trim()
    problems.push({
      line: lineNo,
      text: clip(head),
      message: `line of ${to - from} characters is too long to be a flow (over ${MAX_LINE})`,
    })
    return undefined
  }
  while (from < to && isTrimmed(text.charCodeAt(from))) from++
  while (to > from && isTrimmed(text.charCodeAt(to - 1))) to--
  if (from === to) return undefined
  const line = text.slice(from, to)
  const c0 = line.charCodeAt(0)
  if ((c0 === 78 || c0 === 79) && HEADER.test(line)) return undefined
  if ((c0 === 111 && ERROR_LINE.test(line)) || (c0 >= 48 && c0 <= 57 && LOG_LINE.test(line))) {
    problems.push({line: lineNo, text: clip(line), message: `command reported: ${clip(line)}`})
    return undefined
  }
  if (!ctx.reference) {
    const flow = parseFlowLineFast(text, from, to, line, lineNo, ctx)
    if (flow !== undefined) return flow
    ctx.unresolvedName = false
  }
  const result = parseFlowLineReference(line, lineNo, ctx)
  if (!('error' in result)) return result
  problems.push({line: lineNo, text: clip(line), message: result.error})
  ctx.unresolvedName = false
  return undefined
}
