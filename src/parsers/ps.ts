// `ps -ww -eo pid=,args=`: a right-aligned pid, a space, then the command line. ps joins a process's argv with
// single spaces, so the argv is recovered by splitting on whitespace: an argument that itself held spaces, or an
// empty argument, cannot be told apart from the joins. That is good enough for dnsmasq and the agents, whose
// arguments carry no spaces. Lines without a pid (a command line copied from elsewhere) are accepted too.

import type {ParseProblem, ParseResult} from '../types.js'
import {decimalIn, eachLine, MAX_PID} from './bounds.js'

export interface PsEntry {
  line: number
  pid?: number
  argv: string[]
}

/** Parses `ps -ww -eo pid=,args=` (or bare command lines); never throws. */
export function parsePs(text: string): ParseResult<PsEntry[]> {
  const entries: PsEntry[] = []
  const problems: ParseProblem[] = []
  eachLine(text, problems, (raw, i) => {
    const line = i + 1
    const trimmed = raw.trim()
    if (trimmed === '') return
    // A header from a ps run without `=` in its format.
    if (/^PID\s+(COMMAND|CMD|ARGS)\b/i.test(trimmed)) return
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(trimmed)) {
      problems.push({line, text: trimmed.slice(0, 200), message: 'control characters in a ps line'})
      return
    }
    const words = trimmed.split(/\s+/)
    if (/^\d+$/.test(words[0])) {
      // ps prints pids without leading zeros, 1..PID_MAX_LIMIT.
      const pid = words[0].startsWith('0') ? undefined : decimalIn(words[0], 1, MAX_PID)
      if (pid === undefined) {
        problems.push({
          line,
          text: trimmed.slice(0, 200),
          message: `${words[0].slice(0, 20)} is not a pid (1–${MAX_PID})`,
        })
        return
      }
      if (words.length === 1) {
        problems.push({line, text: trimmed, message: 'pid without a command line'})
        return
      }
      entries.push({line, pid, argv: words.slice(1)})
      return
    }
    entries.push({line, argv: words})
  })
  return {value: entries, problems}
}
