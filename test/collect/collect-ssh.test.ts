// The collector against a real OpenSSH sshd on 127.0.0.1, through real ssh2: captures, host keys, faults, hostile
// names, atomic publication.

import {execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {Writable} from 'node:stream'
import pino from 'pino'
import {Client} from 'ssh2'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import {CollectAborted, collect, type CollectManifest} from '../../src/collect/collector.js'
import type {InventoryHost} from '../../src/collect/inventory.js'
import {SshTransport, TransportError} from '../../src/collect/transport.js'
import type {CaptureRecord} from '../../src/snapshot/manifest.js'
import {readSnapshot} from '../../src/snapshot/read.js'
import type {Spec} from '../../src/specs.js'
import {captureMap, differences} from './modes.js'
import {freePort, keygen, keyscan, type Sshd, startSshd} from './sshd.js'

let sshd: Sshd
let work: string
let knownHosts: string

beforeAll(async () => {
  sshd = await startSshd()
  work = mkdtempSync(join(tmpdir(), 'neutrace-collect-'))
  knownHosts = join(work, 'known_hosts')
  writeFileSync(knownHosts, keyscan(sshd.port))
})

afterAll(async () => {
  await sshd?.stop()
  if (work) rmSync(work, {recursive: true, force: true})
})

let outCounter = 0
function outDir(): string {
  return join(work, `snap-${++outCounter}`)
}

function host(over: Partial<InventoryHost> = {}): InventoryHost {
  return {
    name: 'node1',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    identityFile: sshd.clientKey,
    knownHostsFile: knownHosts,
    roles: [],
    ...over,
  }
}

const base = {agentSocket: null, sshConfigPath: null, handleSigint: false} as const

function spec(id: string, argv: string[], over: Partial<Spec> = {}): Spec {
  return {id, scope: 'host', argv: () => argv, about: id, ...over}
}

function capture(m: CollectManifest, hostName: string, id: string, key?: string): CaptureRecord {
  const c = m.hosts.find((h) => h.name === hostName)!.captures.find((x) => x.spec === id && x.key === key)
  if (!c) throw new Error(`no capture ${id}${key ? `@${key}` : ''} on ${hostName}`)
  return c
}

function read(dir: string, rel: string): Buffer {
  return readFileSync(join(dir, rel))
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

describe('channels on one connection', () => {
  it('turns off Nagle on the connection: no message waits for the server to acknowledge the one before', async () => {
    // With Nagle on, a message sent while the one before is unacknowledged waits for the server's delayed ACK (about
    // 40 ms on Linux): four times while authenticating, again per channel and per stage (npm run bench, collection).
    const noDelay = vi.spyOn(Client.prototype, 'setNoDelay')
    try {
      const transport = await SshTransport.connect(host(), {agentSocket: null})
      try {
        expect(noDelay.mock.calls).toEqual([[true]])
        expect((await transport.run(['echo', 'ok'], {timeoutMs: 20_000})).stdout.toString()).toBe('ok\n')
      } finally {
        await transport.close()
      }
    } finally {
      noDelay.mockRestore()
    }
  })

  it('many short commands at the MaxSessions limit all succeed (refused channel opens are retried)', async () => {
    const transport = await SshTransport.connect(host(), {maxChannels: 10, agentSocket: null})
    try {
      const results = await Promise.all(
        Array.from({length: 120}, (_, i) => transport.run(['echo', String(i)], {timeoutMs: 20_000})),
      )
      expect(results.filter((r) => r.exitCode !== 0).map((r) => r.error)).toEqual([])
      expect(results.map((r) => r.stdout.toString().trim())).toEqual(Array.from({length: 120}, (_, i) => String(i)))
    } finally {
      await transport.close()
    }
  })
})

describe('collect over ssh', () => {
  it('writes captures with exit codes, stderr and sha256, and quotes every argument', async () => {
    const marker = join(work, 'quoted-marker')
    const nasty = [
      'a b',
      "it's",
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `; touch ${marker}`,
      '"q" \\ *',
      '-n',
      '',
    ]
    const specs: Spec[] = [
      spec('hostname', ['hostname']),
      spec('echo_args', ['printf', '%s\\n', ...nasty]),
      spec('fails', ['sh', '-c', 'echo partial; echo oops >&2; exit 3']),
      spec('no_such_tool', ['neutrace-no-such-command-xyz']),
      spec('optional_missing', ['neutrace-no-such-command-xyz'], {optional: true}),
      ...Array.from({length: 12}, (_, i) => spec(`many_${i}`, ['echo', String(i)])),
    ]
    const out = outDir()
    const {manifest, complete, dir} = await collect({...base, hosts: [host()], out, specs, source: 'ssh'})
    expect(dir).toBe(out)
    expect(complete).toBe(false)
    const h = manifest.hosts[0]
    expect(h.status).toBe('partial')
    expect(h.error).toMatch(/2 of 17 captures failed/)

    const hn = capture(manifest, 'node1', 'hostname')
    expect(hn.exitCode).toBe(0)
    expect(read(dir, hn.file).toString()).toBe(`${hostname()}\n`)
    expect(hn.sha256).toBe(sha(`${hostname()}\n`))
    expect(hn.stderrFile).toBeUndefined()

    const echo = capture(manifest, 'node1', 'echo_args')
    expect(read(dir, echo.file).toString()).toBe(nasty.map((s) => `${s}\n`).join(''))
    expect(existsSync(marker)).toBe(false)

    const bad = capture(manifest, 'node1', 'fails')
    expect(bad.exitCode).toBe(3)
    expect(bad.error).toBe('exit status 3: oops')
    expect(read(dir, bad.stderrFile!).toString()).toBe('oops\n')
    expect(bad.sha256).toBe(sha('partial\n'))

    const missing = capture(manifest, 'node1', 'no_such_tool')
    expect(missing.exitCode).toBe(127)
    expect(missing.error).toMatch(/^command not found: neutrace-no-such-command-xyz/)
    expect(capture(manifest, 'node1', 'optional_missing').exitCode).toBe(127)

    for (let i = 0; i < 12; i++)
      expect(read(dir, capture(manifest, 'node1', `many_${i}`).file).toString()).toBe(`${i}\n`)

    // What is on disk is what the manifest says, and the snapshot reader agrees.
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CollectManifest
    expect(onDisk.hosts[0].captures.length).toBe(17)
    const snap = await readSnapshot(dir)
    expect(snap.problems).toEqual([])
    expect(snap.captures.find((c) => c.spec === 'hostname')?.text).toBe(`${hostname()}\n`)
  })

  it('runs the real catalog against this machine', async () => {
    const out = outDir()
    const {manifest, dir} = await collect({...base, hosts: [host({roles: ['compute']})], out})
    const hn = capture(manifest, 'node1', 'hostname')
    expect(read(dir, hn.file).toString()).toBe(`${hostname()}\n`)
    const link = capture(manifest, 'node1', 'ip_link')
    expect(link.exitCode).toBe(0)
    const links = JSON.parse(read(dir, link.file).toString()) as {ifname: string}[]
    expect(links.some((l) => l.ifname === 'lo')).toBe(true)
    expect(capture(manifest, 'node1', 'ps').argv).toEqual(['ps', '-ww', '-eo', 'pid=,args='])
    for (const c of manifest.hosts[0].captures) expect(c.sha256).toBe(sha(read(dir, c.file)))
    expect((await readSnapshot(dir)).problems).toEqual([])
  })

  it('rejects a hostile namespace name, records it, and never runs it', async () => {
    const pwned = join(work, 'pwned')
    const specs: Spec[] = [
      spec('ip_netns', ['printf', `qdhcp-ok (id: 3)\\nqdhcp-x;touch ${pwned}\\nqrouter-$(touch ${pwned})\\n`]),
      {id: 'netns_echo', scope: 'netns', argv: (ns) => ['echo', 'in', ns!], about: 'test'},
    ]
    const out = outDir()
    const {manifest, complete, dir} = await collect({...base, hosts: [host()], out, specs})
    expect(existsSync(pwned)).toBe(false)
    expect(complete).toBe(false)
    const keys = manifest.hosts[0].captures.filter((c) => c.spec === 'netns_echo').map((c) => c.key)
    expect(keys).toEqual(['qdhcp-ok'])
    expect(read(dir, capture(manifest, 'node1', 'netns_echo', 'qdhcp-ok').file).toString()).toBe('in qdhcp-ok\n')
    expect(manifest.problems).toEqual([
      expect.objectContaining({
        host: 'node1',
        spec: 'ip_netns',
        kind: 'rejected',
        line: 2,
        text: `qdhcp-x;touch ${pwned}`,
      }),
      expect.objectContaining({
        host: 'node1',
        spec: 'ip_netns',
        kind: 'rejected',
        line: 3,
        text: `qrouter-$(touch ${pwned})`,
      }),
    ])
    expect(manifest.hosts[0].status).toBe('partial')
    expect(manifest.hosts[0].error).toMatch(/2 names from the host rejected/)
  })

  it('records a command that hangs past its timeout and still collects the rest', async () => {
    const specs = [spec('hang', ['sleep', '8']), spec('hostname', ['hostname']), spec('echo', ['echo', 'ok'])]
    const out = outDir()
    const {manifest, dir} = await collect({...base, hosts: [host()], out, specs, commandTimeoutMs: 2_000})
    const hang = capture(manifest, 'node1', 'hang')
    expect(hang.exitCode).toBeNull()
    expect(hang.error).toMatch(/^timeout after 2000 ms/)
    expect(capture(manifest, 'node1', 'hostname').exitCode).toBe(0)
    expect(read(dir, capture(manifest, 'node1', 'echo').file).toString()).toBe('ok\n')
    expect(manifest.hosts[0].status).toBe('partial')
  })

  it('stops a host at its host timeout and says so', async () => {
    const specs = [spec('hostname', ['hostname']), spec('hang', ['sleep', '8'])]
    const {manifest} = await collect({...base, hosts: [host()], out: outDir(), specs, hostTimeoutMs: 2_000})
    expect(manifest.hosts[0].status).toBe('partial')
    expect(manifest.hosts[0].error).toMatch(/host timeout after 2000 ms/)
    expect(capture(manifest, 'node1', 'hang').error).toMatch(/aborted: host timeout/)
    expect(capture(manifest, 'node1', 'hostname').exitCode).toBe(0)
  })

  it('marks a host at a closed port unreachable and collects the other in full', async () => {
    const closed = await freePort()
    const specs = [spec('hostname', ['hostname'])]
    const {manifest, complete} = await collect({
      ...base,
      hosts: [host(), host({name: 'down', port: closed})],
      out: outDir(),
      specs,
    })
    expect(complete).toBe(false)
    expect(manifest.hosts.map((h) => [h.name, h.status])).toEqual([
      ['node1', 'complete'],
      ['down', 'unreachable'],
    ])
    expect(manifest.hosts[1].error).toMatch(/connection refused/)
    expect(manifest.hosts[1].captures).toEqual([])
  })

  it('refuses an unknown host key unless acceptNew, then knows it', async () => {
    const kh = join(work, 'kh-unknown')
    const specs = [spec('hostname', ['hostname'])]
    const refused = await collect({...base, hosts: [host({knownHostsFile: kh})], out: outDir(), specs})
    expect(refused.manifest.hosts[0].status).toBe('unreachable')
    const fp = execFileSync('ssh-keygen', ['-l', '-f', join(sshd.dir, 'host_ed25519.pub')])
      .toString()
      .split(' ')[1]
    expect(refused.manifest.hosts[0].error).toContain(`is not known (ssh-ed25519 ${fp})`)
    expect(refused.manifest.hosts[0].error).toContain('--accept-new')
    expect(existsSync(kh)).toBe(false)

    const accepted = await collect({
      ...base,
      hosts: [host({knownHostsFile: kh})],
      out: outDir(),
      specs,
      acceptNew: true,
    })
    expect(accepted.complete).toBe(true)
    const line = readFileSync(kh, 'utf8')
    expect(line).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub.split(' ').slice(0, 2).join(' ')}\n`)

    const again = await collect({...base, hosts: [host({knownHostsFile: kh})], out: outDir(), specs})
    expect(again.complete).toBe(true)
  })

  it('refuses a changed host key, even with acceptNew', async () => {
    const kh = join(work, 'kh-changed')
    const other = keygen(join(work, 'other_host_key'))
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${other}\n`)
    const {manifest} = await collect({
      ...base,
      hosts: [host({knownHostsFile: kh})],
      out: outDir(),
      specs: [spec('hostname', ['hostname'])],
      acceptNew: true,
    })
    expect(manifest.hosts[0].status).toBe('unreachable')
    expect(manifest.hosts[0].error).toMatch(/^HOST KEY CHANGED for \[127\.0\.0\.1\]:\d+/)
    expect(manifest.hosts[0].error).toContain(`${kh}:1`)
    expect(readFileSync(kh, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${other}\n`)
  })

  it('accepts a host listed under a hashed name (ssh-keygen -H)', async () => {
    const kh = join(work, 'kh-hashed')
    writeFileSync(kh, keyscan(sshd.port))
    execFileSync('ssh-keygen', ['-H', '-f', kh], {stdio: 'ignore'})
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|/)
    const {complete} = await collect({
      ...base,
      hosts: [host({knownHostsFile: kh})],
      out: outDir(),
      specs: [spec('hostname', ['hostname'])],
    })
    expect(complete).toBe(true)
  })

  it('asks for the key type known_hosts holds (RSA or ECDSA when the server also has ed25519)', async () => {
    const multi = await startSshd({hostKeyTypes: ['ed25519', 'rsa', 'ecdsa']})
    try {
      for (const type of ['rsa', 'ecdsa']) {
        const kh = join(work, `kh-only-${type}`)
        const [kt, blob] = multi.hostKeys[type].split(' ')
        writeFileSync(kh, `[127.0.0.1]:${multi.port} ${kt} ${blob}\n`)
        const {manifest} = await collect({
          ...base,
          hosts: [host({port: multi.port, identityFile: multi.clientKey, knownHostsFile: kh})],
          out: outDir(),
          specs: [spec('hostname', ['hostname'])],
        })
        expect(manifest.hosts[0].error, type).toBeUndefined()
        expect(manifest.hosts[0].status).toBe('complete')
      }
    } finally {
      await multi.stop()
    }
  })

  it('reports a refused key as an authentication failure and never logs key material', async () => {
    const stranger = join(work, 'stranger_key')
    keygen(stranger)
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString())
        cb()
      },
    })
    const logger = pino({level: 'trace'}, sink)
    const {manifest, dir} = await collect({
      ...base,
      hosts: [host({identityFile: stranger}), host({name: 'node2'})],
      out: outDir(),
      specs: [spec('hostname', ['hostname'])],
      logger,
    })
    expect(manifest.hosts[0].status).toBe('unreachable')
    expect(manifest.hosts[0].error).toBe(`authentication failed for root@127.0.0.1:${sshd.port} (tried ${stranger})`)
    expect(manifest.hosts[1].status).toBe('complete')
    const secrets = [stranger, sshd.clientKey].map((p) => readFileSync(p, 'utf8').split('\n')[2])
    const files = readdirSync(dir, {recursive: true})
      .map((f) => join(dir, String(f)))
      .filter((p) => statSync(p).isFile())
    const everything = lines.join('') + files.map((p) => readFileSync(p, 'utf8')).join('')
    expect(lines.length).toBeGreaterThan(0)
    for (const s of secrets) expect(everything).not.toContain(s)
    expect(everything).not.toContain('PRIVATE KEY')
  })

  it('authenticates through ssh-agent', async () => {
    const sock = join(work, 'agent.sock')
    const agent = spawn('ssh-agent', ['-D', '-a', sock], {stdio: 'ignore'})
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50))
      execFileSync('ssh-add', [sshd.clientKey], {env: {...process.env, SSH_AUTH_SOCK: sock}, stdio: 'ignore'})
      const {manifest, complete} = await collect({
        ...base,
        agentSocket: sock,
        hosts: [host({identityFile: undefined})],
        out: outDir(),
        specs: [spec('hostname', ['hostname'])],
      })
      expect(manifest.hosts[0].error).toBeUndefined()
      expect(complete).toBe(true)
    } finally {
      agent.kill('SIGTERM')
    }
  })

  it('jumps through a ProxyJump host named in ssh_config', async () => {
    const cfg = join(work, 'ssh_config')
    writeFileSync(
      cfg,
      `Host jumper\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${sshd.clientKey}\n`,
    )
    const {manifest, complete} = await collect({
      ...base,
      sshConfigPath: cfg,
      hosts: [host({proxyJump: 'jumper'})],
      out: outDir(),
      specs: [spec('hostname', ['hostname'])],
    })
    expect(manifest.hosts[0].error).toBeUndefined()
    expect(complete).toBe(true)
  })

  it('puts execPrefix before the spec argv and records the argv that ran', async () => {
    const {manifest, dir} = await collect({
      ...base,
      hosts: [host({execPrefix: ['env', 'NEUTRACE_X=in prefix']})],
      out: outDir(),
      specs: [spec('env_x', ['sh', '-c', 'echo "$NEUTRACE_X"'])],
    })
    const c = capture(manifest, 'node1', 'env_x')
    expect(c.argv).toEqual(['env', 'NEUTRACE_X=in prefix', 'sh', '-c', 'echo "$NEUTRACE_X"'])
    expect(read(dir, c.file).toString()).toBe('in prefix\n')
  })

  it('publishes the snapshot atomically and removes the partial directory when cancelled', async () => {
    const out = outDir()
    const partial = `${out}.partial-${process.pid}`
    const seen: boolean[] = []
    const {dir} = await collect({
      ...base,
      hosts: [host()],
      out,
      specs: [spec('hostname', ['hostname'])],
      onProgress: (e) => {
        if (e.event === 'collecting') seen.push(existsSync(out), existsSync(partial))
      },
    })
    expect(seen.slice(0, 2)).toEqual([false, true])
    expect(existsSync(join(dir, 'manifest.json'))).toBe(true)
    expect(existsSync(partial)).toBe(false)

    const out2 = outDir()
    const partial2 = `${out2}.partial-${process.pid}`
    const controller = new AbortController()
    const run = collect({
      ...base,
      hosts: [host()],
      out: out2,
      specs: [spec('hang', ['sleep', '8'])],
      signal: controller.signal,
      onProgress: (e) => {
        if (e.event === 'collecting') setTimeout(() => controller.abort(new Error('test cancel')), 200)
      },
    })
    await expect(run).rejects.toBeInstanceOf(CollectAborted)
    expect(existsSync(out2)).toBe(false)
    expect(existsSync(partial2)).toBe(false)
  })

  it('refuses to write into an existing non-empty directory', async () => {
    const out = outDir()
    mkdirSync(out)
    writeFileSync(join(out, 'x'), '')
    await expect(collect({...base, hosts: [host()], out, specs: [spec('hostname', ['hostname'])]})).rejects.toThrow(
      /already exists and is not empty/,
    )
  })

  it('copies intent files into intent/', async () => {
    const intent = join(work, 'intent-in')
    mkdirSync(intent)
    writeFileSync(join(intent, 'networks.json'), '[]\n')
    writeFileSync(join(intent, 'notes.bin'), 'x')
    const {manifest, dir} = await collect({
      ...base,
      hosts: [host()],
      out: outDir(),
      specs: [spec('hostname', ['hostname'])],
      intentDir: intent,
    })
    expect(manifest.intent).toEqual(['intent/networks.json'])
    expect(readFileSync(join(dir, 'intent', 'networks.json'), 'utf8')).toBe('[]\n')
  })

  it('batched and per-command collection write byte-identical captures', async () => {
    const specs: Spec[] = [
      spec('ip_netns', ['printf', 'qdhcp-a\\nqdhcp-b (id: 2)\\n']),
      spec('no_newline', ['printf', 'no newline']),
      spec('binary', ['printf', 'a\\000b\\377']),
      spec('both', ['sh', '-c', 'echo out; echo err >&2; exit 4']),
      spec('big', ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo "flow $i"; i=$((i+1)); done; echo tail >&2']),
      spec('quoted', ['printf', '%s|', 'a b', "it's", '$(id)', '`id`', '; id', '"q" \\ *', '-n', '', 'é\t€']),
      spec('missing', ['neutrace-no-such-command-xyz'], {optional: true}),
      {id: 'netns_echo', scope: 'netns', argv: (ns) => ['printf', '%s\\n', 'in', ns!], about: 'test'},
    ]
    const one = await collect({...base, hosts: [host()], out: outDir(), specs, execution: 'per-command'})
    const batch = await collect({...base, hosts: [host()], out: outDir(), specs, execution: 'batch'})
    const a = captureMap(one.dir, one.manifest)
    const b = captureMap(batch.dir, batch.manifest)
    expect(differences(a, b)).toEqual([])
    expect(a.size).toBe(9)
    expect(b.get('node1 big')!.stdout.length).toBeGreaterThan(100_000)
    expect(b.get('node1 netns_echo@qdhcp-b')!.stdout.toString()).toBe('in\nqdhcp-b\n')
  })

  it('batched: a hostile name still never runs, and output that looks like a frame is only output', async () => {
    const pwned = join(work, 'pwned-batch')
    const lines: string[] = []
    const logger = pino(
      {level: 'debug'},
      new Writable({write: (c: Buffer, _e, done) => (lines.push(c.toString()), done())}),
    )
    const fake = '@@NT 00000000000000000000000000000000 0 0 0 0 0 3 0'
    const specs: Spec[] = [
      spec('ip_netns', [
        'printf',
        `qdhcp-ok\\n${fake}\\nqdhcp-x;touch ${pwned}\\nqrouter-$(touch ${pwned})\\nq\`touch ${pwned}\`\\n`,
      ]),
      {id: 'netns_echo', scope: 'netns', argv: (ns) => ['echo', 'in', ns!], about: 'test'},
    ]
    const {manifest, dir} = await collect({...base, hosts: [host()], out: outDir(), specs, execution: 'batch', logger})
    expect(existsSync(pwned)).toBe(false)
    expect(lines.join('')).not.toContain('did not start')
    expect(manifest.hosts[0].captures.filter((c) => c.spec === 'netns_echo').map((c) => c.key)).toEqual(['qdhcp-ok'])
    expect(read(dir, capture(manifest, 'node1', 'ip_netns').file).toString()).toContain(fake)
    expect(manifest.problems?.map((p) => [p.kind, p.line])).toEqual([
      ['rejected', 2],
      ['rejected', 3],
      ['rejected', 4],
      ['rejected', 5],
    ])
  })

  it('SshTransport.connect throws a typed error for an unknown key', async () => {
    await expect(
      SshTransport.connect(host({knownHostsFile: join(work, 'none')}), {agentSocket: null}),
    ).rejects.toSatisfy((e: unknown) => e instanceof TransportError && e.kind === 'host-key-unknown')
  })
})
