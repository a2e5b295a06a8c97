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
    return finding({code: 'PARSE_ERROR', severity: 'warning', host: p.host, element: element(p),
      message: `${where}: ${p.message}`, actual: p.text, confidence: 'high',
      evidence: [{host: p.host, spec: p.spec, file: p.file, line: p.line, text: p.text}],
      remedy: 'the rest of the capture was analysed; re-collect, or report the line if the command output is genuine'})
  }
  const unreachable = p.kind === 'unreachable'
  return finding({code: 'DATA_MISSING', severity: 'warning', host: p.host, element: element(p),
    message: `${where}: ${p.message}; what depends on it is unknown`, confidence: 'high',
    evidence: [{host: p.host, spec: p.spec, file: p.file}],
    remedy: unreachable ? `check that ${p.host} is up and reachable over SSH, then collect again` : 'check that the command exists and may run (sudo), then collect again'})
})
