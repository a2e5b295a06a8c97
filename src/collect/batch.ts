// Many commands in one round trip: a generated POSIX sh script, fed to `/bin/sh -s` on one channel, runs every command
// of a stage (each argv fully quoted, exactly the argv the per-command path would run, sudo and prefix included) in a
// few parallel workers, each command with its own deadline, and streams back one frame per command as it ends:
//
//   @@NT <nonce> begin <host clock, ns>\n
//   @@NT <nonce> <index> <exit status> <start ns> <end ns> <timed out 0|1> <stdout bytes> <stderr bytes>\n
//   <stdout bytes><stderr bytes>
//   …
//   @@NT <nonce> end\n
//
// Output is kept byte for byte (lengths, not delimiters, frame it). Each command's stdout and stderr go to files in a
// private temporary directory (mktemp -d, mode 0700) until its frame is sent, and the directory is removed when the
// script ends. Nothing in a command's output is ever interpreted as a frame: only lengths decide where one ends.
// The nonce is the client's: a header not carrying it (shell start-up noise before `begin`) is skipped.

import {randomBytes} from 'node:crypto'
import {quoteArg, shellQuote} from './quote.js'
import type {RunOptions, RunResult} from './transport.js'

export interface BatchCommand {
  argv: string[]
  timeoutMs: number
}

/** A transport that can feed a script to `/bin/sh -s` and stream its stdout. */
export interface ScriptRunner {
  runScript(script: string, opts: RunOptions & {onStdout: (chunk: Buffer) => void}): Promise<RunResult>
}

export interface BatchOptions {
  /** Commands running at once on the host. Default 8. */
  workers?: number
  /** Abort everything (host timeout, Ctrl-C): results already received are kept. */
  signal?: AbortSignal
  /** Each command's result as its frame arrives (progress). */
  onResult?: (index: number, result: RunResult) => void
  /** Test hook: a fixed nonce. */
  nonce?: string
}

/** Seconds for sleep(1): whole when possible (POSIX), else with milliseconds (GNU and busybox accept them). */
function seconds(ms: number): string {
  const s = Math.max(ms, 1) / 1000
  return Number.isInteger(s) ? String(s) : s.toFixed(3)
}

/**
 * The script for `commands`. Command i goes to worker i % workers; workers run their commands one after another and
 * report `i rc start end timedout out err` on a FIFO that the main loop reads, sending each frame whole.
 */
export function batchScript(commands: BatchCommand[], nonce: string, workers = 8): string {
  if (!/^[0-9a-f]{16,64}$/.test(nonce)) throw new Error('the batch nonce must be hex')
  const k = Math.max(1, Math.min(workers, commands.length))
  const lanes: string[][] = Array.from({length: k}, () => [])
  commands.forEach((c, i) => lanes[i % k].push(`  run ${i} ${quoteArg(seconds(c.timeoutMs))} ${shellQuote(c.argv)}`))
  const lines = [
    // One brace group: the shell reads all of it before running anything, so no command can read the script.
    '{',
    'exec </dev/null',
    'umask 077',
    `N=${nonce}`,
    // now sets c to the host's clock in ns: /proc/uptime read by the shell itself (10 ms steps, no process), else
    // date (+%N where it has it). Two date processes per command were most of the script's own cost.
    'if read -r c _ </proc/uptime 2>/dev/null && case $c in *[0-9].[0-9][0-9]) true ;; *) false ;; esac; then',
    '  now() { read -r c _ </proc/uptime; c=${c%.*}${c#*.}0000000; }',
    'else',
    '  case $(date +%s%N 2>/dev/null) in',
    "    ''|*[!0-9]*) now() { c=$(date +%s)000000000; } ;;",
    '    *) now() { c=$(date +%s%N); } ;;',
    '  esac',
    'fi',
    't=$(mktemp -d "${TMPDIR:-/tmp}/neutrace.XXXXXXXX") || { echo "neutrace: cannot create a temporary directory" >&2; exit 90; }',
    'W=',
    'cleanup() { [ -n "$W" ] && kill $W 2>/dev/null; rm -rf "$t"; }',
    'trap cleanup EXIT',
    "trap 'exit 129' HUP INT TERM PIPE",
    'mkfifo "$t/q" || { echo "neutrace: cannot create a FIFO in $t" >&2; exit 91; }',
    // Opened for reading and writing, the FIFO never reports end-of-file: the loop below counts the workers instead.
    'exec 4<>"$t/q"',
    // run INDEX SECONDS ARGV...: the command in the background, a watchdog that ends it at its deadline (TERM, then
    // KILL), the watchdog's own sleep ended with it.
    'run() {',
    '  i=$1; d=$2; shift 2',
    '  now; s=$c',
    '  "$@" >"$t/$i.o" 2>"$t/$i.e" &',
    '  p=$!',
    "  ( z=; trap 'kill $z 2>/dev/null; exit 0' TERM",
    '    sleep "$d" & z=$!',
    '    wait $z',
    '    : >"$t/$i.t"; kill -TERM $p 2>/dev/null',
    '    sleep 2 & z=$!',
    '    wait $z; kill -KILL $p 2>/dev/null ) >/dev/null 2>&1 &',
    '  w=$!',
    '  wait $p; rc=$?',
    '  kill -TERM $w 2>/dev/null; wait $w 2>/dev/null',
    '  now; e=$c',
    '  if [ -e "$t/$i.t" ]; then x=1; else x=0; fi',
    '  set -- $(cd "$t" && wc -c "$i.o" "$i.e")',
    '  echo "$i $rc $s $e $x $1 $3" >&3',
    '}',
    `now; printf '@@NT %s begin %s\\n' "$N" "$c"`,
    ...lanes.flatMap((lane) => ['{', ...lane, '  echo done >&3', '} 3>"$t/q" &', 'W="$W $!"']),
    `k=${k}`,
    'while [ $k -gt 0 ] && read -r i rc s e x so se <&4; do',
    '  if [ "$i" = done ]; then k=$((k - 1)); continue; fi',
    `  printf '@@NT %s %s %s %s %s %s %s %s\\n' "$N" "$i" "$rc" "$s" "$e" "$x" "$so" "$se"`,
    '  cat "$t/$i.o" "$t/$i.e"',
    // Emptied, not removed (rm is a process; cleanup removes the directory): the space is given back as before.
    '  : >"$t/$i.o"; : >"$t/$i.e"',
    'done',
    'W=',
    `printf '@@NT %s end\\n' "$N"`,
    'exit 0',
    '}',
    '',
  ]
  return lines.join('\n')
}

interface Frame {
  index: number
  exitCode: number
  startNs: bigint
  endNs: bigint
  timedOut: boolean
  stdout: Buffer
  stderr: Buffer
}

const HEADER_MAX = 256

/** Reads frames out of the script's stdout as it arrives. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0)
  private readonly tag: Buffer
  beginNs?: bigint
  /** Client clock (ms) when the begin line arrived: the anchor for the host's timestamps. */
  beganAt?: number
  ended = false
  /** Set when the stream stops making sense; nothing after it is read. */
  garbled?: string
  private pending?: {header: Omit<Frame, 'stdout' | 'stderr'>; out: number; err: number}

  constructor(
    readonly nonce: string,
    private readonly count: number,
    private readonly onFrame: (f: Frame) => void,
  ) {
    this.tag = Buffer.from(`@@NT ${nonce} `)
  }

  feed(chunk: Buffer): void {
    if (this.ended || this.garbled) return
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    for (;;) {
      if (this.pending) {
        const need = this.pending.out + this.pending.err
        if (this.buf.length < need) return
        const {header, out} = this.pending
        const stdout = Buffer.from(this.buf.subarray(0, out))
        const stderr = Buffer.from(this.buf.subarray(out, need))
        this.buf = this.buf.subarray(need)
        this.pending = undefined
        this.onFrame({...header, stdout, stderr})
        continue
      }
      if (this.beginNs === undefined) {
        // Skip whatever a login script printed before the begin line (it cannot know the nonce).
        const at = this.buf.indexOf(this.tag)
        if (at < 0) {
          if (this.buf.length > this.tag.length) this.buf = this.buf.subarray(this.buf.length - this.tag.length)
          return
        }
        this.buf = this.buf.subarray(at)
      } else if (this.buf.length >= this.tag.length && !this.buf.subarray(0, this.tag.length).equals(this.tag)) {
        return this.stop('a frame does not start where the previous one ended')
      }
      const nl = this.buf.indexOf(0x0a)
      if (nl < 0) {
        if (this.buf.length > HEADER_MAX) this.stop('a frame header is too long')
        return
      }
      const line = this.buf.subarray(this.tag.length, nl).toString('latin1')
      this.buf = this.buf.subarray(nl + 1)
      const f = line.split(' ')
      if (this.beginNs === undefined) {
        if (f[0] !== 'begin' || !/^\d+$/.test(f[1] ?? ''))
          return this.stop(`unexpected first line ${JSON.stringify(line)}`)
        this.beginNs = BigInt(f[1])
        this.beganAt = Date.now()
        continue
      }
      if (f[0] === 'end' && f.length === 1) {
        this.ended = true
        return
      }
      if (f.length !== 7 || !f.every((x) => /^\d+$/.test(x)))
        return this.stop(`bad frame header ${JSON.stringify(line)}`)
      const index = Number(f[0])
      if (index >= this.count) return this.stop(`frame for command ${index} of ${this.count}`)
      this.pending = {
        header: {index, exitCode: Number(f[1]), startNs: BigInt(f[2]), endNs: BigInt(f[3]), timedOut: f[4] === '1'},
        out: Number(f[5]),
        err: Number(f[6]),
      }
    }
  }

  private stop(why: string): void {
    this.garbled = why
    this.buf = Buffer.alloc(0)
  }
}

function batchNonce(): string {
  return randomBytes(16).toString('hex')
}

/**
 * Run `commands` in one script on `runner`. Returns one RunResult per command, in order, or undefined when the script
 * did not start (no /bin/sh, no temporary directory): the caller then runs the commands one by one.
 */
export async function runBatch(
  runner: ScriptRunner,
  commands: BatchCommand[],
  opts: BatchOptions = {},
): Promise<RunResult[] | undefined> {
  if (commands.length === 0) return []
  const nonce = opts.nonce ?? batchNonce()
  const results: (RunResult | undefined)[] = Array.from({length: commands.length})
  const reader = new FrameReader(nonce, commands.length, (f) => {
    const beganAt = reader.beganAt ?? Date.now()
    const startMs = beganAt + Number(f.startNs - reader.beginNs!) / 1e6
    const durationMs = Math.max(0, Math.round(Number(f.endNs - f.startNs) / 1e6))
    const r: RunResult = f.timedOut
      ? {
          stdout: f.stdout,
          stderr: f.stderr,
          exitCode: null,
          durationMs,
          startedAt: new Date(startMs).toISOString(),
          error: `timeout after ${commands[f.index].timeoutMs} ms`,
        }
      : {
          stdout: f.stdout,
          stderr: f.stderr,
          exitCode: f.exitCode,
          durationMs,
          startedAt: new Date(startMs).toISOString(),
        }
    results[f.index] = r
    opts.onResult?.(f.index, r)
  })
  const longest = Math.max(...commands.map((c) => c.timeoutMs))
  const rounds = Math.ceil(commands.length / Math.max(1, opts.workers ?? 8))
  const run = await runner.runScript(batchScript(commands, nonce, opts.workers), {
    // Each command has its own deadline; this one only catches a script that never ends.
    timeoutMs: (longest + 3000) * rounds + 30_000,
    maxOutputBytes: Number.MAX_SAFE_INTEGER,
    ...(opts.signal ? {signal: opts.signal} : {}),
    onStdout: (chunk) => reader.feed(chunk),
  })
  if (reader.beginNs === undefined && !opts.signal?.aborted) return undefined
  const why =
    run.error ??
    reader.garbled ??
    (reader.ended
      ? 'the batch ended without this command'
      : `the batch script ended early (exit status ${run.exitCode ?? '?'}${firstLine(run.stderr)})`)
  const startedAt = new Date().toISOString()
  return results.map(
    (r) =>
      r ?? {stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: null, durationMs: 0, startedAt, error: why},
  )
}

function firstLine(b: Buffer): string {
  const line = b
    .toString('utf8')
    .split('\n')
    .find((l) => l.trim() !== '')
  return line ? `: ${line.trim().slice(0, 200)}` : ''
}
