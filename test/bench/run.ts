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
    'ofp-max': {type: 'string', default: '100000'},
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
    runbookOverNeutrace: number
  })[]
  parsing?: {
    flows: number
    bytes: number
    neutrace: ParseTimes
    ofp: ParseTimes
    split: ParseTimes
    usPerFlow: {neutrace: number; ofp: number; split: number}
    ofpOverNeutrace: number
    neutraceOverSplit: number
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
      const rows = await benchCollection(lab, list(flags.nodes), log)
      result.collection = rows.map((r) => ({
        ...r,
        vsFloorPlusHandshakes: r.neutrace / (r.floor + r.handshakes),
        controlPersistOverNeutrace: r.controlPersist / r.neutrace,
        runbookOverNeutrace: r.runbook / r.neutrace,
      }))
      save(result)
      table(
        'Collection (seconds; lab nodes over SSH)',
        [
          'nodes',
          'captures',
          'neutrace',
          'per-command',
          'floor',
          'handshakes',
          'runbook',
          'ControlPersist',
          'neutrace/(floor+hs)',
          'CP/neutrace',
          'runbook/neutrace',
        ],
        result.collection.map((r) => [
          r.nodes,
          r.captures,
          fmt(r.neutrace),
          fmt(r.perCommand),
          fmt(r.floor),
          fmt(r.handshakes),
          fmt(r.runbook),
          fmt(r.controlPersist),
          fmt(r.vsFloorPlusHandshakes),
          fmt(r.controlPersistOverNeutrace, 1),
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
        log(`parsing: ${n} flows: neutrace, read+split, ovs.flow.ofp (at most ${ofpMax})`)
        const neutrace = timeParse('neutrace', file, n)
        const split = timeParse('split', file, n)
        const ofp = timeParse('ofp', file, Math.min(n, ofpMax))
        const us = (t: ParseTimes) => (t.seconds / t.flows) * 1e6
        result.parsing.push({
          flows: n,
          bytes,
          neutrace,
          ofp,
          split,
          usPerFlow: {neutrace: us(neutrace), ofp: us(ofp), split: us(split)},
          ofpOverNeutrace: us(ofp) / us(neutrace),
          neutraceOverSplit: us(neutrace) / us(split),
        })
        await rm(file, {force: true})
      }
      save(result)
      if (list(flags.flows).some((n) => n > ofpMax))
        result.notes.push(
          `ovs.flow.ofp parses at most ${ofpMax} flows of a dump; its µs/flow there is used for the ratio`,
        )
      table(
        'Parsing (µs per flow; read + parse, each tool in its own process)',
        [
          'flows',
          'MB',
          'neutrace',
          'ovs.flow.ofp',
          'read+split',
          'ofp/neutrace',
          'neutrace/split',
          'neutrace s',
          'ofp errors',
        ],
        result.parsing.map((r) => [
          r.flows,
          fmt(r.bytes / 1e6, 1),
          fmt(r.usPerFlow.neutrace),
          fmt(r.usPerFlow.ofp, 1),
          fmt(r.usPerFlow.split, 3),
          fmt(r.ofpOverNeutrace, 1),
          fmt(r.neutraceOverSplit, 1),
          fmt(r.neutrace.seconds),
          `${r.ofp.errors}/${r.ofp.flows}`,
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
        result.analysis.push({...row, ...(prev ? {growthFromPrevious: row.totalS / prev.totalS} : {})})
        log(`analysis: ${hosts} hosts: ${JSON.stringify(row)}`)
        save(result)
        await rm(join(work, `synth-${hosts}`), {recursive: true, force: true})
      }
      table(
        'Analysis (generated snapshots: read + model + diagnose)',
        ['hosts', 'VMs', 'flows', 'read+model s', 'diagnose s', 'total s', 'peak RSS MiB', 'growth', 'findings'],
        result.analysis.map((r) => [
          r.hosts,
          r.vms,
          r.flows,
          fmt(r.readModelS),
          fmt(r.diagnoseS),
          fmt(r.totalS),
          fmt(r.peakRssMiB, 0),
          r.growthFromPrevious === undefined ? '' : `×${fmt(r.growthFromPrevious)}`,
          r.findings,
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
        'Tracing (every VM to its DHCP server and back)',
        ['hosts', 'VMs', 'delivered', 'ms per VM', `${callsReplaced} × ofproto/trace ms`, 'ratio'],
        rows.map((r) => [
          r.hosts,
          r.traces,
          r.delivered,
          fmt(r.traceMsPerVm, 3),
          ofproto ? fmt(callsReplaced * ofproto.seconds * 1000, 1) : '—',
          ofproto ? fmt((callsReplaced * ofproto.seconds * 1000) / r.traceMsPerVm, 1) : '—',
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
