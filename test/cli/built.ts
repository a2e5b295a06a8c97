// The CLI tests run the built package (bin/run.js loads dist/). A missing or stale build must fail them with a
// message that says what to do, never skip them or test yesterday's code.

import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')

function sources(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const path = join(dir, e.name)
    return e.isDirectory() ? sources(path) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Why dist/ cannot be used for src/ and commands/ as they are now, or undefined when it can. */
export function buildProblem(root = ROOT): string | undefined {
  const fix = 'run `npm run build` (npm test does it in pretest)'
  if (!existsSync(join(root, 'dist', 'src', 'index.js'))) return `dist/ is not built: ${fix}`
  for (const file of [...sources(join(root, 'src')), ...sources(join(root, 'commands'))]) {
    const built = join(root, 'dist', relative(root, file)).replace(/\.ts$/, '.js')
    if (!existsSync(built))
      return `dist/ is stale: ${relative(root, built)} is missing for ${relative(root, file)}; ${fix}`
    if (statSync(built).mtimeMs < statSync(file).mtimeMs) {
      return `dist/ is stale: ${relative(root, file)} changed after it was built; ${fix}`
    }
  }
  if (!existsSync(join(root, 'oclif.manifest.json'))) return `oclif.manifest.json is missing: ${fix}`
  return undefined
}

/** For a beforeAll: throws the reason the build cannot be tested. */
export function requireBuild(): void {
  const problem = buildProblem()
  if (problem) throw new Error(problem)
}
