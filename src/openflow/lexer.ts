// Lexing OVS text: flows, actions and the maps and lists of `ovs-vsctl show`. Every function here is one pass over its
// input (no backtracking regular expression), so a hostile or damaged line costs time linear in its length.

const QUOTE = 34 // "
const BACKSLASH = 92
const OPENERS: Record<number, number> = {40: 41, 91: 93, 123: 125} // ( ) [ ] { }
/** Brackets nest a few levels in anything OVS prints (learn(...,load(...)), ct(exec(...))); deeper is garbage. */
const MAX_NESTING = 32

/**
 * Split on separator characters that are outside double quotes and outside (), [] and {}. Empty parts are dropped.
 * Returns undefined when the quotes or brackets do not balance or nest deeper than MAX_NESTING, which is how a
 * truncated or garbled line shows itself.
 */
export function splitTopLevel(text: string, separators: string): string[] | undefined {
  const s0 = separators.charCodeAt(0)
  const s1 = separators.length > 1 ? separators.charCodeAt(1) : s0
  const s2 = separators.length > 2 ? separators.charCodeAt(2) : s0
  const other = separators.length > 3 ? separators.slice(3) : ''
  const parts: string[] = []
  const closers = new Uint8Array(MAX_NESTING)
  let depth = 0
  let start = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      i = closingQuote(text, i)
      if (i < 0) return undefined
      continue
    }
    if (c === 40 || c === 91 || c === 123) {
      if (depth === MAX_NESTING) return undefined
      closers[depth++] = OPENERS[c]!
    } else if (c === 41 || c === 93 || c === 125) {
      if (depth === 0 || closers[--depth] !== c) return undefined
    } else if (depth === 0 && (c === s0 || c === s1 || c === s2 || (other !== '' && other.includes(text[i]!)))) {
      if (i > start) parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  if (depth > 0) return undefined
  if (n > start) parts.push(text.slice(start))
  return parts
}

/**
 * Index of the `"` that closes the quote opened at `open` (backslash escapes skipped), before `end`; -1 when it is not
 * closed there.
 */
function closingQuote(text: string, open: number, end = text.length): number {
  for (let i = open + 1; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === BACKSLASH) i++
    else if (c === QUOTE) return i
  }
  return -1
}

/** `"qvo3f7e5d8a-1b"` -> `qvo3f7e5d8a-1b`; OVS quotes names the JSON way (backslash escapes). Unquoted text is kept. */
export function unquoteOvs(text: string): string {
  if (text.length < 2 || text.charCodeAt(0) !== QUOTE || text.charCodeAt(text.length - 1) !== QUOTE) return text
  const inner = text.slice(1, -1)
  if (!inner.includes('\\')) return inner
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'string') return value
  } catch {
    // Not valid JSON (e.g. a C escape JSON lacks): fall back to dropping the backslashes.
  }
  let out = ''
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) === BACKSLASH && i + 1 < inner.length) i++
    out += inner[i]
  }
  return out
}

/** Index of `word` where it starts a token (at the start, or after a space or comma), outside quotes; -1 if absent. */
export function findKeyword(line: string, word: string): number {
  let inQuote = false
  let scanned = 0
  let from = 0
  for (;;) {
    const at = line.indexOf(word, from)
    if (at < 0) return -1
    let i = scanned
    while (i < at) {
      const c = line.charCodeAt(i)
      if (inQuote && c === BACKSLASH) i += 2
      else {
        if (c === QUOTE) inQuote = !inQuote
        i++
      }
    }
    scanned = i
    if (i === at && !inQuote) {
      const before = at === 0 ? 32 : line.charCodeAt(at - 1)
      if (before === 32 || before === 44) return at
    }
    from = at + 1
  }
}

/** `name:arg` or `name(arg)` -> name and argument; a bare word has arg undefined. */
export function splitCall(text: string): {name: string; arg?: string; paren: boolean} {
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 58 /* : */)
      return i > 0 ? {name: text.slice(0, i), arg: text.slice(i + 1), paren: false} : {name: text, paren: false}
    if (c === 40 /* ( */ && i > 0 && text.charCodeAt(n - 1) === 41)
      return {name: text.slice(0, i), arg: text.slice(i + 1, -1), paren: true}
  }
  return {name: text, paren: false}
}

/** `a->b` split at the last `->` (values like `0x1/0xff` or `fa:16:3e:..` never hold one). */
export function splitArrow(text: string): [string, string] | undefined {
  const at = text.lastIndexOf('->')
  if (at < 0) return undefined
  return [text.slice(0, at), text.slice(at + 2)]
}

/** A non-negative decimal or 0x-hex integer as a number (imprecise above 2^53, which range checks catch anyway). */
export function parseInteger(text: string): number | undefined {
  const n = text.length
  if (n === 0) return undefined
  if (n > 2 && text.charCodeAt(0) === 48 && (text.charCodeAt(1) | 32) === 120) {
    for (let i = 2; i < n; i++) {
      const c = text.charCodeAt(i) | 32
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined
    }
    return Number.parseInt(text.slice(2), 16)
  }
  let value = 0
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    value = value * 10 + (c - 48)
  }
  return value
}

/** The same as a bigint, exact at any size. */
export function parseBigInteger(text: string): bigint | undefined {
  return parseInteger(text) === undefined ? undefined : BigInt(text)
}

/** `12`, `12.5`: a non-negative decimal, as the dump's counters and durations are printed. */
export function parseDecimal(text: string): number | undefined {
  const n = text.length
  let dot = -1
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 46 && dot < 0 && i > 0 && i < n - 1) dot = i
    else if (c < 48 || c > 57) return undefined
  }
  return n === 0 ? undefined : Number(text)
}

/** `[a-z][a-z0-9_]*`: a keyword as OVS spells match fields and flags. */
export function isKeyword(text: string): boolean {
  return isKeywordAt(text, 0, text.length)
}

/** Is text[from, to) a keyword? */
export function isKeywordAt(text: string, from: number, to: number): boolean {
  if (from >= to) return false
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || (i > from && ((c >= 48 && c <= 57) || c === 95)))) return false
  }
  return true
}

/** A fixed set of words, each with what it stands for, found in place: text[from, to) compared without cutting it. */
export class Words {
  private readonly byLength: [string, string][][] = []

  constructor(words: Iterable<readonly [string, string]>) {
    for (const [word, value] of words) (this.byLength[word.length] ??= []).push([word, value])
  }

  /** What text[from, to) stands for, when it is one of the words. */
  at(text: string, from: number, to: number): string | undefined {
    const candidates = this.byLength[to - from]
    if (candidates === undefined) return undefined
    for (const [word, value] of candidates) if (text.startsWith(word, from)) return value
    return undefined
  }
}

const SEPARATOR = 1
const EQUALS = 2
const QUOTE_CHAR = 3
const OPENER = 4
const CLOSER = 5
/** What each ASCII character is to MatchTokens: 0 for an ordinary one. */
const TOKEN_CHAR = new Uint8Array(128)
for (const c of [32, 44, 9]) TOKEN_CHAR[c] = SEPARATOR
TOKEN_CHAR[61] = EQUALS
TOKEN_CHAR[QUOTE] = QUOTE_CHAR
for (const c of [40, 91, 123]) TOKEN_CHAR[c] = OPENER
for (const c of [41, 93, 125]) TOKEN_CHAR[c] = CLOSER

/**
 * The tokens of a flow's match as positions, without cutting the text into strings first: separated by spaces, tabs
 * and commas outside quotes and brackets (what splitTopLevel(text, ', \t') returns, for the parser's hot loop).
 */
export class MatchTokens {
  private text = ''
  private pos = 0
  private end = 0
  private readonly closers = new Uint8Array(MAX_NESTING)
  /** The current token is text[start, stop); eq is its first '=' (-1 when it has none). */
  start = 0
  stop = 0
  eq = -1

  reset(text: string, from: number, to: number): this {
    this.text = text
    this.pos = from
    this.end = to
    return this
  }

  /** Moves to where the next token starts, before reading it (next): its index, -1 when there is none. */
  skip(): number {
    const text = this.text
    const end = this.end
    let i = this.pos
    while (i < end) {
      const c = text.charCodeAt(i)
      if (c !== 32 && c !== 44 && c !== 9) break
      i++
    }
    this.pos = i
    return i < end ? i : -1
  }

  /** Moves to the next token: false when there is none, undefined when its quotes or brackets do not balance. */
  next(): boolean | undefined {
    const text = this.text
    const end = this.end
    let i = this.skip()
    if (i < 0) return false
    this.start = i
    this.eq = -1
    let depth = 0
    // One table lookup per character: most are none of the few that matter (the parser's hottest loop).
    for (; i < end; i++) {
      const c = text.charCodeAt(i)
      const kind = c < 128 ? TOKEN_CHAR[c]! : 0
      if (kind === 0) continue
      if (kind === SEPARATOR) {
        if (depth === 0) break
      } else if (kind === EQUALS) {
        if (this.eq < 0) this.eq = i
      } else if (kind === QUOTE_CHAR) {
        i = closingQuote(text, i, end)
        if (i < 0) return undefined
      } else if (kind === OPENER) {
        if (depth === MAX_NESTING) return undefined
        this.closers[depth++] = OPENERS[c]!
      } else if (depth === 0 || this.closers[--depth] !== c) return undefined
    }
    if (depth > 0) return undefined
    this.stop = i
    this.pos = i
    return true
  }

  /** Is the current token's key (before '=') exactly `word`? */
  keyIs(word: string): boolean {
    return this.eq - this.start === word.length && this.text.startsWith(word, this.start)
  }
}

/** JavaScript's trim() set: a character String.prototype.trim removes. */
export function isTrimmed(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0xfeff ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  )
}

/** A non-negative decimal integer in text[from, to), or undefined; exact like Number() for the digits OVS prints. */
export function decimalAt(text: string, from: number, to: number): number | undefined {
  if (from >= to) return undefined
  if (to - from > 15) {
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) return undefined
    }
    return Number(text.slice(from, to))
  }
  let value = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    value = value * 10 + (c - 48)
  }
  return value
}
