// Collection on the issue-3 lab, the first N nodes of one lab (control first), every way an operator could do it:
//   neutrace        collect(): one SSH connection and one shell per host, a script per stage (batch.ts), hosts at once
//   per-command     the same with one SSH channel per command (the previous execution model)
//   floor           the same commands (the argv neutrace recorded) run inside every node at once through nsenter: no
//                   SSH, output discarded, both stages in one go — what the commands themselves cost
//   handshakes      `ssh host true` to every node in parallel: one OpenSSH connection each
//   runbook         `ssh host cmd` for every command, hosts in turn (a shell loop)
//   ControlPersist  OpenSSH multiplexing: a master per host, then `ssh host cmd` per command over it, hosts in parallel
// All baselines run the very argv lists neutrace ran, so they do the same work.

import {execFile, spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {promisify} from 'node:util'
import {collect, type CollectManifest, type InventoryHost, loadInventory} from '../../src/collect/index.js'
import {shellQuote} from '../../src/collect/quote.js'
import {SPEC_BY_ID} from '../../src/specs.js'
import type {Lab} from '../lab/lab.js'

const run = promisify(execFile)

export interface CollectionRow {
  nodes: number
  captures: number
  commandsPerHost: number
  neutrace: number
  perCommand: number
  floor: number
  handshakes: number
  runbook: number
  controlPersist: number
}

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

export async function benchCollection(lab: Lab, sizes: number[], log: (m: string) => void): Promise<CollectionRow[]> {
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
      log(`collection: ${n} nodes: neutrace`)
      const nt = await timed(() => collect({...base, out: join(work, `nt-${n}`)}))
      if (!nt.value.complete)
        throw new Error(
          `bench: the ${n}-node collection is incomplete: ${JSON.stringify(nt.value.manifest.hosts.map((h) => h.error))}`,
        )
      const manifest = nt.value.manifest
      log(`collection: ${n} nodes: per-command channels`)
      const pc = await timed(() => collect({...base, out: join(work, `pc-${n}`), execution: 'per-command'}))
      const stages = new Map(hosts.map((h) => [h.name, stagesOf(manifest, h.name)]))

      log(`collection: ${n} nodes: local floor (nsenter)`)
      const floor = await timed(() =>
        Promise.all(
          hosts.map((h) => {
            const node = lab.nodes.find((x) => x.name === h.name)!
            return sh(
              ['nsenter', '-t', String(node.pid), '-m', '-n', '-u', '-p', '--', '/bin/sh', '-s'],
              floorScript(stages.get(h.name)!),
            )
          }),
        ),
      )
      log(`collection: ${n} nodes: parallel handshakes`)
      const hs = await timed(() => Promise.all(hosts.map((h) => run('ssh', ssh(h, [], ['true'])))))
      log(`collection: ${n} nodes: ControlPersist fan-out`)
      const cp = await timed(() =>
        Promise.all(
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
              for (const argv of stages.get(h.name)!.flat())
                await run('ssh', ssh(h, mux, argv), {maxBuffer: 1 << 30}).catch(() => undefined)
            } finally {
              await run('ssh', ssh(h, [...mux, '-O', 'exit'], [])).catch(() => undefined)
            }
          }),
        ),
      )
      log(`collection: ${n} nodes: shell runbook (ssh per command, hosts in turn)`)
      const rb = await timed(async () => {
        for (const h of hosts)
          for (const argv of stages.get(h.name)!.flat())
            await run('ssh', ssh(h, [], argv), {maxBuffer: 1 << 30}).catch(() => undefined)
      })
      const captures = manifest.hosts.reduce((s, h) => s + h.captures.length, 0)
      rows.push({
        nodes: n,
        captures,
        commandsPerHost: Math.round(captures / n),
        neutrace: nt.s,
        perCommand: pc.s,
        floor: floor.s,
        handshakes: hs.s,
        runbook: rb.s,
        controlPersist: cp.s,
      })
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
