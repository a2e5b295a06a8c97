// The shape iproute2's JSON listings share (`ip -j rule`, `ip -j neigh`, …): one array of objects. Each object is
// read by the format's own function, which returns the record or why it cannot be read; what cannot be read is a
// problem naming the entry, and the rest is kept.

import type {ParseProblem, ParseResult} from '../types.js'
import {clip} from '../text.js'
import {parseJson} from './bounds.js'

/** Parses a JSON array of `what` entries with `read`; empty text is an empty list. Never throws. */
export function parseJsonList<T>(
  text: string,
  what: string,
  read: (entry: Record<string, unknown>) => T | string,
): ParseResult<T[]> {
  const trimmed = text.trim()
  if (trimmed === '') return {value: [], problems: []}
  const parsed = parseJson(trimmed)
  if ('error' in parsed)
    return {value: [], problems: [{line: 1, text: clip(trimmed), message: `not valid JSON: ${parsed.error}`}]}
  if (!Array.isArray(parsed.value))
    return {value: [], problems: [{line: 1, text: clip(trimmed), message: `expected a JSON array of ${what}s`}]}
  const value: T[] = []
  const problems: ParseProblem[] = []
  parsed.value.forEach((entry: unknown, index) => {
    const record =
      typeof entry === 'object' && entry !== null && !Array.isArray(entry)
        ? read(entry as Record<string, unknown>)
        : 'is not an object'
    if (typeof record === 'string')
      problems.push({text: clip(JSON.stringify(entry) ?? String(entry)), message: `${what} #${index + 1} ${record}`})
    else value.push(record)
  })
  return {value, problems}
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
