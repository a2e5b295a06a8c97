// The Neutron lab end to end (issue 4 groundwork): a real neutron-server with OVS and DHCP agents on three lab nodes
// programs the networks made through its API; every VM namespace gets its port's address by DHCP (control.sh demo
// fails otherwise); the collector captures it and the analysis finds no error.
// Slow (about 3 minutes) and needs root plus the packages of install.sh (npm pretest installs them):
// NEUTRACE_NEUTRON_LAB=0
// skips it.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {neutronLabUnavailable, parseVms, runArgv, type NeutronLabVm} from './control.js'
import {useDemoLab} from './suite.js'

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
  const demo = useDemoLab({slot: 201, computes: 2}, 'nlab-test-')
  const lab = demo.lab
  let vms: NeutronLabVm[] = []
  let scratch = ''
  beforeAll(() => {
    vms = demo.vms()
    scratch = demo.scratch()
  })

  it('has two VMs per network, on different compute nodes, each with its port ACTIVE', async () => {
    expect(vms).toHaveLength(6)
    for (const net of ['nlab-net1', 'nlab-net2', 'nlab-net3']) {
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
      if (vm.network !== 'nlab-net3') expect(otherConfig).toMatch(/segmentation_id="100[01]"/)
    }
  })

  it('gives a second DHCP request the same address', async () => {
    const vm = vms[0]!
    const script = join(scratch, 'udhcpc.sh')
    await runArgv([
      'sh',
      '-c',
      `printf '#!/bin/sh\\n[ "$1" = bound ] && echo "lease ip=$ip"\\nexit 0\\n' > ${script}; chmod +x ${script}`,
    ])
    const r = await lab.exec(vm.node, [
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
      '5',
      '-T',
      '2',
      '-s',
      script,
    ])
    expect(r.stdout).toContain(`lease ip=${vm.ip}`)
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
