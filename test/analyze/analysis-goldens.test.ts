// The analysis of every snapshot in fixtures/snapshots/ and of generated ones (healthy and damaged), pinned: the
// diagnose and topology JSON as `--format json` prints them, and a digest of the whole actual and reference models
// (every field, Maps and Sets included, keys sorted). Performance work on reading, parsing, the models and the
// analyzers must leave every byte of it as it was. After a change that is meant to alter the analysis:
// UPDATE_GOLDEN=1 npx vitest run test/analyze/analysis-goldens.test.ts, and read the diff.

import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {type Analysis, diagnose, loadAnalysis, PACKAGE_ROOT} from '../../src/engine.js'
import {renderJson} from '../../src/render/escape.js'
import {buildReport} from '../../src/render/findings.js'
import {topologyJson} from '../../src/render/topology.js'
import {writeSynthSnapshot} from '../support/synth.js'

const GOLDENS = join(import.meta.dirname, 'goldens')
const SNAPSHOTS = join(PACKAGE_ROOT, 'fixtures', 'snapshots')
const UPDATE = process.env.UPDATE_GOLDEN === '1'

/** Everything reachable from `value` as one canonical text: keys sorted, Maps and Sets as lists, cycles named; an
 * object that says how it is printed (toJSON: a flow's match read on first use) as it prints. */
function canonical(value: unknown, dir: string): string {
  const out: string[] = []
  const onPath = new Set<object>()
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(JSON.stringify(v.split(dir).join('<dir>')))
    else if (typeof v === 'bigint') out.push(`${v}n`)
    else if (v === undefined) out.push('undefined')
    else if (typeof v === 'function') out.push('<function>')
    else if (v === null || typeof v !== 'object') out.push(JSON.stringify(v))
    else if (onPath.has(v)) out.push('<cycle>')
    else if (typeof (v as {toJSON?: unknown}).toJSON === 'function') walk((v as {toJSON(): unknown}).toJSON())
    else {
      onPath.add(v)
      if (v instanceof Map) {
        out.push('Map[')
        for (const [k, x] of v) {
          walk(k)
          out.push('=>')
          walk(x)
          out.push(',')
        }
        out.push(']')
      } else if (v instanceof Set || Array.isArray(v)) {
        out.push(v instanceof Set ? 'Set[' : '[')
        for (const x of v) {
          walk(x)
          out.push(',')
        }
        out.push(']')
      } else {
        out.push('{')
        for (const k of Object.keys(v).sort()) {
          out.push(JSON.stringify(k), ':')
          walk((v as Record<string, unknown>)[k])
          out.push(',')
        }
        out.push('}')
      }
      onPath.delete(v)
    }
  }
  walk(value)
  return out.join('')
}

function pinned(analysis: Analysis, dir: string): string {
  const findings = diagnose(analysis)
  const report = buildReport(analysis, findings, '0.0.0')
  report.snapshot.dir = '<dir>'
  const models = canonical({actual: analysis.actual, reference: analysis.reference, findings}, dir)
  return renderJson({
    models: createHash('sha256').update(models).digest('hex'),
    diagnose: report,
    topology: topologyJson(analysis.actual, undefined, '0.0.0'),
  })
}

function check(name: string, text: string): void {
  const file = join(GOLDENS, `${name}.json`)
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1`)
    writeFileSync(file, text)
  }
  expect(text).toBe(readFileSync(file, 'utf8'))
}

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, {recursive: true, force: true})
})

describe('the analysis of every fixture snapshot is unchanged', () => {
  for (const name of readdirSync(SNAPSHOTS).sort()) {
    it(name, async () => {
      const dir = join(SNAPSHOTS, name)
      check(`snapshot-${name}`, pinned(await loadAnalysis(dir), dir))
    })
  }
})

// Damage the generated snapshot the way real captures go wrong: truncated or garbled libvirt XML, an empty capture,
// an ovs-vsctl document cut short, a dump-flows line mangled.
const damage = (host: string, spec: string, key: string | undefined, text: string): string => {
  const xml = spec === 'file' && key?.endsWith('.xml')
  if (host === 'compute-1' && xml) return text.slice(0, Math.floor(text.length / 2))
  if (host === 'compute-2' && xml) return text.replace('<interface', '<interface <bad')
  if (host === 'compute-3' && xml) return text.replace(/<mac address=[^>]*>/, '')
  if (host === 'compute-4' && xml) return text.replace(/<target dev=[^>]*>/, '<target/>')
  if (host === 'compute-2' && spec === 'ip_link') return ''
  if (host === 'compute-3' && spec === 'ovs_vsctl_show') return text.slice(0, 200)
  if (host === 'compute-1' && spec === 'ovs_ofctl_dump_flows' && key === 'br-int')
    return text.replace(/ actions=/, ' actions=garbage(')
  return text
}

describe('the analysis of generated snapshots is unchanged', () => {
  for (const [name, modern, mutate] of [
    ['synth', false, undefined],
    ['synth-modern', true, undefined],
    ['synth-damaged', true, damage],
  ] as const) {
    it(name, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'neutrace-goldens-'))
      dirs.push(dir)
      await writeSynthSnapshot(dir, {computes: 4, networks: 3, vmsPerHost: 3, modern, ...(mutate ? {mutate} : {})})
      check(name, pinned(await loadAnalysis(dir), dir))
    })
  }
})
