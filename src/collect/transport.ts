// How a command reaches a host: one SSH connection per host with commands multiplexed as channels (ssh2), or a
// local child process. A transport runs an argv and hands back bytes and an exit code; it never interprets them.

import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {appendFile, mkdir, readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {dirname} from 'node:path'
import type {Readable} from 'node:stream'
import pLimit, {type LimitFunction} from 'p-limit'
import type {Logger} from 'pino'
import ssh2, {type AnyAuthMethod, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm} from 'ssh2'
import {type InventoryHost, parseHostArg} from './inventory.js'
import {
  fingerprint,
  formatKnownHostsLine,
  hostKeyAlgorithmsFor,
  type HostKeyVerdict,
  type KnownHostEntry,
  knownHostName,
  keyTypeOf,
  parseKnownHosts,
  verifyHostKey,
} from './known-hosts.js'
import {shellQuote} from './quote.js'

const {Client, utils} = ssh2
type SshClient = InstanceType<typeof Client>

const CHANNEL_REFUSED = 'cannot open a channel'
const CHANNEL_ATTEMPTS = 6

export interface RunResult {
  stdout: Buffer
  stderr: Buffer
  /** null when the command never ran to an exit (timeout, signal, connection lost, not found locally). */
  exitCode: number | null
  durationMs: number
  /** ISO 8601. */
  startedAt: string
  error?: string
}

export interface RunOptions {
  timeoutMs: number
  /** Abort a running command (host timeout, Ctrl-C). */
  signal?: AbortSignal
  /** Stop reading (and fail the command) past this many bytes of stdout+stderr. Default 256 MiB. */
  maxOutputBytes?: number
}

/** Options of runScript: stdout goes to `onStdout` as it arrives (and is not kept in the result). */
export interface ScriptOptions extends RunOptions {
  onStdout: (chunk: Buffer) => void
}

export interface Transport {
  host: string
  run(argv: string[], opts: RunOptions): Promise<RunResult>
  /**
   * Feed `script` to `/bin/sh -s` (batch.ts): a stream the caller goes on writing to; the shell runs each part as it
   * comes and ends when the stream does. A transport without it is used one command at a time.
   */
  runScript?(script: Readable, opts: ScriptOptions): Promise<RunResult>
  close(): Promise<void>
}

export type TransportErrorKind =
  'unreachable' | 'timeout' | 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked' | 'auth' | 'protocol'

/** A connection that could not be made, with a reason a person can act on. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
  ) {
    super(message)
    this.name = 'TransportError'
  }
}

const DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024

/** Gathers the output of one command and settles once, whatever ends it first. */
class RunState {
  private readonly out: Buffer[] = []
  private readonly err: Buffer[] = []
  private bytes = 0
  private settled = false
  readonly started = Date.now()
  readonly startedAt = new Date(this.started).toISOString()
  exitCode: number | null = null
  error?: string

  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
    private readonly resolve: (r: RunResult) => void,
    private readonly onStdout?: (chunk: Buffer) => void,
  ) {}

  add(which: 'out' | 'err', chunk: Buffer): void {
    if (this.settled) return
    this.bytes += chunk.length
    if (this.bytes > this.limit) {
      this.error ??= `output exceeded ${this.limit} bytes; stopped reading`
      this.onOverflow()
      return
    }
    if (which === 'out' && this.onStdout) this.onStdout(chunk)
    else (which === 'out' ? this.out : this.err).push(chunk)
  }

  fail(reason: string): void {
    this.error ??= reason
  }

  get done(): boolean {
    return this.settled
  }

  finish(): void {
    if (this.settled) return
    this.settled = true
    if (this.exitCode === null) this.error ??= 'the command ended without an exit status'
    this.resolve({
      stdout: Buffer.concat(this.out),
      stderr: Buffer.concat(this.err),
      exitCode: this.error === undefined ? this.exitCode : null,
      durationMs: Date.now() - this.started,
      startedAt: this.startedAt,
      ...(this.error !== undefined ? {error: this.error} : {}),
    })
  }
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason
  return `aborted: ${r instanceof Error ? r.message : typeof r === 'string' ? r : 'cancelled'}`
}

// ---------------------------------------------------------------------------------------------------------------------
// Local

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal)
  } catch {
    // already gone
  }
}

/** Runs argv on this machine with child_process.spawn (no shell); scripts with `[...prefix, '/bin/sh', '-s']`. */
export class LocalTransport implements Transport {
  /** `prefix`: argv put before the script's shell, e.g. nsenter into a lab node. */
  constructor(
    readonly host = 'localhost',
    private readonly prefix: string[] = [],
  ) {}

  run(argv: string[], opts: RunOptions): Promise<RunResult> {
    return this.spawn(argv, opts)
  }

  runScript(script: Readable, opts: ScriptOptions): Promise<RunResult> {
    return this.spawn([...this.prefix, '/bin/sh', '-s'], opts, script)
  }

  private spawn(
    argv: string[],
    opts: RunOptions & {onStdout?: (chunk: Buffer) => void},
    input?: Readable,
  ): Promise<RunResult> {
    return new Promise((resolve) => {
      let child: ReturnType<typeof spawn> | undefined
      const state = new RunState(
        opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
        () => child?.kill('SIGKILL'),
        resolve,
        opts.onStdout,
      )
      if (opts.signal?.aborted) {
        state.fail(abortReason(opts.signal))
        state.finish()
        return
      }
      // A script runs in a process group of its own, so that stopping it stops its workers and their commands too:
      // TERM first (the script removes its temporary directory), KILL if it is still there 2 s later.
      const script = input !== undefined
      child = spawn(argv[0], argv.slice(1), {
        shell: false,
        detached: script,
        stdio: [script ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      })
      if (script) {
        child.stdin!.on('error', () => {}) // the shell may exit before reading it all; its exit status says why
        input.pipe(child.stdin!)
      }
      let killer: NodeJS.Timeout | undefined
      const stop = (reason: string) => {
        state.fail(reason)
        if (!script || child?.pid === undefined) return void child?.kill('SIGKILL')
        const group = -child.pid
        signalGroup(group, 'SIGTERM')
        killer = setTimeout(() => signalGroup(group, 'SIGKILL'), 2000)
      }
      const timer = setTimeout(() => stop(`timeout after ${opts.timeoutMs} ms`), opts.timeoutMs)
      const onAbort = () => stop(abortReason(opts.signal!))
      opts.signal?.addEventListener('abort', onAbort, {once: true})
      child.stdout!.on('data', (c: Buffer) => state.add('out', c))
      child.stderr!.on('data', (c: Buffer) => state.add('err', c))
      child.on('error', (e: NodeJS.ErrnoException) => {
        state.fail(e.code === 'ENOENT' ? `command not found: ${argv[0]}` : `cannot run ${argv[0]}: ${e.message}`)
      })
      child.on('close', (code, sig) => {
        input?.unpipe(child!.stdin!)
        clearTimeout(timer)
        clearTimeout(killer)
        opts.signal?.removeEventListener('abort', onAbort)
        state.exitCode = code
        if (code === null && sig) state.fail(`killed by signal ${sig}`)
        state.finish()
      })
    })
  }

  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------------------------------
// SSH

export interface SshConnectOptions {
  /** Add an unknown host key to the known_hosts file instead of refusing it. Changed keys are always refused. */
  acceptNew?: boolean
  /** TCP connect + SSH handshake + authentication. Default 15 s. */
  connectTimeoutMs?: number
  /** Concurrent exec channels on the connection (OpenSSH allows MaxSessions=10 by default). Default 8. */
  maxChannels?: number
  /** ssh-agent socket; default $SSH_AUTH_SOCK; null = do not use an agent. */
  agentSocket?: string | null
  /**
   * Files to read host keys from; default the host's knownHostsFile, else ~/.ssh/known_hosts +
   * /etc/ssh/ssh_known_hosts.
   */
  knownHostsFiles?: string[]
  /** ~/.ssh/config text, applied to ProxyJump hops. */
  sshConfigText?: string
  logger?: Logger
}

function userKnownHostsFile(host: InventoryHost): string {
  return host.knownHostsFile ?? `${homedir()}/.ssh/known_hosts`
}

async function readKnownHosts(files: string[], logger?: Logger): Promise<KnownHostEntry[]> {
  const entries: KnownHostEntry[] = []
  for (const file of files) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch {
      continue
    }
    const parsed = parseKnownHosts(text, file)
    for (const p of parsed.problems) logger?.warn({file, line: p.line}, `known_hosts: ${p.message}`)
    entries.push(...parsed.value)
  }
  return entries
}

function where(host: InventoryHost): string {
  return `${host.user}@${host.address}:${host.port}`
}

function describeVerdict(host: InventoryHost, verdict: HostKeyVerdict, blob: Buffer, file: string): TransportError {
  const name = knownHostName(host.address, host.port)
  const offered = `${keyTypeOf(blob) ?? 'unknown-type'} ${fingerprint(blob)}`
  switch (verdict.status) {
    case 'unknown':
      return new TransportError(
        'host-key-unknown',
        `host key of ${name} is not known (${offered}); check the fingerprint with the host's administrator, then add it to ${file} (ssh-keyscan -p ${host.port} ${host.address} >> ${file}) or rerun with --accept-new`,
      )
    case 'changed': {
      const known = verdict.expected.map((e) => `${e.keyType} ${fingerprint(e.key)} (${e.file}:${e.line})`).join(', ')
      return new TransportError(
        'host-key-changed',
        `HOST KEY CHANGED for ${name}: the server offered ${offered} but known_hosts has ${known}. Someone may be intercepting the connection; if the host was reinstalled, remove the old entry (ssh-keygen -R '${name}' -f ${verdict.expected[0].file}) and verify the new key`,
      )
    }
    case 'revoked':
      return new TransportError(
        'host-key-revoked',
        `host key of ${name} (${offered}) is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}`,
      )
    default:
      return new TransportError('protocol', `host key of ${name} was accepted`)
  }
}

interface Identity {
  label: string
  method: AnyAuthMethod
}

async function identities(
  host: InventoryHost,
  agentSocket: string | null | undefined,
): Promise<{list: Identity[]; skipped: string[]}> {
  const list: Identity[] = []
  const skipped: string[] = []
  const agent = agentSocket === undefined ? process.env.SSH_AUTH_SOCK : agentSocket
  if (agent && existsSync(agent)) list.push({label: 'ssh-agent', method: {type: 'agent', username: host.user, agent}})
  const explicit = [host.identityFile, ...(host.identityFiles ?? [])].filter((p): p is string => p !== undefined)
  const files =
    explicit.length > 0
      ? explicit
      : ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => `${homedir()}/.ssh/${n}`).filter(existsSync)
  for (const file of files) {
    let key: Buffer
    try {
      key = await readFile(file)
    } catch (error) {
      skipped.push(`${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`)
      continue
    }
    const parsed = utils.parseKey(key)
    if (parsed instanceof Error) {
      // Passphrases are never asked for or stored: an encrypted key belongs in ssh-agent.
      skipped.push(
        /encrypted|passphrase/i.test(parsed.message)
          ? `${file} (encrypted: load it into ssh-agent)`
          : `${file} (not a private key)`,
      )
      continue
    }
    list.push({label: file, method: {type: 'publickey', username: host.user, key}})
  }
  return {list, skipped}
}

function connectErrorMessage(
  host: InventoryHost,
  error: Error & {code?: string | number; level?: string},
): TransportError {
  const target = `${host.address}:${host.port}`
  switch (error.code) {
    case 'ECONNREFUSED':
      return new TransportError(
        'unreachable',
        `cannot connect to ${target}: connection refused (is sshd running, is the port right?)`,
      )
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError('unreachable', `cannot connect to ${target}: no route to host`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError('unreachable', `cannot resolve ${host.address}`)
    case 'ETIMEDOUT':
      return new TransportError('timeout', `cannot connect to ${target}: timed out`)
    case 'ECONNRESET':
      return new TransportError('unreachable', `connection to ${target} was reset`)
  }
  if (error.level === 'client-timeout') return new TransportError('timeout', `no SSH handshake from ${target} in time`)
  if (/no matching host key/i.test(error.message)) {
    return new TransportError(
      'host-key-changed',
      `${target} offers none of the host key types known for it in known_hosts (${error.message}); the host key has changed`,
    )
  }
  return new TransportError('protocol', `SSH connection to ${target} failed: ${error.message}`)
}

/** One SSH connection (possibly through jump hosts) to a host. */
async function connectClient(host: InventoryHost, opts: SshConnectOptions, sock?: Readable): Promise<SshClient> {
  const files =
    opts.knownHostsFiles ??
    (host.knownHostsFile ? [host.knownHostsFile] : [userKnownHostsFile(host), '/etc/ssh/ssh_known_hosts'])
  const entries = await readKnownHosts(files, opts.logger)
  const algorithms = hostKeyAlgorithmsFor(entries, host.address, host.port)
  const {list, skipped} = await identities(host, opts.agentSocket)
  if (list.length === 0) {
    const why = skipped.length > 0 ? `: ${skipped.join(', ')}` : ''
    throw new TransportError(
      'auth',
      `no usable identity for ${where(host)}${why}; set identityFile or start ssh-agent (SSH_AUTH_SOCK)`,
    )
  }
  const acceptFile = opts.knownHostsFiles?.[0] ?? userKnownHostsFile(host)
  let rejected: TransportError | undefined

  const hostVerifier = (blob: Buffer, verify: (ok: boolean) => void): void => {
    const verdict = verifyHostKey(entries, host.address, host.port, blob)
    if (verdict.status === 'known') return verify(true)
    if (verdict.status === 'unknown' && opts.acceptNew) {
      const line = formatKnownHostsLine(host.address, host.port, blob)
      mkdir(dirname(acceptFile), {recursive: true, mode: 0o700})
        .then(() => appendFile(acceptFile, `${line}\n`, {mode: 0o600}))
        .then(
          () => {
            opts.logger?.warn(
              {host: host.name, file: acceptFile, fingerprint: fingerprint(blob)},
              'accepted new host key',
            )
            verify(true)
          },
          (error: Error) => {
            rejected = new TransportError(
              'host-key-unknown',
              `cannot record the new host key in ${acceptFile}: ${error.message}`,
            )
            verify(false)
          },
        )
      return
    }
    rejected = describeVerdict(host, verdict, blob, acceptFile)
    verify(false)
  }

  const client = new Client()
  // ssh2 may emit more than one error (a reset after a refused key); an unheard one would crash the process.
  client.on('error', (e: Error) => opts.logger?.debug({host: host.name, err: e.message}, 'ssh connection error'))
  const config: ConnectConfig = {
    host: host.address,
    port: host.port,
    username: host.user,
    readyTimeout: opts.connectTimeoutMs ?? 15_000,
    keepaliveInterval: 15_000,
    keepaliveCountMax: 4,
    hostVerifier,
    authHandler: list.map((i) => i.method),
    ...(algorithms ? {algorithms: {serverHostKey: algorithms as ServerHostKeyAlgorithm[]}} : {}),
    ...(sock ? {sock} : {}),
  }
  return new Promise((resolve, reject) => {
    const onError = (error: Error & {code?: string | number; level?: string}) => {
      client.removeListener('ready', onReady)
      client.end()
      if (rejected) return reject(rejected)
      if (error.level === 'client-authentication') {
        const tried = list.map((i) => i.label).join(', ')
        const also = skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''
        return reject(new TransportError('auth', `authentication failed for ${where(host)} (tried ${tried}${also})`))
      }
      reject(connectErrorMessage(host, error))
    }
    const onReady = () => {
      // Later errors (connection lost) surface through the channels.
      client.removeListener('error', onError)
      resolve(client)
    }
    client.once('ready', onReady)
    client.once('error', onError)
    client.connect(config)
    // Every SSH message is written at once: with Nagle's algorithm on, a message written in two segments waited for
    // the server's delayed ACK (about 40 ms) at each round trip of the authentication, each channel opened and each
    // stage written (207 ms to authenticate on the lab instead of 45). ssh2 leaves the socket's default.
    client.setNoDelay(true)
  })
}

function forwardOut(client: SshClient, to: InventoryHost): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, to.address, to.port, (err, stream) => {
      if (err)
        reject(new TransportError('unreachable', `jump host cannot reach ${to.address}:${to.port}: ${err.message}`))
      else resolve(stream)
    })
  })
}

/** Runs argv over one SSH connection, at most `maxChannels` at once. */
export class SshTransport implements Transport {
  private readonly running = new Set<() => void>()
  private readonly ended = new WeakSet<SshClient>()
  private closed = false

  private constructor(
    readonly host: string,
    private readonly clients: SshClient[],
    private readonly limit: LimitFunction,
  ) {
    for (const c of clients) c.once('close', () => this.ended.add(c))
    const target = clients[clients.length - 1]
    target.once('close', () => {
      this.closed = true
      for (const stop of [...this.running]) stop()
    })
  }

  /** Connect (through ProxyJump hops if any), verifying every host key against known_hosts. */
  static async connect(host: InventoryHost, opts: SshConnectOptions = {}): Promise<SshTransport> {
    const hops = host.proxyJump
      ? host.proxyJump
          .split(',')
          .map((h) => h.trim())
          .filter((h) => h !== '')
      : []
    const chain: InventoryHost[] = hops.map((hop) => {
      const jump = parseHostArg(hop, {sshConfigText: opts.sshConfigText})
      // A hop's own ProxyJump from ssh_config is ignored: the chain is the one the target names.
      return {...jump, proxyJump: undefined, knownHostsFile: jump.knownHostsFile ?? host.knownHostsFile}
    })
    chain.push(host)
    const clients: SshClient[] = []
    try {
      let sock: Readable | undefined
      for (const [i, hop] of chain.entries()) {
        if (i > 0) sock = await forwardOut(clients[i - 1], hop)
        opts.logger?.debug(
          {
            host: host.name,
            hop: i < chain.length - 1 ? hop.address : undefined,
            address: hop.address,
            port: hop.port,
            user: hop.user,
          },
          'ssh connect',
        )
        try {
          clients.push(await connectClient(hop, opts, sock))
        } catch (error) {
          if (i < chain.length - 1 && error instanceof TransportError) {
            throw new TransportError(error.kind, `via jump host ${hop.address}: ${error.message}`)
          }
          throw error
        }
      }
    } catch (error) {
      for (const c of clients.reverse()) c.end()
      throw error
    }
    return new SshTransport(host.name, clients, pLimit(Math.max(1, opts.maxChannels ?? 8)))
  }

  /** OpenSSH frees a session slot a moment after the client sees the channel close, so a channel opened right then
   * can be refused (MaxSessions). Such a refusal is retried with backoff; any other failure is final. */
  async run(argv: string[], opts: RunOptions): Promise<RunResult> {
    return this.retrying(() => this.exec(() => shellQuote(argv), opts), opts.signal)
  }

  /** One channel running `/bin/sh -s` with `script` on its stdin (no pty; the login shell only execs sh). */
  async runScript(script: Readable, opts: ScriptOptions): Promise<RunResult> {
    return this.retrying(() => this.exec(() => 'exec /bin/sh -s', opts, script), opts.signal)
  }

  private async retrying(once: () => Promise<RunResult>, signal?: AbortSignal): Promise<RunResult> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.limit(once)
      if (!result.error?.startsWith(CHANNEL_REFUSED) || attempt >= CHANNEL_ATTEMPTS || this.closed || signal?.aborted)
        return result
      await new Promise((r) => setTimeout(r, 25 * 2 ** attempt))
    }
  }

  private exec(
    commandOf: () => string,
    opts: RunOptions & {onStdout?: (chunk: Buffer) => void},
    input?: Readable,
  ): Promise<RunResult> {
    return new Promise((resolve) => {
      let channel: ClientChannel | undefined
      // Ask the server to kill the command, then stop waiting for it. OpenSSH honours `signal` requests only for
      // non-root logins (a root session runs without privilege separation); otherwise the command runs on until it
      // ends by itself, as it would after Ctrl-C on `ssh host cmd`.
      const stopChannel = () => {
        if (!channel) return
        try {
          // A script is asked to stop (TERM: it removes its temporary directory and stops its workers).
          channel.signal(input === undefined ? 'KILL' : 'TERM')
        } catch {
          // the channel may already be gone
        }
        channel.close()
      }
      const state = new RunState(
        opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
        () => {
          stopChannel()
          finish()
        },
        resolve,
        opts.onStdout,
      )
      const finish = () => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        this.running.delete(onLost)
        state.finish()
      }
      const onLost = () => {
        state.fail('connection lost')
        finish()
      }
      const onAbort = () => {
        state.fail(abortReason(opts.signal!))
        stopChannel()
        finish()
      }
      const timer = setTimeout(() => {
        state.fail(`timeout after ${opts.timeoutMs} ms`)
        stopChannel()
        finish()
      }, opts.timeoutMs)
      if (this.closed) return onLost()
      if (opts.signal?.aborted) return onAbort()
      opts.signal?.addEventListener('abort', onAbort, {once: true})
      this.running.add(onLost)
      let command: string
      try {
        command = commandOf()
      } catch (error) {
        state.fail((error as Error).message)
        return finish()
      }
      const target = this.clients[this.clients.length - 1]
      target.exec(command, (err, stream) => {
        if (err) {
          state.fail(`${CHANNEL_REFUSED}: ${err.message}`)
          return finish()
        }
        channel = stream
        if (state.done || state.error !== undefined) {
          stopChannel()
          return finish()
        }
        stream.on('data', (c: Buffer) => state.add('out', c))
        stream.stderr.on('data', (c: Buffer) => state.add('err', c))
        stream.on('exit', (code: number | null, signal?: string) => {
          if (typeof code === 'number') state.exitCode = code
          else if (signal) state.fail(`killed by signal ${signal}`)
        })
        stream.on('close', () => {
          input?.unpipe(stream)
          finish()
        })
        input?.pipe(stream)
      })
    })
  }

  async close(): Promise<void> {
    const waits = [...this.clients]
      .reverse()
      .filter((c) => !this.ended.has(c))
      .map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              c.destroy()
              resolve()
            }, 2_000)
            c.once('close', () => {
              clearTimeout(t)
              resolve()
            })
            c.end()
          }),
      )
    await Promise.all(waits)
  }
}
