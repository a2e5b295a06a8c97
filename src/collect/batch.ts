// Many commands in one round trip: a generated POSIX sh script, written to `/bin/sh -s` on one channel, runs every
// command of a stage (each argv fully quoted, exactly the argv the per-command path would run, sudo and prefix
// included) in a few parallel workers, each command with its own deadline, and streams back the commands' results as
// they end, in groups (every command that has ended by the time a group is sent). One shell serves every stage of a
// host (BatchShell): set up once, then each stage written to its stdin when the collector has it.
//
//   @@NT <nonce> begin <host clock, ns>\n
//   @@NT <nonce> group <K>\n
//   @@NT <nonce> <index> <exit status> <start ns> <end ns> <timed out 0|1> <stdout bytes> <stderr bytes>\n   (K lines)
//   <stdout bytes><stderr bytes> of the first command of the group, then of the second, …
//   …
//   @@NT <nonce> end\n
//
// Output is kept byte for byte (lengths, not delimiters, frame it). Each command's stdout and stderr go to files in a
// private temporary directory (mktemp -d, mode 0700) until its group is sent, and the directory is removed when the
// shell ends. Nothing in a command's output is ever interpreted as a frame: only lengths decide where one ends.
// The nonce is the client's: a header not carrying it (shell start-up noise before `begin`) is skipped.
//
// The script's own processes are what a batch costs beyond the commands (a fork + exec is ~3.5 ms of CPU on a small
// VM, more than many of the commands): per command there is none but the command itself. One `wc -c` and one `cat`
// serve a whole group; deadlines are kept by the main loop, woken by one ticker (a `sleep` every half second) instead
// of a watchdog and its `sleep` per command. A command is sent TERM within half a second (a second where sleep takes
// only whole seconds) after its deadline and KILL two seconds later.

import {randomBytes} from 'node:crypto'
import {PassThrough, type Readable} from 'node:stream'
import {shellQuote} from './quote.js'
import type {RunOptions, RunResult} from './transport.js'

export interface BatchCommand {
  argv: string[]
  timeoutMs: number
}

/** A transport that can feed a stream of script to `/bin/sh -s` and stream its stdout. */
export interface ScriptRunner {
  runScript(script: Readable, opts: RunOptions & {onStdout: (chunk: Buffer) => void}): Promise<RunResult>
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

/** How late a deadline can be noticed: the ticker's period where sleep takes fractions, and a second more. */
const TICK_SLACK_MS = 1500

/**
 * What a shell runs once, before its first stage: the clock, the private directory, the FIFO, the functions and the
 * ticker. Nothing here runs a command of the batch; the shell then waits on its stdin for stages.
 */
export function batchSetup(): string {
  return [
    // One brace group: the shell reads all of it before running anything.
    '{',
    'umask 077',
    // now sets c to the host's clock in ns: /proc/uptime read by the shell itself (10 ms steps, no process), else
    // date (+%N where it has it).
    'if read -r c _ </proc/uptime 2>/dev/null && case $c in *[0-9].[0-9][0-9]) true ;; *) false ;; esac; then',
    '  now() { read -r c _ </proc/uptime; c=${c%.*}${c#*.}0000000; }',
    'else',
    '  case $(date +%s%N 2>/dev/null </dev/null) in',
    "    ''|*[!0-9]*) now() { c=$(date +%s </dev/null)000000000; } ;;",
    '    *) now() { c=$(date +%s%N </dev/null); } ;;',
    '  esac',
    'fi',
    // The commands' output waits in memory where the host has a tmpfs for it: creating a file on ext4 cost more than a
    // process on the lab's VM (inode allocation), and a stage creates three per command. Only a roomy one (1 GiB
    // free; a container's /dev/shm is often 64 MB): a command that runs out of space mid-output may still exit 0.
    'b=/tmp',
    'if [ -n "${TMPDIR:-}" ]; then b=$TMPDIR',
    'elif [ -d /dev/shm ] && [ -w /dev/shm ]; then',
    '  set -- $(df -Pk /dev/shm 2>/dev/null </dev/null)',
    '  [ "${11:-0}" -ge 1048576 ] 2>/dev/null && b=/dev/shm',
    'fi',
    't=$(mktemp -d "$b/neutrace.XXXXXXXX" </dev/null) || { echo "neutrace: cannot create a temporary directory in $b" >&2; exit 90; }',
    'W= T= U=$PWD',
    'cleanup() { [ -n "$W$T" ] && kill $W $T 2>/dev/null; rm -rf "$t" </dev/null; }',
    'trap cleanup EXIT',
    "trap 'exit 129' HUP INT TERM PIPE",
    'mkfifo "$t/q" </dev/null || { echo "neutrace: cannot create a FIFO in $t" >&2; exit 91; }',
    // Opened for reading and writing, the FIFO never reports end-of-file and never blocks a writer's open.
    'exec 4<>"$t/q"',
    // run INDEX DEADLINE-NS ARGV...: the command in the background, announced with its stage, pid and deadline so
    // that the main loop can end it; its result written whole by one echo, then its end announced. The command gets
    // neither end of the FIFO (it cannot speak for the script) and no stdin (the shell's is the client's next stage).
    'run() {',
    '  i=$1; d=$2; shift 2',
    '  now; s=$c',
    '  "$@" >"$t/$S-$i.o" 2>"$t/$S-$i.e" </dev/null 3>&- 4<&- &',
    '  p=$!',
    '  echo "s $S $i $p $((s + d))" >&3',
    '  wait $p; rc=$?',
    '  now',
    '  if [ -e "$t/$S-$i.t" ]; then x=1; else x=0; fi',
    '  echo "$rc $s $c $x" >"$t/$S-$i.h"',
    '  echo "e $S $i" >&3',
    '}',
    // send: the results written so far, lane by lane, as one group: one wc for their sizes, one cat for their bytes.
    'send() {',
    '  g= a=0 l=0',
    '  while [ $l -lt $k ]; do',
    '    eval "j=\\$L$l"',
    '    while [ $j -lt $n ] && [ -s $S-$j.h ] && read -r rc s e x <$S-$j.h; do',
    '      eval "h$j=\\"\\$rc \\$s \\$e \\$x\\""',
    '      g="$g $S-$j.o $S-$j.e" a=$((a + 1)) j=$((j + k))',
    '    done',
    '    eval "L$l=$j"',
    '    l=$((l + 1))',
    '  done',
    '  [ $a -gt 0 ] || return 0',
    '  set -- $(wc -c $g </dev/null)',
    '  H="@@NT $N group $a" ok=1',
    '  for f in $g; do',
    '    [ "$2" = "$f" ] || { ok=; break; }',
    '    case $f in',
    '      *.o) j=${f%.o} j=${j#*-} so=$1 ;;',
    '      *) eval "H=\\"\\$H',
    '@@NT \\$N \\$j \\$h$j \\$so \\$1\\"" ;;',
    '    esac',
    '    shift 2',
    '  done',
    '  [ -n "$ok" ] || { echo "neutrace: wc -c did not list $f" >&2; exit 93; }',
    `  printf '%s\\n' "$H"`,
    '  cat $g </dev/null',
    // Emptied, not removed (rm is a process; cleanup removes the directory): the space is given back as before.
    '  for f in $g; do : >$f; done',
    '  m=$((m + a))',
    '}',
    // tick: TERM to a command past its deadline (marked timed out first), KILL two seconds later; a command whose
    // result is written has ended and is left alone (its pid may be another process's by now).
    'tick() {',
    '  now; r=',
    '  for i in $R; do',
    '    eval "p=\\$P$i d=\\$D$i"',
    '    [ -n "$p" ] && [ ! -e $S-$i.h ] || continue',
    '    r="$r $i"',
    '    [ $c -ge $d ] || continue',
    '    if [ -e $S-$i.t ]; then kill -KILL $p 2>/dev/null; eval "P$i="',
    '    else : >$S-$i.t; kill -TERM $p 2>/dev/null; eval "D$i=$((c + 2000000000))"',
    '    fi',
    '  done',
    '  R=$r',
    '}',
    // The ticker: its sleep's output goes nowhere, so a sleep outliving the shell holds no channel open.
    '( while :; do sleep 0.5 2>/dev/null || sleep 1; echo t >&3; done ) </dev/null >/dev/null 2>&1 3>"$t/q" &',
    'T=$!',
    'cd "$t" || exit 92',
    '}',
    '',
  ].join('\n')
}

/**
 * Stage `stage` of a shell set up by batchSetup(): `commands`, framed with `nonce`. Command i goes to worker lane
 * i % workers; a lane runs its commands one after another, announces each (`s stage index pid deadline`) on the FIFO
 * before waiting for it, writes its result to `stage-index.h` and announces its end (`e stage index`). The main loop
 * reads the FIFO: on a tick it sends, as one group, every command whose result is written, lane by lane in order, and
 * ends the commands past their deadline; the last end sends the rest. Lines of another stage are left alone.
 * Everything the main loop evaluates is a number the script itself made.
 */
export function batchStage(commands: BatchCommand[], nonce: string, stage = 1, workers = 8): string {
  if (!/^[0-9a-f]{16,64}$/.test(nonce)) throw new Error('the batch nonce must be hex')
  if (!Number.isSafeInteger(stage) || stage < 1) throw new Error('the batch stage must be a positive integer')
  const k = Math.max(1, Math.min(workers, commands.length))
  const lanes: string[][] = Array.from({length: k}, () => [])
  commands.forEach((c, i) => {
    const ns = BigInt(Math.max(1, Math.round(c.timeoutMs))) * 1_000_000n
    lanes[i % k].push(`  run ${i} ${ns} ${shellQuote(c.argv)}`)
  })
  return [
    // One brace group: the shell reads all of it before running anything, so no command can read the script.
    '{',
    `S=${stage} N=${nonce} n=${commands.length} k=${k} m=0 z=0 R= W=`,
    Array.from({length: k}, (_, l) => `L${l}=${l}`).join(' '),
    `now; printf '@@NT %s begin %s\\n' "$N" "$c"`,
    // Each lane where the commands of a channel of their own would run: the login directory.
    ...lanes.flatMap((lane) => ['{', '  cd "$U" || :', ...lane, '} </dev/null 3>"$t/q" &', 'W="$W $!"']),
    'while [ $m -lt $n ] && read -r a q b p d <&4; do',
    // Only the script writes to the FIFO; what it evaluates is checked to be numbers all the same.
    '  case $q$b$p$d in *[!0-9]*) continue ;; esac',
    '  case $a in',
    '    s) [ "$q" != "$S" ] || { eval "P$b=$p D$b=$d"; R="$R $b"; } ;;',
    // A group goes out on a tick or when the last command has ended: one wc and one cat per half second, not per end.
    '    e) [ "$q" != "$S" ] || { eval "P$b="; z=$((z + 1)); [ $z -lt $n ] || send; } ;;',
    '    t) send; [ -z "$R" ] || tick ;;',
    '  esac',
    'done',
    'W=',
    `printf '@@NT %s end\\n' "$N"`,
    '}',
    '',
  ].join('\n')
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

type Header = Omit<Frame, 'stdout' | 'stderr'> & {out: number; err: number}

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
  /** Headers of the current group still to come. */
  private headersDue = 0
  /** Headers read whose bytes have not all arrived, in the order the bytes come. */
  private readonly waiting: Header[] = []
  private readonly seen = new Set<number>()

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
      if (this.headersDue === 0 && this.waiting.length > 0) {
        const {out, err, ...header} = this.waiting[0]
        if (this.buf.length < out + err) return
        const stdout = Buffer.from(this.buf.subarray(0, out))
        const stderr = Buffer.from(this.buf.subarray(out, out + err))
        this.buf = this.buf.subarray(out + err)
        this.waiting.shift()
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
      if (nl < this.tag.length) return this.stop('a frame does not start where the previous one ended')
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
      if (this.headersDue > 0) {
        if (f.length !== 7 || !f.every((x) => /^\d{1,30}$/.test(x)))
          return this.stop(`bad frame header ${JSON.stringify(line)}`)
        const index = Number(f[0])
        if (index >= this.count) return this.stop(`frame for command ${index} of ${this.count}`)
        if (this.seen.has(index)) return this.stop(`a second frame for command ${index}`)
        this.seen.add(index)
        this.headersDue--
        this.waiting.push({
          index,
          exitCode: Number(f[1]),
          startNs: BigInt(f[2]),
          endNs: BigInt(f[3]),
          timedOut: f[4] === '1',
          out: Number(f[5]),
          err: Number(f[6]),
        })
        continue
      }
      if (f[0] === 'end' && f.length === 1) {
        this.ended = true
        return
      }
      if (f[0] !== 'group' || f.length !== 2 || !/^[1-9]\d{0,9}$/.test(f[1]))
        return this.stop(`bad group line ${JSON.stringify(line)}`)
      const k = Number(f[1])
      if (k > this.count - this.seen.size)
        return this.stop(`a group of ${k} with ${this.count - this.seen.size} to come`)
      this.headersDue = k
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

/** How long a stage may run before its script is taken for hung: every command's deadline, lane by lane, and more. */
function stageGuardMs(commands: BatchCommand[], workers: number): number {
  const longest = Math.max(...commands.map((c) => c.timeoutMs)) + TICK_SLACK_MS
  const rounds = Math.ceil(commands.length / Math.max(1, workers))
  return (longest + 3000) * rounds + 30_000
}

/** A reader for one stage and the results it fills in as frames arrive. */
function stageReader(commands: BatchCommand[], nonce: string, opts: BatchOptions) {
  const results: (RunResult | undefined)[] = Array.from({length: commands.length})
  const reader: FrameReader = new FrameReader(nonce, commands.length, (f) => {
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
  return {reader, results}
}

/** Every command's result, the missing ones failed with `why`. */
function complete(results: (RunResult | undefined)[], why: string): RunResult[] {
  const startedAt = new Date().toISOString()
  return results.map(
    (r) =>
      r ?? {stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: null, durationMs: 0, startedAt, error: why},
  )
}

function endedEarly(run: RunResult): string {
  return `the batch script ended early (exit status ${run.exitCode ?? '?'}${firstLine(run.stderr)})`
}

/**
 * Run `commands` in a shell of their own on `runner` (one BatchShell stage, then the shell closed). Returns one
 * RunResult per command, in order, or undefined when the script did not start (no /bin/sh, no temporary directory):
 * the caller then runs the commands one by one.
 */
export async function runBatch(
  runner: ScriptRunner,
  commands: BatchCommand[],
  opts: BatchOptions = {},
): Promise<RunResult[] | undefined> {
  const {signal, ...rest} = opts
  const shell = new BatchShell(runner, signal)
  try {
    return await shell.run(commands, rest)
  } finally {
    await shell.close()
  }
}

/** The longest a timer can wait (setTimeout's limit). */
const FOREVER_MS = 2 ** 31 - 1

/**
 * One shell on the host for all the stages of a collection: set up once (its directory, FIFO and ticker), then each
 * stage written to its stdin when the caller has it, on the same channel: one login, one session, one set of the
 * script's own processes per host instead of one per stage. A shell that died, or whose output stopped making sense,
 * is replaced at the next stage.
 */
export class BatchShell {
  private shell?: {input: PassThrough; stop: AbortController; session: Promise<RunResult>; exited?: RunResult}
  private sink: (chunk: Buffer) => void = () => {}
  private stages = 0

  constructor(
    private readonly runner: ScriptRunner,
    private readonly signal?: AbortSignal,
  ) {}

  private open(): NonNullable<BatchShell['shell']> {
    const input = new PassThrough()
    const stop = new AbortController()
    const session = this.runner.runScript(input, {
      // Each stage has its own guard (run); the host's timeout and Ctrl-C come as `signal`.
      timeoutMs: FOREVER_MS,
      maxOutputBytes: Number.MAX_SAFE_INTEGER,
      signal: this.signal ? AbortSignal.any([this.signal, stop.signal]) : stop.signal,
      onStdout: (chunk) => this.sink(chunk),
    })
    const shell: NonNullable<BatchShell['shell']> = {input, stop, session}
    void session.then((r) => (shell.exited = r))
    this.shell = shell
    return shell
  }

  /** Same contract as runBatch, in this shell; the shell's signal is the one that aborts. */
  async run(commands: BatchCommand[], opts: Omit<BatchOptions, 'signal'> = {}): Promise<RunResult[] | undefined> {
    if (commands.length === 0) return []
    const fresh = this.shell === undefined || this.shell.exited !== undefined
    const shell = fresh ? this.open() : this.shell!
    const nonce = opts.nonce ?? batchNonce()
    const {reader, results} = stageReader(commands, nonce, opts)
    const workers = opts.workers ?? 8
    const ms = stageGuardMs(commands, workers)
    const guard = setTimeout(() => shell.stop.abort(new Error(`timeout after ${ms} ms`)), ms)
    await new Promise<void>((resolve) => {
      this.sink = (chunk) => {
        reader.feed(chunk)
        if (reader.ended || reader.garbled !== undefined) resolve()
      }
      void shell.session.then(() => resolve())
      shell.input.write((fresh ? batchSetup() : '') + batchStage(commands, nonce, ++this.stages, workers))
    })
    clearTimeout(guard)
    this.sink = () => {}
    if (reader.ended) return complete(results, 'the batch ended without this command')
    // A stream that stopped making sense cannot be trusted with the next stage either.
    if (reader.garbled !== undefined) shell.stop.abort(new Error(reader.garbled))
    const run = await shell.session
    if (fresh && reader.beginNs === undefined && !this.signal?.aborted) return undefined
    return complete(results, reader.garbled ?? run.error ?? endedEarly(run))
  }

  /** End the shell: its stdin closed, it removes its directory and exits; stopped if it has not within 5 s. */
  async close(): Promise<void> {
    const shell = this.shell
    if (shell === undefined) return
    this.shell = undefined
    shell.input.end()
    const timer = setTimeout(() => shell.stop.abort(new Error('the batch shell did not exit')), 5000)
    await shell.session
    clearTimeout(timer)
  }
}

function firstLine(b: Buffer): string {
  const line = b
    .toString('utf8')
    .split('\n')
    .find((l) => l.trim() !== '')
  return line ? `: ${line.trim().slice(0, 200)}` : ''
}
