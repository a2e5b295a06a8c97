// Bad input to the snapshot reader: a manifest that is not what the schema says, files that are not regular or lie
// outside the snapshot, damaged captures, hostile intent. Each is a clear input error or a recorded problem — never a
// crash, a hang, or a finding that hides another.

import {execFileSync} from 'node:child_process'
import {cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {asCliError, EXIT} from '../../src/cli/common.js'
import {diagnose, loadAnalysis, PACKAGE_ROOT, SEED_SNAPSHOT} from '../../src/engine.js'
import {readSnapshot, SnapshotError} from '../../src/snapshot/read.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'neutrace-input-'))
  await cp(SEED_SNAPSHOT, join(dir, 'snap'), {recursive: true})
})

afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const snap = () => join(dir, 'snap')

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests break the manifest on purpose
async function editManifest(edit: (m: any) => void): Promise<void> {
  const path = join(snap(), 'manifest.json')
  const m = JSON.parse(await readFile(path, 'utf8'))
  edit(m)
  await writeFile(path, JSON.stringify(m))
}

async function inputError(): Promise<string> {
  const error = await readSnapshot(snap()).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SnapshotError)
  return (error as Error).message
}

describe('manifest.json against its schema', () => {
  it('a null capture entry names the entry', async () => {
    await editManifest((m) => {
      m.hosts[0].captures[1] = null
    })
    expect(await inputError()).toMatch(/not a valid manifest: hosts\[0\]\.captures\[1\] must be object \(found null\)/)
  })

  it('problems not a list, or holding null', async () => {
    await editManifest((m) => {
      m.problems = 'oops'
    })
    expect(await inputError()).toMatch(/problems must be array \(found "oops"\)/)
    await editManifest((m) => {
      m.problems = [null]
    })
    expect(await inputError()).toMatch(/problems\[0\] must be object \(found null\)/)
  })

  it('a failed capture without argv', async () => {
    await editManifest((m) => {
      const c = m.hosts[1].captures[2]
      delete c.argv
      c.exitCode = 1
      c.error = 'exit status 1'
    })
    expect(await inputError()).toMatch(/hosts\[1\]\.captures\[2\]\.argv is missing/)
  })

  it('formatVersion "1" as a string is not "newer than this neutrace reads"', async () => {
    await editManifest((m) => {
      m.formatVersion = '1'
    })
    const message = await inputError()
    expect(message).toMatch(/formatVersion must be integer \(found "1"\)/)
    expect(message).not.toMatch(/newer/)
  })

  it('an empty hosts list is nothing to analyse, not a healthy cloud', async () => {
    await editManifest((m) => {
      m.hosts = []
    })
    expect(await inputError()).toMatch(/lists no hosts: nothing to analyse/)
  })
})

describe('files the reader refuses', () => {
  it('a FIFO in place of a capture never blocks the reader', async () => {
    const file = join(snap(), 'hosts/control/ps.out')
    await rm(file)
    execFileSync('mkfifo', [file])
    const started = Date.now()
    const snapshot = await readSnapshot(snap())
    expect(Date.now() - started).toBeLessThan(5000)
    expect(snapshot.problems).toContainEqual(
      expect.objectContaining({
        host: 'control',
        spec: 'ps',
        kind: 'missing',
        message: 'capture file refused: not a regular file (a FIFO)',
      }),
    )
    expect(snapshot.captures.find((c) => c.host === 'control' && c.spec === 'ps')?.text).toBeUndefined()
  })

  it('a symlinked capture, or one under a symlinked directory, is not followed outside the snapshot', async () => {
    const outside = join(dir, 'outside')
    await mkdir(outside)
    await writeFile(join(outside, 'ps.out'), '1 /usr/sbin/dnsmasq --secret\n')
    await rm(join(snap(), 'hosts/control/ps.out'))
    await symlink(join(outside, 'ps.out'), join(snap(), 'hosts/control/ps.out'))
    let snapshot = await readSnapshot(snap())
    expect(snapshot.problems).toContainEqual(
      expect.objectContaining({spec: 'ps', message: 'capture file refused: not a regular file (a symbolic link)'}),
    )
    // A directory on the way that points outside.
    await cp(join(snap(), 'hosts/compute-1'), join(outside, 'compute-1'), {recursive: true})
    await rm(join(snap(), 'hosts/compute-1'), {recursive: true})
    await symlink(join(outside, 'compute-1'), join(snap(), 'hosts/compute-1'))
    snapshot = await readSnapshot(snap())
    const refused = snapshot.problems.filter(
      (p) => p.host === 'compute-1' && p.message === 'capture file refused: resolves outside the snapshot',
    )
    expect(refused.length).toBeGreaterThan(5)
    expect(snapshot.captures.filter((c) => c.host === 'compute-1' && c.text !== undefined)).toEqual([])
  })

  it('more captures than the process may open files at once are all read (no EMFILE turned into DATA_MISSING)', async () => {
    // 400 hosts' worth of captures (copies of the seed's hosts under other names, the same files) read by a process
    // allowed 256 open files: the reader must bound how many it opens at once.
    await editManifest((m) => {
      const hosts = m.hosts as {name: string}[]
      for (let i = 0; hosts.length < 400; i++) hosts.push({...structuredClone(hosts[i % 3]), name: `copy-${i}`})
    })
    const script = [
      `import {readSnapshot} from ${JSON.stringify(join(PACKAGE_ROOT, 'src/snapshot/read.ts'))}`,
      `const s = await readSnapshot(${JSON.stringify(snap())})`,
      'console.log(JSON.stringify({captures: s.captures.length, unread: s.captures.filter((c) => c.text === undefined).length,',
      '  problems: s.problems.map((p) => p.message).slice(0, 3)}))',
    ].join('\n')
    const out = execFileSync(
      'prlimit',
      ['--nofile=256', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: PACKAGE_ROOT,
        encoding: 'utf8',
      },
    )
    const seen = JSON.parse(out) as {captures: number; unread: number; problems: string[]}
    expect(seen.captures).toBeGreaterThan(2000)
    expect(seen).toMatchObject({unread: 0, problems: []})
  }, 120_000)
})

describe('damage and hostile intent', () => {
  it('a sha256 mismatch does not hide the line-level problems of the same file', async () => {
    const file = join(snap(), 'hosts/control/ip_netns.out')
    await writeFile(file, `${await readFile(file, 'utf8')}Error: Peer netns reference is invalid.\n`)
    const findings = diagnose(await loadAnalysis(snap()))
    const about = findings.filter((f) => f.element === 'hosts/control/ip_netns.out')
    expect(about.map((f) => f.code).sort()).toEqual(['DATA_MISSING', 'PARSE_ERROR'])
    expect(about.find((f) => f.code === 'DATA_MISSING')?.message).toMatch(/sha256 mismatch/)
    expect(about.find((f) => f.code === 'PARSE_ERROR')?.message).toMatch(/not a namespace line/)
  })

  it('intent nested 20,000 levels deep is a problem, not a stack overflow', async () => {
    await writeFile(join(snap(), 'intent/deep.json'), `${'['.repeat(20000)}${']'.repeat(20000)}`)
    const analysis = await loadAnalysis(snap())
    expect(analysis.actual.problems).toContainEqual(
      expect.objectContaining({spec: 'deep.json', message: expect.stringMatching(/nested more than 64 levels/)}),
    )
    expect(diagnose(analysis).filter((f) => f.severity === 'error')).toEqual([])
  })

  it('an intent record id of 40,000 characters is read as data, never as a pattern', async () => {
    const path = join(snap(), 'intent/ports.json')
    const doc = JSON.parse(await readFile(path, 'utf8'))
    const ports = Array.isArray(doc) ? doc : doc.ports
    ports[0].id = 'a'.repeat(40000)
    ports[0].network_id = 'b'.repeat(40000)
    await writeFile(path, JSON.stringify(doc))
    const findings = diagnose(await loadAnalysis(snap()))
    expect(findings.length).toBeGreaterThan(0)
  })
})

describe('exit statuses', () => {
  it('an unexpected error is exit 3 with one line and a hint to report it; input errors are 2', () => {
    const internal = asCliError(
      new TypeError("Cannot read properties of null (reading 'join')\n    at x (y.js:1:2)"),
    ) as Error & {oclif: {exit: number}}
    expect(internal.oclif.exit).toBe(EXIT.internal)
    expect(internal.message).not.toContain('\n')
    expect(internal.message).toMatch(
      /^internal error: TypeError: Cannot read properties of null .* this is a bug in neutrace; please report it/,
    )
    expect(EXIT).toEqual({ok: 0, problem: 1, usage: 2, internal: 3})
  })
})
