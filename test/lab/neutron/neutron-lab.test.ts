// The Neutron lab end to end (issue 4 groundwork): a real neutron-server with OVS and DHCP agents on three lab nodes
// programs the networks made through its API; every VM namespace gets its port's address by DHCP (control.sh demo
// fails otherwise); the collector captures it and the analysis finds no error.
// On the shared lab (suite.ts); needs root plus the packages of install.sh (npm pretest installs them):
// NEUTRACE_NEUTRON_LAB=0 skips it.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {neutronLabUnavailable, parseVms, runArgv, type NeutronLabVm} from './control.js'
import {labTools, SHARED_NETWORKS, useSharedLab} from './suite.js'

const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0'
const unavailable = neutronLabUnavailable()

describe('parseVms', () => {
  it('reads one VM a line and skips malformed lines', () => {
    const vms = parseVms('nlab-cmp1 nlab-net1 p1 fa:16:3e:00:00:01 198.19.201.5 vm-net1-1 i1\nbroken line\n')
    expect(vms).toEqual([
      {
        node: 'nlab-cmp1',
        network: 'nlab-net1',
        portId: 'p1',
        mac: 'fa:16:3e:00:00:01',
        ip: '198.19.201.5',
        netns: 'vm-net1-1',
        instance: 'i1',
      },
    ])
  })
})

describe.skipIf(!wanted || unavailable !== undefined)('Neutron lab (real neutron-server, 2 compute nodes)', () => {
  const demo = useSharedLab('nlab-test-')
  const lab = demo.lab
  const tools = labTools(lab, demo.scratch)
  let vms: NeutronLabVm[] = []
  let scratch = ''
  beforeAll(() => {
    vms = demo.vms()
    scratch = demo.scratch()
  })

  it('has two VMs per network, on different compute nodes, each with its port ACTIVE', async () => {
    expect(vms.length).toBeGreaterThanOrEqual(2 * SHARED_NETWORKS.length)
    for (const net of SHARED_NETWORKS) {
      const onNet = vms.filter((v) => v.network === net)
      expect(new Set(onNet.map((v) => v.node)).size).toBe(2)
    }
    const ports = JSON.parse(
      await lab.openstack(['port', 'list', '--device-owner', 'compute:nova', '-f', 'json', '-c', 'ID', '-c', 'Status']),
    ) as {ID: string; Status: string}[]
    for (const vm of vms) expect(ports.find((p) => p.ID === vm.portId)?.Status).toBe('ACTIVE')
  })

  it("tags every VM's qvo with a local VLAN and the network's segmentation id in other_config", async () => {
    for (const vm of vms) {
      const r = await lab.exec(vm.node, [
        'ovs-vsctl',
        'get',
        'Port',
        `qvo${vm.portId.slice(0, 11)}`,
        'tag',
        'other_config',
      ])
      expect(r.code).toBe(0)
      const [tag, otherConfig] = r.stdout.trim().split('\n')
      expect(Number(tag)).toBeGreaterThan(0)
      expect(Number(tag)).toBeLessThan(4095)
      expect(otherConfig).toContain(`tag="${tag}"`)
      const segment = {'nlab-net1': '1000', 'nlab-net2': '1001', 'nlab-tun1': '101'}[vm.network]
      if (segment) expect(otherConfig).toContain(`segmentation_id="${segment}"`)
    }
  })

  it('gives a second DHCP request the same address', async () => {
    for (const vm of [vms[0]!, vms.find((v) => v.network === 'nlab-tun1')!])
      expect(await tools.lease(vm), `${vm.netns} on ${vm.node}`).toBe(vm.ip)
  })

  it('is captured complete by the collector, and the analysis reports no error', async () => {
    const out = join(scratch, 'snapshot')
    await lab.capture(out)
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      hosts: {name: string; status: string}[]
    }
    expect(manifest.hosts.map((h) => [h.name, h.status])).toEqual([
      ['nlab-ctl', 'complete'],
      ['nlab-cmp1', 'complete'],
      ['nlab-cmp2', 'complete'],
    ])
    const r = await runArgv([process.execPath, 'bin/run.js', 'diagnose', out, '--format', 'json', '--fail-on', 'error'])
    expect(r.code).toBe(0)
  }, 120_000)
})
