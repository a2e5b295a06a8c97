// Collection on the issue-3 lab, the first N nodes of one lab (control first), every way an operator could do it:
//   neutrace        collect(): one SSH connection and one shell per host, a script per stage (batch.ts), hosts at once
//   neutrace CLI    `neutrace collect --inventory FILE --out DIR` as a process of its own: the same, plus Node's and
//                   the CLI's start-up (what an operator running the command waits for)
//   per-command     the same with one SSH channel per command (the previous execution model)
//   floor           the same commands (the argv neutrace recorded) run inside every node at once through nsenter: no
//                   SSH, output discarded, both stages in one go — what the commands themselves cost
//   handshakes      `ssh host true` to every node in parallel: one OpenSSH connection each
//   runbook         `ssh host cmd` for every command, hosts in turn (a shell loop)
//   ControlPersist  OpenSSH multiplexing: a master per host, then `ssh host cmd` per command over it, hosts in parallel
// All baselines run the very argv lists neutrace ran, so they do the same work. Each way but the runbook (a minute at
// 11 nodes) runs `repeat` times, the ways taking turns; the row holds the medians and every run.

import {execFile, spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {promisify} from 'node:util'
import {collect, type CollectManifest, type InventoryHost, loadInventory} from '../../src/collect/index.js'
import {shellQuote} from '../../src/collect/quote.js'
import {SPEC_BY_ID} from '../../src/specs.js'
import type {Lab} from '../lab/lab.js'

const run = promisify(execFile)

/** The ways timed more than once, by their key in CollectionRow. */
const REPEATED = ['neutrace', 'cli', 'perCommand', 'floor', 'handshakes', 'controlPersist'] as const
type Repeated = (typeof REPEATED)[number]

export interface CollectionRow {
  nodes: number
  captures: number
  commandsPerHost: number
  /** Medians of the runs (seconds). */
  neutrace: number
  cli: number
  perCommand: number
  floor: number
  handshakes: number
  controlPersist: number
  /** One run. */
  runbook: number
  /** Every run of the repeated ways, in order. */
  runs: Record<Repeated, number[]>
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

/** The hosts as an inventory file the CLI reads (the lab's key and known_hosts, each host's roles). */
function inventoryYaml(hosts: InventoryHost[]): string {
  const lines = ['hosts:']
  for (const h of hosts) {
    lines.push(
      `  ${JSON.stringify(h.name)}:`,
      `    address: ${JSON.stringify(h.address)}`,
      `    port: ${h.port}`,
      `    user: ${JSON.stringify(h.user)}`,
      ...(h.identityFile ? [`    identityFile: ${JSON.stringify(h.identityFile)}`] : []),
      ...(h.knownHostsFile ? [`    knownHostsFile: ${JSON.stringify(h.knownHostsFile)}`] : []),
      `    roles: [${h.roles.join(', ')}]`,
    )
  }
  return `${lines.join('\n')}\n`
}

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'run.js')

const seconds = (t0: number) => (performance.now() - t0) / 1000

async function timed<T>(fn: () => Promise<T>): Promise<{s: number; value: T}> {
  const t0 = performance.now()
  const value = await fn()
  return {s: seconds(t0), value}
}

/** The argv lists a host ran, by stage (host-wide first, then the scoped ones). */
function stagesOf(manifest: CollectManifest, host: string): string[][][] {
  const captures = manifest.hosts.find((h) => h.name === host)?.captures ?? []
  const scope = (spec: string) => SPEC_BY_ID.get(spec as never)?.scope ?? 'host'
  return [
    captures.filter((c) => scope(c.spec) === 'host').map((c) => c.argv),
    captures.filter((c) => scope(c.spec) !== 'host').map((c) => c.argv),
  ]
}

function sh(argv: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore']})
    if (input !== undefined) child.stdin!.end(input)
    child.on('error', reject)
    child.on('close', () => resolve())
  })
}

/** Every command of both stages inside the node at once (all of a stage in the background, then wait). */
function floorScript(stages: string[][][]): string {
  return stages
    .map((cmds) => `${cmds.map((argv) => `${shellQuote(argv)} >/dev/null 2>&1 &`).join('\n')}\nwait\n`)
    .join('')
}

export async function benchCollection(
  lab: Lab,
  sizes: number[],
  repeat: number,
  log: (m: string) => void,
): Promise<CollectionRow[]> {
  const {hosts: all} = await loadInventory(lab.inventoryPath, {sshConfigPath: null})
  const work = await mkdtemp(join(tmpdir(), 'neutrace-bench-collect-'))
  const rows: CollectionRow[] = []
  try {
    for (const n of sizes) {
      const hosts = all.slice(0, n)
      // ssh's arguments (the lab's key and known_hosts, strict host key checking), extra options, the remote command.
      const ssh = (h: InventoryHost, extra: string[], argv: string[]) => [
        ...lab.sshArgv(h.name, []).slice(1, -1),
        ...extra,
        `root@${h.address}`,
        ...(argv.length ? [shellQuote(argv)] : []),
      ]
      const base = {
        hosts,
        handleSigint: false,
        agentSocket: null,
        sshConfigPath: null,
        commandTimeoutMs: 60_000,
        hostTimeoutMs: 600_000,
      }
      // The first neutrace run gives the argv lists every baseline runs.
      let manifest: CollectManifest | undefined
      let collections = 0
      const once = async (execution: 'batch' | 'per-command') => {
        const result = await collect({...base, out: join(work, `c-${n}-${collections++}`), execution})
        if (!result.complete)
          throw new Error(
            `bench: the ${n}-node collection is incomplete: ${JSON.stringify(result.manifest.hosts.map((h) => h.error))}`,
          )
        manifest ??= result.manifest
      }
      const inventory = join(work, `inventory-${n}.yaml`)
      await writeFile(inventory, inventoryYaml(hosts))
      const stages = () => new Map(hosts.map((h) => [h.name, stagesOf(manifest!, h.name)]))
      const ways: Record<Repeated, () => Promise<unknown>> = {
        neutrace: () => once('batch'),
        cli: () =>
          run(
            process.execPath,
            [
              CLI,
              'collect',
              '--inventory',
              inventory,
              '--ssh-config',
              '/dev/null',
              '--out',
              join(work, `c-${n}-${collections++}`),
            ],
            {
              // No agent, as the in-process runs (agentSocket: null): the lab's key only.
              env: {...process.env, SSH_AUTH_SOCK: ''},
            },
          ),
        perCommand: () => once('per-command'),
        floor: () => {
          const lists = stages()
          return Promise.all(
            hosts.map((h) => {
              const node = lab.nodes.find((x) => x.name === h.name)!
              return sh(
                ['nsenter', '-t', String(node.pid), '-m', '-n', '-u', '-p', '--', '/bin/sh', '-s'],
                floorScript(lists.get(h.name)!),
              )
            }),
          )
        },
        handshakes: () => Promise.all(hosts.map((h) => run('ssh', ssh(h, [], ['true'])))),
        controlPersist: () => {
          const lists = stages()
          return Promise.all(
            hosts.map(async (h) => {
              const mux = [
                '-o',
                'ControlMaster=auto',
                '-o',
                `ControlPath=${join(work, `cm-${n}-%C`)}`,
                '-o',
                'ControlPersist=60',
              ]
              try {
                for (const argv of lists.get(h.name)!.flat())
                  await run('ssh', ssh(h, mux, argv), {maxBuffer: 1 << 30}).catch(() => undefined)
              } finally {
                await run('ssh', ssh(h, [...mux, '-O', 'exit'], [])).catch(() => undefined)
              }
            }),
          )
        },
      }
      const runs = Object.fromEntries(REPEATED.map((w) => [w, [] as number[]])) as Record<Repeated, number[]>
      for (let r = 1; r <= repeat; r++) {
        log(`collection: ${n} nodes, run ${r} of ${repeat}: ${REPEATED.join(', ')}`)
        for (const way of REPEATED) runs[way].push((await timed(ways[way])).s)
        // Each run's snapshots go: eleven nodes write a few MB per run.
        await Promise.all(
          Array.from({length: collections}, (_, i) => rm(join(work, `c-${n}-${i}`), {recursive: true, force: true})),
        )
      }
      log(`collection: ${n} nodes: shell runbook (ssh per command, hosts in turn), once`)
      const lists = stages()
      const rb = await timed(async () => {
        for (const h of hosts)
          for (const argv of lists.get(h.name)!.flat())
            await run('ssh', ssh(h, [], argv), {maxBuffer: 1 << 30}).catch(() => undefined)
      })
      const captures = manifest!.hosts.reduce((s, h) => s + h.captures.length, 0)
      const medians = Object.fromEntries(REPEATED.map((w) => [w, median(runs[w])])) as Record<Repeated, number>
      rows.push({nodes: n, captures, commandsPerHost: Math.round(captures / n), ...medians, runbook: rb.s, runs})
    }
  } finally {
    await rm(work, {recursive: true, force: true})
  }
  return rows
}

/** Per call of `ovs-appctl ofproto/trace` on the lab's bridges (each node's own ovs-vswitchd, through its socket). */
export async function benchOfprotoTrace(
  lab: Lab,
  calls: number,
): Promise<{seconds: number; calls: number; bridges: string[]}> {
  const targets: {ctl: string; bridge: string}[] = []
  for (const node of lab.nodes.slice(0, 2)) {
    const dir = lab.nodePath(node.name, '/var/run/openvswitch')
    const {stdout} = await run('sh', ['-c', 'ls "$1"/ovs-vswitchd.*.ctl', 'sh', dir])
    const ctl = stdout.trim().split('\n')[0]
    const {stdout: brs} = await run('ovs-vsctl', [`--db=unix:${join(dir, 'db.sock')}`, 'list-br'])
    for (const bridge of brs.trim().split('\n')) targets.push({ctl, bridge})
  }
  // A DHCPDISCOVER from the bridge's own port (ofproto/trace wants udp_src/udp_dst, not tp_src/tp_dst).
  const flow =
    'in_port=LOCAL,dl_src=fa:16:3e:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0800,nw_src=0.0.0.0,nw_dst=255.255.255.255,nw_proto=17,udp_src=68,udp_dst=67'
  // One warm-up per bridge, then the timed calls.
  for (const t of targets) await run('ovs-appctl', ['-t', t.ctl, 'ofproto/trace', t.bridge, flow])
  const t0 = performance.now()
  for (let i = 0; i < calls; i++) {
    const t = targets[i % targets.length]
    await run('ovs-appctl', ['-t', t.ctl, 'ofproto/trace', t.bridge, flow])
  }
  return {seconds: seconds(t0) / calls, calls, bridges: targets.map((t) => t.bridge)}
}
