// The lab itself, end to end: two compute nodes, real ssh, real DHCP through the whole OVS/VLAN path, ofproto/trace,
// PID-namespace isolation, faults, and a teardown that leaves nothing behind. One lab shared by the whole file.

import {existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'
import {HOSTILE_NETNS, labUnavailableReason, startLab, type Lab, type LabVm} from './lab.js'
import {run} from './node.js'
import {mgmtVethName} from './topology.js'

const unavailable = labUnavailableReason()

if (unavailable !== undefined) {
  describe('lab (skipped)', () => {
    it.skip(`lab tests skipped: ${unavailable}`, () => undefined)
  })
}

/** Ask for a lease from inside a VM with the real busybox udhcpc; returns the IP offered, if any. */
async function lease(lab: Lab, vm: LabVm): Promise<string | undefined> {
  const r = await lab.execInVm(
    vm.name,
    ['busybox', 'udhcpc', '-i', vm.guestDev, '-t', '5', '-T', '1', '-n', '-q', '-s', lab.udhcpcPrintScript],
    {timeoutMs: 25_000},
  )
  return /lease ip=(\S+)/.exec(r.stdout)?.[1]
}

async function ok(lab: Lab, node: string, argv: string[]): Promise<string> {
  const r = await lab.exec(node, argv)
  if (r.code !== 0) throw new Error(`${node}: ${argv.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

function rootNetns(): string[] {
  try {
    return readdirSync('/run/netns')
  } catch {
    return []
  }
}

describe.skipIf(unavailable !== undefined)('lab: two compute nodes', () => {
  let lab: Lab
  let started = false

  beforeAll(async () => {
    lab = await startLab({computeNodes: 2})
    started = true
  })

  afterAll(async () => {
    // Runs even when tests fail; stop() is idempotent (the last test stops the lab itself).
    if (started) await lab.stop()
  })

  const vmOn = (host: string): LabVm => lab.vms.find((v) => v.host === host)!

  describe('lab: bring-up', () => {
    it('plans one control node, two compute nodes and one VM per compute node', () => {
      expect(lab.nodes.map((n) => n.name)).toEqual(['control', 'compute-1', 'compute-2'])
      expect(lab.nodes.map((n) => n.address)).toEqual([11, 12, 13].map((i) => `198.18.${lab.slot}.${i}`))
      expect(lab.vms.map((v) => v.host)).toEqual(['compute-1', 'compute-2'])
      for (const v of lab.vms) {
        expect(v.tap).toBe(`tap${v.portId.slice(0, 11)}`)
        expect(v.mac).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/)
        expect(v.ip).toMatch(/^198\.19\.1\.\d+$/)
      }
    })

    it('writes an inventory, a key and known_hosts that name every node', () => {
      const inv = YAML.parse(readFileSync(lab.inventoryPath, 'utf8')) as {
        defaults: {user: string; identityFile: string; knownHostsFile: string}
        hosts: Record<string, {address: string; port: number; roles: string[]}>
      }
      expect(inv.defaults).toEqual({user: 'root', identityFile: lab.keyPath, knownHostsFile: lab.knownHostsPath})
      expect(inv.hosts['control']).toEqual({address: lab.nodes[0]!.address, port: 22, roles: ['control', 'network']})
      expect(inv.hosts['compute-2']).toEqual({address: lab.nodes[2]!.address, port: 22, roles: ['compute']})
      const known = readFileSync(lab.knownHostsPath, 'utf8').trim().split('\n')
      expect(known.map((l) => l.split(' ')[0])).toEqual(lab.nodes.map((n) => n.address))
      expect(new Set(known.map((l) => l.split(' ')[2])).size).toBe(3)
      expect(readFileSync(lab.keyPath, 'utf8')).toContain('OPENSSH PRIVATE KEY')
    })

    it('writes the intent as Neutron and Nova API bodies', () => {
      const read = (f: string): Record<string, Record<string, unknown>[]> =>
        JSON.parse(readFileSync(join(lab.intentDir, f), 'utf8'))
      const net = read('networks.json')['networks']![0]!
      expect(net['provider:network_type']).toBe('vlan')
      expect(net['provider:physical_network']).toBe('default')
      expect(net['provider:segmentation_id']).toBe(1000)
      const ports = read('ports.json')['ports']!
      const vm = lab.vms[0]!
      const port = ports.find((p) => p['id'] === vm.portId)!
      expect(port['device_owner']).toBe('compute:nova')
      expect(port['binding:host_id']).toBe('compute-1')
      expect(port['binding:vif_details']).toMatchObject({ovs_hybrid_plug: true})
      expect(ports.filter((p) => p['device_owner'] === 'network:dhcp')).toHaveLength(1)
      const server = read('servers.json')['servers']!.find((s) => s['id'] === vm.uuid)!
      expect(server['OS-EXT-SRV-ATTR:host']).toBe('compute-1')
      expect(server['addresses']).toEqual({
        net1: [expect.objectContaining({addr: vm.ip, 'OS-EXT-IPS-MAC:mac_addr': vm.mac})],
      })
      expect(read('subnets.json')['subnets']![0]!['cidr']).toBe('198.19.1.0/24')
    })
  })

  describe('lab: access', () => {
    it('reaches every node with the real ssh client and strict host key checking', async () => {
      for (const node of lab.nodes) {
        const host = await run(lab.sshArgv(node.name, ['hostname']), {timeoutMs: 20_000})
        expect(host.stderr).toBe('')
        expect(host.stdout.trim()).toBe(node.name)
        const show = await run(lab.sshArgv(node.name, ['ovs-vsctl', 'show']), {timeoutMs: 20_000})
        expect(show.code).toBe(0)
        expect(show.stdout).toContain('Bridge br-int')
        expect(show.stdout).toContain('Bridge br-eth2')
        expect(show.stdout).toContain('Port int-br-eth2')
      }
      const compute = await run(lab.sshArgv('compute-1', ['ovs-vsctl', 'show']), {timeoutMs: 20_000})
      expect(compute.stdout).toContain(`Port qvo${vmOn('compute-1').portId.slice(0, 11)}\n            tag: 3`)
    })

    it('refuses a node whose host key is not in known_hosts', async () => {
      const empty = join(lab.dir, 'empty_known_hosts')
      writeFileSync(empty, '')
      const argv = lab
        .sshArgv('control', ['true'])
        .map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${empty}` : a))
      const r = await run(argv, {timeoutMs: 20_000})
      expect(r.code).not.toBe(0)
      expect(r.stderr).toMatch(/Host key verification failed/)
    })
  })

  describe('lab: data path', () => {
    it('gives every VM its own IP from the control node dnsmasq, through br-int, br-eth2 and the switch', async () => {
      const got = await Promise.all(lab.vms.map((vm) => lease(lab, vm)))
      expect(got).toEqual(lab.vms.map((vm) => vm.ip))
      const net = lab.plan.networks[0]!
      const leases = readFileSync(lab.nodePath('control', `/var/lib/neutron/dhcp/${net.id}/leases`), 'utf8')
      for (const vm of lab.vms) expect(leases).toContain(`${vm.mac} ${vm.ip}`)
    })

    it('traces a VM frame on br-int with ofproto/trace: tagged 3 on the way out, 1000→3 on the way in', async () => {
      const vm = vmOn('compute-1')
      const qvo = `qvo${vm.portId.slice(0, 11)}`
      const out = await ok(lab, 'compute-1', [
        'ovs-appctl',
        'ofproto/trace',
        'br-int',
        `in_port=${qvo},dl_src=${vm.mac},dl_dst=ff:ff:ff:ff:ff:ff`,
      ])
      expect(out).toContain('bridge("br-int")')
      expect(out).toMatch(/Datapath actions: .*push_vlan\(vid=3,pcp=0\)/)
      const back = await ok(lab, 'compute-1', [
        'ovs-appctl',
        'ofproto/trace',
        'br-int',
        `in_port=int-br-eth2,dl_vlan=1000,dl_src=${lab.plan.networks[0]!.dhcpPort.mac},dl_dst=${vm.mac}`,
      ])
      expect(back).toContain('mod_vlan_vid:3')
    })

    it('programs the agent flows with the seed layout (single table, priorities 1-4)', async () => {
      const brInt = await ok(lab, 'compute-1', ['ovs-ofctl', 'dump-flows', 'br-int'])
      expect(brInt).toMatch(/priority=3,in_port=1,dl_vlan=1000 actions=mod_vlan_vid:3,NORMAL/)
      expect(brInt).toMatch(/priority=2,in_port=1 actions=drop/)
      expect(brInt).toMatch(/priority=1 actions=NORMAL/)
      const brEth2 = await ok(lab, 'control', ['ovs-ofctl', 'dump-flows', 'br-eth2'])
      expect(brEth2).toMatch(/priority=4,in_port=2,dl_vlan=1 actions=mod_vlan_vid:1000,NORMAL/)
    })
  })

  describe('lab: isolation', () => {
    it('shows only the node own processes to ps inside a node', async () => {
      const list = async (node: string): Promise<string[][]> =>
        (await ok(lab, node, ['ps', '-eo', 'pid=,stat=,comm=']))
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
      const compute = await list('compute-1')
      expect(compute[0]).toEqual(['1', expect.any(String), 'ntlab-init'])
      const names = new Set(compute.map((p) => p[2]))
      for (const daemon of ['ovsdb-server', 'ovs-vswitchd', 'sshd']) expect(names).toContain(daemon)
      expect(
        [...names].filter((n) => !['ntlab-init', 'ovsdb-server', 'ovs-vswitchd', 'sshd', 'sleep', 'ps'].includes(n!)),
      ).toEqual([])
      expect((await list('control')).map((p) => p[2])).toContain('dnsmasq')
    })

    it('gives each node its own namespaces, Linux bridges and Neutron/Nova files', async () => {
      const net = lab.plan.networks[0]!
      expect(
        (await ok(lab, 'control', ['ip', 'netns', 'list']))
          .trim()
          .split('\n')
          .map((l) => l.split(' ')[0]),
      ).toEqual([net.netns])
      const vm = vmOn('compute-2')
      expect((await ok(lab, 'compute-2', ['ip', 'netns', 'list'])).trim().split(' ')[0]).toBe(vm.netns)
      const brctl = await ok(lab, 'compute-2', ['brctl', 'show'])
      expect(brctl).toContain(`qbr${vm.portId.slice(0, 11)}`)
      expect(brctl).not.toContain(`qbr${vmOn('compute-1').portId.slice(0, 11)}`)
      const xml = await ok(lab, 'compute-2', ['cat', `/var/lib/nova/instances/${vm.uuid}/libvirt.xml`])
      expect(xml).toContain(`<source bridge="qbr${vm.portId.slice(0, 11)}"/>`)
      const hosts = await ok(lab, 'control', ['cat', `/var/lib/neutron/dhcp/${net.id}/host`])
      expect(hosts).toContain(`${vm.mac},host-${vm.ip.replace(/\./g, '-')}.openstacklocal,${vm.ip}`)
      expect((await lab.exec('compute-1', ['cat', `/var/lib/neutron/dhcp/${net.id}/host`])).code).not.toBe(0)
      const ini = await ok(lab, 'compute-1', ['cat', '/etc/neutron/plugins/ml2/openvswitch_agent.ini'])
      expect(ini).toContain('bridge_mappings = default:br-eth2')
    })

    it('keeps PID 1 of a node alive on SIGTERM', async () => {
      const node = lab.nodes[1]!
      process.kill(node.pid, 'SIGTERM')
      expect((await ok(lab, node.name, ['hostname'])).trim()).toBe(node.name)
      expect(existsSync(`/proc/${node.pid}`)).toBe(true)
    })
  })

  describe('lab: faults', () => {
    it('wrong-port-tag on compute-1 breaks DHCP for its VM only', async () => {
      const vm = vmOn('compute-1')
      const f = await lab.fault('wrong-port-tag', {vm: vm.name})
      expect(f).toMatchObject({
        host: 'compute-1',
        element: `qvo${vm.portId.slice(0, 11)}`,
        expected: 'tag 3',
        actual: 'tag 5',
      })
      expect((await ok(lab, 'compute-1', ['ovs-vsctl', 'get', 'Port', f.element, 'tag'])).trim()).toBe('5')
      expect(await lease(lab, vm)).toBeUndefined()
      expect(await lease(lab, vmOn('compute-2'))).toBe(vmOn('compute-2').ip)
    })

    it('delete-egress-flow on compute-2 removes the mod_vlan_vid flow and breaks its VM', async () => {
      const f = await lab.fault('delete-egress-flow', {host: 'compute-2'})
      expect(f).toMatchObject({element: 'br-eth2', kind: 'flow', actual: 'missing'})
      expect(f.expected).toContain('mod_vlan_vid:1000')
      expect(await ok(lab, 'compute-2', ['ovs-ofctl', 'dump-flows', 'br-eth2'])).not.toContain('mod_vlan_vid:1000')
      expect(await lease(lab, vmOn('compute-2'))).toBeUndefined()
    })

    it('applies the structural faults where they belong', async () => {
      const vm = vmOn('compute-1')
      const id = vm.portId.slice(0, 11)
      const net = lab.plan.networks[0]!

      await lab.fault('delete-ingress-flow', {host: 'compute-1'})
      expect(await ok(lab, 'compute-1', ['ovs-ofctl', 'dump-flows', 'br-int'])).not.toContain('dl_vlan=1000')

      await lab.fault('wrong-segmentation-flow', {host: 'control'})
      expect(await ok(lab, 'control', ['ovs-ofctl', 'dump-flows', 'br-eth2'])).toContain(
        'actions=mod_vlan_vid:1001,NORMAL',
      )

      const dead = await lab.fault('dead-vlan', {vm: vm.name})
      expect((await ok(lab, 'compute-1', ['ovs-vsctl', 'get', 'Port', `qvo${id}`, 'tag'])).trim()).toBe('4095')
      expect(dead.actual).toContain('actions=drop')

      await lab.fault('qvb-detached', {vm: vm.name})
      expect(await ok(lab, 'compute-1', ['brctl', 'show', `qbr${id}`])).not.toContain(`qvb${id}`)

      await lab.fault('qvo-removed', {vm: vm.name})
      expect(await ok(lab, 'compute-1', ['ovs-vsctl', 'list-ports', 'br-int'])).not.toContain(`qvo${id}`)

      await lab.fault('uplink-removed', {host: 'compute-1'})
      expect(await ok(lab, 'compute-1', ['ovs-vsctl', 'list-ports', 'br-eth2'])).not.toMatch(/^eth2$/m)

      await lab.fault('int-phy-link-down', {host: 'compute-1'})
      expect(await ok(lab, 'compute-1', ['ip', '-o', 'link', 'show', 'int-br-eth2'])).not.toMatch(/[<,]UP[,>]/)

      const removed = await lab.fault('dhcp-host-removed', {vm: vm.name})
      expect(removed.element).toBe(`/var/lib/neutron/dhcp/${net.id}/host`)
      expect(readFileSync(lab.nodePath('control', removed.element), 'utf8')).not.toContain(vm.mac)
    })

    it('dnsmasq-killed leaves no dnsmasq and no zombie behind (PID 1 reaps)', async () => {
      const f = await lab.fault('dnsmasq-killed')
      expect(f).toMatchObject({host: 'control', element: 'dnsmasq', kind: 'process'})
      const ps = (await ok(lab, 'control', ['ps', '-eo', 'stat=,comm=']))
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
      expect(ps.map((p) => p[1])).not.toContain('dnsmasq')
      expect(ps.filter((p) => p[0]!.startsWith('Z'))).toEqual([])
    })

    it('hang makes one command hang in one node only', async () => {
      const f = await lab.fault('hang', {host: 'compute-1', command: 'ethtool'})
      expect(f.element).toBe('ethtool')
      const hung = await lab.exec('compute-1', ['ethtool', '-i', 'eth2'], {timeoutMs: 1500})
      expect(hung.code).toBeNull()
      expect((await lab.exec('compute-2', ['ethtool', '-i', 'eth2'])).stdout).toContain('driver: veth')
    })

    it('hostile-netns creates the name as data and nothing runs it', async () => {
      const f = await lab.fault('hostile-netns', {host: 'control'})
      expect(f.element).toBe(HOSTILE_NETNS)
      const r = await run(lab.sshArgv('control', ['ip', 'netns', 'list']), {timeoutMs: 20_000})
      expect(r.stdout).toContain(HOSTILE_NETNS)
      expect(existsSync('/tmp/pwned')).toBe(false)
    })

    it('sshd-stopped closes ssh to that node while the node keeps running', async () => {
      await lab.fault('sshd-stopped', {host: 'compute-2'})
      const r = await run(lab.sshArgv('compute-2', ['true']), {timeoutMs: 20_000})
      expect(r.code).not.toBe(0)
      expect((await ok(lab, 'compute-2', ['hostname'])).trim()).toBe('compute-2')
      expect((await run(lab.sshArgv('control', ['hostname']), {timeoutMs: 20_000})).stdout.trim()).toBe('control')
    })
  })

  describe('lab: teardown', () => {
    it('stop leaves no process, link, namespace, mount point or directory behind', async () => {
      const pidNs = lab.nodes.map((n) => readlinkSync(`/proc/${n.pid}/ns/pid`))
      const netnsBefore = new Set(rootNetns())
      const mgmt = [lab.plan.mgmt.bridge, ...lab.nodes.map((_, i) => mgmtVethName(lab.slot, i))]
      await lab.stop()

      const leftovers: string[] = []
      for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
        try {
          if (pidNs.includes(readlinkSync(`/proc/${entry}/ns/pid`))) leftovers.push(`process ${entry}`)
        } catch {
          /* ended while we looked */
        }
      }
      for (const n of lab.nodes) if (existsSync(`/proc/${n.pid}`)) leftovers.push(`node pid ${n.pid}`)
      const links = (await run(['ip', '-o', 'link'])).stdout
      for (const name of mgmt)
        if (links.includes(` ${name}:`) || links.includes(` ${name}@`)) leftovers.push(`link ${name}`)
      // The Neutron tier's lab (test/lab/neutron) may come up meanwhile: `npm test` runs it beside these files, and
      // its external side is a root namespace nlab<slot>out.
      for (const ns of rootNetns().filter((n) => !/^nlab\d+out$/.test(n))) {
        if (!netnsBefore.has(ns) || ns.startsWith('qdhcp-') || ns.startsWith('vm-')) leftovers.push(`netns ${ns}`)
      }
      if (existsSync(lab.dir)) leftovers.push(`dir ${lab.dir}`)
      expect(leftovers).toEqual([])
      expect(existsSync('/tmp/pwned')).toBe(false)
    })
  })
})
