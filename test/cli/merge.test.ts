// `neutrace merge`: a cloud collected in parts (per cell or region) and merged reads exactly as if it had been
// collected whole. The real lab snapshot is split by host (each part with its own hosts' ports in intent/), merged
// back, and compared file by file and finding by finding with the original.

import {cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {diagnose, loadAnalysis} from '../../src/engine.js'
import type {Manifest} from '../../src/snapshot/manifest.js'
import {joinIntentDocument, mergeSnapshots} from '../../src/snapshot/merge.js'
import {cli, requireBuild} from './built.js'

const ROOT = join(import.meta.dirname, '..', '..')
const LAB = join(ROOT, 'fixtures', 'snapshots', 'neutron-lab')

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, {recursive: true, withFileTypes: true}))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

/** A part of the lab snapshot holding only `hosts`, and in intent/ only the ports bound to them (every network). */
async function part(dir: string, hosts: string[]): Promise<void> {
  const manifest = JSON.parse(await readFile(join(LAB, 'manifest.json'), 'utf8')) as Manifest
  await mkdir(join(dir, 'hosts'), {recursive: true})
  for (const host of hosts) await cp(join(LAB, 'hosts', host), join(dir, 'hosts', host), {recursive: true})
  await cp(join(LAB, 'intent'), join(dir, 'intent'), {recursive: true})
  const ports = JSON.parse(await readFile(join(LAB, 'intent', 'ports.json'), 'utf8')) as {
    ports: {'binding:host_id'?: string}[]
  }
  const first = hosts.includes(manifest.hosts[0]!.name)
  // Ports bound to no host of either part go to the first part only.
  ports.ports = ports.ports.filter((p) =>
    manifest.hosts.some((h) => h.name === p['binding:host_id']) ? hosts.includes(p['binding:host_id']!) : first,
  )
  await writeFile(join(dir, 'intent', 'ports.json'), JSON.stringify(ports, null, 1))
  manifest.hosts = manifest.hosts.filter((h) => hosts.includes(h.name))
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest))
}

describe('neutrace merge', () => {
  let tmp: string
  beforeAll(async () => {
    requireBuild()
    tmp = await mkdtemp(join(tmpdir(), 'neutrace-merge-'))
    await part(join(tmp, 'a'), ['nlab-ctl'])
    await part(join(tmp, 'b'), ['nlab-cmp1', 'nlab-cmp2'])
  })
  afterAll(async () => {
    await rm(tmp, {recursive: true, force: true})
  })

  it('merges parts of a cloud into a snapshot that reads as the whole: same captures, same findings', async () => {
    const out = join(tmp, 'merged')
    const r = await cli('merge', join(tmp, 'a'), join(tmp, 'b'), '-o', out)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Snapshot written to')
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest
    const original = JSON.parse(await readFile(join(LAB, 'manifest.json'), 'utf8')) as Manifest
    expect(manifest.source).toBe('merge')
    expect(manifest.hosts).toEqual(original.hosts)
    expect(manifest.intent).toEqual(original.intent)
    const captured = (await files(join(LAB, 'hosts'))).map((f) => `hosts/${f}`)
    expect((await files(out)).filter((f) => f.startsWith('hosts/'))).toEqual(captured)
    for (const f of captured) expect(await readFile(join(out, f)), f).toEqual(await readFile(join(LAB, f)))
    // The parts' ports, joined: every port of the original once.
    const ports = (dir: string) =>
      readFile(join(dir, 'intent', 'ports.json'), 'utf8').then((t) =>
        (JSON.parse(t) as {ports: {id: string}[]}).ports.map((p) => p.id).sort(),
      )
    expect(await ports(out)).toEqual(await ports(LAB))

    const merged = await loadAnalysis(out)
    const whole = await loadAnalysis(LAB)
    expect(merged.snapshot.problems).toEqual(whole.snapshot.problems)
    const strip = (fs: ReturnType<typeof diagnose>) => fs.map((f) => JSON.stringify(f)).sort()
    expect(strip(diagnose(merged))).toEqual(strip(diagnose(whole)))
  })

  it('refuses a host held by two inputs, an output that exists, a single input and a missing one', async () => {
    const twice = await cli('merge', join(tmp, 'a'), join(tmp, 'a'), '-o', join(tmp, 'twice'))
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain('host "nlab-ctl" is in both')
    const merge = (dirs: string[], out: string) =>
      mergeSnapshots(
        dirs.map((d) => join(tmp, d)),
        join(tmp, out),
        '0',
      )
    await expect(merge(['a', 'b'], 'a')).rejects.toThrow(/already exists/)
    await expect(merge(['a'], 'one')).rejects.toThrow(/at least two snapshots/)
    await expect(merge(['a', 'nothing-here'], 'none')).rejects.toThrow(/nothing-here.*is .* a neutrace snapshot/)
    // Nothing written, not even a partial directory.
    expect((await readdir(tmp)).filter((f) => !['a', 'b', 'merged'].includes(f))).toEqual([])
  })

  it('joins intent lists by id and refuses what it cannot join', () => {
    const a = JSON.stringify({ports: [{id: 'p1', mac: 'x'}, {id: 'p2'}]})
    const b = JSON.stringify({ports: [{id: 'p2'}, {id: 'p3'}]})
    const joined = JSON.parse(
      joinIntentDocument('ports.json', [
        {dir: 'a', text: a},
        {dir: 'b', text: b},
      ]),
    ) as {ports: {id: string}[]}
    expect(joined.ports.map((p) => p.id)).toEqual(['p1', 'p2', 'p3'])
    expect(
      joinIntentDocument('x.txt', [
        {dir: 'a', text: 'same'},
        {dir: 'b', text: 'same'},
      ]),
    ).toBe('same')
    const conflict = JSON.stringify({ports: [{id: 'p1', mac: 'y'}]})
    expect(() =>
      joinIntentDocument('ports.json', [
        {dir: 'a', text: a},
        {dir: 'b', text: conflict},
      ]),
    ).toThrow(/names "p1" twice with different contents/)
    expect(() =>
      joinIntentDocument('nets.txt', [
        {dir: 'a', text: '1'},
        {dir: 'b', text: '2'},
      ]),
    ).toThrow(/not JSON/)
    expect(() =>
      joinIntentDocument('n.json', [
        {dir: 'a', text: '{"networks": []}'},
        {dir: 'b', text: '{"ports": []}'},
      ]),
    ).toThrow(/holds ports in b, networks before/)
    expect(() =>
      joinIntentDocument('n.json', [
        {dir: 'a', text: '{"a": 1}'},
        {dir: 'b', text: '{"a": 2}'},
      ]),
    ).toThrow(/not a list of records/)
  })
})
