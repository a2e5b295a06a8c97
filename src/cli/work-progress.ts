// Long offline work on a terminal: one cli-progress bar with the stage and its count (`reading captures 812/27500`).
// Nothing in pipes, in CI or for JSON output, and nothing for work that ends within half a second (the seed snapshot
// never shows a bar).

import {createRequire} from 'node:module'
import type {WriteStream} from 'node:tty'
import type * as CliProgress from 'cli-progress'
import {NO_PROGRESS, type WorkProgress, drawsProgress} from '../progress.js'

// cli-progress is required when a bar is drawn (only on a terminal, after QUIET_MS): the bar is made in a synchronous
// tick of long work, where an import() would not resolve in time.
const require = createRequire(import.meta.url)

/** Work shorter than this shows no bar at all. */
const QUIET_MS = 500

export function workProgress(
  stream: NodeJS.WriteStream | WriteStream = process.stderr,
  opts: {enabled?: boolean} = {},
): WorkProgress {
  if (!drawsProgress(stream, opts)) return NO_PROGRESS
  const started = Date.now()
  let bar: CliProgress.SingleBar | undefined
  let name = ''
  let total = 0
  let value = 0
  const show = () => {
    if (!bar) {
      if (Date.now() - started < QUIET_MS) return
      const cliProgress = require('cli-progress') as typeof CliProgress
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: '{stage} {bar} {value}/{total}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      )
      bar.start(total, value, {stage: name.padEnd(18)})
      return
    }
    bar.setTotal(total)
    bar.update(value, {stage: name.padEnd(18)})
  }
  return {
    stage(stage, units) {
      name = stage
      total = Math.max(1, units)
      value = 0
      show()
    },
    tick(n = 1) {
      value = Math.min(total, value + n)
      show()
    },
    done() {
      bar?.stop()
    },
  }
}
