// The dump-flows reader's one-pass fast path gives exactly what the two-pass reference reader gives — flows and
// problems, field for field — on every real dump in fixtures/ and on randomly damaged and reshuffled lines of them.

import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {type FlowAction, newActionContext, parseActions} from '../../src/openflow/index.js'
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
  // The fast path decodes a match on first use (LazyMatch): printed untouched, read as the simulator and the
  // analyzers read it, then whole once decoded (its fields are then own properties, compared key for key).
  const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => bigints(x))
  expect(json(fast.value), label).toEqual(json(reference.value))
  expect(
    fast.value.map((f) => [f.match.inPort, f.match.fields]),
    label,
  ).toEqual(reference.value.map((f) => [f.match.inPort, f.match.fields]))
  expect(fast.value, label).toEqual(reference.value)
}

const bigints = (v: unknown) => (typeof v === 'bigint' ? String(v) : v)

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

  it('gives a match that reads, prints, spreads and compares like a plain one before and after first use', () => {
    const text = readFileSync(join(FIXTURES, 'samples/ovs/modern/dump-flows-names-br-int.txt'), 'utf8')
    const reference = parseDumpFlows(text, {reference: true}).value
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x: unknown) => bigints(x))) as unknown
    // Untouched: printed as JSON (toJSON decodes it).
    expect(plain(parseDumpFlows(text).value)).toEqual(plain(reference))
    // Untouched: a field read first, then the whole match spread as restOfConjFlow does.
    const flows = parseDumpFlows(text).value
    expect(flows.length).toBeGreaterThan(20)
    expect(flows.some((f) => f.match.inPort !== undefined)).toBe(true)
    for (const [i, f] of flows.entries()) {
      expect(f.match.inPort).toEqual(reference[i]!.match.inPort)
      expect({...f.match}).toEqual({...reference[i]!.match})
      expect(Object.keys(f.match).sort()).toEqual(Object.keys(reference[i]!.match).sort())
    }
  })

  it('reads every real dump in fixtures/ exactly as the reference reader does', () => {
    for (const f of DUMPS) same(readFileSync(join(FIXTURES, f), 'utf8'), f)
  })

  it('reads the plain forms the sticky patterns take, and their near misses, as the reference reader does', () => {
    const stats = (cookie: string, rest: string) =>
      ` cookie=${cookie}, duration=12.034s, table=3, n_packets=7, n_bytes=686, ${rest}`
    const lines = [
      stats('0x1', 'priority=10,arp,in_port="qvo3c6ef362-01",arp_spa=10.0.0.5 actions=goto_table:24'),
      stats('0x1', 'priority=65535,dl_vlan=4095 actions=drop'),
      stats('0x1', 'priority=65536,ip actions=drop'),
      stats('0x1', 'priority=099999,ip actions=drop'),
      stats('0x1f', 'priority=1,in_port=1234567890 actions=drop'),
      stats('0x1', 'priority=1,in_port=123456789 actions=drop'),
      stats('0x1', 'priority=1,in_port=12ab actions=drop'),
      stats('0x1', 'priority=1,in_port= actions=drop'),
      stats('0x1', 'priority=1,in_port=LOCAL,note="a \\"b\\" actions=x" actions=NORMAL'),
      stats('0x1', 'priority=1,ipv6,ipv6_src=fe80::/64 actions=FLOOD'),
      stats('0x1', 'priority=1,foo_actions=1 actions=drop'),
      stats('0x1', 'priority=1,ip, actions=drop   '),
      stats('0x1', 'priority=1,ip\tactions=drop'),
      stats('0x1', 'priority=1,ip,priority=7 actions=drop'),
      stats('0x1', 'priority=1,bogus,ip actions=drop'),
      stats('0x1', 'priority=1 actions='),
      stats('0x1', 'actions=drop'),
      stats('0x1', 'priority=1,ip'),
      stats('0x1', 'priority=1,reg0=0x5,table=7 actions=drop'),
      ' cookie=0x1, duration=1.5s, table=255, n_packets=1, n_bytes=2, priority=1 actions=drop',
      ' cookie=0x1, duration=1.s, table=1, n_packets=1, n_bytes=2, priority=1 actions=drop',
      ' cookie=0x1, duration=1234567890123.5s, table=1, n_packets=1, n_bytes=2, priority=1 actions=drop',
      ' cookie=0X1, duration=1s, table=1, n_packets=1, n_bytes=2, priority=1 actions=drop',
      ' cookie=0xAb, duration=1s, table=1, n_packets=1, n_bytes=2, priority=1 actions=drop',
      ' cookie=0x1, duration=1s, table=1, n_packets=1, n_bytes=2',
      ' cookie=0x1, duration=1s, table=1, n_packets=1, n_bytes=2,priority=3 actions=drop',
      ' cookie=0x12345678901234567, duration=1s, table=1, n_packets=1, n_bytes=2, priority=1 actions=drop',
    ]
    same(lines.join('\n'), 'plain forms')
    same(lines.join('\r\n'), 'plain forms, CRLF')
    // Many cookies in turn: more than get a pattern of their own.
    const many = Array.from({length: 200}, (_, i) => stats(`0x${(i % 90).toString(16)}`, `priority=${i} actions=drop`))
    same(many.join('\n'), 'many cookies')
  })

  it('parseActions with a memo of the single actions of the lists before reads as it does without', () => {
    const lines = DUMPS.flatMap((f) => readFileSync(join(FIXTURES, f), 'utf8').split('\n')).filter((l) => l.trim())
    const texts = lines.map((l) => l.slice(l.indexOf('actions=') + 8))
    const rnd = rng(7)
    for (let k = 0; k < 2000; k++) {
      const text = texts[Math.floor(rnd() * texts.length)]!
      const at = Math.floor(rnd() * (text.length + 1))
      texts.push(text.slice(0, at) + PIECES[Math.floor(rnd() * PIECES.length)]! + text.slice(at))
    }
    // One context for all, as in a dump; table names known for some lines, as `table=N(name)` lines teach them.
    const names = new Map([['local_switching', 60]])
    const ctx = newActionContext(names)
    const memo = new Map<string, FlowAction>()
    for (const text of texts) {
      const expected = newActionContext(names)
      const want = parseActions(text, expected)
      ctx.problem = undefined
      ctx.unresolvedName = false
      expect(parseActions(text, ctx, memo), text).toEqual(want)
      expect([ctx.problem, Boolean(ctx.unresolvedName)], text).toEqual([
        expected.problem,
        Boolean(expected.unresolvedName),
      ])
    }
    expect(memo.size).toBeGreaterThan(50)
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
