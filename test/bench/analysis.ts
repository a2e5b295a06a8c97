// Analysis and tracing on generated snapshots (test/support/synth.ts, modern agent flows): control + N-1 computes ×
// V VMs. Generation runs in one process, the measurement in a fresh one, so that its peak RSS is the analysis's own:
//   read + model    loadAnalysis (snapshot read, every parser, actual and reference models)
//   diagnose        every analyzer
//   trace           every VM to its DHCP server and back (`trace --to dhcp`)

import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {pathToFileURL} from 'node:url'
import {writeSynthSnapshot} from '../support/synth.js'

// What users run: the JavaScript tsc built into dist/ (run.ts builds it first), not the sources through tsx.
const DIST = join(import.meta.dirname, '..', '..', 'dist', 'src')
const built = <T>(rel: string): Promise<T> => import(pathToFileURL(join(DIST, rel)).href) as Promise<T>

export interface AnalysisRow {
  hosts: number
  vms: number
  flows: number
  readModelS: number
  diagnoseS: number
  totalS: number
  peakRssMiB: number
  findings: number
  traces: number
  delivered: number
  traceTotalS: number
  traceMsPerVm: number
  peakRssAfterTracesMiB: number
  /** CPU seconds (user + system, every thread of the process): what a loaded machine does not inflate as much. */
  cpu: {readModelS: number; diagnoseS: number; totalS: number; traceMsPerVm: number}
  /** Load average when the measurement started: other work on the machine inflates wall time, not CPU time. */
  loadavg: number[]
}

const rssMiB = () => process.resourceUsage().maxRSS / 1024

/** Flows in the snapshot's dump-flows captures. */
function countFlows(dir: string): number {
  let n = 0
  for (const host of readdirSync(join(dir, 'hosts'))) {
    for (const f of readdirSync(join(dir, 'hosts', host))) {
      if (!f.startsWith('ovs_ofctl_dump_flows@')) continue
      for (const line of readFileSync(join(dir, 'hosts', host, f), 'utf8').split('\n'))
        if (line.includes(' actions=')) n++
    }
  }
  return n
}

async function measure(dir: string, vmsFile: string): Promise<AnalysisRow> {
  const {diagnose, loadAnalysis} = await built<typeof import('../../src/engine.js')>('engine.js')
  const {findVm, trace} = await built<typeof import('../../src/trace/tracer.js')>('trace/tracer.js')
  const vms = JSON.parse(readFileSync(vmsFile, 'utf8')) as string[]
  const cpu = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1e6
  }
  const load = loadavg()
  const t0 = performance.now()
  const c0 = cpu()
  const analysis = await loadAnalysis(dir)
  const t1 = performance.now()
  const c1 = cpu()
  const findings = diagnose(analysis)
  const t2 = performance.now()
  const c2 = cpu()
  const peak = rssMiB()
  let delivered = 0
  for (const uuid of vms) {
    const [target] = findVm(analysis.actual, analysis.reference, uuid)
    if (trace(analysis.actual, analysis.reference, target, 'dhcp').verdict === 'delivered') delivered++
  }
  const t3 = performance.now()
  const c3 = cpu()
  const hosts = readdirSync(join(dir, 'hosts')).length
  return {
    hosts,
    vms: vms.length,
    flows: countFlows(dir),
    readModelS: (t1 - t0) / 1000,
    diagnoseS: (t2 - t1) / 1000,
    totalS: (t2 - t0) / 1000,
    peakRssMiB: peak,
    findings: findings.length,
    traces: vms.length,
    delivered,
    traceTotalS: (t3 - t2) / 1000,
    traceMsPerVm: (t3 - t2) / vms.length,
    peakRssAfterTracesMiB: rssMiB(),
    cpu: {readModelS: c1 - c0, diagnoseS: c2 - c1, totalS: c2 - c0, traceMsPerVm: ((c3 - c2) * 1000) / vms.length},
    loadavg: load,
  }
}

const SELF = import.meta.filename

/** Generate a snapshot of `hosts` hosts (control + computes) × `vmsPerHost` VMs into `dir`; then measure it afresh. */
export function benchAnalysis(dir: string, hosts: number, vmsPerHost: number): AnalysisRow {
  const node = (args: string[]) =>
    execFileSync(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', SELF, ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    })
  node(['generate', dir, String(hosts), String(vmsPerHost)])
  const out = node(['measure', dir, `${dir}.vms.json`])
  return JSON.parse(out.trim().split('\n').pop()!) as AnalysisRow
}

if (process.argv[1] === SELF) {
  const [mode, dir, a, b] = process.argv.slice(2)
  if (mode === 'generate') {
    const synth = await writeSynthSnapshot(dir, {
      computes: Number(a) - 1,
      networks: 8,
      vmsPerHost: Number(b),
      modern: true,
    })
    writeFileSync(`${dir}.vms.json`, JSON.stringify(synth.vms.map((v) => v.uuid)))
  } else {
    console.log(JSON.stringify(await measure(dir, a)))
  }
}
