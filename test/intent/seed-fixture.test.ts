import {createHash} from 'node:crypto'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {loadIntentDir} from '../../src/intent/index.js'
import {SNAPSHOT_FORMAT, type Manifest, captureFileName} from '../../src/snapshot/manifest.js'
import {SPEC_BY_ID} from '../../src/specs.js'

const SEED = join(import.meta.dirname, '../../fixtures/snapshots/seed')
const manifest = JSON.parse(readFileSync(join(SEED, 'manifest.json'), 'utf8')) as Manifest
const captures = manifest.hosts.flatMap((h) => h.captures.map((c) => ({host: h.name, ...c})))

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  )
}

describe('the seed snapshot', () => {
  it('is a neutrace snapshot of the control and compute-1 hosts', () => {
    expect(manifest).toMatchObject({format: SNAPSHOT_FORMAT, formatVersion: 1, toolVersion: '0.1.0', source: 'fixture'})
    expect(manifest.hosts.map((h) => [h.name, h.roles])).toEqual([
      ['control', ['control', 'network']],
      ['compute-1', ['compute']],
    ])
  })

  it('has every capture file, named by captureFileName, with the sha256 the manifest says', () => {
    expect(captures.length).toBeGreaterThan(20)
    for (const c of captures) {
      expect(c.file).toBe(captureFileName(c.host, c.spec, c.key))
      const path = join(SEED, c.file)
      expect(existsSync(path), c.file).toBe(true)
      expect(sha256(path), c.file).toBe(c.sha256)
      expect(c.exitCode).toBe(0)
      expect(SPEC_BY_ID.has(c.spec), c.spec).toBe(true)
    }
  })

  it('holds no capture file the manifest does not describe', () => {
    const described = new Set(captures.map((c) => c.file))
    const onDisk = listFiles(join(SEED, 'hosts')).map((f) => join('hosts', f))
    expect(onDisk.filter((f) => !described.has(f))).toEqual([])
  })

  it('lists its intent files', () => {
    expect(manifest.intent).toEqual([
      'intent/net-create.txt',
      'intent/nova-list.txt',
      'intent/ports.json',
      'intent/subnet-create.txt',
    ])
    for (const f of manifest.intent ?? []) expect(existsSync(join(SEED, f)), f).toBe(true)
  })

  it('keeps the seed output verbatim where the seed had it', () => {
    const read = (f: string) => readFileSync(join(SEED, f), 'utf8')
    expect(read('hosts/control/ethtool_stats@int-br-eth2.out')).toBe('NIC statistics:\n     peer_ifindex: 10\n')
    expect(read('hosts/control/ovs_ofctl_dump_flows@br-int.out')).toContain(
      ' cookie=0x0, duration=18690.876s, table=0, n_packets=1610, n_bytes=210752, idle_age=1, priority=3,in_port=1,dl_vlan=1000 actions=mod_vlan_vid:1,NORMAL\n',
    )
    expect(read('hosts/control/ip_link.out')).toContain(
      '10: phy-br-eth2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP qlen 1000\n',
    )
    expect(read('hosts/control/ps.out')).toContain(
      '--dhcp-range=tag0,198.19.0.0,static,120s --dhcp-lease-max=256 --conf-file= --domain=openstacklocal\n',
    )
    for (const c of captures) expect(read(c.file), c.file).not.toMatch(/\u00a0/)
  })
})

describe('the seed intent', () => {
  it('yields network 5f833617… as vlan/default/1000 with its subnet and both ports', async () => {
    const intent = await loadIntentDir(join(SEED, 'intent'))
    expect(intent.problems).toEqual([])
    expect(intent.networks).toEqual([
      {
        id: '5f833617-6179-4797-b7c0-7d420d84040c',
        name: 'net1',
        adminStateUp: true,
        status: 'ACTIVE',
        networkType: 'vlan',
        physicalNetwork: 'default',
        segmentationId: 1000,
        subnets: ['2d7a0a58-0674-439a-ad23-d6471aaae9bc'],
        shared: false,
      },
    ])
    expect(intent.subnets[0]).toMatchObject({
      cidr: '198.19.0.0/24',
      gatewayIp: '198.19.0.1',
      allocationPools: [{start: '198.19.0.2', end: '198.19.0.254'}],
    })
    const [vm, dhcp] = intent.ports
    expect(vm).toMatchObject({
      id: expect.stringMatching(/^53903a95-82/),
      macAddress: 'fa:16:3e:fe:c7:87',
      bindingHost: 'compute-1',
      deviceOwner: 'compute:nova',
      deviceId: '3707ac87-4f5d-4349-b7ed-3a673f55e5e1',
      fixedIps: [{ipAddress: '198.19.0.3'}],
      networkId: '5f833617-6179-4797-b7c0-7d420d84040c',
    })
    expect(dhcp).toMatchObject({
      id: expect.stringMatching(/^26c9b807-7c/),
      macAddress: 'fa:16:3e:1d:5c:81',
      bindingHost: 'control',
      deviceOwner: 'network:dhcp',
      fixedIps: [{ipAddress: '198.19.0.2'}],
    })
    expect(intent.servers).toEqual([
      {
        id: '3707ac87-4f5d-4349-b7ed-3a673f55e5e1',
        name: 'Oracle Linux',
        status: 'ACTIVE',
        host: 'compute-1',
        addresses: {net1: [{addr: '198.19.0.3'}]},
      },
    ])
    expect(intent.unknowns).toEqual([])
  })
})
