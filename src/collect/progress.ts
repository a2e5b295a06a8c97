// One self-overwriting progress line on a terminal; nothing at all in pipes or CI.

import type {WriteStream} from 'node:tty'
import type {CollectProgress} from './collector.js'

export interface ProgressLine {
  onProgress: (e: CollectProgress) => void
  /** Clear the line (call before printing the final result). */
  done: () => void
}

export function formatProgress(e: CollectProgress): string {
  const failed = e.capturesFailed > 0 ? `, ${e.capturesFailed} failed` : ''
  return `collecting: ${e.hostsDone}/${e.hostsTotal} hosts, ${e.capturesDone} captures${failed} — ${e.host} ${e.event}`
}

export function progressLine(stream: NodeJS.WriteStream | WriteStream = process.stderr): ProgressLine {
  const active = stream.isTTY === true && !process.env.CI
  let last = 0
  let shown = false
  return {
    onProgress(e) {
      if (!active) return
      const now = Date.now()
      // Repaint at most ten times a second, but always show a host finishing.
      if (e.event !== 'done' && now - last < 100) return
      last = now
      const width = Math.max(20, (stream.columns ?? 80) - 1)
      stream.write(`\r\x1b[K${formatProgress(e).slice(0, width)}`)
      shown = true
    },
    done() {
      if (active && shown) stream.write('\r\x1b[K')
      shown = false
    },
  }
}
