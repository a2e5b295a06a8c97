import {performance} from 'node:perf_hooks'

/** The best of three runs of `fn`, in ms: a busy machine slows a run down, it never makes a linear one quadratic. */
export function bestTimeMs(fn: () => unknown): number {
  let best = Infinity
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    fn()
    best = Math.min(best, performance.now() - t0)
  }
  return best
}
