// The manifest validator is generated ahead of time from MANIFEST_SCHEMA (scripts/manifest-validator.ts): it must be
// what the schema gives today, and answer as Ajv compiling the schema at run time does, errors and all.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {GENERATED, generate, manifestAjv} from '../../scripts/manifest-validator.js'
import {SEED_SNAPSHOT} from '../../src/engine.js'
import validateManifest from '../../src/snapshot/generated/manifest-validator.js'
import {MANIFEST_SCHEMA} from '../../src/snapshot/manifest-schema.js'
import {manifestErrors} from '../../src/snapshot/schema.js'
import {rng} from '../fuzz/corrupt.js'

type Validator = {(data: unknown): boolean; errors?: unknown[] | null}

const ODD_VALUES: unknown[] = [null, '', 'x', '1', 0, -1, 1.5, 2 ** 53, true, [], [null], {}, {a: 1}, 'control', '😀']

/** Every path of objects and lists in `value`, as key lists. */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at)
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out))
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out)
  return out
}

/** `manifest` with a few of its values replaced by odd ones, or removed. */
function damaged(manifest: unknown, next: () => number): unknown {
  const copy = structuredClone(manifest)
  const all = paths(copy).filter((p) => p.length > 0)
  for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
    const path = all[Math.floor(next() * all.length)]!
    let parent = copy as Record<string | number, unknown>
    for (const key of path.slice(0, -1)) parent = parent?.[key] as Record<string | number, unknown>
    if (parent === null || typeof parent !== 'object') continue
    const key = path.at(-1)!
    if (next() < 0.25 && !Array.isArray(parent)) delete parent[key]
    else parent[key] = ODD_VALUES[Math.floor(next() * ODD_VALUES.length)]
  }
  return copy
}

describe('the generated manifest validator', () => {
  it('is what MANIFEST_SCHEMA gives today (npm run manifest-validator)', async () => {
    expect(readFileSync(GENERATED, 'utf8'), 'stale: run `npm run manifest-validator` and commit').toBe(await generate())
  })

  it("answers as Ajv's run-time compile does, errors and all, on 2,000 damaged manifests", () => {
    const runtime = manifestAjv().compile(MANIFEST_SCHEMA) as Validator
    const generated = validateManifest as unknown as Validator
    const seed = JSON.parse(readFileSync(join(SEED_SNAPSHOT, 'manifest.json'), 'utf8')) as unknown
    expect(generated(seed)).toBe(true)
    expect(manifestErrors(seed)).toEqual([])
    let invalid = 0
    for (let i = 0; i < 2000; i++) {
      const manifest = damaged(seed, rng(i))
      const valid = runtime(manifest)
      expect(generated(manifest), `seed ${i}`).toBe(valid)
      expect(generated.errors ?? null, `seed ${i}`).toEqual(runtime.errors ?? null)
      if (!valid) invalid++
    }
    // The damage reaches the checks: most of these manifests are refused (a few odd values are still valid).
    expect(invalid).toBeGreaterThan(1000)
  })

  it('names the field in its messages, as before', () => {
    expect(
      manifestErrors({format: 'neutrace-snapshot', formatVersion: '1', hosts: [{name: '', captures: [null]}]}),
    ).toEqual([
      'formatVersion must be integer (found "1")',
      'hosts[0].name must NOT have fewer than 1 characters (found "")',
      'hosts[0].captures[0] must be object (found null)',
    ])
  })
})
