// Progress on a terminal (cli-progress): one bar for the whole collection and one per host being collected, with its
// stage (connecting, host-wide commands, per bridge / namespace / file / pid commands). Nothing at all in pipes, in
// CI, or when the command's output is JSON.

import {createRequire} from 'node:module'
import type {WriteStream} from 'node:tty'
import type * as CliProgress from 'cli-progress'
import {drawsProgress} from '../progress.js'
import {escapeTerminal} from '../render/escape.js'
import type {CollectProgress} from './collector.js'

export interface ProgressLine {
  onProgress: (e: CollectProgress) => void
  /** Clear the bars (call before printing the final result). */
  done: () => void
}

/** One line in words, for logs and tests. */
export function formatProgress(e: CollectProgress): string {
  const failed = e.capturesFailed > 0 ? `, ${e.capturesFailed} failed` : ''
  return `collecting: ${e.hostsDone}/${e.hostsTotal} hosts, ${e.capturesDone} captures${failed} — ${e.host} ${e.event}`
}

/** What a host is doing, in a few words. */
function stageLabel(e: CollectProgress): string {
  if (e.event === 'connecting') return 'connecting'
  if (e.event === 'done') return e.status ?? 'done'
  return e.stage === 2 ? 'per bridge/netns/file/pid' : 'host-wide commands'
}

// cli-progress is required when bars are drawn (on a terminal), not in pipes or CI, where none are.
const require = createRequire(import.meta.url)

/** Host bars shown at once; the others still count in the total. */
const MAX_HOST_BARS = 8

export function progressLine(
  stream: NodeJS.WriteStream | WriteStream = process.stderr,
  opts: {enabled?: boolean} = {},
): ProgressLine {
  if (!drawsProgress(stream, opts)) return {onProgress: () => {}, done: () => {}}
  const cliProgress = require('cli-progress') as typeof CliProgress
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: '{name} {bar} {value}/{total} {what}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      autopadding: true,
      fps: 10,
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? String(v).padStart(4) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  )
  let total: CliProgress.SingleBar | undefined
  const hosts = new Map<string, CliProgress.SingleBar>()
  // Names come from inventories: escaped for the terminal, never wider than their column.
  const label = (name: string) => {
    const safe = escapeTerminal(name)
    return safe.length > 20 ? `${safe.slice(0, 19)}…` : safe.padEnd(20)
  }
  return {
    onProgress(e) {
      total ??= bars.create(e.hostsTotal, 0, {name: label('all hosts'), what: ''})
      const failed = e.capturesFailed > 0 ? `, ${e.capturesFailed} failed` : ''
      total.update(e.hostsDone, {what: `hosts — ${e.capturesDone} captures${failed}`})
      let bar = hosts.get(e.host)
      if (e.event === 'done') {
        if (bar) {
          bars.remove(bar)
          hosts.delete(e.host)
        }
        return
      }
      if (!bar) {
        if (hosts.size >= MAX_HOST_BARS) return
        bar = bars.create(1, 0, {name: label(e.host), what: ''})
        hosts.set(e.host, bar)
      }
      if (e.stageTotal !== undefined) bar.setTotal(Math.max(1, e.stageTotal))
      bar.update(e.stageDone ?? 0, {what: stageLabel(e)})
    },
    done() {
      bars.stop()
    },
  }
}
