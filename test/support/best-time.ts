/**
 * The least CPU time (user + system, ms) of three runs of `fn`. CPU time, not wall time: on a busy machine a run waits
 * for a core, which wall time counts and CPU time does not; a quadratic parser burns CPU either way.
 */
export function bestTimeMs(fn: () => unknown): number {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const t0 = process.cpuUsage()
    fn()
    const used = process.cpuUsage(t0)
    best = Math.min(best, (used.user + used.system) / 1000)
  }
  return best
}
