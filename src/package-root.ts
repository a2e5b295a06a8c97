// Where neutrace is installed: the nearest folder above this module whose package.json is named "neutrace". The same
// answer from src/ (tsx, vitest), from dist/src/ (the build), and from node_modules/neutrace/ (a runbook's install),
// whatever the folders above are called.

import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export function findPackageRoot(from: string, name = 'neutrace'): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as {name?: unknown}).name === name) return dir
      } catch {
        // not JSON: not ours, keep walking up
      }
    }
    if (dirname(dir) === dir) throw new Error(`no package.json named "${name}" above ${from}`)
  }
}

/** The package root of this installation of neutrace. */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)))
