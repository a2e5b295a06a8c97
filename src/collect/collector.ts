// The live collector: connect to every host (in parallel, bounded), run the read-only specs in two stages, write each
// raw capture with its metadata, and publish the snapshot directory atomically.
//
//   <out>.partial-<pid>/   everything is written here first
//   <out>/                 appears in one rename(2) once manifest.json is complete
//
// A host that cannot be reached, refuses the key or times out is recorded with the reason; the others are collected
// in full. Names coming back from hosts are validated (plan.ts) before they are used in a command.

import {setMaxListeners} from 'node:events'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {copyFile, mkdir, readdir, rename, rm, rmdir, stat, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import pLimit from 'p-limit'
import type {Logger} from 'pino'
import {
  captureFileName,
  captureSha256,
  type CaptureRecord,
  type HostRecord,
  type Manifest,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
} from '../snapshot/manifest.js'
import {CONFIG_FILES, SPECS, type Spec} from '../specs.js'
// The SSH transport (ssh2), the ssh_config and inventory readers (ssh-config, yaml) and the logger (pino) are imported
// where collect() needs them: `import sos` and every snapshot read by the CLI take redactIni and toolVersion from
// here, and a caller's transportFactory needs no ssh2.
import type {InventoryHost} from './inventory.js'
import {followUps, hostStage, keySourceIds, type PlanProblem, type PlannedCapture} from './plan.js'
import {BatchShell} from './batch.js'
import type {RunResult, Transport} from './transport.js'

/** A problem met while collecting that is not one capture's: a host's name rejected, a fan-out cut short. */
interface CollectProblem extends PlanProblem {
  host: string
}

/** The manifest as the collector writes it: the shared Manifest plus the problems list and the intent's origin. */
export type CollectManifest = Manifest & {problems?: CollectProblem[]; intentSource?: object}

/** Intent fetched while collecting (the Neutron/Nova APIs): documents for intent/, a record for the manifest. */
export interface IntentSource {
  /** For messages: where the intent comes from. */
  label: string
  fetch(ctx: {
    logger: Logger
    signal?: AbortSignal
  }): Promise<{documents: {name: string; text: string}[]; record: object}>
}

export interface CollectProgress {
  host: string
  event: 'connecting' | 'collecting' | 'done'
  status?: HostRecord['status']
  /** While collecting: the host-wide stage (1) or the per bridge / namespace / file / pid one (2). */
  stage?: 1 | 2
  /** This host's captures in the current stage. */
  stageDone?: number
  stageTotal?: number
  hostsDone: number
  hostsTotal: number
  capturesDone: number
  capturesFailed: number
}

export interface CollectOptions {
  hosts: InventoryHost[]
  /** The snapshot directory to create. It must not exist (an empty directory is allowed). */
  out: string
  /** Hosts collected at once. Default 32 (each is one SSH connection and, batched, two scripts). */
  concurrency?: number
  /** Per command. Default 60 s. */
  commandTimeoutMs?: number
  /** Per host, connection included. Default 10 min. */
  hostTimeoutMs?: number
  /** TCP + SSH handshake + authentication. Default 15 s. */
  connectTimeoutMs?: number
  /** Concurrent exec channels per SSH connection, and commands at once on a host in a batch. Default 8 (OpenSSH
   * MaxSessions defaults to 10). */
  maxChannels?: number
  /** 'batch' (default): each stage is one script on one channel (batch.ts); 'per-command': one channel per command.
   * A transport without runScript, or a host where the script cannot start, is collected per command. */
  execution?: 'batch' | 'per-command'
  /** Append unknown host keys to known_hosts instead of refusing the host. */
  acceptNew?: boolean
  logger?: Logger
  onProgress?: (e: CollectProgress) => void
  /** Default: SshTransport.connect. */
  transportFactory?: (host: InventoryHost) => Promise<Transport>
  /** Directory whose *.json / *.txt files are copied into intent/. */
  intentDir?: string
  /** Fetched before any host is contacted; a failure stops the collection with nothing written. */
  intent?: IntentSource
  /** The spec catalog; default SPECS. Tests pass their own. */
  specs?: Spec[]
  /** Cancel the whole collection: the partial directory is removed and collect() rejects with CollectAborted. */
  signal?: AbortSignal
  /** Treat SIGINT as `signal` (default true); a second SIGINT exits at once after removing the partial directory. */
  handleSigint?: boolean
  /** ~/.ssh/config for ProxyJump hops: undefined = ~/.ssh/config when it exists, null = none. */
  sshConfigPath?: string | null
  /** ssh-agent socket: default $SSH_AUTH_SOCK, null = none. */
  agentSocket?: string | null
  /** Manifest `source`. Default `ssh`, or `custom` with a transportFactory. */
  source?: string
  description?: string
  toolVersion?: string
  /** Fan-out bound per scoped spec on one host. Default 2000. */
  maxKeysPerSpec?: number
}

export interface CollectResult {
  manifest: CollectManifest
  /** Every host complete and no name rejected. */
  complete: boolean
  dir: string
}

export class CollectError extends Error {
  override name = 'CollectError'
}

export class CollectAborted extends Error {
  override name = 'CollectAborted'
}

let cachedVersion: string | undefined

/** This package's version, from the nearest package.json named neutrace. */
export function toolVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string}
      if (pkg.name === 'neutrace' && pkg.version) return (cachedVersion = pkg.version)
    } catch {
      // keep looking upwards
    }
    dir = dirname(dir)
  }
  return (cachedVersion = '0.0.0')
}

/** The argv actually run: `sudo -n --` and the host's execPrefix before the spec's argv. */
export function effectiveArgv(host: InventoryHost, argv: string[]): string[] {
  return [...(host.sudo ? ['sudo', '-n', '--'] : []), ...(host.execPrefix ?? []), ...argv]
}

function firstLine(buf: Buffer): string {
  const line =
    buf
      .toString('utf8')
      .split('\n')
      .find((l) => l.trim() !== '') ?? ''
  return line.trim().slice(0, 300)
}

/** Why a capture is missing or incomplete, or undefined when it ran cleanly. */
export function captureError(specArgv: string[], r: RunResult): string | undefined {
  if (r.error !== undefined) return r.error
  if (r.exitCode === 0) return undefined
  const detail = firstLine(r.stderr)
  if (r.exitCode === 127) return `command not found: ${specArgv[0]}${detail ? ` (${detail})` : ''}`
  return `exit status ${r.exitCode}${detail ? `: ${detail}` : ''}`
}

/** Does this capture make the host's collection incomplete? Optional specs may exit non-zero (missing tool/file). */
function failed(spec: Spec, r: RunResult): boolean {
  return r.error !== undefined || (r.exitCode !== 0 && !spec.optional)
}

const SECRET_KEY = /(password|passwd|secret|token|transport_url|credential|^\s*connection\s*$)/i

/** Agent configuration files can hold credentials: the values of such keys never reach the snapshot. */
export function redactIni(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*)([^#;=\s][^=]*?)(\s*=\s*)(.*)$/.exec(line)
      if (!m || !SECRET_KEY.test(m[2]) || m[4].trim() === '') return line
      return `${m[1]}${m[2]}${m[3]}<redacted by neutrace>`
    })
    .join('\n')
}

async function writeCapture(
  root: string,
  host: InventoryHost,
  planned: PlannedCapture,
  argv: string[],
  r: RunResult,
): Promise<CaptureRecord> {
  const {spec, key} = planned
  const file = captureFileName(host.name, spec.id, key)
  const stdout =
    spec.id === 'file' && key !== undefined && CONFIG_FILES.includes(key)
      ? Buffer.from(redactIni(r.stdout.toString('utf8')))
      : r.stdout
  await mkdir(dirname(join(root, file)), {recursive: true})
  await writeFile(join(root, file), stdout)
  const record: CaptureRecord = {
    spec: spec.id,
    ...(key !== undefined ? {key} : {}),
    argv,
    file,
    exitCode: r.exitCode,
    durationMs: r.durationMs,
    startedAt: r.startedAt,
    sha256: captureSha256(stdout),
  }
  if (r.stderr.length > 0) {
    const stderrFile = file.replace(/\.out$/, '.err')
    await writeFile(join(root, stderrFile), r.stderr)
    record.stderrFile = stderrFile
  }
  const error = captureError(spec.argv(key), r)
  if (error !== undefined) record.error = error
  return record
}

interface HostOutcome {
  record: HostRecord
  problems: CollectProblem[]
}

interface HostContext {
  root: string
  specs: Spec[]
  execution: 'batch' | 'per-command'
  workers: number
  commandTimeoutMs: number
  hostTimeoutMs: number
  maxKeysPerSpec: number
  connect: (host: InventoryHost) => Promise<Transport>
  logger: Logger
  signal: AbortSignal
  progress: (host: string, event: CollectProgress['event'], detail?: ProgressDetail) => void
}

interface ProgressDetail {
  /** Captures finished by this event. */
  done?: number
  failed?: number
  stage?: 1 | 2
  stageDone?: number
  stageTotal?: number
  status?: HostRecord['status']
}

/** Resolve with `promise`, or reject as soon as `signal` aborts; a late result is handed to `late`. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, late: (value: T) => void): Promise<T> {
  if (signal.aborted) {
    promise.then(late, () => {})
    return Promise.reject(signal.reason)
  }
  return new Promise((resolve, reject) => {
    let done = false
    const onAbort = () => {
      done = true
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, {once: true})
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        if (done) late(v)
        else resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        if (!done) reject(e)
      },
    )
  })
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason)
}

async function collectHost(host: InventoryHost, ctx: HostContext): Promise<HostOutcome> {
  const log = ctx.logger.child({host: host.name})
  const base = {name: host.name, roles: host.roles, address: host.address}
  const controller = new AbortController()
  // Every running command listens on this one signal: hundreds at once are expected, not a leak.
  setMaxListeners(0, controller.signal)
  const onOuterAbort = () => controller.abort(ctx.signal.reason)
  ctx.signal.addEventListener('abort', onOuterAbort, {once: true})
  const timer = setTimeout(
    () => controller.abort(new Error(`host timeout after ${ctx.hostTimeoutMs} ms`)),
    ctx.hostTimeoutMs,
  )
  const signal = controller.signal
  const started = Date.now()
  let transport: Transport | undefined
  // Every stage of the host in one shell, on one channel (batch.ts).
  let shell: BatchShell | undefined
  try {
    ctx.progress(host.name, 'connecting')
    try {
      transport = await raceAbort(ctx.connect(host), signal, (t) => void t.close())
    } catch (error) {
      if (ctx.signal.aborted) throw error
      const {TransportError} = await import('./transport.js')
      const message = error instanceof TransportError ? error.message : reasonText(error)
      log.error({kind: error instanceof TransportError ? error.kind : undefined}, message)
      return {record: {...base, status: 'unreachable', error: message, captures: []}, problems: []}
    }
    log.debug('connected')
    ctx.progress(host.name, 'collecting')
    interface Ran {
      record: CaptureRecord
      result: RunResult
      failed: boolean
    }
    const notRun = (error: string): RunResult => ({
      stdout: Buffer.alloc(0),
      stderr: Buffer.alloc(0),
      exitCode: null,
      durationMs: 0,
      startedAt: new Date().toISOString(),
      error,
    })
    /** Run one stage: as one batch script when the transport can, else one channel per command. */
    const runStage = async (stage: 1 | 2, planned: PlannedCapture[]): Promise<Ran[]> => {
      const argvs = planned.map((p) => {
        try {
          return effectiveArgv(host, p.spec.argv(p.key))
        } catch (error) {
          log.error({spec: p.spec.id}, `cannot build the command: ${reasonText(error)}`)
          return undefined
        }
      })
      let done = 0
      const finished = (p: PlannedCapture, r: RunResult) => {
        const bad = failed(p.spec, r)
        ctx.progress(host.name, 'collecting', {
          done: 1,
          failed: bad ? 1 : 0,
          stage,
          stageDone: ++done,
          stageTotal: planned.length,
        })
      }
      ctx.progress(host.name, 'collecting', {stage, stageDone: 0, stageTotal: planned.length})
      const results: (RunResult | undefined)[] = argvs.map((a) =>
        a === undefined || a.length === 0 ? notRun('the spec built no command') : undefined,
      )
      const todo = planned.flatMap((p, i) => (results[i] === undefined ? [i] : []))
      let batched: RunResult[] | undefined
      if (ctx.execution === 'batch' && transport!.runScript && todo.length > 0) {
        shell ??= new BatchShell({runScript: transport!.runScript.bind(transport)}, signal)
        batched = await shell.run(
          todo.map((i) => ({argv: argvs[i]!, timeoutMs: ctx.commandTimeoutMs})),
          {workers: ctx.workers, onResult: (j, r) => finished(planned[todo[j]], r)},
        )
        if (batched === undefined)
          log.warn(
            {stage},
            'the batch script did not start (no /bin/sh or no temporary directory?): running the commands one by one',
          )
      }
      if (batched !== undefined) todo.forEach((i, j) => (results[i] = batched![j]))
      else {
        await Promise.all(
          todo.map(async (i) => {
            results[i] = await transport!.run(argvs[i]!, {timeoutMs: ctx.commandTimeoutMs, signal})
            finished(planned[i], results[i]!)
          }),
        )
      }
      return Promise.all(
        planned.map(async (p, i) => {
          const result = results[i]!
          const record = await writeCapture(ctx.root, host, p, argvs[i] ?? effectiveArgv(host, []), result)
          const bad = failed(p.spec, result)
          if (record.error !== undefined)
            log[bad ? 'warn' : 'debug']({spec: p.spec.id, target: p.key, exitCode: record.exitCode}, record.error)
          return {record, result, failed: bad}
        }),
      )
    }

    const stage1 = hostStage(ctx.specs, host.roles)
    const results1 = await runStage(1, stage1)
    const outputs = new Map<string, string>()
    const sources = keySourceIds(ctx.specs)
    for (const [i, p] of stage1.entries()) {
      if (sources.has(p.spec.id)) outputs.set(p.spec.id, results1[i].result.stdout.toString('utf8'))
    }
    const plan = followUps(ctx.specs, host.roles, outputs, {maxPerSpec: ctx.maxKeysPerSpec})
    const problems: CollectProblem[] = plan.problems.map((p) => ({host: host.name, ...p}))
    for (const p of problems)
      log.warn(
        {spec: p.spec, line: p.line, text: p.text},
        `${p.kind === 'rejected' ? 'rejected a name from the host' : 'cut short'}: ${p.message}`,
      )
    // After a host timeout, stage 2 would only record a list of commands that never ran.
    const results2 = signal.aborted ? [] : await runStage(2, plan.captures)

    const all = [...results1, ...results2]
    const captures = all.map((r) => r.record)
    const failures = all.filter((r) => r.failed).length
    const rejected = problems.filter((p) => p.kind === 'rejected').length
    const notes: string[] = []
    if (signal.aborted) notes.push(reasonText(signal.reason))
    if (failures > 0) notes.push(`${failures} of ${captures.length} captures failed`)
    if (rejected > 0) notes.push(`${rejected} name${rejected === 1 ? '' : 's'} from the host rejected`)
    if (problems.some((p) => p.kind === 'truncated')) notes.push('fan-out cut short')
    const status: HostRecord['status'] = notes.length === 0 ? 'complete' : 'partial'
    log.info({status, captures: captures.length, failures, ms: Date.now() - started}, 'host done')
    if (ctx.signal.aborted) throw ctx.signal.reason
    return {record: {...base, status, ...(notes.length > 0 ? {error: notes.join('; ')} : {}), captures}, problems}
  } finally {
    clearTimeout(timer)
    ctx.signal.removeEventListener('abort', onOuterAbort)
    await shell?.close().catch(() => {})
    await transport?.close().catch(() => {})
  }
}

async function checkOut(out: string): Promise<void> {
  let st
  try {
    st = await stat(out)
  } catch {
    return
  }
  if (!st.isDirectory()) throw new CollectError(`${out} exists and is not a directory; choose a new snapshot directory`)
  if ((await readdir(out)).length > 0)
    throw new CollectError(`${out} already exists and is not empty; choose a new snapshot directory`)
}

/** The intent documents to copy, listed by the one intent reader. */
async function intentFiles(dir: string): Promise<string[]> {
  // The intent reader (and its parsers) only with --intent.
  const {IntentFolderError, listIntentDocuments} = await import('../intent/load.js')
  try {
    return (await listIntentDocuments(dir, {required: true})) ?? []
  } catch (error) {
    if (error instanceof IntentFolderError) throw new CollectError(error.message)
    throw error
  }
}

/** Run the intent source; its documents must be plain names not already taken by --intent files. */
async function fetchIntent(
  source: IntentSource,
  taken: string[],
  logger: Logger,
  signal?: AbortSignal,
): Promise<Awaited<ReturnType<IntentSource['fetch']>>> {
  let fetched
  try {
    fetched = await source.fetch({logger, ...(signal ? {signal} : {})})
  } catch (error) {
    throw new CollectError(`intent from ${source.label}: ${reasonText(error)}`)
  }
  for (const doc of fetched.documents) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.(json|txt)$/.test(doc.name))
      throw new CollectError(`intent from ${source.label}: bad document name ${JSON.stringify(doc.name)}`)
    if (taken.includes(doc.name))
      throw new CollectError(`intent/${doc.name} comes both from the intent directory and from ${source.label}`)
  }
  return fetched
}

function checkHosts(hosts: InventoryHost[]): void {
  if (hosts.length === 0) throw new CollectError('no hosts to collect from')
  const seen = new Set<string>()
  for (const h of hosts) {
    if (seen.has(h.name)) throw new CollectError(`host ${h.name} is given twice`)
    seen.add(h.name)
  }
}

/** Collect from every host and write the snapshot to `opts.out`. */
export async function collect(opts: CollectOptions): Promise<CollectResult> {
  checkHosts(opts.hosts)
  const out = resolve(opts.out)
  await checkOut(out)
  const intent = opts.intentDir !== undefined ? await intentFiles(opts.intentDir) : []
  const logger = opts.logger ?? (await import('./log.js')).silentLogger()
  const fetched = opts.intent !== undefined ? await fetchIntent(opts.intent, intent, logger, opts.signal) : undefined
  const specs = opts.specs ?? SPECS
  const partial = `${out}.partial-${process.pid}`

  const controller = new AbortController()
  setMaxListeners(0, controller.signal) // one listener per host being collected
  const onOuterAbort = () => controller.abort(opts.signal?.reason ?? new Error('cancelled'))
  if (opts.signal?.aborted) throw new CollectAborted(`collection cancelled: ${reasonText(opts.signal.reason)}`)
  opts.signal?.addEventListener('abort', onOuterAbort, {once: true})
  let interrupts = 0
  const onSigint = () => {
    interrupts++
    if (interrupts > 1) {
      rmSync(partial, {recursive: true, force: true})
      process.exit(130)
    }
    logger.warn('interrupted: stopping, removing the partial snapshot (Ctrl-C again to quit at once)')
    controller.abort(new Error('interrupted'))
  }
  const handleSigint = opts.handleSigint ?? true
  if (handleSigint) process.on('SIGINT', onSigint)

  let connect = opts.transportFactory
  if (!connect) {
    const [{readSshConfig}, {SshTransport}] = await Promise.all([import('./inventory.js'), import('./transport.js')])
    const sshConfigText = await readSshConfig(opts.sshConfigPath)
    connect = (host: InventoryHost) =>
      SshTransport.connect(host, {
        acceptNew: opts.acceptNew,
        connectTimeoutMs: opts.connectTimeoutMs,
        maxChannels: opts.maxChannels,
        agentSocket: opts.agentSocket,
        sshConfigText,
        logger,
      })
  }

  const totals = {hostsDone: 0, capturesDone: 0, capturesFailed: 0}
  const progress: HostContext['progress'] = (host, event, d = {}) => {
    totals.capturesDone += d.done ?? 0
    totals.capturesFailed += d.failed ?? 0
    if (event === 'done') totals.hostsDone++
    const stage =
      d.stage !== undefined ? {stage: d.stage, stageDone: d.stageDone ?? 0, stageTotal: d.stageTotal ?? 0} : {}
    opts.onProgress?.({
      host,
      event,
      ...(d.status ? {status: d.status} : {}),
      ...stage,
      hostsTotal: opts.hosts.length,
      ...totals,
    })
  }

  try {
    if (existsSync(partial)) await rm(partial, {recursive: true, force: true})
    await mkdir(partial, {recursive: true})
    const ctx: HostContext = {
      root: partial,
      specs,
      execution: opts.execution ?? 'batch',
      workers: Math.max(1, opts.maxChannels ?? 8),
      commandTimeoutMs: opts.commandTimeoutMs ?? 60_000,
      hostTimeoutMs: opts.hostTimeoutMs ?? 600_000,
      maxKeysPerSpec: opts.maxKeysPerSpec ?? 2000,
      connect,
      logger,
      signal: controller.signal,
      progress,
    }
    const limit = pLimit(Math.max(1, opts.concurrency ?? 32))
    const outcomes = await Promise.all(
      opts.hosts.map((host) =>
        limit(async () => {
          if (controller.signal.aborted) throw controller.signal.reason
          const outcome = await collectHost(host, ctx)
          progress(host.name, 'done', {status: outcome.record.status})
          return outcome
        }),
      ),
    )
    if (controller.signal.aborted) throw controller.signal.reason

    const intentList: string[] = []
    if (intent.length > 0 || fetched) {
      await mkdir(join(partial, 'intent'))
      for (const name of intent) {
        await copyFile(join(opts.intentDir!, name), join(partial, 'intent', name))
        intentList.push(`intent/${name}`)
      }
      for (const doc of fetched?.documents ?? []) {
        await writeFile(join(partial, 'intent', doc.name), doc.text)
        intentList.push(`intent/${doc.name}`)
      }
    }
    const problems = outcomes.flatMap((o) => o.problems)
    const manifest: CollectManifest = {
      format: SNAPSHOT_FORMAT,
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      toolVersion: opts.toolVersion ?? toolVersion(),
      createdAt: new Date().toISOString(),
      source: opts.source ?? (opts.transportFactory ? 'custom' : 'ssh'),
      ...(opts.description !== undefined ? {description: opts.description} : {}),
      hosts: outcomes.map((o) => o.record),
      ...(intentList.length > 0 ? {intent: intentList.sort()} : {}),
      ...(fetched ? {intentSource: fetched.record} : {}),
      ...(problems.length > 0 ? {problems} : {}),
    }
    await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    if (controller.signal.aborted) throw controller.signal.reason
    try {
      await checkOut(out)
      if (existsSync(out)) await rmdir(out)
      await rename(partial, out)
    } catch (error) {
      throw new CollectError(
        `cannot move the snapshot into place at ${out} (${(error as NodeJS.ErrnoException).code ?? String(error)}); it is complete in ${partial}`,
      )
    }
    const complete = manifest.hosts.every((h) => h.status === 'complete') && problems.length === 0
    logger.info({dir: out, hosts: manifest.hosts.length, complete}, 'snapshot written')
    return {manifest, complete, dir: out}
  } catch (error) {
    if (error instanceof CollectError) throw error
    await rm(partial, {recursive: true, force: true})
    if (controller.signal.aborted)
      throw new CollectAborted(`collection cancelled: ${reasonText(controller.signal.reason)}; nothing was written`)
    throw error
  } finally {
    if (handleSigint) process.removeListener('SIGINT', onSigint)
    opts.signal?.removeEventListener('abort', onOuterAbort)
  }
}
