// Progress of long offline work: reading a snapshot's captures, parsing its hosts, running the analyzers, tracing
// every VM, reading a sosreport. The engine reports stages and units of work; the CLI draws them on a terminal
// (src/cli/work-progress.ts) or nowhere. Reporting costs a function call per unit.

export interface WorkProgress {
  /** A stage begins: `total` units of work (files, hosts, analyzers, VMs). */
  stage(name: string, total: number): void
  /** `n` more units of the current stage done. */
  tick(n?: number): void
  /** All done: the display is cleared. */
  done(): void
}

/** Reports nothing: the default everywhere. */
export const NO_PROGRESS: WorkProgress = {stage() {}, tick() {}, done() {}}

/** Bars are drawn only on a terminal, outside CI, and when the command's output is not JSON (`enabled` false). */
export function drawsProgress(stream: {isTTY?: boolean}, opts: {enabled?: boolean} = {}): boolean {
  return (opts.enabled ?? true) && stream.isTTY === true && !process.env.CI
}
