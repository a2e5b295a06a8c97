// `ip netns list`: `qdhcp-… (id: 1)`, or the bare name when the namespace has no id assigned (yet).

import type {NetnsEntry, ParseProblem, ParseResult} from '../types.js'
import {decimalIn, eachLine, MAX_INT32} from './bounds.js'

// A name is one word; whether it is a safe name is the collector's question (collect/validate.ts), not the parser's.
const ENTRY = /^(\S+?)(?:\s+\(id:\s*(\d+)\))?$/

/** Parses `ip netns list`, each entry with its line; never throws. */
export function parseIpNetnsLines(text: string): ParseResult<(NetnsEntry & {line: number})[]> {
  const entries: (NetnsEntry & {line: number})[] = []
  const problems: ParseProblem[] = []
  eachLine(text, problems, (raw, i) => {
    const trimmed = raw.trim()
    if (trimmed === '') return
    const match = ENTRY.exec(trimmed)
    if (!match) {
      problems.push({
        line: i + 1,
        text: trimmed.slice(0, 200),
        message: 'not a namespace line (expected "name" or "name (id: N)")',
      })
      return
    }
    const id = decimalIn(match[2], 0, MAX_INT32)
    if (match[2] !== undefined && id === undefined) {
      problems.push({line: i + 1, text: trimmed.slice(0, 200), message: `namespace id out of range (0–${MAX_INT32})`})
      return
    }
    entries.push(id === undefined ? {line: i + 1, name: match[1]} : {line: i + 1, name: match[1], id})
  })
  return {value: entries, problems}
}

/** Parses `ip netns list`; never throws. */
export function parseIpNetns(text: string): ParseResult<NetnsEntry[]> {
  const {value, problems} = parseIpNetnsLines(text)
  return {value: value.map(({line: _, ...entry}) => entry), problems}
}
