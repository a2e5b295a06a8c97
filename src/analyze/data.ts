// DATA_MISSING and PARSE_ERROR: what could not be known. Never a fault; it says what the silence of other checks means.

import type {DataProblem} from '../types.js'
import type {Analyzer} from './context.js'
import {finding} from './context.js'

function element(p: DataProblem): string {
  return p.file ?? p.spec
}

export const dataAnalyzer: Analyzer = (ctx) => ctx.actual.problems.map((p) => {
  const where = `${p.host}: ${p.spec}${p.file ? ` (${p.file}${p.line ? `:${p.line}` : ''})` : ''}`
  if (p.kind === 'parse') {
    return finding('PARSE_ERROR', 'unreadable', {where, why: p.message}, {host: p.host, element: element(p), actual: p.text, confidence: 'high',
      evidence: [{host: p.host, spec: p.spec, file: p.file, line: p.line, text: p.text}]})
  }
  return finding('DATA_MISSING', 'notCollected', {where, why: p.message, host: p.host, unreachable: p.kind === 'unreachable'}, {host: p.host,
    element: element(p), confidence: 'high', evidence: [{host: p.host, spec: p.spec, file: p.file}]})
})
