// Tables in the style of the OpenStack client (prettytable): +----+ borders, cells wrapped to a width. Every cell is
// terminal text escaped here, so no caller can forget it: a newline in a name cannot add a row.

import {escapeTerminal} from './escape.js'

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (!line) line = word
    else if (line.length + 1 + word.length <= width) line += ' ' + word
    else {
      out.push(line)
      line = word
    }
    while (line.length > width) {
      out.push(line.slice(0, width))
      line = line.slice(width)
    }
  }
  out.push(line)
  return out
}

export function renderTable(headers: string[], rawRows: string[][], maxWidths: number[] = []): string {
  const rows = rawRows.map((r) => r.map((c) => escapeTerminal(c ?? '')))
  const widths = headers.map((h, i) => {
    const natural = Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))
    return Math.max(h.length, Math.min(natural, maxWidths[i] ?? natural))
  })
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+'
  const line = (cells: string[]) => {
    const wrapped = cells.map((c, i) => wrap(c ?? '', widths[i]))
    const height = Math.max(...wrapped.map((w) => w.length))
    const out: string[] = []
    for (let k = 0; k < height; k++)
      out.push('| ' + wrapped.map((w, i) => (w[k] ?? '').padEnd(widths[i])).join(' | ') + ' |')
    return out
  }
  return [rule, ...line(headers), rule, ...rows.flatMap(line), rule].join('\n')
}
