// Parsing: dumps of N flows in the spellings real agents produce, made from real captures (fixtures/samples/ovs/
// modern: br-int with cookies and --names, br-tun with learn(), br-int in OF1.3 with goto_table and set_field), every
// line made unique (durations, counters, MACs, port names). Each tool reads the same file, in a process of its own:
//   neutrace      the snapshot reader's read (readRegularFileSync) + parseDumpFlows
//   ovs.flow.ofp  the OVS project's Python parser (python3-openvswitch), line by line (ofp_parse.py)
//   read+split    the same read + split into lines and at " actions=": the floor of any parser
//   one pass      the same read + every character looked at once and one small object kept per line: the floor of
//                 any parser that gives a flow object per line (it reads less than a flow: five numbers, no names)

import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {pathToFileURL} from 'node:url'

// What users run: the JavaScript tsc built into dist/ (run.ts builds it first), not the sources through tsx.
const DIST = join(import.meta.dirname, '..', '..', 'dist', 'src')

const SAMPLES = join(import.meta.dirname, '..', '..', 'fixtures', 'samples', 'ovs', 'modern')
const TEMPLATES = ['dump-flows-names-br-int.txt', 'dump-flows-names-br-tun.txt', 'dump-flows-of13-br-int.txt']

function hex(n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(width, '0').slice(-width)
}

/** A dump of `n` flows: the real lines of the three captures in turn, each with its own numbers and names. */
export function writeFlowDump(path: string, n: number): {bytes: number; spellings: string[]} {
  const lines = TEMPLATES.flatMap((f) =>
    readFileSync(join(SAMPLES, f), 'utf8')
      .split('\n')
      .filter((l) => l.includes(' actions=')),
  )
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const mix = Math.imul(i + 1, 2654435761)
    out.push(
      lines[i % lines.length]
        .replace(/duration=[\d.]+s/, `duration=${i % 86400}.${String(i % 1000).padStart(3, '0')}s`)
        .replace(/n_packets=\d+/, `n_packets=${i % 100_000}`)
        .replace(/n_bytes=\d+/, `n_bytes=${(i % 100_000) * 98}`)
        .replace(
          /fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}/g,
          `fa:16:3e:${hex(i >> 16, 2)}:${hex(i >> 8, 2)}:${hex(i, 2)}`,
        )
        .replace(/"(qvo|tap)[0-9a-f]{8}-[0-9a-f]{2}"/g, (_m, p: string) => `"${p}${hex(mix, 8)}-${hex(i, 2)}"`),
    )
  }
  const text = `${out.join('\n')}\n`
  writeFileSync(path, text)
  return {bytes: Buffer.byteLength(text), spellings: TEMPLATES}
}

export interface ParseTimes {
  flows: number
  seconds: number
  problems?: number
  errors?: number
  firstError?: string | null
  /** CPU seconds of the worker (user + system; the Python parser: process_time). */
  cpuSeconds?: number
}

/** Worker side: `node --import tsx parse.ts neutrace|split FILE` prints one JSON line. */
async function measure(tool: string, file: string): Promise<ParseTimes> {
  const {parseDumpFlows} = (await import(
    pathToFileURL(join(DIST, 'parsers', 'ovs-ofctl-dump-flows.js')).href
  )) as typeof import('../../src/parsers/ovs-ofctl-dump-flows.js')
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1e6
  }
  const {readRegularFileSync} = (await import(
    pathToFileURL(join(DIST, 'snapshot', 'files.js')).href
  )) as typeof import('../../src/snapshot/files.js')
  const {MAX_CAPTURE_BYTES} = (await import(
    pathToFileURL(join(DIST, 'snapshot', 'read.js')).href
  )) as typeof import('../../src/snapshot/read.js')
  const c0 = cpu()
  const t0 = performance.now()
  const read = readRegularFileSync(file, MAX_CAPTURE_BYTES)
  if ('error' in read) throw new Error(`${file}: ${read.error}`)
  const {text} = read
  if (tool === 'scan') {
    const flows = onePass(text)
    return {flows: flows.length, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpu() - c0}
  }
  if (tool === 'split') {
    let flows = 0
    for (const line of text.split('\n')) {
      const at = line.indexOf(' actions=')
      if (at < 0) continue
      const match = line.slice(0, at)
      const actions = line.slice(at + 9)
      if (match.length + actions.length > 0) flows++
    }
    return {flows, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpu() - c0}
  }
  const parsed = parseDumpFlows(text)
  return {
    flows: parsed.value.length,
    problems: parsed.problems.length,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: cpu() - c0,
  }
}

/** What the one-pass floor keeps of a line. */
class Scanned {
  constructor(
    readonly raw: string,
    readonly line: number,
    readonly durationS: number,
    readonly table: number,
    readonly nPackets: number,
    readonly nBytes: number,
    readonly actionsAt: number,
  ) {}
}

/** Every character of every line looked at once: digits summed up to the fifth comma, where ` actions=` starts. */
function onePass(text: string): Scanned[] {
  const out: Scanned[] = []
  const numbers = [0, 0, 0, 0, 0]
  let lineNo = 0
  for (let from = 0; from < text.length;) {
    let to = text.indexOf('\n', from)
    if (to < 0) to = text.length
    lineNo++
    let value = 0
    let count = 0
    let actionsAt = -1
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i)
      if (c >= 48 && c <= 57) value = value * 10 + (c - 48)
      else if (c === 44) {
        if (count < 5) numbers[count++] = value
        value = 0
      } else if (c === 97 && actionsAt < 0 && text.charCodeAt(i - 1) === 32 && text.charCodeAt(i + 7) === 61) {
        actionsAt = i - from
      }
    }
    if (actionsAt >= 0) {
      const raw = text.slice(from, to)
      out.push(new Scanned(raw, lineNo, numbers[1]!, numbers[2]!, numbers[3]!, numbers[4]!, actionsAt))
    }
    from = to + 1
  }
  return out
}

const BENCH = join(import.meta.dirname)

/** Run one tool on `file` in a process of its own. `limit` bounds the flows the Python parser reads. */
export function timeParse(tool: 'neutrace' | 'split' | 'scan' | 'ofp', file: string, limit: number): ParseTimes {
  const out =
    tool === 'ofp'
      ? execFileSync('/usr/bin/python3', [join(BENCH, 'ofp_parse.py'), file, String(limit)], {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        })
      : execFileSync(
          process.execPath,
          ['--max-old-space-size=8192', '--import', 'tsx', join(BENCH, 'parse.ts'), tool, file],
          {encoding: 'utf8', maxBuffer: 1 << 20},
        )
  return JSON.parse(out.trim().split('\n').pop()!) as ParseTimes
}

if (process.argv[1] === import.meta.filename) {
  const [tool, file] = process.argv.slice(2)
  console.log(JSON.stringify(await measure(tool, file)))
}
