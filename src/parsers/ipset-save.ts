// `ipset save`: `create NAME TYPE [option value | flag]…` then `add NAME MEMBER [option…]` per member. Neutron's
// security-group sets are `hash:net family inet|inet6` holding the member ports' addresses. One pass: linear time.
// A line that is neither is a problem; an `add` to a set never created is one too.

import type {ParseProblem, ParseResult} from '../types.js'
import {eachLine, excerpt} from './bounds.js'

export interface IpsetMember {
  /** As printed: an address, a prefix (`10.1.0.0/24`), or a tuple for other set types (`10.1.0.5,tcp:80`). */
  value: string
  line: number
  /** `nomatch`: the entry excludes the address instead of matching it. */
  nomatch: boolean
}

export interface Ipset {
  name: string
  /** hash:net, hash:ip, bitmap:port … */
  type: string
  family?: 'inet' | 'inet6'
  /** The create line's other options (`hashsize 1024`, `maxelem 65536`); flags map to ''. */
  options: Record<string, string>
  line: number
  members: IpsetMember[]
}

/** Options of `ipset create` that take no value. */
const FLAGS = new Set(['counters', 'comment', 'skbinfo', 'forceadd', 'nomatch'])

/** Parses `ipset save`; never throws. */
export function parseIpsetSave(text: string): ParseResult<Map<string, Ipset>> {
  const problems: ParseProblem[] = []
  const sets = new Map<string, Ipset>()
  eachLine(text, problems, (raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const problem = (message: string) => problems.push({line: index + 1, text: excerpt(line), message})
    const words = line.split(/\s+/)
    if (words[0] === 'create') {
      if (words.length < 3) return problem('create without a set name and type')
      const [, name, type] = words
      if (sets.has(name)) return problem(`set ${name} created twice`)
      const set: Ipset = {name, type, options: {}, line: index + 1, members: []}
      for (let i = 3; i < words.length; i++) {
        const key = words[i]
        if (FLAGS.has(key) || i + 1 >= words.length) set.options[key] = ''
        else set.options[key] = words[++i]
      }
      const family = set.options.family
      if (family === 'inet' || family === 'inet6') set.family = family
      else if (family !== undefined) return problem(`set ${name} has an unknown family ${excerpt(family, 40)}`)
      sets.set(name, set)
      return
    }
    if (words[0] === 'add') {
      if (words.length < 3) return problem('add without a set name and member')
      const set = sets.get(words[1])
      if (!set) return problem(`member of set ${words[1]}, which no create line made`)
      set.members.push({value: words[2], line: index + 1, nomatch: words.slice(3).includes('nomatch')})
      return
    }
    problem('neither a create nor an add line')
  })
  return {value: sets, problems}
}
