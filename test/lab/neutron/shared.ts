// The shared Neutron lab's identity and bookkeeping (see suite.ts): its options, the state file saying which run built
// it, and the lock a test file holds while it uses it. No vitest import: global-setup.ts uses it in the main process.

import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {type NeutronLab, neutronLab, type NeutronLabOptions} from './control.js'

/** The networks of the shared lab, from control.sh's catalogue. */
export const SHARED_NETWORKS = ['nlab-net1', 'nlab-net2', 'nlab-net3', 'nlab-tun1']
/** The VLAN and flat networks of the shared lab (the issue-4 demo). */
export const VLAN_NETWORKS = ['nlab-net1', 'nlab-net2', 'nlab-net3']
/** control.sh feature blocks the shared lab switches on (sg, l3, ... add themselves here). */
export const SHARED_FEATURES: string[] = ['l3']

export const SHARED_LAB_SLOT = Number(process.env.NEUTRACE_NLAB_SLOT ?? 204)
export const KEEP = process.env.NEUTRACE_NLAB_KEEP === '1'

export function sharedLabOptions(): NeutronLabOptions {
  return {
    slot: SHARED_LAB_SLOT,
    computes: 2,
    tunnels: 'vxlan',
    networks: SHARED_NETWORKS,
    features: SHARED_FEATURES,
  }
}

/** The shared lab's handle (not brought up: useSharedLab does that). */
export function sharedLab(): NeutronLab {
  return neutronLab(sharedLabOptions())
}

export interface SharedState {
  run: string
  state: 'starting' | 'ready' | 'failed' | 'dirty'
  /** What went wrong (failed) or why it must be rebuilt (dirty). */
  reason?: string
  /** The options it was built with: a lab built otherwise is rebuilt. */
  options: string
}

export const sharedStatePath = (lab: NeutronLab): string => `${lab.dir}.shared.json`
export const lockPath = (lab: NeutronLab): string => `${lab.dir}.lock`

export function readSharedState(lab: NeutronLab): SharedState | undefined {
  try {
    return JSON.parse(readFileSync(sharedStatePath(lab), 'utf8')) as SharedState
  } catch {
    return undefined
  }
}
export const writeState = (lab: NeutronLab, s: SharedState): void =>
  writeFileSync(sharedStatePath(lab), JSON.stringify(s) + '\n')

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A lock directory holding the owner's PID; taken over when its owner is gone. */
export async function acquireLock(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      mkdirSync(path)
      writeFileSync(join(path, 'pid'), String(process.pid))
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    let owner = NaN
    try {
      owner = Number(readFileSync(join(path, 'pid'), 'utf8'))
    } catch {
      // being written: look again
    }
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) rmSync(path, {recursive: true, force: true})
    if (Date.now() > deadline) throw new Error(`shared Neutron lab: ${path} still held by PID ${owner}`)
    await sleep(1000)
  }
}

export function releaseLock(path: string): void {
  try {
    if (Number(readFileSync(join(path, 'pid'), 'utf8')) === process.pid) rmSync(path, {recursive: true, force: true})
  } catch {
    // not ours, or gone
  }
}
