// `neutrace import sos` and sosreports in place of a snapshot, as a user runs them (the built CLI).

import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {requireBuild, ROOT} from '../cli/built.js'

const run = promisify(execFile)
const FIXTURE = join(ROOT, 'fixtures', 'sos')
const BIN = join(ROOT, 'bin', 'run.js')

async function neutrace(...args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  try {
    const {stdout, stderr} = await run(BIN, args, {cwd: ROOT, maxBuffer: 64 * 1024 * 1024})
    return {code: 0, stdout, stderr}
  } catch (error) {
    const e = error as {code: number; stdout: string; stderr: string}
    return {code: e.code, stdout: e.stdout, stderr: e.stderr}
  }
}

let scratch: string
beforeAll(() => {
  requireBuild()
  scratch = mkdtempSync(join(tmpdir(), 'neutrace-sos-cli-'))
})
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

describe('neutrace import sos', () => {
  it('writes a snapshot the other commands read, with the intent and the roles given', async () => {
    const out = join(scratch, 'snap')
    const r = await neutrace(
      'import',
      'sos',
      FIXTURE,
      '--intent',
      join(FIXTURE, 'intent'),
      '--role',
      'nlab-ctl=control,network',
      '-o',
      out,
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('nlab-ctl [control,network]')
    expect(r.stdout).toContain('nlab-cmp1 [compute]')
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {intent: string[]; source: string}
    expect(manifest.source).toBe('sos')
    expect(manifest.intent).toEqual(['intent/networks.json', 'intent/ports.json', 'intent/subnets.json'])
    const d = await neutrace('diagnose', out)
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toContain('No findings')
    // Again into the same directory: refused, nothing overwritten.
    const again = await neutrace('import', 'sos', FIXTURE, '-o', out)
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('already exists')
  }, 180_000)

  it('diagnose and trace take the sosreports (a folder of them) in place of a snapshot', async () => {
    const d = await neutrace('diagnose', FIXTURE, '--intent', join(FIXTURE, 'intent'), '--format', 'json')
    expect(d.code, d.stderr).toBe(0)
    const report = JSON.parse(d.stdout) as {findings: unknown[]}
    expect(report.findings).toEqual([])
    const ports = JSON.parse(readFileSync(join(FIXTURE, 'intent', 'ports.json'), 'utf8')) as {
      ports: {device_owner: string; mac_address: string}[]
    }
    const mac = ports.ports.find((p) => p.device_owner.startsWith('compute:'))!.mac_address
    const t = await neutrace('trace', FIXTURE, '--intent', join(FIXTURE, 'intent'), '--vm', mac, '--to', 'dhcp')
    expect(t.code, t.stderr + t.stdout).toBe(0)
    expect(t.stdout).toMatch(/Verdict: DELIVERED/)
    expect(t.stdout).toMatch(/VLAN 1000/)
  }, 180_000)

  it('several sosreports as arguments, an archive beside an unpacked one, with --role and --intent', async () => {
    const unpacked = join(scratch, 'unpacked')
    mkdirSync(unpacked)
    const [ctl, cmp1] = ['nlab-ctl', 'nlab-cmp1'].map((h) =>
      join(
        FIXTURE,
        readdirSync(FIXTURE).find((f) => f.startsWith(`sosreport-${h}-`))!,
      ),
    )
    await run('tar', ['-xJf', cmp1!, '-C', unpacked])
    const dir = join(unpacked, readdirSync(unpacked)[0]!)
    const intent = join(FIXTURE, 'intent')
    const role = ['--role', 'nlab-cmp1=compute,network']
    const d = await neutrace('diagnose', ctl!, dir, '--intent', intent, ...role)
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toContain('Hosts: nlab-ctl (control,network), nlab-cmp1 (compute,network)')
    expect(d.stdout).toContain('Intent: networks.json, ports.json, subnets.json')
    expect(d.stdout).toContain('No findings')
    // Provenance: the sosreports given, never the scratch snapshot they were imported into.
    expect(d.stdout.split('\n')[0]).toMatch(
      /^Sosreports \S+nlab-ctl\S+\.tar\.xz, \S+unpacked\/sosreport-nlab-cmp1-\S+ \(imported /,
    )
    expect(d.stdout).not.toMatch(/neutrace-sos-(?!cli-)/)
    const j = await neutrace('diagnose', ctl!, dir, '--intent', intent, ...role, '--format', 'json')
    expect(j.code, j.stderr).toBe(0)
    const snap = (JSON.parse(j.stdout) as {snapshot: {dir: string; sosreports: string[]; source: string}}).snapshot
    expect(snap).toMatchObject({dir: `${ctl!}, ${dir}`, sosreports: [ctl!, dir], source: 'sos'})
    const t = await neutrace('topology', ctl!, dir, '--intent', intent, ...role, '--format', 'json')
    expect(t.code, t.stderr).toBe(0)
    const hosts = (JSON.parse(t.stdout) as {hosts: {name: string; roles: string[]}[]}).hosts
    expect(hosts.map((h) => `${h.name} ${h.roles.join(',')}`)).toEqual([
      'nlab-ctl control,network',
      'nlab-cmp1 compute,network',
    ])
    const mac = (
      JSON.parse(readFileSync(join(intent, 'ports.json'), 'utf8')) as {
        ports: {device_owner: string; mac_address: string}[]
      }
    ).ports.find((p) => p.device_owner.startsWith('compute:'))!.mac_address
    const tr = await neutrace('trace', ctl!, dir, '--intent', intent, '--vm', mac, '--to', 'dhcp', '--format', 'json')
    expect(tr.code, tr.stderr).toBe(0)
    expect((JSON.parse(tr.stdout) as {traces: {verdict: string}[]}).traces[0]!.verdict).toBe('delivered')
    const html = join(scratch, 'mixed.html')
    const r = await neutrace('report', ctl!, dir, '--intent', intent, ...role, '-o', html)
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(html, 'utf8')).toContain('<h1>neutrace report: nlab-ctl, nlab-cmp1</h1>')
    expect(readFileSync(html, 'utf8')).not.toMatch(/neutrace-sos-(?!cli-)/)
    const diff = await neutrace('diff', FIXTURE, FIXTURE, '--format', 'json')
    expect(diff.code, diff.stderr).toBe(0)
    expect((JSON.parse(diff.stdout) as {old: {sosreports: string[]}}).old.sosreports).toEqual(
      readdirSync(FIXTURE)
        .filter((f) => f.startsWith('sosreport-'))
        .sort()
        .map((f) => join(FIXTURE, f)),
    )
    const out = join(scratch, 'mixed-snap')
    const i = await neutrace('import', 'sos', ctl!, dir, '--intent', intent, ...role, '-o', out)
    expect(i.code, i.stderr).toBe(0)
    expect(i.stdout).toContain('nlab-cmp1 [compute,network]')
    // A snapshot among sosreports, or --role for a snapshot: refused, saying why.
    const mixed = await neutrace('diagnose', join(FIXTURE, 'ssh-snapshot'), ctl!)
    expect(mixed.code).toBe(2)
    expect(mixed.stderr).toContain('several paths must all be sosreports')
    const snapRole = await neutrace('diagnose', join(FIXTURE, 'ssh-snapshot'), ...role)
    expect(snapRole.code).toBe(2)
    expect(snapRole.stderr).toContain('--role applies to sosreports only')
  }, 300_000)

  it('bad input is exit 2 naming what is wrong', async () => {
    const r = await neutrace('import', 'sos', join(FIXTURE, 'intent'), '-o', join(scratch, 'x'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('not a sosreport')
    const role = await neutrace('import', 'sos', FIXTURE, '--role', 'nlab-ctl=router', '-o', join(scratch, 'y'))
    expect(role.code).toBe(2)
    expect(role.stderr).toContain('--role nlab-ctl=router')
    const nohost = await neutrace('import', 'sos', FIXTURE, '--role', 'ghost=compute', '-o', join(scratch, 'z'))
    expect(nohost.code).toBe(2)
    expect(nohost.stderr).toContain('ghost')
    // A mistyped flag is refused as a flag, on every command that takes sosreports; never read as a path.
    for (const cmd of [['diagnose'], ['trace', '--vm', 'x'], ['topology'], ['report', '-o', join(scratch, 'r.html')]]) {
      const typo = await neutrace(...cmd, FIXTURE, '--intnet', join(FIXTURE, 'intent'))
      expect(typo.code, cmd[0]).toBe(2)
      expect(typo.stderr, cmd[0]).toContain('Nonexistent flag: --intnet')
      expect(typo.stderr, cmd[0]).not.toContain('not a sosreport')
    }
    const typo = await neutrace('import', 'sos', FIXTURE, '--rol', 'x=compute', '-o', join(scratch, 'w'))
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('Nonexistent flag: --rol')
  }, 180_000)
})
