// `sysctl KEY…` (and sos's `sysctl -a`): `key = value` lines. Keys the kernel lacks are simply absent (the collector
// runs `sysctl -e`). One pass: linear time; a line of another shape is a problem.

import type {ParseProblem, ParseResult} from '../types.js'
import {eachLine, excerpt} from './bounds.js'

export interface SysctlValue {
  value: string
  line: number
}

/** Parses `sysctl` output into key → value (the last one wins); never throws. */
export function parseSysctl(text: string): ParseResult<Map<string, SysctlValue>> {
  const problems: ParseProblem[] = []
  const values = new Map<string, SysctlValue>()
  eachLine(text, problems, (raw, index) => {
    const line = raw.trim()
    if (line === '') return
    const m = /^([\w.\-/]+)\s*=\s?(.*)$/.exec(line)
    if (!m) return void problems.push({line: index + 1, text: excerpt(line), message: 'not a "key = value" line'})
    values.set(m[1].replace(/\//g, '.'), {value: m[2], line: index + 1})
  })
  return {value: values, problems}
}
