// npm run bench — neutrace beside what an operator would use instead, measured in the same run; prints tables with
// the ratios and writes the same numbers as JSON (--out). Passes or fails on nothing.
//
//   npm run bench                                         everything, default sizes
//   npm run bench -- --only parse --flows 10000,100000   one part, other sizes
//
// Parts: collect (the lab: needs root; 3, 6 and 11 nodes are the first N nodes of one 11-node lab), parse, analysis
// (generated snapshots), trace (rides on the analysis snapshots; ofproto/trace on the lab's bridges).
// What the baselines need (openssh-client, python3-openvswitch) is installed by test/lab/deps.sh.

import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {type Lab, labUnavailableReason, startLab} from '../lab/lab.js'
import {type AnalysisRow, benchAnalysis} from './analysis.js'
import {benchCollection, benchOfprotoTrace, type CollectionRow} from './collect.js'
import {type ParseTimes, timeParse, writeFlowDump} from './parse.js'

const {values: flags} = parseArgs({
  options: {
    only: {type: 'string', default: 'collect,parse,analysis,trace'},
    nodes: {type: 'string', default: '3,6,11'},
    flows: {type: 'string', default: '10000,100000,1000000'},
    'ofp-max': {type: 'string', default: '20000'},
    repeat: {type: 'string', default: '3'},
    hosts: {type: 'string', default: '50,200,500'},
    vms: {type: 'string', default: '40'},
    'ofproto-calls': {type: 'string', default: '40'},
    out: {type: 'string', default: 'bench-result.json'},
  },
})

const list = (s: string) =>
  s
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((n) => Number.isFinite(n) && n > 0)
const parts = new Set(flags.only.split(',').map((s) => s.trim()))
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '—')

function table(title: string, head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)))
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  console.log(
    `\n${title}\n${line(head)}\n|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  )
  for (const r of cells.slice(1)) console.log(line(r))
}

interface Result {
  startedAt: string
  machine: {cpus: number; model: string; node: string; loadavg: number[]}
  collection?: (CollectionRow & {
    vsFloorPlusHandshakes: number
    controlPersistOverNeutrace: number
    controlPersistOverCli: number
    runbookOverNeutrace: number
  })[]
  parsing?: {
    flows: number
    bytes: number
    /** The median run of each tool (by CPU time), and every run. */
    neutrace: ParseTimes
    ofp: ParseTimes
    split: ParseTimes
    /** The one-pass floor: every character once, one small object per line (parse.ts). */
    scan: ParseTimes
    runs: {neutrace: ParseTimes[]; ofp: ParseTimes[]; split: ParseTimes[]; scan: ParseTimes[]}
    /** Wall-clock µs per flow of the median runs. */
    usPerFlow: {neutrace: number; ofp: number; split: number; scan: number}
    /** CPU µs per flow: the least and the median of the runs. */
    cpuUsPerFlow: {neutrace: MinMedian; ofp: MinMedian; split: MinMedian; scan: MinMedian}
    /** On the median CPU times. */
    ofpOverNeutrace: number
    neutraceOverSplit: number
    /** The most any parser that makes an object per line could be faster than ovs.flow.ofp, here. */
    ofpOverScan: number
    loadavg: number[]
  }[]
  analysis?: (AnalysisRow & {growthFromPrevious?: number})[]
  tracing?: {
    msPerVm: {hosts: number; ms: number}[]
    meanMsPerVm: number
    ofprotoTraceMsPerCall?: number
    callsReplaced: number
    ratio?: number
    bridges?: string[]
  }
  notes: string[]
}

interface MinMedian {
  min: number
  median: number
}

/** The least and the median CPU µs per flow of repeated runs, and the median run itself. */
function summarise(runs: ParseTimes[]): {cpu: MinMedian; median: ParseTimes} {
  const us = (t: ParseTimes) => ((t.cpuSeconds ?? t.seconds) / t.flows) * 1e6
  const sorted = [...runs].sort((a, b) => us(a) - us(b))
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!
  return {cpu: {min: us(sorted[0]!), median: us(median)}, median}
}

/** The numbers so far, after every part: a long run cut short still leaves them. */
function save(result: Result): void {
  writeFileSync(flags.out, `${JSON.stringify(result, null, 2)}\n`)
}

async function main(): Promise<void> {
  const result: Result = {
    startedAt: new Date().toISOString(),
    machine: {cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, loadavg: loadavg()},
    notes: [],
  }
  console.log(
    `neutrace bench — ${result.machine.cpus} × ${result.machine.model}, node ${result.machine.node}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  )
  log('building dist/ (the parse, analysis and trace workers run the built JavaScript)')
  execFileSync(
    process.execPath,
    [
      join(import.meta.dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(import.meta.dirname, '..', '..', 'tsconfig.json'),
    ],
    {stdio: 'inherit'},
  )
  let lab: Lab | undefined
  const work = await mkdtemp(join(tmpdir(), 'neutrace-bench-'))
  try {
    const needLab = parts.has('collect') || parts.has('trace')
    const why = needLab ? labUnavailableReason() : undefined
    if (why) result.notes.push(`no lab: ${why}; collection and ofproto/trace skipped`)
    else if (needLab) {
      const nodes = parts.has('collect') ? Math.max(...list(flags.nodes)) : 3
      log(`starting a lab of ${nodes} nodes`)
      lab = await startLab({computeNodes: nodes - 1}, {log})
    }

    if (parts.has('collect') && lab) {
      const rows = await benchCollection(lab, list(flags.nodes), Number(flags.repeat), log)
      result.collection = rows.map((r) => ({
        ...r,
        vsFloorPlusHandshakes: r.neutrace / (r.floor + r.handshakes),
        controlPersistOverNeutrace: r.controlPersist / r.neutrace,
        controlPersistOverCli: r.controlPersist / r.cli,
        runbookOverNeutrace: r.runbook / r.neutrace,
      }))
      save(result)
      table(
        `Collection (seconds, medians of ${flags.repeat} runs, the runbook once; lab nodes over SSH)`,
        [
          'nodes',
          'captures',
          'neutrace',
          'CLI',
          'per-command',
          'floor',
          'handshakes',
          'runbook',
          'ControlPersist',
          'neutrace/(floor+hs)',
          'CP/neutrace',
          'CP/CLI',
          'runbook/neutrace',
        ],
        result.collection.map((r) => [
          r.nodes,
          r.captures,
          fmt(r.neutrace),
          fmt(r.cli),
          fmt(r.perCommand),
          fmt(r.floor),
          fmt(r.handshakes),
          fmt(r.runbook),
          fmt(r.controlPersist),
          fmt(r.vsFloorPlusHandshakes),
          fmt(r.controlPersistOverNeutrace, 1),
          fmt(r.controlPersistOverCli, 1),
          fmt(r.runbookOverNeutrace, 1),
        ]),
      )
    }

    if (parts.has('parse')) {
      result.parsing = []
      const ofpMax = Number(flags['ofp-max'])
      for (const n of list(flags.flows)) {
        const file = join(work, `flows-${n}.txt`)
        log(`parsing: generating ${n} flows`)
        const {bytes} = writeFlowDump(file, n)
        log(`parsing: ${n} flows: neutrace, read+split, one pass, ovs.flow.ofp (at most ${ofpMax})`)
        const load = loadavg()
        const runs = {
          neutrace: [] as ParseTimes[],
          split: [] as ParseTimes[],
          scan: [] as ParseTimes[],
          ofp: [] as ParseTimes[],
        }
        for (let i = 0; i < Math.max(1, Number(flags.repeat)); i++) {
          runs.neutrace.push(timeParse('neutrace', file, n))
          runs.split.push(timeParse('split', file, n))
          runs.scan.push(timeParse('scan', file, n))
          runs.ofp.push(timeParse('ofp', file, Math.min(n, ofpMax)))
        }
        const [neutrace, split, scan, ofp] = [runs.neutrace, runs.split, runs.scan, runs.ofp].map(summarise)
        const us = (t: ParseTimes) => (t.seconds / t.flows) * 1e6
        result.parsing.push({
          flows: n,
          bytes,
          neutrace: neutrace!.median,
          ofp: ofp!.median,
          split: split!.median,
          scan: scan!.median,
          runs,
          usPerFlow: {
            neutrace: us(neutrace!.median),
            ofp: us(ofp!.median),
            split: us(split!.median),
            scan: us(scan!.median),
          },
          cpuUsPerFlow: {neutrace: neutrace!.cpu, ofp: ofp!.cpu, split: split!.cpu, scan: scan!.cpu},
          ofpOverNeutrace: ofp!.cpu.median / neutrace!.cpu.median,
          neutraceOverSplit: neutrace!.cpu.median / split!.cpu.median,
          ofpOverScan: ofp!.cpu.median / scan!.cpu.median,
          loadavg: load,
        })
        await rm(file, {force: true})
      }
      save(result)
      if (list(flags.flows).some((n) => n > ofpMax))
        result.notes.push(
          `ovs.flow.ofp parses at most ${ofpMax} flows of a dump; its µs/flow there is used for the ratio`,
        )
      table(
        `Parsing (CPU µs per flow, min / median of ${flags.repeat} runs; read + parse, each tool in its own process)`,
        [
          'flows',
          'MB',
          'neutrace',
          'ovs.flow.ofp',
          'read+split',
          'one pass',
          'ofp/neutrace',
          'neutrace/split',
          'ofp/one pass',
          'neutrace wall s',
          'ofp errors',
          'load',
        ],
        result.parsing.map((r) => [
          r.flows,
          fmt(r.bytes / 1e6, 1),
          `${fmt(r.cpuUsPerFlow.neutrace.min)} / ${fmt(r.cpuUsPerFlow.neutrace.median)}`,
          `${fmt(r.cpuUsPerFlow.ofp.min, 1)} / ${fmt(r.cpuUsPerFlow.ofp.median, 1)}`,
          `${fmt(r.cpuUsPerFlow.split.min)} / ${fmt(r.cpuUsPerFlow.split.median)}`,
          `${fmt(r.cpuUsPerFlow.scan.min)} / ${fmt(r.cpuUsPerFlow.scan.median)}`,
          `${fmt(r.ofpOverNeutrace, 1)}×`,
          `${fmt(r.neutraceOverSplit, 1)}×`,
          `${fmt(r.ofpOverScan, 1)}×`,
          fmt(r.neutrace.seconds),
          `${r.ofp.errors}/${r.ofp.flows}`,
          fmt(r.loadavg[0]!, 0),
        ]),
      )
    }

    if (parts.has('analysis') || parts.has('trace')) {
      result.analysis = []
      const vms = Number(flags.vms)
      for (const hosts of list(flags.hosts)) {
        log(`analysis: ${hosts} hosts × ${vms} VMs: generating, then measuring`)
        const row = benchAnalysis(join(work, `synth-${hosts}`), hosts, vms)
        const prev = result.analysis.at(-1)
        result.analysis.push({...row, ...(prev ? {growthFromPrevious: row.cpu.totalS / prev.cpu.totalS} : {})})
        log(`analysis: ${hosts} hosts: ${JSON.stringify(row)}`)
        save(result)
        await rm(join(work, `synth-${hosts}`), {recursive: true, force: true})
      }
      table(
        'Analysis (generated snapshots: read + model + diagnose; CPU seconds of the worker, wall beside)',
        [
          'hosts',
          'VMs',
          'flows',
          'read+model CPU s',
          'diagnose CPU s',
          'total CPU s',
          'total wall s',
          'peak RSS MiB',
          'growth (CPU)',
          'findings',
          'load',
        ],
        result.analysis.map((r) => [
          r.hosts,
          r.vms,
          r.flows,
          fmt(r.cpu.readModelS),
          fmt(r.cpu.diagnoseS),
          fmt(r.cpu.totalS),
          fmt(r.totalS),
          fmt(r.peakRssMiB, 0),
          r.growthFromPrevious === undefined ? '' : `×${fmt(r.growthFromPrevious)}`,
          r.findings,
          fmt(r.loadavg[0]!, 0),
        ]),
      )
    }

    if (parts.has('trace') && result.analysis?.length) {
      const rows = result.analysis
      const traces = rows.reduce((s, r) => s + r.traces, 0)
      const meanMsPerVm = rows.reduce((s, r) => s + r.traceTotalS * 1000, 0) / traces
      const callsReplaced = 4
      let ofproto: Awaited<ReturnType<typeof benchOfprotoTrace>> | undefined
      if (lab) {
        log('tracing: ovs-appctl ofproto/trace on the lab')
        ofproto = await benchOfprotoTrace(lab, Number(flags['ofproto-calls']))
      }
      result.tracing = {
        msPerVm: rows.map((r) => ({hosts: r.hosts, ms: r.traceMsPerVm})),
        meanMsPerVm,
        callsReplaced,
        ...(ofproto
          ? {
              ofprotoTraceMsPerCall: ofproto.seconds * 1000,
              ratio: (callsReplaced * ofproto.seconds * 1000) / meanMsPerVm,
              bridges: ofproto.bridges,
            }
          : {}),
      }
      table(
        'Tracing (every VM to its DHCP server and back; ofproto/trace per call on the lab, wall clock, same run)',
        [
          'hosts',
          'VMs',
          'delivered',
          'CPU ms per VM',
          'wall ms per VM',
          `${callsReplaced} × ofproto/trace wall ms`,
          'ratio (wall)',
          'load',
        ],
        rows.map((r) => [
          r.hosts,
          r.traces,
          r.delivered,
          fmt(r.cpu.traceMsPerVm, 3),
          fmt(r.traceMsPerVm, 2),
          ofproto ? fmt(callsReplaced * ofproto.seconds * 1000, 1) : '—',
          ofproto ? `${fmt((callsReplaced * ofproto.seconds * 1000) / r.traceMsPerVm, 1)}×` : '—',
          fmt(r.loadavg[0]!, 0),
        ]),
      )
    }
  } finally {
    await lab?.stop()
    await rm(work, {recursive: true, force: true})
  }
  for (const n of result.notes) console.log(`note: ${n}`)
  save(result)
  console.log(`\nresults: ${flags.out}`)
}

await main()
