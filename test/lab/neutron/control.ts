// TypeScript handle on the Neutron lab of control.sh (issue 4 groundwork), for tests: bring it up, build the demo
// topology, run commands in a node, capture, tear down. All the work is in control.sh; this file only runs it and
// reads what it records ($NLAB_DIR/vms, nodes/<node>/init.pid).

import {spawn} from 'node:child_process'
import {appendFileSync, existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const CONTROL_SH = fileURLToPath(new URL('./control.sh', import.meta.url))
export const INSTALL_SH = fileURLToPath(new URL('./install.sh', import.meta.url))
export const CAPTURE_TS = fileURLToPath(new URL('./capture.ts', import.meta.url))

const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
/** `node --import tsx` resolves tsx from the working directory. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface NeutronLabOptions {
  /** Management subnet 198.18.<slot>.0/24 and link names. Default 200. */
  slot?: number
  /** Compute nodes nlab-cmp1..N besides nlab-ctl. Default 0. */
  computes?: number
  /** Default /tmp/neutrace-nlab<slot>. */
  dir?: string
  /** Tunnel agents (issue 9): `vxlan`, `gre` or `vxlan,gre` (NLAB_TUNNELS); default none (VLAN/flat only). */
  tunnels?: 'vxlan' | 'gre' | 'vxlan,gre'
  /** The demo's networks from control.sh's catalogue (NLAB_NETWORKS); default the VLAN/flat three, or with tunnels
   * the two tunnel ones. */
  networks?: string[]
  /** control.sh feature blocks to switch on (NLAB_FEATURES), e.g. `['sg', 'l3']`. */
  features?: string[]
  /** With tunnels: the l2population driver and the agents' l2_population (NLAB_L2POP). Default true. */
  l2pop?: boolean
}

export interface RunResult {
  stdout: string
  stderr: string
  /** null when killed (timeout). */
  code: number | null
}

export interface NeutronLabVm {
  node: string
  network: string
  portId: string
  mac: string
  ip: string
  /** The VM namespace inside `node` (`ip netns exec` there). */
  netns: string
  instance: string
}

export interface NeutronLabNode {
  name: string
  address: string
  /** PID 1 of the node in the root PID namespace: `nsenter -t PID -m -n -u -p`. */
  initPid: number
}

export interface NeutronLab {
  readonly slot: number
  readonly computes: number
  readonly dir: string
  up(): Promise<void>
  /** The demo networks (two VLAN networks + a flat one unless `networks` says otherwise), two VMs each on different
   * computes, DHCP checked, VM-to-VM ping; returns the VMs. */
  demo(): Promise<NeutronLabVm[]>
  down(): Promise<void>
  nodes(): NeutronLabNode[]
  vms(): NeutronLabVm[]
  exec(node: string, argv: string[], timeoutMs?: number): Promise<RunResult>
  /** The openstack CLI as the lab's admin (stdout). Throws on a non-zero exit. */
  openstack(args: string[]): Promise<string>
  /** `control.sh api …` (api.py: Neutron's REST API, milliseconds where the CLI takes seconds), stdout trimmed. */
  api(args: string[]): Promise<string>
  /** A snapshot of the lab with the real collector (capture.ts, in this process); `out` must not exist. */
  capture(out: string): Promise<void>
  /** `control.sh agent stop|start NODE ovs|dhcp|l3`: stop by PID (waits for the exit), or start and wait until alive
   * (`wait: false`: an agent expected to refuse to start). */
  agent(action: 'stop' | 'start', node: string, kind: 'ovs' | 'dhcp' | 'l3', opts?: {wait?: boolean}): Promise<void>
  /** `control.sh net-add NAME`: one more catalogue network with its two VMs (as demo builds them); returns them. */
  netAdd(name: string): Promise<NeutronLabVm[]>
  /** `control.sh net-del NAME`: delete the network and its VMs (unplugged, ports deleted), wait for its qdhcp to go. */
  netDel(name: string): Promise<void>
  /** `control.sh migrate NETNS NODE`: move a VM to NODE (unplug, binding:host_id, plug), waits until ACTIVE there. */
  migrate(netns: string, node: string): Promise<void>
  /** `control.sh tunnels TYPES`: the OVS agents' tunnel_types (all restarted), e.g. `vxlan,gre` for a GRE network. */
  tunnelTypes(types: 'vxlan' | 'gre' | 'vxlan,gre'): Promise<void>
  /** `control.sh l2pop on|off`: switch l2population in the server and every OVS agent (restarting them). */
  l2pop(on: boolean): Promise<void>
  /** `control.sh vm NODE NETWORK NETNS [nowait]`: one more VM; returns it as recorded in $NLAB_DIR/vms. */
  vm(node: string, network: string, netns: string, opts?: {wait?: boolean}): Promise<NeutronLabVm>
  /** `control.sh sql STATEMENT` on the neutron database, behind the API's back (stdout). */
  sql(statement: string): Promise<string>
  /** `control.sh ini NODE FILE SECTION KEY [VALUE]`: set (or delete, without value) a node's config option (FILE
   * relative to /etc/neutron); takes effect when the agent restarts. */
  ini(node: string, file: string, section: string, key: string, value?: string): Promise<void>
}

/** NEUTRACE_NLAB_TIMING=FILE: a line per command run on the lab and per wait of the tests (`start ms what`) appended
 * to FILE, to see where the Neutron tier's time goes; nothing without it. */
export function nlabTiming(what: string, t0: number): void {
  const file = process.env.NEUTRACE_NLAB_TIMING
  if (file) appendFileSync(file, `${new Date(t0).toISOString()} ${Date.now() - t0} ${what}\n`)
}

/** Run argv with a clean environment plus `env`; never throws for a non-zero exit. */
export function runArgv(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 600_000,
  cwd = REPO_ROOT,
): Promise<RunResult> {
  const t0 = Date.now()
  return new Promise<RunResult>((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env: {PATH: CLEAN_PATH, HOME: '/root', LANG: 'C.UTF-8', ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({stdout: '', stderr: e.message, code: null})
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code})
    })
  }).then((r) => {
    nlabTiming(`run ${r.code} ${argv.slice(1).join(' ').slice(0, 160)}`, t0)
    return r
  })
}

/** Parse $NLAB_DIR/vms: `node network port mac ip netns instance`, one VM a line. */
export function parseVms(text: string): NeutronLabVm[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 7)
    .map(([node, network, portId, mac, ip, netns, instance]) => ({
      node: node!,
      network: network!,
      portId: portId!,
      mac: mac!,
      ip: ip!,
      netns: netns!,
      instance: instance!,
    }))
}

/** Why the Neutron lab cannot run here, or undefined when it can (root, packages installed). */
export function neutronLabUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root'
  if (!existsSync('/usr/bin/neutron-server')) return `Neutron packages missing: run ${INSTALL_SH}`
  return undefined
}

export function neutronLab(opts: NeutronLabOptions = {}): NeutronLab {
  const slot = opts.slot ?? 200
  const computes = opts.computes ?? 0
  const dir = opts.dir ?? `/tmp/neutrace-nlab${slot}`
  const env = {
    NLAB_SLOT: String(slot),
    NLAB_COMPUTES: String(computes),
    NLAB_DIR: dir,
    NLAB_TUNNELS: opts.tunnels ?? '',
    NLAB_L2POP: opts.l2pop === false ? '0' : '1',
    NLAB_NETWORKS: (opts.networks ?? []).join(' '),
    NLAB_FEATURES: (opts.features ?? []).join(' '),
  }
  // up and demo take 1–2 minutes on an idle machine and over 10 on one shared by several labs.
  const control = async (args: string[], what: string, timeoutMs = 1_800_000): Promise<string> => {
    const r = await runArgv([CONTROL_SH, ...args], env, timeoutMs)
    if (r.code !== 0)
      throw new Error(`neutron lab: ${what} failed (${r.code}): ${r.stderr.trim().split('\n').slice(-8).join('\n')}`)
    return r.stdout
  }
  const nodeNames = (): string[] => ['nlab-ctl', ...Array.from({length: computes}, (_, i) => `nlab-cmp${i + 1}`)]
  const lab: NeutronLab = {
    slot,
    computes,
    dir,
    up: async () => void (await control(['up'], 'up')),
    demo: async () => {
      await control(['demo'], 'demo')
      return lab.vms()
    },
    down: async () => void (await control(['down'], 'down')),
    nodes: () =>
      nodeNames().map((name, i) => ({
        name,
        address: `198.18.${slot}.${11 + i}`,
        initPid: Number(readFileSync(join(dir, 'nodes', name, 'init.pid'), 'utf8').trim()),
      })),
    vms: () => (existsSync(join(dir, 'vms')) ? parseVms(readFileSync(join(dir, 'vms'), 'utf8')) : []),
    exec: (node, argv, timeoutMs) => runArgv([CONTROL_SH, 'exec', node, ...argv], env, timeoutMs ?? 60_000),
    openstack: (args) => control(['openstack', ...args], `openstack ${args.join(' ')}`),
    api: async (args) => (await control(['api', ...args], `api ${args.join(' ')}`)).trim(),
    // In this process: a capture per poll of expectDiagnosis, and a Node + tsx start-up each cost seconds on a busy
    // machine.
    capture: async (out) => {
      const {captureLab} = await import('./capture.js')
      const r = await captureLab(out, env)
      if (!r.complete)
        throw new Error(
          `neutron lab: capture ${out} incomplete: ${r.manifest.hosts.map((h) => `${h.name} ${h.status}`).join(', ')}`,
        )
    },
    agent: async (action, node, kind, opts = {}) =>
      void (await control(
        ['agent', action, node, kind, ...(opts.wait === false ? ['nowait'] : [])],
        `agent ${action} ${node} ${kind}`,
      )),
    netAdd: async (name) => {
      await control(['net-add', name], `net-add ${name}`)
      return lab.vms().filter((v) => v.network === name)
    },
    netDel: async (name) => void (await control(['net-del', name], `net-del ${name}`)),
    migrate: async (netns, node) => void (await control(['migrate', netns, node], `migrate ${netns} ${node}`)),
    tunnelTypes: async (types) => void (await control(['tunnels', types], `tunnels ${types}`)),
    l2pop: async (on) => void (await control(['l2pop', on ? 'on' : 'off'], `l2pop ${on ? 'on' : 'off'}`)),
    vm: async (node, network, netns, opts = {}) => {
      await control(
        ['vm', node, network, netns, ...(opts.wait === false ? ['nowait'] : [])],
        `vm ${node} ${network} ${netns}`,
      )
      const vm = lab.vms().find((v) => v.node === node && v.netns === netns)
      if (!vm) throw new Error(`neutron lab: vm ${netns} on ${node} not recorded in ${join(dir, 'vms')}`)
      return vm
    },
    sql: (statement) => control(['sql', statement], 'sql'),
    ini: async (node, file, section, key, value) =>
      void (await control(
        ['ini', node, file, section, key, ...(value === undefined ? [] : [value])],
        `ini ${node} ${file} ${section} ${key}`,
      )),
  }
  return lab
}
