// Bounds on untrusted text. No real line of a line-oriented capture comes near these; a longer one is garbage (binary,
// a runaway token) and is recorded as a problem instead of being read, so no parser spends more than linear time on
// it and nothing downstream ever holds a megabyte-long name.

import type {ParseProblem} from '../types.js'

/** The longest line a line-oriented parser reads (a ps line of a long Python agent command is a few KB). */
export const MAX_LINE = 64 * 1024

/** The most comma- or space-separated fields a line of a DHCP file or a dnsmasq option can hold. */
export const MAX_FIELDS = 64

/** The start of an offending text, for a problem report. */
export function excerpt(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/**
 * Calls `each` with every line (a trailing `\r` removed) and its 0-based index, like `text.split(/\r?\n/).forEach`,
 * except that a line longer than MAX_LINE is recorded in `problems` and skipped.
 */
export function eachLine(text: string, problems: ParseProblem[], each: (raw: string, index: number) => void): void {
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.length > MAX_LINE) {
      problems.push({
        line: i + 1,
        text: excerpt(line),
        message: `line of ${line.length} characters (longer than ${MAX_LINE}): not read`,
      })
      return
    }
    each(line, i)
  })
}

// Ranges of the numbers the parsers keep. A value outside its range is a problem, never kept: `tag: 1e23` or an
// ifindex of 2^64 is damage, and nothing downstream should compare, print or index with it.

/** The kernel's ifindex, MTU and netnsid are C ints: 0..2^31-1 (an ifindex is never 0, a netnsid may be). */
export const MAX_INT32 = 0x7fffffff
/** PID_MAX_LIMIT on 64-bit Linux. */
export const MAX_PID = 4 * 1024 * 1024
/** TCP/UDP ports. */
export const MAX_L4_PORT = 65535
/** A 64-bit unsigned counter (ethtool statistics): 20 decimal digits at most. */
export const MAX_U64_DIGITS = 20

/** `value` when it is an integer in [min, max], else undefined. */
export function intIn(value: unknown, min: number, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : undefined
}

/** A decimal string (digits only, as the commands print them) in [min, max], else undefined; the length is checked
 * before converting, so a megabyte of digits costs nothing. */
export function decimalIn(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 16 || !/^\d+$/.test(text)) return undefined
  return intIn(Number(text), min, max)
}

/** An ofport as OVSDB holds it (Interface.ofport): 1..0xfeff (OFPP_MAX - 1, the highest a port is given), 65534 (the
 * bridge's own port, OFPP_LOCAL) or -1 (the interface could not be created). An empty set (none yet) is not a
 * number and never comes here. */
export function isOfport(n: number): boolean {
  return n === -1 || n === 0xfffe || (Number.isInteger(n) && n >= 1 && n < 0xff00)
}

/** No command's JSON nests deeper than a few levels (ip's addr_info, OVSDB's ["set", [["uuid", …]]]). */
export const MAX_JSON_DEPTH = 64

/** The depth at which `text` nests more than `max` levels of arrays and objects (outside strings), or undefined when
 * it does not. One pass over the characters: JSON.parse of a megabyte of `[` costs 100 ms or more (it builds every
 * level), this costs a millisecond and lets the parser refuse it first. A string is crossed by indexOf to its closing
 * quote (one not escaped: an even run of backslashes before it), half the time of reading it a character at a time. */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): number | undefined {
  let depth = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1)
      for (;;) {
        // An unterminated string runs to the end of the text: nothing after it nests.
        if (end === -1) return undefined
        let k = end - 1
        while (text.charCodeAt(k) === 0x5c) k--
        if ((end - 1 - k) % 2 === 0) break
        end = text.indexOf('"', end + 1)
      }
      i = end
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return undefined
}

/** JSON.parse, after refusing what nests deeper than MAX_JSON_DEPTH: the error's text is for a problem. */
export function parseJson(text: string): {value: unknown} | {error: string} {
  const deep = jsonTooDeep(text)
  if (deep !== undefined) return {error: `nested more than ${MAX_JSON_DEPTH} levels deep at position ${deep}`}
  try {
    return {value: JSON.parse(text)}
  } catch (error) {
    return {error: (error as Error).message}
  }
}
