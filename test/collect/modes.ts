// Comparing two snapshots of the same hosts taken by different execution modes (batch.ts vs one channel per command).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {CollectManifest} from '../../src/collect/collector.js'

export interface Taken {
  argv: string[]
  exitCode: number | null
  error?: string
  stdout: Buffer
  stderr: Buffer
}

/** Every capture of a snapshot by `host spec@key`. */
export function captureMap(dir: string, manifest: CollectManifest): Map<string, Taken> {
  const out = new Map<string, Taken>()
  for (const h of manifest.hosts) {
    for (const c of h.captures) {
      out.set(`${h.name} ${c.spec}${c.key !== undefined ? `@${c.key}` : ''}`, {
        argv: c.argv,
        exitCode: c.exitCode,
        ...(c.error !== undefined ? {error: c.error} : {}),
        stdout: readFileSync(join(dir, c.file)),
        stderr: c.stderrFile ? readFileSync(join(dir, c.stderrFile)) : Buffer.alloc(0),
      })
    }
  }
  return out
}

/**
 * Where two snapshots differ, as readable lines (empty when they agree byte for byte). A command that is not found
 * exits 127 either way, but the message comes from the login shell per command and from /bin/sh in a batch: its
 * stderr (and the stderr quoted in its error) is not compared. `only` limits the comparison of stdout/stderr to some
 * captures (the stable ones).
 */
export function differences(a: Map<string, Taken>, b: Map<string, Taken>, only?: (id: string) => boolean): string[] {
  const out: string[] = []
  const ids = [...new Set([...a.keys(), ...b.keys()])].sort()
  for (const id of ids) {
    const x = a.get(id)
    const y = b.get(id)
    if (!x || !y) {
      out.push(`${id}: only in ${x ? 'the first' : 'the second'}`)
      continue
    }
    if (JSON.stringify(x.argv) !== JSON.stringify(y.argv))
      out.push(`${id}: argv ${JSON.stringify(x.argv)} ≠ ${JSON.stringify(y.argv)}`)
    const error = (t: Taken) => (t.exitCode === 127 ? t.error?.replace(/ \(.*\)$/, '') : t.error)
    if (x.exitCode !== y.exitCode || error(x) !== error(y))
      out.push(`${id}: exit ${x.exitCode} ${x.error ?? ''} ≠ ${y.exitCode} ${y.error ?? ''}`)
    if (only && !only(id)) continue
    if (!x.stdout.equals(y.stdout)) out.push(`${id}: stdout differs (${x.stdout.length} vs ${y.stdout.length} bytes)`)
    if (x.exitCode !== 127 && !x.stderr.equals(y.stderr))
      out.push(
        `${id}: stderr ${JSON.stringify(x.stderr.toString().slice(0, 80))} ≠ ${JSON.stringify(y.stderr.toString().slice(0, 80))}`,
      )
  }
  return out
}
