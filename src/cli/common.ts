// What the commands share: the snapshot argument, loading with errors a person can act on, exit codes.

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Args, Command, Errors, Flags} from '@oclif/core'
import {type Analysis, loadAnalysis, SEED_SNAPSHOT, SnapshotError} from '../engine.js'
import {importSosReports, SosImportError, sosReportsIn, writeImportedSnapshot} from '../sos/import.js'
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

export const snapshotArg = Args.string({
  name: 'SNAPSHOT',
  description:
    'snapshot directory, a sosreport (.tar.xz, .tar.gz, .tar.bz2, .tar or unpacked) or a folder of sosreports (default: the shipped seed snapshot)',
  required: false,
})

export const intentFlag = Flags.string({
  description: 'folder of Neutron/Nova intent (API bodies or `openstack … -f json`)',
  helpValue: 'DIR',
})

export class InputError extends Error {}

/** `quiet`: no progress bar (the command's output is JSON); there is none off a terminal anyway. */
export async function load(
  snapshot: string | undefined,
  intentDir?: string,
  opts: {quiet?: boolean} = {},
): Promise<Analysis> {
  const progress = workProgress(process.stderr, {enabled: !opts.quiet})
  let scratch: string | undefined
  try {
    const reports = snapshot === undefined ? [] : await sosReportsIn(snapshot)
    if (reports.length) {
      // sosreports: imported into a scratch snapshot (the same reading as `neutrace import sos`), removed once read.
      scratch = await mkdtemp(join(tmpdir(), 'neutrace-sos-'))
      const dir = join(scratch, 'snapshot')
      await writeImportedSnapshot(await importSosReports(reports), dir)
      return await loadAnalysis(dir, {intentDir, progress})
    }
    return await loadAnalysis(snapshot ?? SEED_SNAPSHOT, {intentDir, progress})
  } catch (error) {
    if (error instanceof SnapshotError || error instanceof SosImportError) throw new InputError(error.message)
    throw error
  } finally {
    progress.done()
    if (scratch) await rm(scratch, {recursive: true, force: true})
  }
}
