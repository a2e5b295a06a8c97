// The CLI tests run the built package (bin/run.js loads dist/). A missing or stale build must fail them with a
// message that says what to do, never skip them or test yesterday's code.

import {execFile} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {promisify} from 'node:util'

export const ROOT = join(import.meta.dirname, '..', '..')

const BIN = join(ROOT, 'bin', 'run.js')

/** Runs the built CLI as a user does (bin/run.js, no colour): its output and exit status, never a throw. */
export async function cli(...args: string[]): Promise<{stdout: string; stderr: string; code: number}> {
  try {
    const {stdout, stderr} = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: {...process.env, NO_COLOR: '1'},
    })
    return {stdout, stderr, code: 0}
  } catch (error) {
    const e = error as {stdout: string; stderr: string; code: number}
    return {stdout: e.stdout, stderr: e.stderr, code: e.code}
  }
}

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
