// A private Open vSwitch for tests: its own ovsdb-server and ovs-vswitchd (userspace datapath), all state under one
// temp dir (OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/OVS_SYSCONFDIR), ovs-vswitchd inside its own network namespace
// (`unshare --net`) so the tap devices it creates never appear in the root namespace. stop() ends only the two
// daemons it started (by the PIDs in its own pidfiles) and removes the temp dir; the namespace dies with ovs-vswitchd.

import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {VlanMode} from '../../src/types.js'

export interface ExecResult {
  stdout: string
  stderr: string
  code: number
}

export interface SandboxPort {
  name: string
  ofport: number
  /** internal (tap device), patch (needs peer), system (an existing device, e.g. one end of a veth pair). */
  type: 'internal' | 'patch' | 'system'
  peer?: string
  tag?: number
  trunks?: number[]
  vlanMode?: VlanMode
}

export interface DatapathPort {
  bridge: string
  name: string
  ofport: number
  /** undefined for patch ports, which have no datapath port. */
  odpPort?: number
}

const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']
const SCHEMA_PATHS = ['/usr/share/openvswitch/vswitch.ovsschema', '/usr/local/share/openvswitch/vswitch.ovsschema']

function findProgram(name: string): string | undefined {
  return SEARCH_PATH.map((d) => join(d, name)).find((p) => existsSync(p))
}

/** Why the sandbox cannot run here, or undefined when it can. */
export function ovsUnavailableReason(): string | undefined {
  for (const prog of [
    'ovs-vswitchd',
    'ovsdb-server',
    'ovsdb-tool',
    'ovs-vsctl',
    'ovs-ofctl',
    'ovs-appctl',
    'unshare',
    'nsenter',
  ]) {
    if (!findProgram(prog)) return `${prog} is not installed`
  }
  if (!SCHEMA_PATHS.some((p) => existsSync(p))) return 'vswitch.ovsschema not found'
  return undefined
}

function run(argv: string[], env: NodeJS.ProcessEnv, input?: string): Promise<ExecResult> {
  const [cmd, ...args] = argv
  if (!cmd) return Promise.reject(new Error('empty argv'))
  return new Promise((resolve) => {
    const child = execFile(cmd, args, {env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({stdout: String(stdout), stderr: String(stderr) || (error && !stderr ? error.message : ''), code})
    })
    if (input !== undefined) child.stdin?.end(input)
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class OvsSandbox {
  private readonly env: NodeJS.ProcessEnv
  private readonly pids: number[] = []
  private stopped = false

  private constructor(readonly dir: string) {
    this.env = {
      PATH: [...SEARCH_PATH, process.env.PATH ?? ''].join(':'),
      OVS_RUNDIR: join(dir, 'run'),
      OVS_DBDIR: join(dir, 'db'),
      OVS_LOGDIR: join(dir, 'log'),
      OVS_SYSCONFDIR: join(dir, 'etc'),
    }
  }

  /** Starts ovsdb-server and ovs-vswitchd; on any failure cleans up and throws with the daemons' logs. */
  static async start(): Promise<OvsSandbox> {
    const reason = ovsUnavailableReason()
    if (reason) throw new Error(`cannot start the OVS sandbox: ${reason}`)
    const sandbox = new OvsSandbox(mkdtempSync(join(tmpdir(), 'neutrace-ovs-')))
    try {
      await sandbox.boot()
      return sandbox
    } catch (error) {
      const logs = sandbox.logs()
      await sandbox.stop()
      throw new Error(`${(error as Error).message}\n${logs}`, {cause: error})
    }
  }

  private async boot(): Promise<void> {
    for (const sub of ['run', 'db', 'log', 'etc/openvswitch']) mkdirSync(join(this.dir, sub), {recursive: true})
    const schema = SCHEMA_PATHS.find((p) => existsSync(p)) as string
    const db = join(this.dir, 'db', 'conf.db')
    await this.run(['ovsdb-tool', 'create', db, schema])
    await this.run([
      'ovsdb-server',
      db,
      `--remote=punix:${join(this.dir, 'run', 'db.sock')}`,
      '--pidfile',
      '--detach',
      '--log-file',
      '--no-chdir',
    ])
    this.pids.push(this.readPid('ovsdb-server'))
    await this.run(['ovs-vsctl', '--no-wait', 'init'])
    // The new network namespace lives exactly as long as ovs-vswitchd does.
    await this.run(['unshare', '--net', '--', 'ovs-vswitchd', '--pidfile', '--detach', '--log-file', '--no-chdir'])
    this.pids.push(this.readPid('ovs-vswitchd'))
  }

  private readPid(daemon: string): number {
    const pid = Number(readFileSync(join(this.dir, 'run', `${daemon}.pid`), 'utf8').trim())
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bad pidfile for ${daemon}`)
    return pid
  }

  private logs(): string {
    return ['ovsdb-server', 'ovs-vswitchd']
      .map((d) => {
        const file = join(this.dir, 'log', `${d}.log`)
        return existsSync(file) ? `--- ${d}.log\n${readFileSync(file, 'utf8').split('\n').slice(-20).join('\n')}` : ''
      })
      .join('\n')
  }

  /** Runs a command against this sandbox's OVS (environment points at its sockets). Never throws. */
  exec(argv: string[], opts: {input?: string; inNetns?: boolean} = {}): Promise<ExecResult> {
    const vswitchd = this.pids[1]
    const full = opts.inNetns && vswitchd ? ['nsenter', '-t', String(vswitchd), '-n', '--', ...argv] : argv
    return run(full, this.env, opts.input)
  }

  /** Like exec, but throws (with stderr) when the command fails; returns stdout. */
  async run(argv: string[], opts: {input?: string; inNetns?: boolean} = {}): Promise<string> {
    const r = await this.exec(argv, opts)
    if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`)
    return r.stdout
  }

  async addBridge(name: string): Promise<void> {
    await this.run([
      'ovs-vsctl',
      '--timeout=30',
      'add-br',
      name,
      '--',
      'set',
      'bridge',
      name,
      'datapath_type=netdev',
      'fail_mode=secure',
    ])
    await this.run(['ovs-ofctl', 'del-flows', name])
  }

  /** A veth pair inside the sandbox's namespace, both ends up (the 2013 int-br-eth2/phy-br-eth2 wiring). */
  async addVethPair(a: string, b: string): Promise<void> {
    await this.run(['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b], {inNetns: true})
    await this.run(['ip', 'link', 'set', a, 'up'], {inNetns: true})
    await this.run(['ip', 'link', 'set', b, 'up'], {inNetns: true})
  }

  async addPort(bridge: string, port: SandboxPort): Promise<void> {
    const portCols: string[] = []
    if (port.tag !== undefined) portCols.push(`tag=${port.tag}`)
    if (port.trunks?.length) portCols.push(`trunks=${port.trunks.join(',')}`)
    if (port.vlanMode) portCols.push(`vlan_mode=${port.vlanMode}`)
    const ifaceCols = [`ofport_request=${port.ofport}`]
    if (port.type !== 'system') ifaceCols.push(`type=${port.type}`)
    if (port.peer) ifaceCols.push(`options:peer=${port.peer}`)
    await this.run([
      'ovs-vsctl',
      '--timeout=30',
      'add-port',
      bridge,
      port.name,
      ...portCols,
      '--',
      'set',
      'interface',
      port.name,
      ...ifaceCols,
    ])
  }

  async addFlows(bridge: string, flows: string[], protocol?: string): Promise<void> {
    const file = join(this.dir, `${bridge}-${Date.now()}.flows`)
    writeFileSync(file, flows.join('\n') + '\n')
    await this.run(['ovs-ofctl', ...(protocol ? ['-O', protocol] : []), 'add-flows', bridge, file])
  }

  dumpFlows(bridge: string, args: string[] = []): Promise<string> {
    return this.run(['ovs-ofctl', ...args, 'dump-flows', bridge])
  }

  /** `ovs-appctl fdb/add`: a static MAC table entry, as if NORMAL had learned it. */
  async fdbAdd(bridge: string, port: string, vlan: number, mac: string): Promise<void> {
    await this.run(['ovs-appctl', 'fdb/add', bridge, port, String(vlan), mac])
  }

  trace(bridge: string, flow: string): Promise<string> {
    return this.run(['ovs-appctl', 'ofproto/trace', bridge, flow])
  }

  async datapathPorts(): Promise<DatapathPort[]> {
    return parseDpifShow(await this.run(['ovs-appctl', 'dpif/show']))
  }

  /** Ends the daemons this sandbox started (by PID) and removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.pids[1]) await this.exec(['ovs-appctl', '-t', 'ovs-vswitchd', 'exit', '--cleanup'])
    if (this.pids[0]) await this.exec(['ovs-appctl', '-t', 'ovsdb-server', 'exit'])
    for (const pid of this.pids) {
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(100)
      if (alive(pid)) process.kill(pid, 'SIGTERM')
      for (let i = 0; i < 20 && alive(pid); i++) await sleep(100)
      if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
    rmSync(this.dir, {recursive: true, force: true})
  }

  /** PIDs of the daemons (for tests that check teardown). */
  get daemonPids(): readonly number[] {
    return this.pids
  }
}

export function isProcessAlive(pid: number): boolean {
  return alive(pid)
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading OVS's answers

/** `ovs-appctl dpif/show`: `    qvo1 2/3: (tap)`, `    int-br-eth2 1/none: (patch: peer=phy-br-eth2)`. */
export function parseDpifShow(text: string): DatapathPort[] {
  const ports: DatapathPort[] = []
  let bridge: string | undefined
  for (const line of text.split('\n')) {
    const br = /^ {2}(\S+):\s*$/.exec(line)
    if (br) {
      bridge = br[1]
      continue
    }
    const port = /^ {4}(\S+) (\d+)\/(\d+|none):/.exec(line)
    if (port && bridge) {
      ports.push({
        bridge,
        name: port[1] as string,
        ofport: Number(port[2]),
        odpPort: port[3] === 'none' ? undefined : Number(port[3]),
      })
    }
  }
  return ports
}

export interface TraceVlan {
  vid: number
  pcp: number
}

export interface TraceOutput {
  odpPort: number
  /** VLAN headers on the packet at that output, outermost first. */
  vlans: TraceVlan[]
}

export interface OvsTrace {
  /** The `Flow:` line as OVS normalised it. */
  flow: string
  /** Bridges the trace went through, in order (`bridge("br-int")` headings). */
  bridges: string[]
  datapathActions: string
  outputs: TraceOutput[]
  dropped: boolean
  /** `Translation failed (...)` when OVS reports one. */
  translationError?: string
}

/** Splits a datapath action list at top-level commas: `push_vlan(vid=1,pcp=0),2,clone(3)` → 3 items. */
export function splitTopLevel(text: string): string[] {
  const items: string[] = []
  let depth = 0
  let current = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      items.push(current)
      current = ''
    } else current += ch
  }
  if (current.trim()) items.push(current)
  return items.map((s) => s.trim()).filter(Boolean)
}

function initialVlans(flowLine: string): TraceVlan[] {
  const vid = /(?:^|[ ,])dl_vlan=(\d+)/.exec(flowLine)
  if (!vid) return []
  const pcp = /(?:^|[ ,])dl_vlan_pcp=(\d+)/.exec(flowLine)
  return [{vid: Number(vid[1]), pcp: pcp ? Number(pcp[1]) : 0}]
}

/** Replays datapath actions: which datapath port got a copy, with which VLAN headers. */
function replay(actions: string, vlans: TraceVlan[], outputs: TraceOutput[]): void {
  let stack = vlans.map((v) => ({...v}))
  for (const item of splitTopLevel(actions)) {
    if (/^\d+$/.test(item)) {
      outputs.push({odpPort: Number(item), vlans: stack.map((v) => ({...v}))})
    } else if (item === 'pop_vlan') {
      stack = stack.slice(1)
    } else if (item.startsWith('push_vlan(')) {
      const vid = /vid=(\d+)/.exec(item)
      const pcp = /pcp=(\d+)/.exec(item)
      stack = [{vid: vid ? Number(vid[1]) : 0, pcp: pcp ? Number(pcp[1]) : 0}, ...stack]
    } else if (item.startsWith('clone(') && item.endsWith(')')) {
      replay(item.slice('clone('.length, -1), stack, outputs)
    }
  }
}

export function parseTraceOutput(text: string): OvsTrace {
  const lines = text.split('\n')
  const flow =
    lines
      .find((l) => l.startsWith('Flow: '))
      ?.slice('Flow: '.length)
      .trim() ?? ''
  const bridges = lines.map((l) => /^\s*bridge\("([^"]+)"\)/.exec(l)?.[1]).filter((b): b is string => b !== undefined)
  const datapathActions =
    lines
      .find((l) => l.startsWith('Datapath actions: '))
      ?.slice('Datapath actions: '.length)
      .trim() ?? ''
  const failed = lines.map((l) => /Translation failed \(([^)]*)\)/.exec(l)?.[1]).find((m) => m !== undefined)
  const outputs: TraceOutput[] = []
  if (datapathActions && datapathActions !== 'drop') replay(datapathActions, initialVlans(flow), outputs)
  return {flow, bridges, datapathActions, outputs, dropped: outputs.length === 0, translationError: failed}
}
