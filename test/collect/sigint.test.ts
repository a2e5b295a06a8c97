// Ctrl-C during a collection: the partial directory is removed and no snapshot appears.
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect, it} from 'vitest'

it('removes the partial snapshot on SIGINT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neutrace-sigint-'))
  try {
    const out = join(dir, 'snap')
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'sigint-child.ts'), out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    const started = new Promise<void>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString()
        if (stdout.includes('collecting')) resolve()
      })
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    await started
    const partial = `${out}.partial-${child.pid}`
    expect(existsSync(partial)).toBe(true)
    process.kill(child.pid!, 'SIGINT')
    expect(await exited).toBe(130)
    expect(stdout).toContain('aborted: collection cancelled: interrupted; nothing was written')
    expect(existsSync(partial)).toBe(false)
    expect(existsSync(out)).toBe(false)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
})
