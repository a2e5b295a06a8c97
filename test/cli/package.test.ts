// neutrace as a runbook installs it: the built package, imported by name from another folder through its `exports`,
// in JavaScript and in TypeScript (its declarations).

import {execFile} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {findPackageRoot, PACKAGE_ROOT} from '../../src/package-root.js'
import {requireBuild, ROOT} from './built.js'

const run = promisify(execFile)
let dir: string

beforeAll(async () => {
  requireBuild()
  dir = await mkdtemp(join(tmpdir(), 'neutrace-consumer-'))
  await mkdir(join(dir, 'node_modules'))
  await symlink(ROOT, join(dir, 'node_modules', 'neutrace'), 'dir') // what `npm install file:…` makes
  await writeFile(join(dir, 'package.json'), JSON.stringify({name: 'runbook', type: 'module', private: true}))
})

afterAll(async () => {
  if (dir) await rm(dir, {recursive: true, force: true})
})

describe("the package's library entry", () => {
  it('package.json points main, types and exports at files the build makes', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    expect(pkg.main).toBe('./dist/src/index.js')
    expect(pkg.exports['.']).toEqual({types: './dist/src/index.d.ts', default: './dist/src/index.js'})
    expect(pkg.types).toBe('./dist/src/index.d.ts')
  })

  it("a runbook imports {loadAnalysis, diagnose, trace} from 'neutrace' and gets the public shapes", async () => {
    await writeFile(
      join(dir, 'runbook.mjs'),
      `
import {loadAnalysis, diagnose, trace, diagnoseReport, SEED_SNAPSHOT, VERSION, FINDING_CODES} from 'neutrace'
const analysis = await loadAnalysis(SEED_SNAPSHOT)
const [t] = trace(analysis, 'fa:16:3e:fe:c7:87', 'dhcp')
console.log(JSON.stringify({findings: diagnose(analysis).length, verdict: t.verdict, hops: t.hops.length,
  schemaVersion: diagnoseReport(analysis).schemaVersion, version: VERSION, codes: Object.keys(FINDING_CODES).length,
  seed: SEED_SNAPSHOT}))
`,
    )
    const {stdout} = await run(process.execPath, ['runbook.mjs'], {cwd: dir})
    const out = JSON.parse(stdout)
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
    expect(out).toEqual({
      findings: 0,
      verdict: 'delivered',
      hops: expect.any(Number),
      schemaVersion: 1,
      version: pkg.version,
      codes: expect.any(Number),
      seed: join(ROOT, 'fixtures', 'snapshots', 'seed'),
    })
    expect(out.hops).toBeGreaterThan(10)
  })

  it('its declarations type-check in a TypeScript runbook', async () => {
    await writeFile(
      join(dir, 'runbook.ts'),
      `
import {loadAnalysis, diagnose, trace, type Finding, type Trace} from 'neutrace'
const analysis = await loadAnalysis('./snap')
const findings: Finding[] = diagnose(analysis)
const traces: Trace[] = trace(analysis, 'vm-1', 'dhcp')
const codes: string[] = findings.map((f) => f.code)
console.log(codes, traces.map((t) => t.verdict))
`,
    )
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['runbook.ts'],
      }),
    )
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await run(process.execPath, [tsc, '-p', dir]).then(
      () => '',
      (e: {stdout: string}) => e.stdout,
    )
    expect(result).toBe('')
  }, 60_000)
})

describe('PACKAGE_ROOT', () => {
  it('is the folder of the package.json named neutrace, whatever the folders above are called', async () => {
    expect(PACKAGE_ROOT).toBe(ROOT)
    const nested = await mkdtemp(join(tmpdir(), 'neutrace-root-'))
    try {
      const root = join(nested, 'dist', 'x', 'dist')
      await mkdir(join(root, 'dist', 'src'), {recursive: true})
      await writeFile(join(root, 'package.json'), JSON.stringify({name: 'neutrace'}))
      await writeFile(join(root, 'dist', 'package.json'), JSON.stringify({name: 'other'}))
      await writeFile(join(root, 'dist', 'src', 'package.json'), '{not json')
      expect(findPackageRoot(join(root, 'dist', 'src'))).toBe(root)
      expect(() => findPackageRoot(nested)).toThrow(/no package.json named "neutrace"/)
    } finally {
      await rm(nested, {recursive: true, force: true})
    }
  })
})
