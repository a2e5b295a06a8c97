// Lab nodes as processes: start one (`unshare` with its own mount, network, UTS and PID namespaces), run a command in
// it (`nsenter`), find its daemons, and end processes safely by PID (checking the PID still names the same process).

import {spawn} from 'node:child_process'
import {closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, writeFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

export interface ExecResult {
  stdout: string
  stderr: string
  /** null when the command was killed (timeout) or could not start. */
  code: number | null
}

export interface ExecOptions {
  /** Milliseconds; the command (and the process group nsenter made) is killed after it. Default 60 s. */
  timeoutMs?: number
  input?: string
}

/** A process identity that survives PID reuse: the PID plus its start time in clock ticks since boot. */
export interface ProcRef {
  pid: number
  startTime: string
}

export interface DaemonRecord extends ProcRef {
  name: string
  /** The PID as seen inside the node. */
  nsPid: number
  args: string
}

/** A clean environment for node commands: the node's own default paths must win over any OVS_* of the caller. */
export const NODE_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C',
  LC_ALL: 'C',
  TERM: 'dumb',
}

/** Run argv (never a shell string) and collect its output; non-zero exit is a result, not an exception. */
export function run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {env: NODE_ENV, stdio: ['pipe', 'pipe', 'pipe'], detached: true})
    const out: Buffer[] = []
    const err: Buffer[] = []
    let settled = false
    const finish = (r: ExecResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    // detached: the child leads its own process group, so a timeout also ends what nsenter forked inside the node.
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }, timeoutMs)
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => finish({stdout: '', stderr: String(e.message), code: null}))
    child.on('close', (code) =>
      finish({stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code}),
    )
    child.stdin.on('error', () => undefined)
    child.stdin.end(opts.input ?? '')
  })
}

/** Like run, but a non-zero exit throws an error naming the command, where it ran and what it said. */
export async function runOk(argv: string[], where: string, opts: ExecOptions = {}): Promise<string> {
  const r = await run(argv, opts)
  if (r.code !== 0) {
    const why = r.code === null ? 'was killed or timed out' : `exited ${r.code}`
    throw new Error(`lab: on ${where}: \`${argv.join(' ')}\` ${why}: ${(r.stderr || r.stdout).trim().slice(0, 2000)}`)
  }
  return r.stdout
}

/** The argv that runs argv inside a node. nsenter -m resets the working directory: use absolute paths. */
export function nsenterArgv(pid: number, argv: string[]): string[] {
  return ['nsenter', '-t', String(pid), '-m', '-n', '-u', '-p', '--', ...argv]
}

export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22, counted after the parenthesised command name (which may contain spaces).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return rest[19]
  } catch {
    return undefined
  }
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return undefined
  }
}

/** True while the process exists, is not a zombie, and is still the one recorded. */
export function isAlive(ref: ProcRef): boolean {
  const st = procState(ref.pid)
  if (st === undefined || st === 'Z' || st === 'X') return false
  return procStartTime(ref.pid) === ref.startTime
}

export function procRef(pid: number): ProcRef {
  const startTime = procStartTime(pid)
  if (startTime === undefined) throw new Error(`lab: process ${pid} vanished`)
  return {pid, startTime}
}

/** SIGKILL a recorded process if (and only if) it is still the same process. */
export function killRef(ref: ProcRef, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!isAlive(ref)) return false
  try {
    process.kill(ref.pid, signal)
    return true
  } catch {
    return false
  }
}

/** True while /proc still lists the recorded process, zombie or not. */
function exists(ref: ProcRef): boolean {
  return procStartTime(ref.pid) === ref.startTime
}

/**
 * Wait until the processes have ended; returns those still running. Zombies count as ended, but we give their
 * parents (often this very process, or the system's init) a moment to reap them so `ps` shows nothing after.
 */
export async function waitGone(refs: ProcRef[], timeoutMs: number): Promise<ProcRef[]> {
  const deadline = Date.now() + timeoutMs
  let left = refs.filter(isAlive)
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50)
    left = left.filter(isAlive)
  }
  const reapDeadline = Date.now() + 3000
  while (refs.some(exists) && Date.now() < reapDeadline) await sleep(50)
  return left
}

export function nsInode(pid: number, ns: 'pid' | 'net' | 'mnt'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`)
  } catch {
    return undefined
  }
}

/** Every process (as root-namespace PIDs) whose PID namespace is `pidNs`. */
export function processesInPidNs(pidNs: string): DaemonRecord[] {
  const found: DaemonRecord[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    try {
      if (readlinkSync(`/proc/${pid}/ns/pid`) !== pidNs) continue
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      const nsPids = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? []
      const name = /^Name:\s*(.*)$/m.exec(status)?.[1]?.trim() ?? '?'
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
      const startTime = procStartTime(pid)
      if (startTime === undefined) continue
      found.push({pid, startTime, name, nsPid: Number(nsPids[nsPids.length - 1] ?? pid), args})
    } catch {
      /* the process ended while we looked */
    }
  }
  return found.sort((a, b) => a.nsPid - b.nsPid)
}

export interface StartedNode {
  /** The unshare process (root PID namespace). */
  unshare: ProcRef
  /** PID 1 of the node, as a root-namespace PID: nsenter -t targets it. */
  init: ProcRef
  pidNs: string
}

export interface StartNodeArgs {
  initScript: string
  nodeDir: string
  hostname: string
  withOvs: boolean
  /** source=destination bind mounts made inside the node (written to NODE_DIR/binds for the init script). */
  binds: string[]
  logFile: string
  /** Tie the node's life to this process (tests); false for a lab that outlives `lab:up`. */
  dieWithParent: boolean
}

/** Start a node process and wait until its init script says it is ready (OVS up when withOvs). */
export async function startNode(a: StartNodeArgs): Promise<StartedNode> {
  const unshareArgv = [
    'unshare',
    '--mount',
    '--net',
    '--uts',
    '--pid',
    '--fork',
    '--mount-proc',
    ...(a.dieWithParent ? ['--kill-child'] : []),
    a.initScript,
    a.nodeDir,
    a.hostname,
    a.withOvs ? '1' : '0',
  ]
  writeFileSync(`${a.nodeDir}/binds`, a.binds.map((b) => `${b}\n`).join(''))
  // setpriv --pdeathsig: if the starting process dies without tearing down, unshare dies, and --kill-child takes the
  // node's PID 1 (and so the whole node) with it.
  const argv = a.dieWithParent ? ['setpriv', '--pdeathsig', 'KILL', ...unshareArgv] : unshareArgv
  const log = openSync(a.logFile, 'a')
  const child = spawn(argv[0]!, argv.slice(1), {env: NODE_ENV, stdio: ['ignore', log, log], detached: true})
  closeSync(log)
  let exited: string | undefined
  child.on('exit', (code, signal) => {
    exited = signal ?? String(code)
  })
  child.on('error', (e) => {
    exited = e.message
  })
  child.unref()
  const pid = child.pid
  if (pid === undefined) throw new Error(`lab: could not start node ${a.hostname}: ${exited ?? 'spawn failed'}`)
  const unshare = procRef(pid)

  const deadline = Date.now() + 30_000
  let initPid: number | undefined
  while (Date.now() < deadline) {
    if (exited !== undefined) break
    if (initPid === undefined) {
      try {
        const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
        if (children) initPid = Number(children.split(/\s+/)[0])
      } catch {
        /* not yet */
      }
    }
    if (initPid !== undefined && existsSync(`${a.nodeDir}/ready`)) break
    await sleep(25)
  }
  const logText = (): string => {
    try {
      return readFileSync(a.logFile, 'utf8').trim().split('\n').slice(-20).join('\n')
    } catch {
      return ''
    }
  }
  if (exited !== undefined || initPid === undefined || !existsSync(`${a.nodeDir}/ready`)) {
    killRef(unshare)
    throw new Error(
      `lab: node ${a.hostname} did not come up (${exited !== undefined ? `exited: ${exited}` : 'timed out'}); log ${a.logFile}:\n${logText()}`,
    )
  }
  const init = procRef(initPid)
  const pidNs = nsInode(initPid, 'pid')
  if (pidNs === undefined) throw new Error(`lab: node ${a.hostname}: PID 1 vanished`)
  return {unshare, init, pidNs}
}
