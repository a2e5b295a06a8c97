// The table-miss analyzer simulates a unicast frame from a port only when br-int can tell it from the broadcast (a
// flow matches or reads the destination MAC); otherwise the unicast takes the broadcast's path and is not simulated
// again. A flow that sends one VM's unicast frames to an empty table is still found.

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {diagnose, loadAnalysis} from '../../src/engine.js'
import {writeSynthSnapshot} from '../support/synth.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, {recursive: true, force: true})
})

/** Two VMs of one network on compute-1; `extra` is added to its br-int dump (OF1.3 spelling). */
async function run(extra: string) {
  const dir = await mkdtemp(join(tmpdir(), 'neutrace-tablemiss-'))
  dirs.push(dir)
  const synth = await writeSynthSnapshot(dir, {
    computes: 1,
    networks: 1,
    vmsPerHost: 2,
    modern: true,
    mutate: (host, spec, key, text) =>
      host === 'compute-1' && spec === 'ovs_ofctl_dump_flows' && key === 'br-int'
        ? `${text.replace(/\n$/, '')}\n cookie=0x1, duration=1.0s, table=60, n_packets=0, n_bytes=0, ${extra}\n`
        : text,
  })
  return {synth, findings: diagnose(await loadAnalysis(dir)).filter((f) => f.code === 'FLOW_MISSING')}
}

describe('table-miss probes of unicast frames', () => {
  it('a flow sending unicast frames to the second VM into an empty table: FLOW_MISSING for the first VM', async () => {
    const {synth, findings} = await run('priority=100,dl_dst=fa:16:3e:00:00:02 actions=goto_table:99')
    const [first, second] = synth.vms
    expect(second.mac).toBe('fa:16:3e:00:00:02')
    expect(findings.map((f) => [f.host, f.element])).toEqual([
      ['compute-1', `br-int table 99: in_port=qvo${first.portId.slice(0, 11)},vlan_tci=0x0000/0x1fff`],
    ])
    expect(JSON.stringify(findings[0])).toContain(`unicast frames from ${first.mac}`)
  })

  it('the same flow for a MAC no probe sends to finds nothing', async () => {
    const {findings} = await run('priority=100,dl_dst=fa:16:3e:99:99:99 actions=goto_table:99')
    expect(findings).toEqual([])
  })

  it('a flow reading the destination MAC (not matching it) keeps the unicast probe: nothing missing, nothing found', async () => {
    const {findings} = await run('priority=1,ip actions=move:NXM_OF_ETH_DST[0..31]->NXM_NX_REG5[],NORMAL')
    expect(findings).toEqual([])
  })
})
