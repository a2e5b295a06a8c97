// `iptables-save [-c]` (and `ip6tables-save`): every table, its chains with their policies and counters, and each
// rule as the structured matches and target iptables-save prints. The text is what the kernel holds, printed in one
// canonical spelling: `-m <module>` then that module's `--option value`s, `!` before a negated option, double quotes
// around values with spaces (with `\"` and `\\` escaped), `[packets:bytes]` before a rule with -c. One pass over the
// lines and one over each line's characters: linear time. A line that is none of these is a problem, not a guess.

import type {ParseProblem, ParseResult} from '../types.js'
import {eachLine, excerpt} from './bounds.js'

export interface Counters {
  packets: number
  bytes: number
}

/** One `--option [value…]` of a module or target, or a basic match (`-s`, `-p`, `-i` …: `name` is the long form). */
export interface IptOption {
  name: string
  values: string[]
  negated: boolean
}

/** `-m <name>` with its options; the basic matches (-s/-d/-p/-i/-o/-f) are the module `''`. */
export interface IptMatch {
  module: string
  options: IptOption[]
}

export interface IptRule {
  table: string
  chain: string
  /** 1-based position in its chain, as `iptables -L --line-numbers` counts. */
  number: number
  /** 1-based line in the capture. */
  line: number
  /** The rule as printed, without the counters: `-A chain …`. */
  text: string
  counters?: Counters
  matches: IptMatch[]
  /** `-j TARGET` or `-g CHAIN` with the target's options; none: the rule only counts. */
  target?: {name: string; goto: boolean; options: IptOption[]}
}

export interface IptChain {
  name: string
  /** A built-in chain's policy (ACCEPT, DROP); undefined for a user chain (`-`). */
  policy?: string
  counters?: Counters
  line: number
  rules: IptRule[]
}

export interface IptTable {
  name: string
  line: number
  chains: Map<string, IptChain>
  /** Did the table end with COMMIT? A table without it is cut short. */
  committed: boolean
}

export interface IptablesSave {
  tables: Map<string, IptTable>
}

/** The long name of each basic option iptables-save prints in its short form. */
const BASIC: Record<string, string> = {
  '-s': 'source',
  '-d': 'destination',
  '-p': 'protocol',
  '-i': 'in-interface',
  '-o': 'out-interface',
  '-f': 'fragment',
}

const COUNTERS = /^\[(\d+):(\d+)\]$/

function counters(text: string): Counters | undefined {
  const m = COUNTERS.exec(text)
  if (!m) return undefined
  const packets = Number(m[1])
  const bytes = Number(m[2])
  return Number.isSafeInteger(packets) && Number.isSafeInteger(bytes) ? {packets, bytes} : undefined
}

/** A word of a rule, and whether it was quoted (a quoted `-x` is a value, never an option). */
interface Word {
  text: string
  quoted: boolean
}

/** Splits a rule into words the way iptables-save quotes them; undefined when a quote is left open. */
function splitWords(text: string): Word[] | undefined {
  const words: Word[] = []
  let word = ''
  let wasQuoted = false
  let inWord = false
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i]
      else if (c === '"') quoted = false
      else word += c
    } else if (c === '"') {
      quoted = true
      wasQuoted = true
      inWord = true
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push({text: word, quoted: wasQuoted})
      word = ''
      inWord = false
      wasQuoted = false
    } else {
      word += c
      inWord = true
    }
  }
  if (quoted) return undefined
  if (inWord) words.push({text: word, quoted: wasQuoted})
  return words
}

/** Reads the words after `-A chain`: matches and target; a string when the rule cannot be read. */
function ruleBody(all: Word[]): Pick<IptRule, 'matches' | 'target'> | string {
  const words = all.map((w) => (w.quoted ? undefined : w.text))
  const value = (i: number) => all[i]?.text
  const matches: IptMatch[] = []
  let basic: IptMatch | undefined
  let current: IptMatch | undefined
  let target: IptRule['target']
  let negate = false
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (w === undefined) return `a quoted word where an option belongs: ${excerpt(all[i].text, 60)}`
    if (w === '!') {
      if (negate) return 'two "!" in a row'
      negate = true
      continue
    }
    if (w === '-m' || w === '--match') {
      if (negate) return '"!" before -m'
      const name = words[++i]
      if (name === undefined || name.startsWith('-')) return '-m without a module name'
      current = {module: name, options: []}
      matches.push(current)
      continue
    }
    if (w === '-j' || w === '--jump' || w === '-g' || w === '--goto') {
      if (negate) return '"!" before the target'
      if (target) return 'two targets'
      const name = words[++i]
      if (name === undefined || name.startsWith('-')) return `${w} without a target`
      target = {name, goto: w === '-g' || w === '--goto', options: []}
      current = undefined
      continue
    }
    if (w in BASIC) {
      if (!basic) {
        basic = {module: '', options: []}
        matches.unshift(basic)
      }
      const option: IptOption = {name: BASIC[w], values: [], negated: negate}
      negate = false
      if (w !== '-f') {
        const v = value(++i)
        if (v === undefined) return `${w} without a value`
        option.values.push(v)
      }
      basic.options.push(option)
      // A module's options follow their -m; a basic option after them belongs to no module.
      current = target ? undefined : current
      continue
    }
    if (w.startsWith('--')) {
      const option: IptOption = {name: w.slice(2), values: [], negated: negate}
      negate = false
      // Values run to the next option word (`--match-set NAME src`, `--icmp-type 8`, `--physdev-is-bridged`).
      while (i + 1 < all.length && !isOptionWord(words[i + 1])) option.values.push(all[++i].text)
      if (target) target.options.push(option)
      else if (current) current.options.push(option)
      else return `option ${excerpt(w, 60)} outside any -m module or target`
      continue
    }
    return `unexpected word ${excerpt(w, 60)}`
  }
  if (negate) return '"!" at the end of the rule'
  return {matches, target}
}

function isOptionWord(w: string | undefined): boolean {
  if (w === undefined) return false
  return w === '!' || w in BASIC || /^--?[a-zA-Z]/.test(w)
}

/** Parses iptables-save output (with or without -c); never throws. */
export function parseIptablesSave(text: string): ParseResult<IptablesSave> {
  const problems: ParseProblem[] = []
  const tables = new Map<string, IptTable>()
  let table: IptTable | undefined
  const problem = (index: number, line: string, message: string) =>
    problems.push({line: index + 1, text: excerpt(line), message})
  eachLine(text, problems, (raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    if (line.startsWith('*')) {
      if (table && !table.committed) problem(index, line, `table ${table.name} has no COMMIT before the next table`)
      const name = line.slice(1)
      if (!/^[a-z]+$/.test(name)) return problem(index, line, 'not a table name')
      table = {name, line: index + 1, chains: new Map(), committed: false}
      if (tables.has(name)) problem(index, line, `table ${name} appears twice; the later one is kept`)
      tables.set(name, table)
      return
    }
    if (!table || table.committed) return problem(index, line, 'outside any table (no *table line before it)')
    if (line === 'COMMIT') {
      table.committed = true
      return
    }
    if (line.startsWith(':')) {
      const m = /^:(\S+) (\S+)(?: (\[\d+:\d+\]))?$/.exec(line)
      if (!m) return problem(index, line, 'not a chain declaration (:NAME POLICY [packets:bytes])')
      const count = m[3] === undefined ? undefined : counters(m[3])
      if (m[3] !== undefined && !count) return problem(index, line, 'counters out of range')
      if (table.chains.has(m[1])) return problem(index, line, `chain ${m[1]} declared twice`)
      const chain: IptChain = {name: m[1], line: index + 1, rules: []}
      if (m[2] !== '-') chain.policy = m[2]
      if (count) chain.counters = count
      table.chains.set(m[1], chain)
      return
    }
    let rest = line
    let count: Counters | undefined
    if (rest.startsWith('[')) {
      const space = rest.indexOf(' ')
      count = space < 0 ? undefined : counters(rest.slice(0, space))
      if (!count) return problem(index, line, 'not a rule: bad [packets:bytes] counters')
      rest = rest.slice(space + 1).trimStart()
    }
    const words = splitWords(rest)
    if (!words) return problem(index, line, 'a quote is not closed')
    const verb = words[0]?.text
    if ((verb !== '-A' && verb !== '--append') || words.length < 2)
      return problem(index, line, 'not a rule (-A CHAIN …), chain declaration, table or COMMIT')
    const chain = table.chains.get(words[1].text)
    if (!chain) return problem(index, line, `rule in chain ${words[1].text}, which the table does not declare`)
    const body = ruleBody(words.slice(2))
    if (typeof body === 'string') return problem(index, line, `rule not read: ${body}`)
    const rule: IptRule = {
      table: table.name,
      chain: chain.name,
      number: chain.rules.length + 1,
      line: index + 1,
      text: rest,
      ...body,
    }
    if (count) rule.counters = count
    chain.rules.push(rule)
  })
  if (table && !table.committed)
    problems.push({line: table.line, text: `*${table.name}`, message: `table ${table.name} has no COMMIT: cut short`})
  return {value: {tables}, problems}
}

/** The values of a rule's option (`source`, `match-set`, `dport`), looked up in one module ('' = basic matches). */
export function optionOf(rule: IptRule, module: string, name: string): IptOption | undefined {
  for (const m of rule.matches) if (m.module === module) for (const o of m.options) if (o.name === name) return o
  return undefined
}

/** The rule's `-m comment --comment` text, when it has one. */
export function commentOf(rule: IptRule): string | undefined {
  return optionOf(rule, 'comment', 'comment')?.values.join(' ')
}
