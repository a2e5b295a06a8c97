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
