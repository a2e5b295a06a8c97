// `hostname`: the kernel's node name, one line (a short name or an FQDN). It is the name Neutron's agents report
// themselves by (their `host` option defaults to it), so binding:host_id is matched against it.

import type {ParseProblem, ParseResult} from '../types.js'
import {eachLine, excerpt} from './bounds.js'

/** The kernel keeps at most 64 bytes (HOST_NAME_MAX). */
const MAX_HOSTNAME = 64
/** Labels of letters, digits, `-` and `_` (seen in the wild), joined by dots. */
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/

/** Parses the output of `hostname`; never throws. Undefined when no line holds a host name. */
export function parseHostname(text: string): ParseResult<string | undefined> {
  const problems: ParseProblem[] = []
  let name: string | undefined
  eachLine(text, problems, (raw, i) => {
    const line = raw.trim()
    if (line === '') return
    const at = {line: i + 1, text: excerpt(line)}
    if (name !== undefined) problems.push({...at, message: 'a second line: hostname prints one name'})
    else if (line.length > MAX_HOSTNAME) problems.push({...at, message: `longer than ${MAX_HOSTNAME} characters`})
    else if (!HOSTNAME.test(line)) problems.push({...at, message: 'not a host name (letters, digits, -, _ and dots)'})
    else name = line.replace(/\.$/, '')
  })
  return {value: name, problems}
}
