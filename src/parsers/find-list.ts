// `find … -type f` output: one absolute path a line. Whatever else turns up (find's own complaints when stderr was
// merged, relative paths, control characters that could smuggle terminal escapes into reports) is a problem.

import type {ParseProblem, ParseResult} from '../types.js'

/** Parses a list of absolute paths; never throws. */
export function parseFindList(text: string): ParseResult<string[]> {
  const paths: string[] = []
  const problems: ParseProblem[] = []
  text.split('\n').forEach((raw, i) => {
    const path = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (path === '') return
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(path)) {
      problems.push({line: i + 1, text: JSON.stringify(path).slice(0, 200), message: 'path contains control characters'})
      return
    }
    if (!path.startsWith('/')) {
      problems.push({line: i + 1, text: path.slice(0, 200), message: 'not an absolute path'})
      return
    }
    paths.push(path)
  })
  return {value: paths, problems}
}
