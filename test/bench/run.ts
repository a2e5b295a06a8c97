// npm run bench: how fast neutrace is on big inputs. Prints times; passes or fails on nothing.
//  1. parse a generated dump of 1,000,000 flows (OF1.0 spelling with stats, the shape of a large br-int)
//  2. load, diagnose and trace every VM of a generated 200-host snapshot

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {diagnose, loadAnalysis} from '../../src/engine.js'
import {parseDumpFlows} from '../../src/parsers/ovs-ofctl-dump-flows.js'
import {trace} from '../../src/trace/tracer.js'
import {findVm} from '../../src/trace/tracer.js'
import {writeSynthSnapshot} from '../support/synth.js'

const FLOWS = Number(process.env.BENCH_FLOWS ?? 1_000_000)
const HOSTS = Number(process.env.BENCH_HOSTS ?? 200)

function time<T>(label: string, fn: () => T): T {
  const t0 = performance.now()
  const out = fn()
  const ms = performance.now() - t0
  console.log(`${label.padEnd(48)} ${ms.toFixed(0).padStart(8)} ms`)
  return out
}

async function timeAsync<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now()
  const out = await fn()
  console.log(`${label.padEnd(48)} ${(performance.now() - t0).toFixed(0).padStart(8)} ms`)
  return out
}

function flowDump(n: number): string {
  const lines = ['NXST_FLOW reply (xid=0x4):']
  for (let i = 0; i < n; i++) {
    const port = 1 + (i % 4000)
    const vid = 1 + (i % 4000)
    switch (i % 5) {
      case 0: lines.push(` cookie=0x9f1c2b3a4d5e6f70, duration=${i % 90000}.123s, table=0, n_packets=${i}, n_bytes=${i * 64}, idle_age=${i % 600}, hard_age=65534, priority=3,in_port=${port},dl_vlan=${1000 + (i % 999)} actions=mod_vlan_vid:${vid},resubmit(,60)`); break
      case 1: lines.push(` cookie=0x9f1c2b3a4d5e6f70, duration=${i % 90000}.5s, table=24, n_packets=0, n_bytes=0, idle_age=${i % 600}, priority=2,arp,in_port=${port},arp_spa=198.19.${(i >> 8) & 255}.${i & 255} actions=resubmit(,25)`); break
      case 2: lines.push(` cookie=0x9f1c2b3a4d5e6f70, duration=${i % 90000}.5s, table=25, n_packets=12, n_bytes=840, idle_age=3, priority=2,in_port=${port},dl_src=fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} actions=resubmit(,60)`); break
      case 3: lines.push(` cookie=0x9f1c2b3a4d5e6f70, duration=${i % 90000}.5s, table=20, n_packets=0, n_bytes=0, idle_age=5, hard_age=5, priority=2,dl_vlan=${vid},dl_dst=fa:16:3e:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} actions=strip_vlan,load:0x${(0x3e8 + vid).toString(16)}->NXM_NX_TUN_ID[],output:${port}`); break
      default: lines.push(` cookie=0x9f1c2b3a4d5e6f70, duration=${i % 90000}.5s, table=10, n_packets=7, n_bytes=490, idle_age=1, priority=1 actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x9f1c2b3a4d5e6f70,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1`)
    }
  }
  return lines.join('\n') + '\n'
}

async function main(): Promise<void> {
  console.log(`neutrace bench — node ${process.version}, ${FLOWS.toLocaleString('en')} flows, ${HOSTS} hosts`)
  const text = time(`generate ${FLOWS.toLocaleString('en')}-flow dump`, () => flowDump(FLOWS))
  console.log(`${'  dump size'.padEnd(48)} ${(text.length / 1e6).toFixed(1).padStart(8)} MB`)
  const parsed = time(`parse ${FLOWS.toLocaleString('en')} flows`, () => parseDumpFlows(text))
  console.log(`${'  flows parsed / problems'.padEnd(48)} ${String(parsed.value.length).padStart(8)} / ${parsed.problems.length}`)

  const dir = await mkdtemp(join(tmpdir(), 'neutrace-bench-'))
  try {
    const computes = HOSTS - 1
    const synth = await timeAsync(`generate ${HOSTS}-host snapshot (${computes * 4} VMs)`, () => writeSynthSnapshot(dir, {computes, networks: 8, vmsPerHost: 4}))
    const analysis = await timeAsync('read snapshot + build models', () => loadAnalysis(dir))
    const findings = time('diagnose', () => diagnose(analysis))
    console.log(`${'  findings (error)'.padEnd(48)} ${String(findings.filter((f) => f.severity === 'error').length).padStart(8)}`)
    let delivered = 0
    time(`trace all ${synth.vms.length} VMs to DHCP`, () => {
      for (const vm of synth.vms) {
        const [target] = findVm(analysis.actual, analysis.reference, vm.uuid)
        if (trace(analysis.actual, analysis.reference, target, 'dhcp').verdict === 'delivered') delivered++
      }
    })
    console.log(`${'  traces delivered'.padEnd(48)} ${String(delivered).padStart(8)} / ${synth.vms.length}`)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

await main()
