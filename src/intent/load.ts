// Reads an intent folder (a snapshot's intent/, or --intent DIR): every *.json and *.txt, in name order, merged.

import {readFile, readdir} from 'node:fs/promises'
import {join} from 'node:path'

import type {DataProblem, Intent, ParseProblem} from '../types.js'
import {mergeIntent} from './merge.js'
import {parseIntentDocument} from './parse.js'

const INTENT_FILE = /\.(json|txt)$/i

function located(problem: ParseProblem, name: string, file: string): DataProblem {
  return {...problem, host: 'intent', spec: name, file, kind: 'parse'}
}

/** Reads and merges every intent document in `dir`; a missing folder or unreadable file is a problem, not a throw. */
export async function loadIntentDir(dir: string): Promise<Intent> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => INTENT_FILE.test(name)).sort()
  } catch (error) {
    return mergeIntent([{problems: [{host: 'intent', spec: 'intent', file: dir, kind: 'missing', message: `cannot read the intent folder: ${(error as Error).message}`}]}])
  }
  const parts: Partial<Intent>[] = []
  for (const name of names) {
    const file = join(dir, name)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      parts.push({problems: [{host: 'intent', spec: name, file, kind: 'missing', message: `cannot read: ${(error as Error).message}`}]})
      continue
    }
    const parsed = parseIntentDocument(name, text)
    parts.push({...parsed.value, problems: parsed.problems.map((p) => located(p, name, file))})
  }
  return mergeIntent(parts)
}
