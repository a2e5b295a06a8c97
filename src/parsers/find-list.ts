// Listings, one item a line: `find … -type f` (absolute paths) and `ovs-vsctl list-br` (names). Whatever else turns
// up (find's own complaints when stderr was merged, relative paths, control characters that could smuggle terminal
// escapes into reports) is a problem. This is the one listing parser: the collector's plan reads its keys with it.

import type {ParseProblem, ParseResult} from '../types.js'

export interface ListItem {
  /** 1-based line. */
  line: number
  text: string
}

const CONTROL = /[\x00-\x1f\x7f]/

/** One item a line (CR LF tolerated, blank lines skipped); an item with control characters is a problem. */
export function parseList(text: string): ParseResult<ListItem[]> {
  const items: ListItem[] = []
  const problems: ParseProblem[] = []
  text.split('\n').forEach((raw, i) => {
    const item = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (item.trim() === '') return
    if (CONTROL.test(item)) {
      problems.push({line: i + 1, text: JSON.stringify(item).slice(0, 200), message: 'contains control characters'})
      return
    }
    items.push({line: i + 1, text: item})
  })
  return {value: items, problems}
}

/** `find` output: absolute paths with their lines; never throws. */
export function parseFindListLines(text: string): ParseResult<ListItem[]> {
  const listed = parseList(text)
  const problems: ParseProblem[] = listed.problems.map((p) => ({...p, message: `path ${p.message}`}))
  const paths: ListItem[] = []
  for (const item of listed.value) {
    if (item.text.startsWith('/')) paths.push(item)
    else problems.push({line: item.line, text: item.text.slice(0, 200), message: 'not an absolute path'})
  }
  problems.sort((a, b) => a.line! - b.line!)
  return {value: paths, problems}
}

/** Parses a list of absolute paths; never throws. */
export function parseFindList(text: string): ParseResult<string[]> {
  const {value, problems} = parseFindListLines(text)
  return {value: value.map((p) => p.text), problems}
}
