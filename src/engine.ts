// The offline pipeline in one place: snapshot -> actual model; intent -> reference model; analyzers; tracer.
// Commands call these; so do the live collect-and-analyse paths.

import {readFile, readdir} from 'node:fs/promises'
import {join} from 'node:path'
import {analyze, type Finding} from './analyze/index.js'
import {mergeIntent, parseIntentDocument} from './intent/index.js'
import {type ActualModel, buildActualModel} from './model/actual.js'
import {buildReferenceModel, type ReferenceModel} from './model/reference.js'
import {readSnapshot, type Snapshot, SnapshotError} from './snapshot/read.js'
import {PACKAGE_ROOT} from './package-root.js'
import {findVm, trace, TraceError, type TraceResult, type TraceTarget} from './trace/tracer.js'
import type {DataProblem, Intent} from './types.js'

export {PACKAGE_ROOT}

/** The snapshot shipped with neutrace: the seed document's deployment. */
export const SEED_SNAPSHOT = join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'seed')

export interface Analysis {
  snapshot: Snapshot
  actual: ActualModel
  intent?: Intent
  reference: ReferenceModel
}

async function intentFromDir(dir: string): Promise<{name: string; text: string}[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => /\.(json|txt)$/.test(n)).sort()
  } catch (error) {
    throw new SnapshotError(`--intent ${dir}: cannot read the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  return Promise.all(names.map(async (name) => ({name, text: await readFile(join(dir, name), 'utf8')})))
}

/** Read the intent documents: those in the snapshot, and those of --intent (which come last and so fill gaps). */
export function readIntent(files: {name: string; text: string}[]): Intent | undefined {
  if (!files.length) return undefined
  const problems: DataProblem[] = []
  const parts = files.map(({name, text}) => {
    const result = parseIntentDocument(name, text)
    for (const p of result.problems) problems.push({...p, host: 'intent', spec: name, file: `intent/${name}`, kind: 'parse'})
    return result.value
  })
  const intent = mergeIntent(parts)
  intent.problems.push(...problems)
  intent.sources = files.map((f) => f.name)
  return intent
}

export async function loadAnalysis(snapshotDir: string, opts: {intentDir?: string} = {}): Promise<Analysis> {
  const snapshot = await readSnapshot(snapshotDir)
  return analysisOf(snapshot, opts.intentDir ? await intentFromDir(opts.intentDir) : [])
}

/** The models of a snapshot already in memory (tests mutate captures and call this). */
export function analysisOf(snapshot: Snapshot, extraIntent: {name: string; text: string}[] = []): Analysis {
  const intent = readIntent([...snapshot.intentFiles, ...extraIntent])
  const actual = buildActualModel(snapshot)
  if (intent) actual.problems.push(...intent.problems)
  const reference = buildReferenceModel(actual, intent)
  return {snapshot, actual, intent, reference}
}

export function diagnose(analysis: Analysis): Finding[] {
  return analyze(analysis.actual, analysis.reference)
}

export function traceVm(analysis: Analysis, query: string, target: TraceTarget): TraceResult[] {
  const vms = findVm(analysis.actual, analysis.reference, query)
  if (!vms.length) {
    const known = analysis.actual.hosts.flatMap((h) => h.vms.map((v) => v.domain.novaName ?? v.domain.name ?? v.domain.uuid)).filter(Boolean)
    throw new TraceError(`no VM matches "${query}"${known.length ? `; known VMs: ${known.join(', ')}` : ''} (use a uuid, name, MAC, port id or IP)`)
  }
  return vms.map((vm) => trace(analysis.actual, analysis.reference, vm, target))
}

export {SnapshotError, TraceError}
