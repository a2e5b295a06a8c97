// The one reader of an intent folder (a snapshot's intent/, --intent DIR, the collector's --intent): every *.json and
// *.txt that is a regular file, in name order, parsed and merged. Used by the snapshot reader, the engine, the
// collector and the tests alike.

import {lstat, readdir} from 'node:fs/promises'
import {join} from 'node:path'

import {readRegularFile} from '../snapshot/files.js'
import type {IntentDocumentName} from '../specs.js'
import type {DataProblem, Intent} from '../types.js'
import {mergeIntent} from './merge.js'
import {parseIntentDocument} from './parse.js'

const INTENT_FILE = /\.(json|txt)$/i
/** An intent document larger than this is refused (a capture of every port of a large cloud is a few MB). */
const MAX_INTENT_BYTES = 256 * 1024 * 1024

export interface IntentDocument {
  name: IntentDocumentName
  text: string
  /** Where it was read, for problems: `intent/<name>` inside a snapshot, the path for --intent. */
  file: string
}

/** The intent folder cannot be read at all (only raised when the folder is required). */
export class IntentFolderError extends Error {}

export function isIntentDocumentName(name: string): name is IntentDocumentName {
  return INTENT_FILE.test(name)
}

/** The names of the intent documents in a folder, in name order: regular files only (a FIFO, a device or a symlink
 * is never opened). `undefined` when the folder does not exist and is not required. */
export async function listIntentDocuments(
  dir: string,
  opts: {required?: boolean} = {},
): Promise<IntentDocumentName[] | undefined> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (!opts.required && code === 'ENOENT') return undefined
    throw new IntentFolderError(`intent folder ${dir}: cannot read (${code ?? String(error)})`)
  }
  const out: IntentDocumentName[] = []
  for (const name of names.filter(isIntentDocumentName).sort()) {
    const st = await lstat(join(dir, name)).catch(() => undefined)
    if (st?.isFile()) out.push(name)
  }
  return out
}

/** Reads the intent documents of a folder; an entry that is not a regular file or cannot be read is a problem. */
export async function readIntentDocuments(
  dir: string,
  opts: {required?: boolean; fileName?: (name: string) => string} = {},
): Promise<{documents: IntentDocument[]; problems: DataProblem[]}> {
  const fileName = opts.fileName ?? ((name: string) => join(dir, name))
  const documents: IntentDocument[] = []
  const problems: DataProblem[] = []
  let names: string[]
  try {
    names = (await readdir(dir)).filter(isIntentDocumentName).sort()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (!opts.required && code === 'ENOENT') return {documents, problems}
    throw new IntentFolderError(`intent folder ${dir}: cannot read (${code ?? String(error)})`)
  }
  for (const name of names as IntentDocumentName[]) {
    const file = fileName(name)
    const result = await readRegularFile(join(dir, name), MAX_INTENT_BYTES)
    if ('text' in result) documents.push({name, text: result.text, file})
    else problems.push({host: 'intent', spec: name, file, kind: 'missing', message: `cannot read: ${result.error}`})
  }
  return {documents, problems}
}

/** Parses and merges intent documents (those of the snapshot first, then --intent's, which fill gaps). Undefined when
 * there is none. */
export function intentOf(
  documents: readonly IntentDocument[],
  problems: readonly DataProblem[] = [],
): Intent | undefined {
  if (!documents.length && !problems.length) return undefined
  const parts: Partial<Intent>[] = [{problems: [...problems]}]
  for (const {name, text, file} of documents) {
    const parsed = parseIntentDocument(name, text)
    parts.push({
      ...parsed.value,
      problems: parsed.problems.map((p) => ({...p, host: 'intent', spec: name, file, kind: 'parse' as const})),
    })
  }
  const intent = mergeIntent(parts)
  intent.sources = documents.map((d) => d.name)
  return intent
}

/** Reads and merges every intent document in `dir`; a missing folder or unreadable file is a problem, not a throw. */
export async function loadIntentDir(dir: string): Promise<Intent> {
  try {
    const {documents, problems} = await readIntentDocuments(dir, {required: true})
    return intentOf(documents, problems) ?? mergeIntent([])
  } catch (error) {
    if (!(error instanceof IntentFolderError)) throw error
    return mergeIntent([
      {
        problems: [
          {
            host: 'intent',
            spec: 'intent',
            file: dir,
            kind: 'missing',
            message: `cannot read the intent folder: ${error.message}`,
          },
        ],
      },
    ])
  }
}
