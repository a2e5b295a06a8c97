// A real OpenSSH sshd for the collector's tests: its own config, host key and authorized client key in a temp dir,
// listening on 127.0.0.1 at a free high port, run in the foreground. Only the pid started here is ever killed.

import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface Sshd {
  port: number
  dir: string
  /** The host's (first) public key line (`ssh-ed25519 AAAA... comment`). */
  hostKeyPub: string
  /** Every host public key line by type (ed25519, rsa, ecdsa). */
  hostKeys: Record<string, string>
  /** Path of the client private key that is authorized. */
  clientKey: string
  stop(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export function keygen(path: string, type = 'ed25519'): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'neutrace-test', '-f', path])
  return readFileSync(`${path}.pub`, 'utf8').trim()
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({host: '127.0.0.1', port})
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** Pids of every process below `root`, parents before children, read from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parent.set(Number(name), ppid)
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const p = queue.shift()!
    for (const [pid, pp] of parent) {
      if (pp === p) {
        out.push(pid)
        queue.push(pid)
      }
    }
  }
  return out
}

function sessionsOf(port: number): number[] {
  const mark = new RegExp(`(^|\\0)SSH_CONNECTION=127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${port}(\\0|$)`)
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (mark.test(readFileSync(`/proc/${name}/environ`, 'latin1'))) out.push(Number(name))
    } catch {
      // exited, or not ours to read
    }
  }
  return out
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function startSshd(opts: {extraConfig?: string; hostKeyTypes?: string[]} = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'neutrace-sshd-'))
  // sshd's privilege separation needs this directory; it is shared system state, so it is created, never removed.
  mkdirSync('/run/sshd', {recursive: true, mode: 0o755})
  const types = opts.hostKeyTypes ?? ['ed25519']
  const hostKeys: Record<string, string> = {}
  for (const type of types) hostKeys[type] = keygen(join(dir, `host_${type}`), type)
  const hostKeyPub = hostKeys[types[0]]
  const clientPub = keygen(join(dir, 'client_ed25519'))
  writeFileSync(join(dir, 'authorized_keys'), `${clientPub}\n`, {mode: 0o600})
  const port = await freePort()
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...types.map((t) => `HostKey ${join(dir, `host_${t}`)}`),
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'LogLevel ERROR',
      opts.extraConfig ?? '',
    ].join('\n') + '\n',
  )
  // As root, sshd gets a mount namespace with an empty home over /root: root's own ~/.bashrc (pyenv init and its
  // rehash lock, here) must not run in every test session. unshare and sh exec, so child.pid is sshd's.
  const home = join(dir, 'home')
  mkdirSync(home, {mode: 0o700})
  const sshdArgv = ['/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')]
  const argv =
    process.getuid?.() === 0
      ? [
          'unshare',
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mount --bind "$1" /root && shift && exec "$@"',
          'sh',
          home,
          ...sshdArgv,
        ]
      : sshdArgv
  const child: ChildProcess = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'ignore', process.env.NT_SSHD_DEBUG ? 'inherit' : 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  let exited = false
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true
      resolve()
    }),
  )
  for (let i = 0; i < 200 && !exited; i++) {
    if (await canConnect(port)) break
    await sleep(50)
  }
  if (exited || !(await canConnect(port))) {
    if (!exited) child.kill('SIGTERM')
    rmSync(dir, {recursive: true, force: true})
    throw new Error(`sshd did not start: ${stderr}`)
  }
  return {
    port,
    dir,
    hostKeyPub,
    hostKeys,
    clientKey: join(dir, 'client_ed25519'),
    async stop() {
      if (!exited && child.pid !== undefined) {
        // Commands a test left hanging belong to this sshd: its descendants, or orphans whose environment names
        // this sshd's port in SSH_CONNECTION (they outlive their session when the client disconnects). TERM first, so
        // that a batch script removes its temporary directory; KILL what is left.
        const left = [...descendants(child.pid).reverse(), ...sessionsOf(port)]
        const signal = (pids: number[], sig: NodeJS.Signals | 0) =>
          pids.filter((pid) => {
            try {
              process.kill(pid, sig)
              return true
            } catch {
              return false // already gone
            }
          })
        let alive = signal(left, 'SIGTERM')
        for (let i = 0; i < 20 && alive.length > 0; i++) {
          await sleep(50)
          alive = signal(alive, 0)
        }
        signal(alive, 'SIGKILL')
        process.kill(child.pid, 'SIGTERM')
      }
      await exit
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** `ssh-keyscan` of the test sshd: a real known_hosts line for [127.0.0.1]:port. */
export function keyscan(port: number): string {
  return execFileSync('ssh-keyscan', ['-p', String(port), '-t', 'ed25519', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString()
}
