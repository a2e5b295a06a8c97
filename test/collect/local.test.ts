// LocalTransport (no shell, argv as given) and the collector's pure helpers.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {captureError, collect, effectiveArgv, redactIni} from '../../src/collect/collector.js'
import {formatProgress} from '../../src/collect/progress.js'
import {LocalTransport} from '../../src/collect/transport.js'

const t = new LocalTransport()

describe('LocalTransport', () => {
  it('runs argv without a shell', async () => {
    const r = await t.run(['printf', '%s', 'a;echo b $(id)'], {timeoutMs: 10_000})
    expect(r.stdout.toString()).toBe('a;echo b $(id)')
    expect(r.exitCode).toBe(0)
    expect(r.error).toBeUndefined()
  })

  it('keeps exit code and stderr', async () => {
    const r = await t.run(['sh', '-c', 'echo out; echo err >&2; exit 4'], {timeoutMs: 10_000})
    expect([r.stdout.toString(), r.stderr.toString(), r.exitCode]).toEqual(['out\n', 'err\n', 4])
  })

  it('reports a missing command, a timeout and too much output', async () => {
    const missing = await t.run(['neutrace-no-such-command-xyz'], {timeoutMs: 10_000})
    expect([missing.exitCode, missing.error]).toEqual([null, 'command not found: neutrace-no-such-command-xyz'])
    const slow = await t.run(['sleep', '30'], {timeoutMs: 300})
    expect([slow.exitCode, slow.error]).toEqual([null, 'timeout after 300 ms'])
    const big = await t.run(['head', '-c', '1000000', '/dev/zero'], {timeoutMs: 10_000, maxOutputBytes: 1000})
    expect(big.error).toMatch(/^output exceeded 1000 bytes/)
    expect(big.stdout.length).toBeLessThanOrEqual(1000)
  })

  it('stops on abort', async () => {
    const c = new AbortController()
    const p = t.run(['sleep', '30'], {timeoutMs: 60_000, signal: c.signal})
    c.abort(new Error('host timeout after 5 ms'))
    expect((await p).error).toBe('aborted: host timeout after 5 ms')
  })
})

describe('collector helpers', () => {
  it('puts sudo -n and the exec prefix before the argv', () => {
    const host = {
      name: 'h',
      address: 'h',
      port: 22,
      user: 'u',
      roles: [],
      sudo: true,
      execPrefix: ['docker', 'exec', 'ovs'],
    }
    expect(effectiveArgv(host, ['ovs-vsctl', 'show'])).toEqual([
      'sudo',
      '-n',
      '--',
      'docker',
      'exec',
      'ovs',
      'ovs-vsctl',
      'show',
    ])
  })

  it('explains a failed capture', () => {
    const r = {stdout: Buffer.alloc(0), durationMs: 1, startedAt: ''}
    expect(
      captureError(['ip'], {...r, stderr: Buffer.from('bash: line 1: ip: command not found\n'), exitCode: 127}),
    ).toBe('command not found: ip (bash: line 1: ip: command not found)')
    expect(captureError(['x'], {...r, stderr: Buffer.from('\nfirst\nsecond\n'), exitCode: 2})).toBe(
      'exit status 2: first',
    )
    expect(captureError(['x'], {...r, stderr: Buffer.alloc(0), exitCode: 0})).toBeUndefined()
  })

  it('redacts credentials in agent configuration files, nothing else', () => {
    const ini =
      '[DEFAULT]\ntransport_url = rabbit://u:secret@h\n[ovs]\nlocal_ip = 198.18.0.1\n# password = commented\nmetadata_proxy_shared_secret=s3\n[database]\nconnection = mysql://x\n'
    expect(redactIni(ini)).toBe(
      '[DEFAULT]\ntransport_url = <redacted by neutrace>\n[ovs]\nlocal_ip = 198.18.0.1\n# password = commented\nmetadata_proxy_shared_secret=<redacted by neutrace>\n[database]\nconnection = <redacted by neutrace>\n',
    )
  })

  it('collects through a given transport', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neutrace-local-'))
    try {
      const events: string[] = []
      const {manifest, complete} = await collect({
        hosts: [{name: 'here', address: '127.0.0.1', port: 22, user: 'root', roles: ['network']}],
        out: join(dir, 'snap'),
        transportFactory: async () => new LocalTransport('here'),
        specs: [
          {id: 'echo', scope: 'host', argv: () => ['echo', 'hi'], about: 't'},
          {id: 'compute_only', scope: 'host', roles: ['compute'], argv: () => ['echo', 'no'], about: 't'},
        ],
        handleSigint: false,
        onProgress: (e) => events.push(formatProgress(e)),
      })
      expect(complete).toBe(true)
      expect(manifest.source).toBe('custom')
      expect(manifest.hosts[0].captures.map((c) => c.spec)).toEqual(['echo'])
      expect(readFileSync(join(dir, 'snap', manifest.hosts[0].captures[0].file), 'utf8')).toBe('hi\n')
      expect(events.at(-1)).toBe('collecting: 1/1 hosts, 1 captures — here done')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
