// DATA_MISSING and PARSE_ERROR: what could not be known. Never a fault; it says what the silence of other checks means.
// One finding per capture (host and file): every problem in it counted, the first lines quoted, and the checks that
// its damage made unknown on that host named.

import type {DataProblem} from '../types.js'
import type {Analyzer} from './context.js'
import {finding} from './context.js'
import {unknownChecks} from './known.js'

/** Lines quoted in the message and the evidence; the count covers them all. */
const SHOWN = 5

function element(p: DataProblem): string {
  return p.file ?? p.spec
}

function lineOf(p: DataProblem): string {
  return `${p.line !== undefined ? `line ${p.line}: ` : ''}${p.message}`
}

export const dataAnalyzer: Analyzer = (ctx) => {
  const groups = new Map<string, DataProblem[]>()
  for (const p of ctx.actual.problems) {
    const key = `${p.host}\u0000${p.kind === 'parse' || p.kind === 'damaged' ? p.kind : 'missing'}\u0000${element(p)}`
    groups.set(key, [...(groups.get(key) ?? []), p])
  }
  return [...groups.values()].map((problems) => {
    const p = problems[0]
    const where = `${p.host}: ${p.spec}${p.file ? ` (${p.file}${p.line && problems.length === 1 ? `:${p.line}` : ''})` : ''}`
    const shown = problems.slice(0, SHOWN).map(lineOf).join('; ')
    const why =
      problems.length === 1
        ? p.message
        : `${problems.length} problems: ${shown}${problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : ''}`
    const unknown = unknownChecks(ctx.checks ?? [], ctx.actual, p).map((c) => c.about)
    const facts = {where, why, host: p.host, unknown: unknown.length ? unknown.join(', ') : undefined}
    const evidence = problems
      .slice(0, SHOWN)
      .map((q) => ({host: q.host, spec: q.spec, file: q.file, line: q.line, text: q.text}))
    if (p.kind === 'parse') {
      return finding('PARSE_ERROR', 'unreadable', facts, {
        host: p.host,
        element: element(p),
        actual: p.text,
        confidence: 'high',
        evidence,
      })
    }
    if (p.kind === 'damaged')
      return finding('DATA_MISSING', 'damaged', facts, {
        host: p.host,
        element: element(p),
        confidence: 'high',
        evidence,
      })
    return finding(
      'DATA_MISSING',
      'notCollected',
      {...facts, unreachable: p.kind === 'unreachable'},
      {host: p.host, element: element(p), confidence: 'high', evidence},
    )
  })
}
