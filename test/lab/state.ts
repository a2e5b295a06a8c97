// What a lab created, on disk, so any process (`lab:down`, the next test run) can tear it down completely: node
// processes by PID (checked against their start time), root-namespace links, mount points made in the root
// filesystem, directories. Writing the state as we go means a start that fails half-way is still fully undone.

import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {isAlive, killRef, run, waitGone, type DaemonRecord, type ProcRef} from './node.js'
import type {LabPlan} from './topology.js'

export interface NodeState {
  name: string
  kind: 'node' | 'switch'
  dir: string
  unshare: ProcRef
  init: ProcRef
  pidNs: string
  daemons: DaemonRecord[]
  /** Named namespaces inside the node (they live in its /run/netns tmpfs and go with it). */
  netns: string[]
}

export interface FaultRecord {
  fault: string
  host: string
  element: string
  at: string
}

export interface LabState {
  format: 'neutrace-lab-state'
  version: 1
  slot: number
  dir: string
  rootDir: string
  owner: ProcRef
  persistent: boolean
  createdAt: string
  /** Links in the root network namespace (management bridge and veths), deleted at teardown if still there. */
  rootLinks: {name: string; kind: 'veth' | 'bridge'}[]
  nodes: NodeState[]
  plan?: LabPlan
  faults: FaultRecord[]
  /** Set once start-up finished. */
  ready: boolean
}

export function defaultRootDir(): string {
  return process.env['NEUTRACE_LAB_DIR'] || '/tmp/neutrace-lab'
}

export function labDirFor(rootDir: string, slot: number): string {
  return join(rootDir, `lab${slot}`)
}

export function statePath(dir: string): string {
  return join(dir, 'state.json')
}

export function writeState(state: LabState): void {
  const tmp = `${statePath(state.dir)}.tmp`
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`)
  renameSync(tmp, statePath(state.dir))
}

export function readState(dir: string): LabState | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(dir), 'utf8')) as LabState
    return s.format === 'neutrace-lab-state' ? s : undefined
  } catch {
    return undefined
  }
}

/**
 * Lab directories under a root (lab0, lab1, ...), with their state when readable. Directories set aside by a
 * claim or a teardown that never finished (`lab1.claim-…`, `lab1.teardown-…`) are listed too, so lab:down finds them.
 */
export function listLabs(rootDir: string): {dir: string; slot: number; state?: LabState}[] {
  if (!existsSync(rootDir)) return []
  return readdirSync(rootDir)
    .map((name) => /^lab(\d+)(?:\.(?:claim|teardown)-[\d-]+)?$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const dir = join(rootDir, m[0])
      return {dir, slot: Number(m[1]), state: readState(dir)}
    })
    .sort((a, b) => a.slot - b.slot || a.dir.localeCompare(b.dir))
}

/** A lab is in use while its owner lives (a test run) or, for a persistent lab, while any of its nodes lives. */
export function labInUse(state: LabState | undefined): boolean {
  if (!state) return false
  if (isAlive(state.owner)) return true
  return state.persistent && state.nodes.some((n) => isAlive(n.init))
}

/**
 * Claim a lab directory, writing its first state into it. With an explicit slot: a stale or persistent lab there is
 * torn down first (a person re-running lab:up gets a fresh lab); a lab whose owner still runs is an error. Without
 * one: the lowest free slot from 1 (slot 0 is lab:up's), tearing down stale labs (owner gone, not persistent) on the
 * way. The directory appears by rename with its state inside, so no other process ever sees it without state.
 */
export async function claimSlot(
  rootDir: string,
  wanted: number | undefined,
  makeState: (slot: number, dir: string) => LabState,
  log: (m: string) => void,
): Promise<LabState> {
  mkdirSync(rootDir, {recursive: true})
  const candidates = wanted !== undefined ? [wanted] : Array.from({length: 255}, (_, i) => i + 1)
  for (const slot of candidates) {
    const dir = labDirFor(rootDir, slot)
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!existsSync(dir)) {
        const state = makeState(slot, dir)
        const staging = `${dir}.claim-${process.pid}-${Date.now()}`
        mkdirSync(staging, {recursive: true})
        writeState({...state, dir: staging})
        try {
          renameSync(staging, dir)
          writeState(state)
          return state
        } catch {
          rmSync(staging, {recursive: true, force: true})
          continue
        }
      }
      const state = readState(dir)
      if (state && isAlive(state.owner)) {
        if (wanted !== undefined) {
          throw new Error(
            `lab: slot ${slot} is in use by process ${state.owner.pid} (${dir}); stop it or run \`npm run lab:down\``,
          )
        }
        break
      }
      if (state && state.persistent && wanted === undefined && state.nodes.some((n) => isAlive(n.init))) break
      // Stale (or being replaced): move it aside atomically so only one process tears it down, then retry the slot.
      const aside = `${dir}.teardown-${process.pid}-${Date.now()}`
      try {
        renameSync(dir, aside)
      } catch {
        continue
      }
      log(`lab: tearing down the previous lab in slot ${slot}`)
      const moved = readState(aside)
      if (moved) await teardown({...moved, dir: aside}, log)
      rmSync(aside, {recursive: true, force: true})
    }
  }
  throw new Error(`lab: no free lab slot under ${rootDir}`)
}

// ---------------------------------------------------------------------------------------------------------------------
// Mount points the lab had to create in the root filesystem (e.g. /var/lib/neutron). Shared by all labs of a root
// directory, removed when the last lab goes. Removing one while another lab's node is mounted on it would detach
// that node's mount, hence the "last lab" rule.

function mountpointRegistry(rootDir: string): string {
  return join(rootDir, 'created-mountpoints.json')
}

function readRegistry(rootDir: string): string[] {
  try {
    return JSON.parse(readFileSync(mountpointRegistry(rootDir), 'utf8')) as string[]
  } catch {
    return []
  }
}

/** Make sure each directory exists, remembering those that did not. */
export function ensureMountpoints(rootDir: string, dirs: string[]): void {
  const created = new Set(readRegistry(rootDir))
  for (const d of dirs) {
    if (existsSync(d)) continue
    mkdirSync(d, {recursive: true})
    created.add(d)
  }
  writeFileSync(mountpointRegistry(rootDir), `${JSON.stringify([...created].sort(), null, 2)}\n`)
}

/**
 * Mount points in use in any mount namespace on the machine (one mountinfo read per namespace). Someone else (another
 * lab root, another tool) may have mounted on a directory we created; removing it would detach their mount.
 */
function mountedAnywhere(): Set<string> {
  const seen = new Set<string>()
  const points = new Set<string>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ns = readlinkSync(`/proc/${entry}/ns/mnt`)
      if (seen.has(ns)) continue
      seen.add(ns)
      for (const line of readFileSync(`/proc/${entry}/mountinfo`, 'utf8').split('\n')) {
        const point = line.split(' ')[4]
        if (point) points.add(point.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
      }
    } catch {
      /* the process ended while we looked */
    }
  }
  return points
}

function removeMountpointsIfLast(rootDir: string, exceptDir: string, log: (m: string) => void): void {
  const others = listLabs(rootDir).filter((l) => l.dir !== exceptDir && labInUse(l.state))
  if (others.length > 0) return
  const mounted = mountedAnywhere()
  const kept: string[] = []
  // Deepest first, and only when empty and unused: never remove something the lab did not create, that has content,
  // or that some mount namespace still mounts on.
  for (const d of readRegistry(rootDir).sort((a, b) => b.length - a.length)) {
    let real: string
    try {
      real = realpathSync(d)
    } catch {
      continue
    }
    if (mounted.has(d) || mounted.has(real)) {
      log(`lab: left ${d} in place (still a mount point somewhere)`)
      kept.push(d)
      continue
    }
    try {
      rmdirSync(d)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') log(`lab: left ${d} in place (${code})`)
    }
  }
  // What is still mounted on is retried by a later lab's teardown; what has content was not ours to remove.
  if (kept.length > 0) writeFileSync(mountpointRegistry(rootDir), `${JSON.stringify(kept, null, 2)}\n`)
  else rmSync(mountpointRegistry(rootDir), {force: true})
}

export async function linkExists(name: string): Promise<boolean> {
  return (await run(['ip', 'link', 'show', 'dev', name], {timeoutMs: 10_000})).code === 0
}

/**
 * Tear a lab down from its state: SIGKILL each node's PID 1 (the kernel then ends its whole PID namespace, and the
 * node's network and mount namespaces go with their last process, taking the namespaces inside them, veths and bind
 * mounts along), then whatever is left in the root namespace, then the files. Safe to run twice, and from any process.
 */
export async function teardown(state: LabState, log: (m: string) => void = () => undefined): Promise<string[]> {
  const problems: string[] = []
  const procs: ProcRef[] = []
  for (const n of state.nodes) {
    killRef(n.init)
    killRef(n.unshare)
    for (const d of n.daemons) killRef(d)
    procs.push(n.init, n.unshare, ...n.daemons)
  }
  const left = await waitGone(procs, 10_000)
  for (const p of left) problems.push(`process ${p.pid} still running`)

  for (const link of state.rootLinks) {
    // A veth goes by itself once its peer's namespace is destroyed, which the kernel does asynchronously.
    for (let i = 0; link.kind === 'veth' && i < 40 && (await linkExists(link.name)); i++) await sleep(50)
    if (await linkExists(link.name)) await run(['ip', 'link', 'del', 'dev', link.name], {timeoutMs: 10_000})
    if (await linkExists(link.name)) problems.push(`link ${link.name} still present`)
  }

  removeMountpointsIfLast(state.rootDir, state.dir, log)
  rmSync(state.dir, {recursive: true, force: true})
  try {
    if (readdirSync(state.rootDir).length === 0) rmdirSync(state.rootDir)
  } catch {
    /* someone else's files, or already gone */
  }
  for (const p of problems) log(`lab: teardown: ${p}`)
  return problems
}
