import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {diagnose, loadAnalysis, traceVm} from '../../src/engine.js'
import {type SynthOptions, writeSynthSnapshot} from '../support/synth.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, {recursive: true, force: true})
})

async function run(opts: Partial<SynthOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'neutrace-synth-'))
  dirs.push(dir)
  const synth = await writeSynthSnapshot(dir, {computes: 2, networks: 2, vmsPerHost: 2, ...opts})
  const findings = diagnose(await loadAnalysis(dir))
  return {synth, findings, errors: findings.filter((f) => f.severity === 'error')}
}

describe('diagnose on a generated two-network snapshot', () => {
  it('a healthy deployment has no error and no warning', async () => {
    const {findings} = await run()
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([])
  })

  it('LOCAL_VLAN_CONFLICT fires when two networks share a local VLAN on one host', async () => {
    // compute-1 puts net2's port (local VLAN 2) on VLAN 1, and its flows map both segments to 1.
    const {errors} = await run({
      mutate: (host, spec, key, text) => {
        if (host !== 'compute-1') return text
        if (spec === 'ovs_vsctl_show') return text.replace(/tag: 2/g, 'tag: 1')
        if (spec === 'ovs_ofctl_dump_flows' && key === 'br-int')
          return text.replace('dl_vlan=1001 actions=mod_vlan_vid:2', 'dl_vlan=1001 actions=mod_vlan_vid:1')
        if (spec === 'ovs_ofctl_dump_flows' && key === 'br-eth2')
          return text.replace(/.*dl_vlan=2 actions=mod_vlan_vid:1001.*\n/, '')
        return text
      },
    })
    const conflict = errors.filter((f) => f.code === 'LOCAL_VLAN_CONFLICT')
    expect(conflict).toHaveLength(1)
    expect(conflict[0].host).toBe('compute-1')
    expect(conflict[0].element).toBe('br-int local VLAN 1')
  })

  it('LOCAL_VLAN_CONFLICT stays quiet when the local VLANs differ', async () => {
    const {findings} = await run()
    expect(findings.some((f) => f.code === 'LOCAL_VLAN_CONFLICT')).toBe(false)
  })
})

describe('diagnose and trace on the modern layout (OF1.3 dumps, multi-table br-int, anti-spoofing, cookies)', () => {
  it('a healthy modern deployment has no error and no warning, and every VM reaches its DHCP server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'neutrace-synth-'))
    dirs.push(dir)
    const synth = await writeSynthSnapshot(dir, {computes: 2, networks: 2, vmsPerHost: 2, modern: true})
    const analysis = await loadAnalysis(dir)
    expect(diagnose(analysis).filter((f) => f.severity !== 'info')).toEqual([])
    for (const vm of synth.vms) {
      const [r] = traceVm(analysis, vm.uuid, 'dhcp')
      expect(r.verdict, `${vm.name}: ${r.reason}`).toBe('delivered')
      expect(r.dhcp?.namespace).toBe(`qdhcp-${vm.network.id}`)
      expect(r.hops.find((h) => h.kind === 'uplink')?.vlan).toBe(vm.network.segmentationId)
    }
  })

  it('a deleted anti-spoofing flow drops the VM at table 25 (and the trace names the flow)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'neutrace-synth-'))
    dirs.push(dir)
    const synth = await writeSynthSnapshot(dir, {
      computes: 1,
      networks: 1,
      vmsPerHost: 1,
      modern: true,
      mutate: (host, spec, key, text) =>
        host === 'compute-1' && spec === 'ovs_ofctl_dump_flows' && key === 'br-int'
          ? text.replace(/.*table=25, .*priority=2,.*\n/, '')
          : text,
    })
    const [r] = traceVm(await loadAnalysis(dir), synth.vms[0].uuid, 'dhcp')
    expect(r.verdict).toBe('dropped')
    expect(r.hops.at(-1)).toMatchObject({host: 'compute-1', kind: 'ovs-bridge', element: 'br-int'})
  })
})
