// The dump-flows reader's one-pass fast path gives exactly what the two-pass reference reader gives — flows and
// problems, field for field — on every real dump in fixtures/ and on randomly damaged and reshuffled lines of them.

import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseDumpFlows} from '../../src/parsers/ovs-ofctl-dump-flows.js'
import {rng} from '../fuzz/corrupt.js'

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures')

/** Every dump-flows capture and sample under fixtures/. */
const DUMPS = readdirSync(FIXTURES, {recursive: true, encoding: 'utf8'})
  .filter((f) => /(^|\/)(ovs_ofctl_dump_flows[^/]*\.out|[^/]*dump-flows[^/]*\.txt)$/.test(f))
  .sort()

function same(text: string, label: string): void {
  const fast = parseDumpFlows(text)
  const reference = parseDumpFlows(text, {reference: true})
  expect(fast.problems, label).toEqual(reference.problems)
  expect(fast.value, label).toEqual(reference.value)
}

/** What damages a line in the ways that decide where the match ends: quotes, brackets, separators, keywords. */
const PIECES = [
  '"',
  '\\',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ' ',
  '\t',
  '=',
  'actions=',
  ' actions=',
  ',actions=',
  '(actions=drop)',
  'n(a,actions=drop)',
  'table=',
  'table=x(y)',
  'cookie=0X1',
  'priority=70000',
  'ip',
  'foo',
  'in_port=',
  'dl_vlan=0xffff',
  '"a b"',
  '\r',
]

describe('ovs-ofctl dump-flows: the fast path against the reference reader', () => {
  it('finds the real dumps in fixtures/', () => {
    expect(DUMPS.length).toBeGreaterThan(40)
  })

  it('reads every real dump in fixtures/ exactly as the reference reader does', () => {
    for (const f of DUMPS) same(readFileSync(join(FIXTURES, f), 'utf8'), f)
  })

  it('reads randomly damaged lines of them exactly as the reference reader does', () => {
    const lines = DUMPS.flatMap((f) => readFileSync(join(FIXTURES, f), 'utf8').split('\n')).filter((l) => l.trim())
    const cases = Number(process.env.FUZZ_INPUTS ?? 3000)
    for (let seed = 1; seed <= cases; seed++) {
      const rnd = rng(seed)
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
      const out: string[] = []
      for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) {
        let line = pick(lines)
        for (let k = Math.floor(rnd() * 4); k > 0; k--) {
          const at = Math.floor(rnd() * (line.length + 1))
          const cut = rnd() < 0.3 ? Math.floor(rnd() * 4) : 0
          line = line.slice(0, at) + pick(PIECES) + line.slice(at + cut)
        }
        out.push(line)
      }
      same(out.join('\n'), `seed ${seed}: ${JSON.stringify(out)}`)
    }
  })
})
