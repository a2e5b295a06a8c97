// Merging snapshots taken separately (one neutrace run per cell or region) into one: the union of their hosts, with
// every capture file copied byte for byte and its manifest record unchanged (sha256 included, so damage stays
// visible), and the union of their intent. Refuses what it cannot join faithfully: a host or a file in two snapshots,
// an intent document that differs and is not a list of records.

import {mkdir, lstat, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import pLimit from 'p-limit'
import {readIntentDocuments} from '../intent/load.js'
import {readRegularFile} from './files.js'
import {
  type HostRecord,
  type Manifest,
  type ManifestProblem,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
} from './manifest.js'
import {inside, MAX_CAPTURE_BYTES, readManifest, SnapshotError} from './read.js'

/** Files copied at once (as the reader: well under the usual open-file limit). */
const COPY_CONCURRENCY = 64

export interface MergeResult {
  manifest: Manifest
  /** Per input: its directory and the hosts it brought. */
  inputs: {dir: string; hosts: string[]}[]
  files: number
}

/**
 * Two versions of one intent document: one when equal; a list of records (a JSON array, or an API body `{"ports":
 * [...]}`) joined, a record repeated once, by `id`; anything else cannot be joined and is refused.
 */
export function joinIntentDocument(name: string, texts: {dir: string; text: string}[]): string {
  const distinct = [...new Set(texts.map((t) => t.text))]
  if (distinct.length === 1) return distinct[0]!
  const where = texts.map((t) => t.dir).join(', ')
  const refuse = (why: string) =>
    new SnapshotError(`intent/${name} differs between ${where} and ${why}; merge it by hand or leave it out`)
  if (!/\.json$/i.test(name)) throw refuse('is not JSON')
  let key: string | undefined
  const lists: unknown[][] = []
  for (const {dir, text} of texts) {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw refuse(`is not valid JSON in ${dir} (${(error as Error).message})`)
    }
    let list: unknown
    let k: string | undefined
    if (Array.isArray(value)) list = value
    else if (value && typeof value === 'object' && Object.keys(value).length === 1) {
      k = Object.keys(value)[0]
      list = (value as Record<string, unknown>)[k!]
    }
    if (!Array.isArray(list)) throw refuse('is not a list of records')
    if (lists.length && k !== key) throw refuse(`holds ${k ?? 'a bare list'} in ${dir}, ${key ?? 'a bare list'} before`)
    key = k
    lists.push(list)
  }
  const seen = new Map<string, string>()
  const out: unknown[] = []
  for (const item of lists.flat()) {
    const text = JSON.stringify(item)
    const id = item && typeof item === 'object' ? (item as {id?: unknown}).id : undefined
    const ident = typeof id === 'string' || typeof id === 'number' ? `id:${String(id)}` : `text:${text}`
    const before = seen.get(ident)
    if (before === text) continue
    if (before !== undefined) throw refuse(`names ${JSON.stringify(id)} twice with different contents`)
    seen.set(ident, text)
    out.push(item)
  }
  return `${JSON.stringify(key === undefined ? out : {[key]: out}, null, 2)}\n`
}

/** Merges the snapshots `dirs` into the new directory `out` (written aside, then renamed into place). */
export async function mergeSnapshots(dirs: string[], out: string, toolVersion: string): Promise<MergeResult> {
  if (dirs.length < 2) throw new SnapshotError('merge needs at least two snapshots')
  const target = resolve(out)
  if (await lstat(target).catch(() => undefined)) throw new SnapshotError(`${out} already exists`)
  const inputs = await Promise.all(dirs.map(async (dir) => ({dir, ...(await readManifest(dir))})))

  // What each input brings, refusing a host or a file two inputs both hold.
  const hostFrom = new Map<string, string>()
  const fileFrom = new Map<string, string>()
  const hosts: HostRecord[] = []
  const problems: ManifestProblem[] = []
  const copies: {from: string; within: string; rel: string}[] = []
  for (const {dir, root, realRoot, manifest} of inputs) {
    for (const host of manifest.hosts) {
      const other = hostFrom.get(host.name)
      if (other !== undefined)
        throw new SnapshotError(`host ${JSON.stringify(host.name)} is in both ${other} and ${dir}: cannot merge`)
      hostFrom.set(host.name, dir)
      hosts.push(host)
      for (const record of host.captures) {
        const files = [record.file, record.stderrFile].filter((f): f is string => typeof f === 'string')
        for (const rel of files) {
          const from = inside(root, rel)
          if (!from || rel === 'manifest.json' || rel.startsWith('intent/'))
            throw new SnapshotError(
              `${dir}: host ${JSON.stringify(host.name)} names the file ${JSON.stringify(rel)}, outside its hosts`,
            )
          const twice = fileFrom.get(rel)
          if (twice !== undefined) throw new SnapshotError(`${rel} is in both ${twice} and ${dir}: cannot merge`)
          fileFrom.set(rel, dir)
          // A capture that never produced output has no file; the merged snapshot says so as its source did.
          copies.push({from, within: realRoot, rel})
        }
      }
    }
    problems.push(...(manifest.problems ?? []))
  }

  // Intent: every input's documents, joined by name.
  const intentTexts = new Map<string, {dir: string; text: string}[]>()
  for (const {dir, root} of inputs) {
    const read = await readIntentDocuments(join(root, 'intent'))
    if (read.problems.length) throw new SnapshotError(`${dir}: ${read.problems[0]!.file}: ${read.problems[0]!.message}`)
    for (const doc of read.documents) {
      const list = intentTexts.get(doc.name) ?? []
      list.push({dir, text: doc.text})
      intentTexts.set(doc.name, list)
    }
  }
  const intent = [...intentTexts.keys()].sort().map((name) => [name, joinIntentDocument(name, intentTexts.get(name)!)])

  // A document an input lists but lacks stays listed: the merged snapshot reports it missing, as its source did.
  const listed = [
    ...new Set([...intent.map(([name]) => `intent/${name}`), ...inputs.flatMap((i) => i.manifest.intent ?? [])]),
  ].sort()
  const manifest: Manifest = {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    toolVersion,
    createdAt: new Date().toISOString(),
    source: 'merge',
    description: `merged from ${inputs.map((i) => i.dir).join(', ')}`,
    hosts,
    ...(listed.length ? {intent: listed} : {}),
    ...(problems.length ? {problems} : {}),
  }

  const tmp = join(dirname(target), `.${basename(target)}.partial-${process.pid}`)
  await rm(tmp, {recursive: true, force: true})
  try {
    await mkdir(tmp, {recursive: true})
    const limit = pLimit(COPY_CONCURRENCY)
    let copied = 0
    await Promise.all(
      copies.map((c) =>
        limit(async () => {
          const read = await readRegularFile(c.from, MAX_CAPTURE_BYTES, {within: c.within})
          if ('error' in read) {
            if (read.error === 'ENOENT') return
            throw new SnapshotError(`${c.from}: cannot copy (${read.error})`)
          }
          await mkdir(dirname(join(tmp, c.rel)), {recursive: true})
          await writeFile(join(tmp, c.rel), read.buffer)
          copied++
        }),
      ),
    )
    if (intent.length) await mkdir(join(tmp, 'intent'))
    for (const [name, text] of intent) await writeFile(join(tmp, 'intent', name!), text!)
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    await rename(tmp, target)
    return {
      manifest,
      inputs: inputs.map((i) => ({dir: i.dir, hosts: i.manifest.hosts.map((h) => h.name)})),
      files: copied,
    }
  } catch (error) {
    await rm(tmp, {recursive: true, force: true})
    throw error
  }
}
