// What the commands share: the snapshot argument, loading with errors a person can act on, exit codes.

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Args, Command, Errors, Flags} from '@oclif/core'
// The engine and the sosreport reader are imported where a snapshot is loaded (load()), not here: every command imports
// this module, and `collect` or `merge` have no use for either (the engine is most of neutrace's modules, with ajv).
import type {Analysis} from '../engine.js'
import type {Role} from '../specs.js'
import {workProgress} from './work-progress.js'

/** Exit codes: 0 all well, 1 the answer is bad (findings at the threshold, a trace that does not arrive, a partial
 * collection), 2 the question could not be answered (usage, unreadable input), 3 neutrace itself failed (a bug). */
export const EXIT = {ok: 0, problem: 1, usage: 2, internal: 3} as const

/** An error that is neither oclif's own (usage, exit) nor an input error becomes one line and exit 3: never exit 1,
 * which means "faults found". */
export function asCliError(error: unknown): Error {
  if (error instanceof InputError) return new Errors.CLIError(error.message, {exit: EXIT.usage})
  if (error instanceof Error && 'oclif' in error) return error
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  const line = what.replace(/\s+/g, ' ').slice(0, 300)
  return new Errors.CLIError(
    `internal error: ${line} — this is a bug in neutrace; please report it with the command you ran and this message`,
    {exit: EXIT.internal},
  )
}

/** The commands' base: every error leaves with the exit status it deserves (see EXIT). */
export abstract class NeutraceCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    return super.catch(asCliError(error) as Error & {exitCode?: number})
  }
}

/** The first positional argument; a command taking it sets `strict = false` and reads every path from `argv`
 * (sources()): one snapshot, or one or more sosreports and folders of them. */
export const snapshotArg = Args.string({
  name: 'SNAPSHOT',
  description:
    'snapshot directory, or one or more sosreports (.tar.xz, .tar.gz, .tar.bz2, .tar or unpacked) and folders of them (default: the shipped seed snapshot)',
  required: false,
})

/** The paths a command was given (its `argv` with `strict = false`). */
export function sources(argv: readonly unknown[]): string[] {
  return argv.map(String)
}

const ROLES: readonly Role[] = ['control', 'network', 'compute']

export const roleFlag = Flags.string({
  description: "with sosreports: a host's roles, HOST=ROLE[,ROLE] (control, network, compute; repeatable)",
  multiple: true,
  multipleNonGreedy: true,
  helpValue: 'HOST=ROLES',
})

/** `--role HOST=ROLE[,ROLE]…` as a map; a malformed one is an input error naming it. */
export function parseRoles(specs: readonly string[] | undefined): Map<string, Role[]> {
  const roles = new Map<string, Role[]>()
  for (const spec of specs ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(spec)
    const list = m?.[2]!.split(',').map((r) => r.trim())
    if (!m || !list!.every((r) => (ROLES as string[]).includes(r)))
      throw new InputError(`--role ${spec}: expected HOST=ROLE[,ROLE] with roles among ${ROLES.join(', ')}`)
    roles.set(m[1]!, list as Role[])
  }
  return roles
}

export const intentFlag = Flags.string({
  description: 'folder of Neutron/Nova intent (API bodies or `openstack … -f json`)',
  helpValue: 'DIR',
})

export class InputError extends Error {}

/** The sosreports among `paths`: every path must be a sosreport or a folder of them when there are several; one path
 * that is neither is a snapshot (none returned). */
async function sosReportsOf(
  paths: readonly string[],
  sosReportsIn: (path: string) => Promise<string[]>,
): Promise<string[]> {
  const reports: string[] = []
  for (const path of paths) {
    const found = await sosReportsIn(path)
    if (!found.length && paths.length > 1)
      throw new InputError(`${path}: not a sosreport nor a folder of them (several paths must all be sosreports)`)
    reports.push(...found)
  }
  return reports
}

/** `snapshot`: a snapshot directory, or sosreports and folders of them (none: the seed). `quiet`: no progress bar (the
 * command's output is JSON); there is none off a terminal anyway. `roles`: hosts' roles (sosreports only). */
export async function load(
  snapshot: string | readonly string[] | undefined,
  intentDir?: string,
  opts: {quiet?: boolean; roles?: ReadonlyMap<string, Role[]>} = {},
): Promise<Analysis> {
  const paths = snapshot === undefined ? [] : typeof snapshot === 'string' ? [snapshot] : snapshot
  const {loadAnalysis, SEED_SNAPSHOT, SnapshotError} = await import('../engine.js')
  // The seed (no path) is no sosreport: the reader is loaded only to look at paths given.
  const sos = paths.length ? await import('../sos/import.js') : undefined
  const progress = workProgress(process.stderr, {enabled: !opts.quiet})
  let scratch: string | undefined
  try {
    const reports = sos ? await sosReportsOf(paths, sos.sosReportsIn) : []
    if (sos && reports.length) {
      // sosreports: imported into a scratch snapshot (the same reading as `neutrace import sos`), removed once read.
      scratch = await mkdtemp(join(tmpdir(), 'neutrace-sos-'))
      const dir = join(scratch, 'snapshot')
      await sos.writeImportedSnapshot(await sos.importSosReports(reports, {roles: opts.roles}), dir)
      const analysis = await loadAnalysis(dir, {intentDir, progress})
      // The scratch directory is gone once read: reports and messages name the sosreports the user gave.
      analysis.snapshot.sosreports = reports
      return analysis
    }
    if (opts.roles?.size) throw new InputError('--role applies to sosreports only (a snapshot records its roles)')
    return await loadAnalysis(paths[0] ?? SEED_SNAPSHOT, {intentDir, progress})
  } catch (error) {
    if (error instanceof SnapshotError || (sos && error instanceof sos.SosImportError))
      throw new InputError(error.message)
    throw error
  } finally {
    progress.done()
    if (scratch) await rm(scratch, {recursive: true, force: true})
  }
}
