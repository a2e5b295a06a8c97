// What the commands share: the snapshot argument, loading with errors a person can act on, exit codes.

import {Args, Flags} from '@oclif/core'
import {type Analysis, loadAnalysis, SEED_SNAPSHOT, SnapshotError} from '../engine.js'

/** Exit codes: 0 all well, 1 the answer is bad (findings at the threshold, a trace that does not arrive, a partial
 * collection), 2 the question could not be answered (usage, unreadable input). */
export const EXIT = {ok: 0, problem: 1, usage: 2} as const

export const snapshotArg = Args.string({
  name: 'SNAPSHOT',
  description: 'snapshot directory (default: the shipped seed snapshot)',
  required: false,
})

export const intentFlag = Flags.string({description: 'folder of Neutron/Nova intent (API bodies or `openstack … -f json`)', helpValue: 'DIR'})

export class InputError extends Error {}

export async function load(snapshot: string | undefined, intentDir?: string): Promise<Analysis> {
  try {
    return await loadAnalysis(snapshot ?? SEED_SNAPSHOT, {intentDir})
  } catch (error) {
    if (error instanceof SnapshotError) throw new InputError(error.message)
    throw error
  }
}
