// `ip netns list`: `qdhcp-… (id: 1)`, or the bare name when the namespace has no id assigned (yet).

import type {NetnsEntry, ParseProblem, ParseResult} from '../types.js'
import {eachLine} from './bounds.js'

const ENTRY = /^([^\s()/]+)(?:\s+\(id:\s*(\d+)\))?$/

/** Parses `ip netns list`; never throws. */
export function parseIpNetns(text: string): ParseResult<NetnsEntry[]> {
  const entries: NetnsEntry[] = []
  const problems: ParseProblem[] = []
  eachLine(text, problems, (raw, i) => {
    const trimmed = raw.trim()
    if (trimmed === '') return
    const match = ENTRY.exec(trimmed)
    if (!match) {
      problems.push({line: i + 1, text: trimmed.slice(0, 200), message: 'not a namespace name'})
      return
    }
    entries.push(match[2] === undefined ? {name: match[1]} : {name: match[1], id: Number(match[2])})
  })
  return {value: entries, problems}
}
