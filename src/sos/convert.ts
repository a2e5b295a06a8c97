// The few sosreport members whose format differs from what neutrace's own collector asks for, rewritten into that
// format so that the one parser of each format reads them. Each conversion is exact (nothing guessed: what cannot be
// read is a problem with its line) and keeps the member's line order.
//
//  - `ovs-vsctl -t 5 list TABLE` (sos runs it without --format=json) → `ovs-vsctl --format=json list TABLE`. The text
//    form is typed without a schema: OVS quotes every string that would read as anything else (lib/ovsdb-data.c,
//    string_needs_quotes: a string with a character other than a letter, `_`, `-` or `.`, one that starts with
//    neither a letter nor `_`, `true`/`false`, a UUID), so a bare token is a UUID, a number, a boolean or a string.
//  - `ps auxwww` (a header and eleven columns, the command last) → `ps -ww -eo pid=,args=`, the header left as an
//    empty line (which ps's parser skips) so that every process keeps its line number.
//  - `bridge -s -s -d link show` → `bridge link`: the indented lines under each port (its -d details and -s
//    statistics) left as empty lines; the port lines, at their own line numbers, are what `bridge link` prints.
//  - `ip route show table all` (text), root namespace and each namespace → `ip -j route show table all` (JSON).

import {MAX_LINE} from '../parsers/bounds.js'

export interface ConvertProblem {
  /** 1-based line of the member. */
  line: number
  text: string
  message: string
}

export interface Converted {
  text: string
  problems: ConvertProblem[]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const INTEGER = /^-?[0-9]+$/
const REAL = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/

type Json = string | number | boolean | Json[]

class ValueReader {
  i = 0
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new Error(`${what} at column ${this.i + 1}`)
  }
  skipSpaces(): void {
    while (this.s[this.i] === ' ') this.i++
  }
  atom(): Json {
    this.skipSpaces()
    if (this.s[this.i] === '"') return this.quoted()
    const start = this.i
    while (this.i < this.s.length && !',]}= '.includes(this.s[this.i]!)) this.i++
    const token = this.s.slice(start, this.i)
    if (!token) this.fail('expected a value')
    if (UUID.test(token)) return ['uuid', token]
    if (INTEGER.test(token)) return Number(token)
    if (REAL.test(token)) return Number(token)
    if (token === 'true') return true
    if (token === 'false') return false
    return token
  }
  quoted(): string {
    // A JSON string (OVS writes strings with json_string_escape).
    const start = this.i
    this.i++
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1
    if (this.s[this.i] !== '"') this.fail('unterminated string')
    this.i++
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string
    } catch {
      return this.fail('bad escape in string')
    }
  }
  /** `[a, b]`, `{k=v, …}` or an atom. */
  value(): Json {
    this.skipSpaces()
    const c = this.s[this.i]
    if (c === '[') return ['set', this.list(']', () => this.atom())]
    if (c === '{') {
      return [
        'map',
        this.list('}', () => {
          const k = this.atom()
          this.skipSpaces()
          if (this.s[this.i] !== '=') this.fail('expected = in a map')
          this.i++
          return [k, this.atom()]
        }),
      ]
    }
    return this.atom()
  }
  list(close: string, item: () => Json): Json[] {
    this.i++
    const out: Json[] = []
    this.skipSpaces()
    if (this.s[this.i] === close) {
      this.i++
      return out
    }
    for (;;) {
      out.push(item())
      this.skipSpaces()
      const c = this.s[this.i]
      if (c === close) {
        this.i++
        return out
      }
      if (c !== ',') this.fail(`expected , or ${close}`)
      this.i++
    }
  }
}

/** Read one cell of `ovs-vsctl list` text into the OVSDB JSON encoding. */
export function ovsdbTextValue(text: string): {value: Json} | {error: string} {
  const reader = new ValueReader(text)
  try {
    const value = reader.value()
    reader.skipSpaces()
    if (reader.i !== text.length) reader.fail('unexpected text after the value')
    return {value}
  } catch (error) {
    return {error: (error as Error).message}
  }
}

/** `ovs-vsctl list TABLE` text → `ovs-vsctl --format=json list TABLE`. */
export function ovsdbTextToJson(text: string): Converted {
  const problems: ConvertProblem[] = []
  const headings: string[] = []
  const index = new Map<string, number>()
  const rows: (Json | undefined)[][] = []
  let row: (Json | undefined)[] | undefined
  const lines = text.split('\n')
  lines.forEach((line, n) => {
    if (line.trim() === '') {
      row = undefined
      return
    }
    const problem = (message: string) => problems.push({line: n + 1, text: line.slice(0, 200), message})
    if (line.length > MAX_LINE) return problem(`line longer than ${MAX_LINE} characters: not read`)
    const m = /^([A-Za-z_][A-Za-z0-9_:-]*) *: ?(.*)$/.exec(line)
    if (!m) return problem('not a `column : value` line')
    const [, column, raw] = m as unknown as [string, string, string]
    const cell = ovsdbTextValue(raw)
    if ('error' in cell) return problem(`${column}: ${cell.error}`)
    if (!row) rows.push((row = []))
    let i = index.get(column)
    if (i === undefined) {
      i = headings.length
      headings.push(column)
      index.set(column, i)
    }
    row[i] = cell.value
  })
  // A column missing from a record: the empty set, as OVSDB has no absent cells.
  const data = rows.map((r) => headings.map((_, i) => r[i] ?? ['set', []]))
  return {text: `${JSON.stringify({data, headings})}\n`, problems}
}

/** `ps auxwww` → `ps -ww -eo pid=,args=`: the header dropped, the pid and the command kept. */
export function psAuxToPidArgs(text: string): Converted {
  const problems: ConvertProblem[] = []
  const lines = text.split('\n')
  const last = lines[lines.length - 1] === '' ? lines.pop() : undefined
  const out = lines.map((line, n) => {
    if (n === 0 && /^USER\s+PID\s/.test(line)) return ''
    if (line.trim() === '') return ''
    const problem = (message: string) => {
      problems.push({line: n + 1, text: line.slice(0, 200), message})
      return ''
    }
    if (line.length > MAX_LINE) return problem(`longer than ${MAX_LINE} characters`)
    // USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND: ten fields, then the command line.
    const m = /^\S+\s+(\d+)\s+(?:\S+\s+){8}(\S.*)$/.exec(line)
    if (!m)
      return problem(n === 0 ? 'expected the `ps aux` header (USER PID …)' : 'not a `ps aux` line (eleven columns)')
    return `${m[1]!.padStart(7)} ${m[2]}`
  })
  return {text: out.join('\n') + (last !== undefined ? '\n' : ''), problems}
}

/** `bridge -s -s -d link show` → `bridge link`: each port's indented detail and statistics lines emptied. */
export function bridgeLinkDetailsDropped(text: string): Converted {
  const kept = text.split('\n').map((line) => (/^\s/.test(line) ? '' : line))
  return {text: kept.join('\n'), problems: []}
}

/** Route types `ip route` prints before the destination (unicast, the default, is not printed). */
const ROUTE_TYPES = new Set([
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
  'unicast',
])
/** `KEY VALUE` pairs the JSON form names otherwise (`via` → gateway, `proto` → protocol, `src` → prefsrc). */
const ROUTE_FIELDS: Record<string, 'gateway' | 'dev' | 'table' | 'protocol' | 'scope' | 'prefsrc' | 'metric'> = {
  via: 'gateway',
  dev: 'dev',
  table: 'table',
  proto: 'protocol',
  scope: 'scope',
  src: 'prefsrc',
  metric: 'metric',
}
/** `KEY VALUE` pairs neutrace does not read (route metrics, IPv6 preference, expiry …): skipped with their value. */
const ROUTE_SKIPPED = new Set(
  (
    'pref expires mtu advmss rtt rttvar cwnd initcwnd initrwnd hoplimit quickack error realms weight nhid ssthresh ' +
    'reordering window congctl fastopen_no_cookie features tos dsfield ttl-propagate from iif oif uid mark encap'
  ).split(' '),
)
/** Words `ip route` prints alone: the route's flags (the JSON form lists them under `flags`). */
const ROUTE_FLAGS = new Set(['linkdown', 'onlink', 'dead', 'pervasive', 'offload', 'trap', 'notify', 'rt_offload'])

/**
 * `ip route show table all` (text: sos runs it without -j) → the `ip -j route show table all` array the route parser
 * reads. A line is `[TYPE] DST` then `KEY VALUE` pairs and flag words; `nexthop` lines of a multipath route (indented)
 * are left out, as the JSON form's top level has no device for them either. A word neither form knows is a problem
 * naming its line, and that route is not kept.
 */
export function ipRouteTextToJson(text: string): Converted {
  const problems: ConvertProblem[] = []
  const routes: Record<string, string | number | string[]>[] = []
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '' || /^\s/.test(line)) return
    const problem = (message: string) => problems.push({line: n + 1, text: line.slice(0, 200), message})
    if (line.length > MAX_LINE) return problem(`longer than ${MAX_LINE} characters`)
    const words = line.trim().split(/\s+/)
    const route: Record<string, string | number | string[]> = {}
    let i = 0
    if (ROUTE_TYPES.has(words[0]!) && words.length > 1) {
      if (words[0] !== 'unicast') route.type = words[0]!
      i = 1
    }
    route.dst = words[i++]!
    const flags: string[] = []
    while (i < words.length) {
      const word = words[i++]!
      const field = ROUTE_FIELDS[word]
      if (field) {
        // `via inet6 ADDR`: an IPv4 route through an IPv6 gateway names the family first.
        if (word === 'via' && (words[i] === 'inet' || words[i] === 'inet6')) i++
        const value = words[i++]
        if (value === undefined) return problem(`\`${word}\` without a value`)
        if (field === 'metric') {
          if (!/^\d{1,10}$/.test(value)) return problem(`metric ${value.slice(0, 20)} is not a number`)
          route.metric = Number(value)
        } else route[field] = value
      } else if (ROUTE_SKIPPED.has(word)) {
        // `lock` before a metric's value (`mtu lock 1400`) goes with it.
        if (words[i] === 'lock') i++
        if (words[i++] === undefined) return problem(`\`${word}\` without a value`)
      } else if (ROUTE_FLAGS.has(word)) flags.push(word)
      else return problem(`\`${word.slice(0, 40)}\` is not a word of \`ip route\``)
    }
    route.flags = flags
    routes.push(route)
  })
  return {text: JSON.stringify(routes) + '\n', problems}
}
