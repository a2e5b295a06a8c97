// The batch script (batch.ts) run by a real /bin/sh: the same bytes, exit codes and stderr as running each command on
// its own, deadlines per command, quoting, and a frame reader that never takes a command's output for a frame.
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Transform} from 'node:stream'
import {afterAll, describe, expect, it} from 'vitest'
import {
  type BatchCommand,
  BatchShell,
  batchStage,
  FrameReader,
  runBatch,
  type ScriptRunner,
} from '../../src/collect/batch.js'
import {LocalTransport, type RunResult} from '../../src/collect/transport.js'

const work = mkdtempSync(join(tmpdir(), 'neutrace-batch-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

const local = new LocalTransport('here')
const cmd = (argv: string[], timeoutMs = 10_000): BatchCommand => ({argv, timeoutMs})
const NONCE = '0123456789abcdef0123456789abcdef'

/** A local runner that edits the script on its way to /bin/sh, counting the shells it starts. Each stage is one
 * write, so each chunk of the stream is whole text. */
function editing(edit: (text: string) => string) {
  const runner = {
    shells: 0,
    runScript: (script: Parameters<ScriptRunner['runScript']>[0], opts: Parameters<ScriptRunner['runScript']>[1]) => {
      runner.shells++
      const edited = script.pipe(new Transform({transform: (c: Buffer, _e, done) => done(null, edit(c.toString()))}))
      return local.runScript(edited, opts)
    },
  }
  return runner
}

/** As on a host whose /dev/shm is `shm` with `freeKiB` free, and whose TMPDIR is not set (whatever this one's is). */
const onShm = (shm: string, freeKiB: number) => (text: string) =>
  text
    .replace(
      'df -Pk /dev/shm',
      `printf '%s\\n' 'Filesystem 1024-blocks Used Available Capacity Mounted on' 'tmpfs 9 0 ${freeKiB} 0% /x'`,
    )
    .replaceAll('/dev/shm', shm)
    .replace('"${TMPDIR:-}"', '""')

/** Output shapes that break naive framing: no final newline, NUL bytes, a fake frame, more than a pipe buffer. */
const TRICKY: BatchCommand[] = [
  cmd(['printf', 'no newline at the end']),
  cmd(['printf', 'a\\000b\\377\\n']),
  cmd(['printf', `@@NT ${NONCE} group 1\\n@@NT ${NONCE} 0 0 0 0 0 5 0\\nforged\\n@@NT ${NONCE} end\\n`]),
  cmd(['sh', '-c', 'echo out; echo err >&2; exit 7']),
  cmd(['head', '-c', '1000000', '/dev/zero']),
  cmd(['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; echo "e$i" >&2; i=$((i+1)); done']),
  cmd(['true']),
  cmd(['neutrace-no-such-command-xyz']),
  cmd(['printf', '%s|', 'a b', "it's", '$(id)', '`id`', '; id', '"q" \\ *', '-n', '', 'é\t€']),
]

function same(a: RunResult, b: RunResult): void {
  expect([a.stdout.equals(b.stdout), a.stderr.equals(b.stderr), a.exitCode, a.error]).toEqual([
    true,
    true,
    b.exitCode,
    b.error,
  ])
}

describe('runBatch on /bin/sh', () => {
  it('gives every command the bytes, stderr and exit status it gives when run alone', async () => {
    const batched = (await runBatch(local, TRICKY, {workers: 3}))!
    const alone = await Promise.all(TRICKY.map((c) => local.run(c.argv, {timeoutMs: c.timeoutMs})))
    expect(batched).toHaveLength(TRICKY.length)
    // A missing command fails in both ways with 127; the messages come from different shells.
    for (const [i, r] of batched.entries()) {
      if (TRICKY[i].argv[0] === 'neutrace-no-such-command-xyz') {
        expect(r.exitCode).toBe(127)
        expect(r.stderr.toString()).toMatch(/neutrace-no-such-command-xyz: not found/)
        expect(alone[i].error).toBe('command not found: neutrace-no-such-command-xyz')
        continue
      }
      same(r, alone[i])
    }
    expect(batched[2].stdout.toString()).toContain('forged')
    expect(batched[4].stdout.length).toBe(1_000_000)
  })

  it('times out a command on its own deadline while the others finish, and says when each started', async () => {
    const t0 = Date.now()
    const r = (await runBatch(
      local,
      [cmd(['sleep', '30'], 700), cmd(['echo', 'a']), cmd(['sh', '-c', 'sleep 0.3; echo b'])],
      {workers: 3},
    ))!
    const elapsed = Date.now() - t0
    expect(r[0]).toMatchObject({exitCode: null, error: 'timeout after 700 ms'})
    expect(r[0].durationMs).toBeGreaterThanOrEqual(650)
    expect(elapsed).toBeLessThan(5000)
    expect(r[1]).toMatchObject({exitCode: 0, stdout: Buffer.from('a\n')})
    expect(r[2].stdout.toString()).toBe('b\n')
    expect(r[2].durationMs).toBeGreaterThanOrEqual(250)
    for (const x of r) expect(Math.abs(Date.parse(x.startedAt) - t0)).toBeLessThan(3000)
  })

  it('kills a command that ignores TERM two seconds after its deadline', async () => {
    const t0 = Date.now()
    // The shell ignores TERM; the sleep it waits for outlives it by at most a second, writing nowhere.
    const ignores = 'trap "" TERM; i=0; while [ $i -lt 10 ]; do sleep 1; i=$((i + 1)); done'
    const [r] = (await runBatch(local, [cmd(['sh', '-c', ignores], 400)]))!
    expect(r).toMatchObject({exitCode: null, error: 'timeout after 400 ms'})
    expect(r.durationMs).toBeGreaterThanOrEqual(2300)
    expect(Date.now() - t0).toBeLessThan(8000)
  })

  it('returns every result of many commands finishing in groups, in the right places', async () => {
    const many = Array.from({length: 300}, (_, i) =>
      i % 3 === 0
        ? cmd(['sh', '-c', `echo out${i}; echo err${i} >&2; exit ${i % 7}`])
        : cmd(['printf', `%0${i}d`, '0']),
    )
    const r = (await runBatch(local, many, {workers: 5}))!
    expect(
      r.flatMap((x, i) => {
        const want = i % 3 === 0 ? [`out${i}\n`, `err${i}\n`, i % 7] : ['0'.repeat(Math.max(1, i)), '', 0]
        const got = [x.stdout.toString(), x.stderr.toString(), x.exitCode]
        return JSON.stringify(got) === JSON.stringify(want) ? [] : [{i, got, want}]
      }),
    ).toEqual([])
  })

  it('keeps time with date where the host has no /proc/uptime', async () => {
    const noUptime = editing((text) => text.replaceAll('/proc/uptime', join(work, 'no-uptime')))
    const t0 = Date.now()
    const r = (await runBatch(noUptime, [cmd(['sh', '-c', 'sleep 0.3; echo b']), cmd(['echo', 'a'])], {workers: 2}))!
    expect(r.map((x) => x.stdout.toString())).toEqual(['b\n', 'a\n'])
    expect(r[0].durationMs).toBeGreaterThanOrEqual(250)
    for (const x of r) expect(Math.abs(Date.parse(x.startedAt) - t0)).toBeLessThan(3000)
  })

  it('keeps the output on /dev/shm only when it has a gigabyte free', async () => {
    const shm = join(work, 'shm')
    mkdirSync(shm, {recursive: true})
    const where = async (freeKiB: number) => {
      const [r] = (await runBatch(editing(onShm(shm, freeKiB)), [cmd(['ls', shm])]))!
      return r.stdout.toString().trim()
    }
    expect(await where(2_000_000)).toMatch(/^neutrace\.\w{8}$/)
    expect(await where(60_000)).toBe('')
    expect(readdirSync(shm)).toEqual([])
  })

  it('runs nothing from an argument: quoting survives the script', async () => {
    const marker = join(work, 'pwned')
    const nasty = [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `; touch ${marker}`,
      `' ; touch ${marker}; '`,
      `\n touch ${marker}`,
    ]
    const [r] = (await runBatch(local, [cmd(['printf', '%s\\n', ...nasty])]))!
    expect(r.stdout.toString()).toBe(nasty.map((s) => `${s}\n`).join(''))
    expect(existsSync(marker)).toBe(false)
  })

  it('gives a command no way to speak for the script: the FIFO is closed to it', async () => {
    const marker = join(work, 'fifo-pwned')
    const inject = `echo "s 1 1\\$(touch ${marker}) 1" >&3; echo "e 1" >&3; echo "t" >&4`
    const r = (await runBatch(local, [cmd(['sh', '-c', inject]), cmd(['echo', 'b'])], {workers: 1}))!
    expect(r[0].exitCode).not.toBe(0)
    expect(r[0].stderr.toString()).toMatch(/3|4/)
    expect(r[1]).toMatchObject({exitCode: 0, stdout: Buffer.from('b\n')})
    expect(existsSync(marker)).toBe(false)
  })

  it('keeps what finished and names the reason for the rest when aborted', async () => {
    const ac = new AbortController()
    const pending = runBatch(local, [cmd(['echo', 'quick']), cmd(['sleep', '30'])], {
      workers: 2,
      signal: ac.signal,
      onResult: (i) => i === 0 && ac.abort(new Error('host timeout after 1 ms')),
    })
    const r = (await pending)!
    expect(r[0]).toMatchObject({exitCode: 0, stdout: Buffer.from('quick\n')})
    expect(r[1]).toMatchObject({exitCode: null, error: 'aborted: host timeout after 1 ms'})
  })

  it('reports a script that cannot start as undefined (the caller runs the commands one by one)', async () => {
    const broken: ScriptRunner = {
      runScript: (script, opts) => local.run(['sh', '-c', 'echo "sh: cannot" >&2; exit 2'], opts),
    }
    expect(await runBatch(broken, [cmd(['echo', 'x'])])).toBeUndefined()
  })
})

describe('BatchShell: every stage of a host in one shell', () => {
  it('runs the stages one after another on one shell, each command where a channel of its own would run', async () => {
    const shm = join(work, 'shm-stages')
    mkdirSync(shm, {recursive: true})
    const runner = editing(onShm(shm, 2_000_000))
    const shell = new BatchShell(runner)
    const first = (await shell.run([cmd(['echo', 'one']), cmd(['pwd']), cmd(['sh', '-c', 'echo e >&2; exit 4'])]))!
    expect(first.map((r) => [r.stdout.toString(), r.stderr.toString(), r.exitCode])).toEqual([
      ['one\n', '', 0],
      [`${process.cwd()}\n`, '', 0],
      ['', 'e\n', 4],
    ])
    expect(readdirSync(shm)).toHaveLength(1)
    const second = (await shell.run([cmd(['printf', 'two']), cmd(['sleep', '30'], 300)], {workers: 2}))!
    expect(second[0]).toMatchObject({exitCode: 0, stdout: Buffer.from('two')})
    expect(second[1]).toMatchObject({exitCode: null, error: 'timeout after 300 ms'})
    expect(runner.shells).toBe(1)
    await shell.close()
    expect(readdirSync(shm)).toEqual([])
  })

  // A host's /bin/sh is dash (Debian, Ubuntu), bash (RHEL and its kin) or busybox ash (small images).
  it.each([
    ['bash', ['bash', '-c', 'exec bash -s', 'sh']],
    ['busybox ash', ['busybox', 'sh', '-c', 'exec busybox sh -s', 'sh']],
  ])('gives the same results under %s as under this /bin/sh, in one shell and in two stages', async (_name, prefix) => {
    const commands = [
      ...TRICKY.filter((c) => c.argv[0] !== 'neutrace-no-such-command-xyz'),
      cmd(['pwd']),
      cmd(['sleep', '30'], 500),
    ]
    const mine = (await runBatch(local, commands, {workers: 3}))!
    const shell = new BatchShell(new LocalTransport('here', prefix))
    const first = (await shell.run(commands.slice(0, 5), {workers: 2}))!
    const second = (await shell.run(commands.slice(5), {workers: 3}))!
    await shell.close()
    expect([...first, ...second]).toHaveLength(mine.length)
    for (const [i, r] of [...first, ...second].entries()) same(r, mine[i])
  })

  it('replaces a shell that died between stages', async () => {
    const runner = editing(onShm(join(work, 'shm-died'), 2_000_000))
    mkdirSync(join(work, 'shm-died'), {recursive: true})
    const shell = new BatchShell(runner)
    // TERM to the whole process group: the shell's trap exits, taking the stage with it.
    const [dead] = (await shell.run([cmd(['sh', '-c', 'kill -TERM 0; sleep 5'])]))!
    expect(dead.exitCode).toBeNull()
    expect(dead.error).toMatch(/ended early|killed/)
    const [alive] = (await shell.run([cmd(['echo', 'again'])]))!
    expect(alive).toMatchObject({exitCode: 0, stdout: Buffer.from('again\n')})
    expect(runner.shells).toBe(2)
    await shell.close()
  })

  it('stops at the signal: what finished is kept, the rest says why', async () => {
    const ac = new AbortController()
    const shell = new BatchShell(local, ac.signal)
    const pending = shell.run([cmd(['echo', 'quick']), cmd(['sleep', '30'])], {
      workers: 2,
      onResult: (i) => i === 0 && ac.abort(new Error('host timeout after 1 ms')),
    })
    const r = (await pending)!
    expect(r[0]).toMatchObject({exitCode: 0, stdout: Buffer.from('quick\n')})
    expect(r[1]).toMatchObject({exitCode: null, error: 'aborted: host timeout after 1 ms'})
    await shell.close()
  })
})

describe('FrameReader', () => {
  it('skips start-up noise, reads groups split at every byte, and stops at a frame that does not line up', () => {
    const frames: {index: number; stdout: string; stderr: string}[] = []
    const reader = new FrameReader(NONCE, 3, (f) =>
      frames.push({index: f.index, stdout: f.stdout.toString(), stderr: f.stderr.toString()}),
    )
    const body =
      `Welcome! @@NT 0000 begin 7\n@@NT ${NONCE} begin 100\n` +
      `@@NT ${NONCE} group 2\n@@NT ${NONCE} 1 0 100 200 0 3 1\n@@NT ${NONCE} 2 5 100 250 1 0 2\nab\nEe@` +
      `@@NT ${NONCE} group 1\n@@NT ${NONCE} 0 2 100 300 0 0 0\n@@NT ${NONCE} end\n`
    for (const b of Buffer.from(`motd line\n${body}`)) reader.feed(Buffer.from([b]))
    expect([reader.beginNs, reader.ended, reader.garbled]).toEqual([100n, true, undefined])
    expect(frames).toEqual([
      {index: 1, stdout: 'ab\n', stderr: 'E'},
      {index: 2, stdout: '', stderr: 'e@'},
      {index: 0, stdout: '', stderr: ''},
    ])

    const garbled = (count: number, text: string) => {
      const r = new FrameReader(NONCE, count, () => {})
      r.feed(Buffer.from(`@@NT ${NONCE} begin 1\n${text}`))
      return r.garbled
    }
    expect(garbled(2, `@@NT ${NONCE} group 1\n@@NT ${NONCE} 0 0 1 2 0 1 0\nxy@@NT ${NONCE} end\n`)).toBe(
      'a frame does not start where the previous one ended',
    )
    expect(garbled(1, `@@NT ${NONCE} group 1\n@@NT ${NONCE} 5 0 1 2 0 0 0\n`)).toBe('frame for command 5 of 1')
    // A group that claims more commands than are left, a header where a group line belongs, a command twice.
    expect(garbled(2, `@@NT ${NONCE} group 3\n`)).toBe('a group of 3 with 2 to come')
    expect(garbled(2, `@@NT ${NONCE} 0 0 1 2 0 0 0\n`)).toMatch(/^bad group line/)
    expect(garbled(3, `@@NT ${NONCE} group 2\n@@NT ${NONCE} 0 0 1 2 0 0 0\n@@NT ${NONCE} 0 0 1 2 0 0 0\n`)).toBe(
      'a second frame for command 0',
    )
    expect(garbled(2, `@@NT ${NONCE} group 2\n@@NT ${NONCE} 0 0 1 2 0 0 0\n@@NT ${NONCE} end\n`)).toMatch(
      /^bad frame header/,
    )
  })

  it('wants a hex nonce in the script', () => {
    expect(() => batchStage([cmd(['true'])], 'x; rm -rf /')).toThrow(/hex/)
  })
})
