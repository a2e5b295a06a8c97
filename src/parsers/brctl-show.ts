// `brctl show`: a header, then one line per bridge (name, id, STP, first interface) and one indented continuation
// line per further interface. bridge-utils separates columns with tabs; the seed's 2013 transcription has spaces, so
// columns are split on any whitespace and a continuation is recognised by its leading whitespace.

import type {LinuxBridge, ParseProblem, ParseResult} from '../types.js'
import {eachLine} from './bounds.js'

const BRIDGE_ID = /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{12}$/

/** Parses `brctl show` output; never throws. */
export function parseBrctlShow(text: string): ParseResult<LinuxBridge[]> {
  const bridges: LinuxBridge[] = []
  const problems: ParseProblem[] = []
  let current: LinuxBridge | undefined

  eachLine(text, problems, (raw, i) => {
    const line = i + 1
    const trimmed = raw.trim()
    if (trimmed === '') return
    if (/^bridge name\s+bridge id/.test(trimmed)) return
    const words = trimmed.split(/\s+/)
    if (/^\s/.test(raw)) {
      if (!current) problems.push({line, text: trimmed, message: 'interface line before any bridge'})
      else if (words.length !== 1)
        problems.push({line, text: trimmed, message: 'continuation line should hold one interface'})
      else current.interfaces.push(words[0])
      return
    }
    const [name, id, stp, ...interfaces] = words
    if (id === undefined || !BRIDGE_ID.test(id) || (stp !== 'yes' && stp !== 'no') || interfaces.length > 1) {
      current = undefined
      problems.push({line, text: trimmed, message: 'not a brctl show bridge line'})
      return
    }
    current = {name, id, stp: stp === 'yes', interfaces}
    bridges.push(current)
  })
  return {value: bridges, problems}
}
