// `npm test` runs the linters: ESLint always, Prettier's check once the tree has been formatted (scripts/lint.ts).

import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'
import {formatCheckOn, lintEnv} from '../../scripts/lint.js'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')

async function tool(bin: string, args: string[]): Promise<{code: number; output: string}> {
  try {
    const {stdout, stderr} = await run(process.execPath, [join(ROOT, 'node_modules', ...bin.split('/')), ...args], {
      cwd: ROOT,
      env: lintEnv(),
      maxBuffer: 64 * 1024 * 1024,
    })
    return {code: 0, output: stdout + stderr}
  } catch (error) {
    const e = error as {code: number; stdout: string; stderr: string}
    return {code: e.code, output: e.stdout + e.stderr}
  }
}

describe('lint', () => {
  it('ESLint (eslint.config.js) reports no error', async () => {
    const r = await tool('eslint/bin/eslint.js', ['.'])
    expect(r.code, r.output).toBe(0)
  }, 300_000)

  it.runIf(formatCheckOn())(
    'Prettier (.prettierrc.json) finds every file formatted',
    async () => {
      const r = await tool('prettier/bin/prettier.cjs', ['--check', '.'])
      expect(r.code, r.output).toBe(0)
    },
    300_000,
  )
})
