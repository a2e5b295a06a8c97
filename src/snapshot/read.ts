// Reading a snapshot directory: the manifest plus the raw text of every capture, checked against its sha256.

import {realpath} from 'node:fs/promises'
import {join, resolve, sep} from 'node:path'
import {type IntentDocument, isIntentDocumentName, readIntentDocuments} from '../intent/load.js'
import {NO_PROGRESS, type WorkProgress} from '../progress.js'
import {sourceOf} from '../specs.js'
import type {DataProblem} from '../types.js'
import {readRegularFile, readRegularFileSync} from './files.js'
import {manifestErrors} from './schema.js'
import {
  captureSha256,
  type CaptureRecord,
  type HostRecord,
  type Manifest,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
} from './manifest.js'

export interface Capture {
  host: string
  spec: string
  key?: string
  record: CaptureRecord
  /** The raw output; undefined when the file is missing or the command never produced output. */
  text?: string
  /** Why the file is not what the collector wrote (sha256 mismatch), when it is not. */
  damage?: string
}

export interface Snapshot {
  dir: string
  /** The sosreports it was imported from when they were read directly (src/cli/common.ts load(): \`dir\` is then a
   * scratch copy, gone once read): what reports and messages name instead of \`dir\`. */
  sosreports?: string[]
  manifest: Manifest
  hosts: HostRecord[]
  captures: Capture[]
  /** Intent documents: file name (relative to intent/), text, and `intent/<name>` for problems. */
  intentFiles: IntentDocument[]
  problems: DataProblem[]
}

/** Where a snapshot's data came from, for reports: its directory, or the sosreports it was imported from. */
export function snapshotOrigin(s: Snapshot): {dir: string; sosreports?: string[]} {
  return s.sosreports?.length ? {dir: s.sosreports.join(', '), sosreports: [...s.sosreports]} : {dir: s.dir}
}

export class SnapshotError extends Error {}

function checkManifest(value: unknown, path: string): Manifest {
  const m = value as Partial<Manifest> | null
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new SnapshotError(`${path}: not a JSON object`)
  if (m.format !== SNAPSHOT_FORMAT)
    throw new SnapshotError(`${path}: format is ${JSON.stringify(m.format)}, expected "${SNAPSHOT_FORMAT}"`)
  if (typeof m.formatVersion === 'number' && m.formatVersion > SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError(
      `${path}: formatVersion ${m.formatVersion} is newer than this neutrace reads (${SNAPSHOT_FORMAT_VERSION}); upgrade neutrace`,
    )
  }
  const errors = manifestErrors(value)
  if (errors.length) {
    const more = errors.length > 5 ? `; and ${errors.length - 5} more` : ''
    throw new SnapshotError(`${path}: not a valid manifest: ${errors.slice(0, 5).join('; ')}${more}`)
  }
  if (!m.hosts!.length) throw new SnapshotError(`${path}: the snapshot lists no hosts: nothing to analyse`)
  return m as Manifest
}

/** Resolve a path from the manifest, refusing anything that escapes the snapshot directory. */
export function inside(root: string, rel: string): string | undefined {
  const full = resolve(root, rel)
  return full.startsWith(root + sep) ? full : undefined
}

/** A capture file larger than this is refused (a million-flow dump is ~300 MB). */
export const MAX_CAPTURE_BYTES = 1024 * 1024 * 1024

/** The snapshot's manifest, checked against the schema; the directory's real path for reading files inside it. */
export async function readManifest(dir: string): Promise<{root: string; realRoot: string; manifest: Manifest}> {
  const root = resolve(dir)
  const manifestPath = join(root, 'manifest.json')
  const realRoot = await realpath(root).catch((error: NodeJS.ErrnoException) => {
    throw new SnapshotError(
      `${manifestPath}: cannot read (${error.code ?? String(error)}); is ${dir} a neutrace snapshot?`,
    )
  })
  const read = await readRegularFile(manifestPath, MAX_CAPTURE_BYTES, {within: realRoot})
  if ('error' in read)
    throw new SnapshotError(`${manifestPath}: cannot read (${read.error}); is ${dir} a neutrace snapshot?`)
  let parsed: unknown
  try {
    parsed = JSON.parse(read.text)
  } catch (error) {
    throw new SnapshotError(`${manifestPath}: invalid JSON (${(error as Error).message})`)
  }
  return {root, realRoot, manifest: checkManifest(parsed, manifestPath)}
}

export async function readSnapshot(dir: string, opts: {progress?: WorkProgress} = {}): Promise<Snapshot> {
  const progress = opts.progress ?? NO_PROGRESS
  const {root, realRoot, manifest} = await readManifest(dir)
  const problems: DataProblem[] = []
  const captures: Capture[] = []
  progress.stage(
    'reading captures',
    manifest.hosts.reduce((n, h) => n + h.captures.length, 0),
  )
  // One file open at a time, in manifest order, through synchronous system calls (see readRegularFileSync); a pause
  // between hosts lets a progress display draw.
  const realDirs = new Map<string, string | undefined>()
  for (const host of manifest.hosts) {
    for (const record of host.captures) {
      const capture: Capture = {host: host.name, spec: record.spec, key: record.key, record}
      captures.push(capture)
      const where = {host: host.name, spec: sourceOf(record.spec), file: record.file}
      const path = typeof record.file === 'string' ? inside(root, record.file) : undefined
      if (!path) {
        problems.push({
          ...where,
          kind: 'missing',
          message: `capture file path ${JSON.stringify(record.file)} is outside the snapshot`,
        })
        continue
      }
      const file = readRegularFileSync(path, MAX_CAPTURE_BYTES, {within: realRoot, realDirs})
      progress.tick()
      if ('error' in file) {
        if (file.error !== 'ENOENT')
          problems.push({...where, kind: 'missing', message: `capture file refused: ${file.error}`})
        else if (record.exitCode === 0)
          problems.push({...where, kind: 'missing', message: 'capture file missing from the snapshot'})
        continue
      }
      capture.text = file.text
      const sum = captureSha256(file.buffer)
      if (record.sha256 && sum !== record.sha256) {
        capture.damage = `sha256 mismatch: manifest says ${record.sha256.slice(0, 12)}…, file has ${sum.slice(0, 12)}… (edited or truncated)`
        problems.push({...where, kind: 'damaged', message: capture.damage})
      }
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  // Names the collector refused to use (hostile or malformed) and fan-outs it cut short.
  for (const p of manifest.problems ?? []) {
    problems.push({host: p.host, spec: sourceOf(p.spec), line: p.line, text: p.text, kind: 'parse', message: p.message})
  }
  // Keep manifest order: stable output regardless of read completion order.
  const order = new Map(manifest.hosts.flatMap((h) => h.captures.map((c, i) => [c, i] as const)))
  captures.sort((a, b) => a.host.localeCompare(b.host) || order.get(a.record)! - order.get(b.record)!)

  const intent = await readIntentDocuments(join(root, 'intent'), {fileName: (name) => `intent/${name}`})
  problems.push(...intent.problems)
  problems.push(...missingIntent(manifest, intent.documents, intent.problems))
  return {dir: root, manifest, hosts: manifest.hosts, captures, intentFiles: intent.documents, problems}
}

/** The collector lists the intent documents it wrote: one that is gone is missing, as a capture would be. */
export function missingIntent(
  manifest: Manifest,
  documents: readonly IntentDocument[],
  problems: readonly DataProblem[],
): DataProblem[] {
  const seen = new Set([...documents.map((d) => d.file), ...problems.map((p) => p.file)])
  return (manifest.intent ?? [])
    .filter((file) => !seen.has(file))
    .map((file) => {
      const name = file.replace(/^intent\//, '')
      return {
        host: 'intent',
        spec: isIntentDocumentName(name) ? name : 'intent',
        file,
        kind: 'missing' as const,
        message: 'listed in manifest.json, missing: what rests on it is unknown',
      }
    })
}
