// The Neutron tier's labs and the tools its test files share.
//
// useSharedLab(): the ONE Neutron lab of a `vitest run` (the project rule: build each lab once per run and share it
// between test files; restore state after each fault). The first test file that needs it brings it up (after clearing
// what an interrupted run left), every later file of the run reuses it, and the `neutron` project's globalSetup
// (global-setup.ts) tears it down when the run ends. Test files of the Neutron tier hold a lock on it from their
// beforeAll to their afterAll, so two of them never use it at once even when vitest runs files in parallel.
//
// The shared lab is a superset: nlab-ctl + 2 computes, agents with bridge_mappings AND tunnel_types=vxlan, the VLAN
// networks nlab-net1 (1000) and nlab-net2 (1001), the flat nlab-net3 and the VXLAN nlab-tun1 (VNI 101), two VMs each
// on different computes. NEUTRACE_NLAB_SLOT picks its slot (default 204; helpers develop on their own slots);
// NEUTRACE_NLAB_KEEP=1 leaves it up after the run and lets the next run reuse it (fast iteration while writing tests).
//
// How a test file restores the state (README.md, "The shared lab"):
//   - Undo every fault in the test that made it (try/finally), then `await tools.expectDiagnosis([])`: the lab must
//     capture clean again before the next test starts; a failure then stops at that test, it does not cascade.
//   - VMs or ports a test adds stay (they are healthy); networks it adds it deletes.
//   - A test that cannot undo what it did calls `shared.dirty(reason)`: the next test file gets a freshly built lab.
//
// useDemoLab(): a lab of its own for one describe block (up before, down after), for a lab shape the shared one is not.

import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, expect, inject} from 'vitest'
import type {Finding} from '../../../src/analyze/index.js'
import type {MacEntry} from '../../../src/sim/mac-table.js'
import {type Analysis, diagnose, loadAnalysis} from '../../../src/engine.js'
import {
  type NeutronLab,
  neutronLab,
  type NeutronLabOptions,
  type NeutronLabVm,
  nlabTiming,
  type RunResult,
} from './control.js'
import {
  acquireLock,
  KEEP,
  lockPath,
  readSharedState,
  releaseLock,
  sharedLab,
  sharedLabOptions,
  sleep,
  writeState,
} from './shared.js'

export {SHARED_FEATURES, SHARED_LAB_SLOT, SHARED_NETWORKS, VLAN_NETWORKS} from './shared.js'

export interface DemoLab {
  lab: NeutronLab
  vms(): NeutronLabVm[]
  scratch(): string
}

export interface SharedLab extends DemoLab {
  /** This test file could not restore the lab: the next file that uses it gets a freshly built one. */
  dirty(reason: string): void
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The id of this `vitest run`, from global-setup.ts: the shared lab is built once per id. */
    nlabRun: string
  }
}

/** Is the lab of `dir` still running (its VMs recorded, its control node answering)? */
async function labAlive(lab: NeutronLab): Promise<boolean> {
  if (!existsSync(join(lab.dir, 'vms'))) return false
  const r = await lab.exec('nlab-ctl', ['true'], 20_000)
  return r.code === 0
}

/**
 * The shared Neutron lab of this run, for the test file calling it (at the top of its describe block). Throws in the
 * first test when the lab could not be built (every later file of the run fails fast with the same reason).
 */
export function useSharedLab(scratchPrefix = 'nlab-shared-'): SharedLab {
  const lab = sharedLab()
  const options = JSON.stringify(sharedLabOptions())
  let vms: NeutronLabVm[] = []
  let scratch = ''
  let locked = false
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), scratchPrefix))
    const run = inject('nlabRun')
    if (!run) throw new Error('shared Neutron lab: no run id (test/lab/neutron/global-setup.ts did not run)')
    await acquireLock(lockPath(lab), 3_600_000)
    locked = true
    const s = readSharedState(lab)
    if (s?.run === run && s.state === 'failed') throw new Error(`shared Neutron lab could not be built: ${s.reason}`)
    const reusable = s?.state === 'ready' && s.options === options && (s.run === run || KEEP) && (await labAlive(lab))
    if (!reusable) {
      writeState(lab, {run, state: 'starting', options})
      try {
        let t0 = Date.now()
        await lab.down() // a lab left by an interrupted run, or a dirty one
        nlabTiming('shared.down', t0)
        t0 = Date.now()
        await lab.up()
        nlabTiming('shared.up', t0)
        t0 = Date.now()
        await lab.demo()
        nlabTiming('shared.demo', t0)
      } catch (error) {
        writeState(lab, {run, state: 'failed', reason: (error as Error).message, options})
        throw error
      }
    }
    writeState(lab, {run, state: 'ready', options})
    vms = lab.vms()
  }, 1_800_000)
  afterAll(() => {
    if (locked) releaseLock(lockPath(lab))
    if (scratch) rmSync(scratch, {recursive: true, force: true})
  })
  return {
    lab,
    vms: () => vms,
    scratch: () => scratch,
    dirty: (reason) => {
      const s = readSharedState(lab)
      if (s) writeState(lab, {...s, state: 'dirty', reason})
    },
  }
}

export function useDemoLab(opts: NeutronLabOptions, scratchPrefix: string): DemoLab {
  const lab = neutronLab(opts)
  let vms: NeutronLabVm[] = []
  let scratch = ''
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), scratchPrefix))
    await lab.down()
    await lab.up()
    vms = await lab.demo()
  }, 900_000)
  afterAll(async () => {
    await lab.down()
    if (scratch) rmSync(scratch, {recursive: true, force: true})
  }, 300_000)
  return {lab, vms: () => vms, scratch: () => scratch}
}

// ---- tools for the tests: captures, diagnoses, real DHCP clients ------------------------------------------------

export interface Want {
  code: string
  host: string
  element: string | RegExp
}

export function findingLine(f: Finding): string {
  return `${f.severity} ${f.code} ${f.host} ${f.element}`
}

function matches(f: Finding, w: Want): boolean {
  return (
    f.code === w.code &&
    f.host === w.host &&
    (typeof w.element === 'string' ? f.element === w.element : w.element.test(f.element))
  )
}

/** Exactly the wanted errors (each once), no other error, no warning. */
export function isExactly(findings: Finding[], wants: Want[]): boolean {
  const loud = findings.filter((f) => f.severity !== 'info')
  return (
    loud.length === wants.length &&
    wants.every((w) => loud.filter((f) => f.severity === 'error' && matches(f, w)).length === 1)
  )
}

/** The collector's slowest captures of a snapshot (host spec@key ms), slowest first: for failure messages. */
export function captureDurations(analysis: Analysis, top = 15): string {
  const rows = analysis.snapshot.manifest.hosts.flatMap((h) =>
    h.captures.map((c) => ({what: `${h.name} ${c.spec}${c.key !== undefined ? `@${c.key}` : ''}`, c})),
  )
  rows.sort((a, b) => b.c.durationMs - a.c.durationMs)
  const total = rows.reduce((n, r) => n + r.c.durationMs, 0)
  return [
    `collector: ${rows.length} captures, ${total} ms summed; slowest:`,
    ...rows
      .slice(0, top)
      .map(
        (r) =>
          `  ${r.c.durationMs} ms ${r.what}${r.c.exitCode !== 0 ? ` exit ${r.c.exitCode}` : ''}${r.c.error ? ` (${r.c.error})` : ''}`,
      ),
  ].join('\n')
}

/** The pause before poll `n + 1` of a wait on the lab: short at first (most waits end within a few seconds, and a
 * capture takes seconds itself), then every 2 s. */
function pollPause(n: number): number {
  return [250, 500, 1000][n - 1] ?? 2000
}

export interface LabTools {
  /** A capture of the lab, analysed; one taken while an agent rewrites a namespace or file can fail: retried. */
  snapshot(): Promise<Analysis>
  /** Capture until the diagnosis is exactly `wants` (agents take seconds to act), at most `timeoutMs`; then assert it,
   * printing every finding and the collector's per-capture durations when it fails. */
  expectDiagnosis(wants: Want[], timeoutMs?: number): Promise<Analysis>
  /** Poll `check` until it holds (at once, then after pollPause), at most `timeoutMs`; then assert it. */
  until(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>
  /** The VM's real DHCP client (busybox udhcpc): the address it gets, or undefined; `tries` DISCOVERs 1 s apart. */
  lease(vm: NeutronLabVm, tries?: number): Promise<string | undefined>
  /** The full udhcpc result (the `lease ip=… mask=… router=… mtu=…` line on stdout). */
  udhcpc(vm: NeutronLabVm, tries?: number): Promise<RunResult>
  /** Run argv in a node; throws with its stderr on a non-zero exit. */
  run(node: string, argv: string[]): Promise<string>
}

/** The tools on `lab`, captures going to `scratch()` (a function: the scratch directory is made in beforeAll). */
export function labTools(lab: NeutronLab, scratch: () => string): LabTools {
  let captures = 0
  const udhcpcScript = join(lab.dir, 'udhcpc.sh')
  const tools: LabTools = {
    snapshot: async () => {
      for (let attempt = 1; ; attempt++) {
        const out = join(scratch(), `snap-${++captures}`)
        try {
          const t0 = Date.now()
          await lab.capture(out)
          const a = await loadAnalysis(out)
          nlabTiming('snapshot', t0)
          return a
        } catch (error) {
          if (attempt >= 5) throw error
          await sleep(2000)
        } finally {
          rmSync(out, {recursive: true, force: true})
        }
      }
    },
    expectDiagnosis: async (wants, timeoutMs = 90_000) => {
      const t0 = Date.now()
      const deadline = Date.now() + timeoutMs
      let n = 1
      let analysis = await tools.snapshot()
      while (!isExactly(diagnose(analysis), wants) && Date.now() < deadline) {
        await sleep(pollPause(n++))
        analysis = await tools.snapshot()
      }
      nlabTiming(`expectDiagnosis[${wants.map((w) => w.code).join(',')}] x${n}`, t0)
      const findings = diagnose(analysis).filter((f) => f.severity !== 'info')
      const seen = `findings:\n${findings.map((f) => `  ${findingLine(f)}: ${f.message}`).join('\n') || '  none'}\n${captureDurations(analysis)}`
      for (const w of wants)
        expect(
          findings.filter((f) => f.severity === 'error' && matches(f, w)),
          `${w.code} ${w.host} ${w.element}\n${seen}`,
        ).toHaveLength(1)
      expect(
        findings.filter((f) => !wants.some((w) => f.severity === 'error' && matches(f, w))).map(findingLine),
        seen,
      ).toEqual([])
      return analysis
    },
    until: async (what, check, timeoutMs = 90_000) => {
      const t0 = Date.now()
      const deadline = Date.now() + timeoutMs
      let n = 1
      let held = await check()
      while (!held && Date.now() < deadline) {
        await sleep(pollPause(n++))
        held = await check()
      }
      nlabTiming(`until[${what.slice(0, 60)}] x${n}`, t0)
      expect(held, what).toBe(true)
    },
    udhcpc: (vm, tries = 5) =>
      lab.exec(
        vm.node,
        [
          'ip',
          'netns',
          'exec',
          vm.netns,
          'busybox',
          'udhcpc',
          '-i',
          'eth0',
          '-n',
          '-q',
          '-f',
          '-t',
          String(tries),
          '-T',
          '1',
          '-s',
          udhcpcScript,
        ],
        30_000 + tries * 3000,
      ),
    lease: async (vm, tries) => /lease ip=(\S+)/.exec((await tools.udhcpc(vm, tries)).stdout)?.[1],
    run: async (node, argv) => {
      const r = await lab.exec(node, argv)
      if (r.code !== 0) throw new Error(`${node}: ${argv.join(' ')}: ${r.stderr}`)
      return r.stdout
    },
  }
  return tools
}

/**
 * A fault test on the shared lab: `make` makes the fault and asserts what it should; `restore` then always runs (also
 * when `make` failed) and the lab must diagnose clean again. A lab that does not come back clean is marked dirty (the
 * next test file gets a new one) and fails this test, never a later one. Returns that clean capture (a healthy
 * baseline for the test, at no extra capture).
 */
export async function withRestore(
  shared: SharedLab,
  tools: LabTools,
  make: () => Promise<void>,
  restore: () => Promise<void>,
): Promise<Analysis> {
  let failure: unknown
  let clean: Analysis | undefined
  try {
    await make()
  } catch (error) {
    failure = error
  }
  try {
    const t0 = Date.now()
    await restore()
    nlabTiming('withRestore.restore', t0)
    const t1 = Date.now()
    clean = await tools.expectDiagnosis([])
    nlabTiming('withRestore.clean', t1)
  } catch (error) {
    shared.dirty(`not restored: ${(error as Error).message.split('\n')[0]}`)
    if (failure === undefined) failure = error
    else console.error(`restoring the lab failed too: ${(error as Error).message}`)
  }
  if (failure !== undefined || clean === undefined) throw failure
  return clean
}

/** Is the daemon `name` that control.sh recorded for `node` (pids/<name>: root PID and start time) still running? */
export function daemonRunning(lab: NeutronLab, node: string, name: string): boolean {
  try {
    const [pid, start] = readFileSync(join(lab.dir, 'nodes', node, 'pids', name), 'utf8')
      .trim()
      .split(/\s+/)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] === start && fields[0] !== 'Z'
  } catch {
    return false
  }
}

/** `ovs-appctl fdb/show BRIDGE`: ` port  VLAN  MAC                Age` then one entry a line. */
export function parseFdbShow(bridge: string, text: string): MacEntry[] {
  const out: MacEntry[] = []
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s+\d+\s*$/i.exec(line)
    if (m) out.push({bridge, ofport: Number(m[1]), vlan: Number(m[2]), mac: m[3]!.toLowerCase()})
  }
  return out
}
