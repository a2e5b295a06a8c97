// Tables in the style of the OpenStack client (prettytable): +----+ borders, cells wrapped to a width.

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  for (const para of text.split('\n')) {
    let line = ''
    for (const word of para.split(' ')) {
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
  }
  return out
}

export function renderTable(headers: string[], rows: string[][], maxWidths: number[] = []): string {
  const widths = headers.map((h, i) => {
    const natural = Math.max(h.length, ...rows.map((r) => Math.max(...(r[i] ?? '').split('\n').map((l) => l.length))))
    return Math.max(h.length, Math.min(natural, maxWidths[i] ?? natural))
  })
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+'
  const line = (cells: string[]) => {
    const wrapped = cells.map((c, i) => wrap(c ?? '', widths[i]))
    const height = Math.max(...wrapped.map((w) => w.length))
    const out: string[] = []
    for (let k = 0; k < height; k++) out.push('| ' + wrapped.map((w, i) => (w[k] ?? '').padEnd(widths[i])).join(' | ') + ' |')
    return out
  }
  return [rule, ...line(headers), rule, ...rows.flatMap(line), rule].join('\n')
}

/** DOT identifiers and labels, quoted and escaped: names from remote hosts never break the graph. */
export function dotId(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"'
}
