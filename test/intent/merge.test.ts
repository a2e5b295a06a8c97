import {mkdtemp, rm, writeFile, copyFile, mkdir} from 'node:fs/promises'
import {readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadIntentDir, mergeIntent, parseIntentDocument} from '../../src/intent/index.js'
import type {Intent} from '../../src/types.js'

const SAMPLES = join(import.meta.dirname, '../../fixtures/intent-samples')
const NET1 = '8d8c1794-6c87-4fc5-bedc-aa44709b07a6'
const TUN1 = 'b6f4da57-de12-4509-82f2-781e0bb3c7ca'
const SUB1 = 'af433e60-e6f2-4634-895b-dc538c8bb4dc'
const VM_PORT = '82c374cc-c190-47a8-a592-fe3517fbd42f'
const DHCP_PORT = 'e8329db8-88ab-4e93-b73d-5211377b8bf7'

function part(name: string): Partial<Intent> {
  return parseIntentDocument(name, readFileSync(join(SAMPLES, name), 'utf8')).value
}

describe('mergeIntent', () => {
  it('fills what list --long lacks from a later body, and drops the unknowns it answered', () => {
    const intent = mergeIntent([part('osc-network-list-long.json'), part('api-networks.json')])
    expect(intent.networks.find((n) => n.id === NET1)).toMatchObject({
      networkType: 'vlan',
      physicalNetwork: 'physnet1',
      segmentationId: 1000,
    })
    expect(intent.unknowns).toEqual([])
    expect(intent.problems).toEqual([])
    expect(intent.sources).toEqual(['osc-network-list-long.json', 'api-networks.json'])
  })

  it('copies the records it merges as structuredClone would: nothing shared with the documents', () => {
    const docs = [part('osc-port-list-long.json'), part('api-subnets.json'), part('neutron-port-list.txt')]
    const before = structuredClone(docs)
    const intent = mergeIntent(docs)
    expect(docs).toEqual(before)
    const alone = mergeIntent([structuredClone(docs[0])])
    expect(alone.ports).toEqual(structuredClone(docs[0].ports))
    for (const port of intent.ports) {
      port.fixedIps.push({ipAddress: '0.0.0.0'})
      port.macAddress = 'changed'
    }
    expect(docs).toEqual(before)
    // A key named __proto__ (JSON.parse makes it an own key) stays an own key of the copy.
    const odd = JSON.parse('{"id": "p1", "networkId": "", "macAddress": "", "fixedIps": [], "__proto__": {"x": 1}}')
    const merged = mergeIntent([{ports: [odd]}]).ports[0]
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype)
    expect(Object.keys(merged)).toEqual(Object.keys(structuredClone(odd)))
  })

  it('never erases a known value with a later unknown one', () => {
    const intent = mergeIntent([part('api-networks.json'), part('osc-network-list-long.json')])
    expect(intent.networks.find((n) => n.id === NET1)?.segmentationId).toBe(1000)
    expect(intent.networks.find((n) => n.id === TUN1)?.segmentationId).toBe(1042)
    expect(intent.unknowns).toEqual([])
  })

  it('keeps unknowns nothing answered', () => {
    const intent = mergeIntent([part('osc-network-list-long.json')])
    expect(intent.unknowns).toContain(`segmentation_id of network ${NET1}`)
    expect(intent.networks.find((n) => n.id === NET1)?.segmentationId).toBeUndefined()
  })

  it('merges the same port from a table, a list and an API body: fixed IPs united, network from the subnet', () => {
    const intent = mergeIntent([
      part('neutron-port-list.txt'),
      part('osc-port-list-long.json'),
      part('api-subnets.json'),
    ])
    const vm = intent.ports.find((p) => p.id === VM_PORT)
    expect(vm).toMatchObject({networkId: NET1, macAddress: 'fa:16:3e:4a:5b:6c', deviceOwner: 'compute:nova'})
    expect(vm?.fixedIps).toEqual([{subnetId: SUB1, ipAddress: '198.18.0.5'}])
    expect(intent.unknowns).not.toContain(`network_id of port ${VM_PORT}`)
    expect(intent.unknowns).toContain(`binding:host_id of port ${VM_PORT}`)
  })

  it("a bound compute port tells its server host when Nova's form did not", () => {
    const intent = mergeIntent([part('nova-list.txt'), part('api-ports.json')])
    const web = intent.servers.find((s) => s.id === 'd06715fd-0fa4-4eeb-b740-8647d2e9a0bb')
    expect(web?.host).toBe('compute-1')
    expect(intent.unknowns).not.toContain('host of server d06715fd-0fa4-4eeb-b740-8647d2e9a0bb')
    // db-1 has no port in api-ports.json: still unknown
    expect(intent.unknowns).toContain('host of server d1f9dffc-937a-449a-b324-84fa06dd6071')
  })

  it('adds a MAC from the API body to an address nova list gave without one', () => {
    const intent = mergeIntent([part('nova-list.txt'), part('api-servers-detail.json')])
    expect(intent.servers.find((s) => s.name === 'web-1')?.addresses.net1).toEqual([
      {addr: '198.18.0.5', mac: 'fa:16:3e:4a:5b:6c'},
    ])
  })

  it('attaches subnets to their networks and sets none for flat networks', () => {
    const intent = mergeIntent([
      {networks: [{id: 'n', networkType: 'flat', subnets: []}], sources: ['a']},
      {subnets: [{id: 's', networkId: 'n'}], sources: ['b']},
    ])
    expect(intent.networks[0]).toEqual({id: 'n', networkType: 'flat', subnets: ['s'], segmentationId: null})
  })

  it('records documents that disagree, keeping the first', () => {
    const intent = mergeIntent([part('api-networks.json'), part('conflict-network.json')])
    expect(intent.networks.find((n) => n.id === NET1)?.segmentationId).toBe(1000)
    expect(intent.problems).toEqual([
      {
        host: 'intent',
        spec: 'conflict-network.json',
        kind: 'parse',
        message: `network ${NET1}: segmentationId is 1000 in an earlier document but 1001 here; kept 1000`,
      },
    ])
  })

  it("records a port whose network is not its subnet's network", () => {
    const intent = mergeIntent([part('api-subnets.json'), part('mismatched-port.json')])
    expect(intent.problems).toEqual([
      {
        host: 'intent',
        spec: 'intent',
        kind: 'parse',
        message: `port c7d1e2f3-4a5b-4c6d-8e7f-9a0b1c2d3e4f is on network ${TUN1} but its address 198.18.0.77 is in subnet ${SUB1} of network ${NET1}`,
      },
    ])
  })

  it('an empty list merges to an empty intent', () => {
    expect(mergeIntent([])).toEqual({
      networks: [],
      subnets: [],
      ports: [],
      servers: [],
      unknowns: [],
      problems: [],
      sources: [],
    })
  })

  it('does not change the parts it was given', () => {
    const ports = part('api-ports.json')
    const before = JSON.stringify(ports)
    mergeIntent([ports, part('osc-port-list-long.json'), part('neutron-port-list.txt')])
    expect(JSON.stringify(ports)).toBe(before)
  })
})

describe('loadIntentDir', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neutrace-intent-'))
  })

  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('reads every .json and .txt in name order and merges them', async () => {
    for (const name of ['api-networks.json', 'api-subnets.json', 'osc-port-list-long.json', 'nova-list.txt']) {
      await copyFile(join(SAMPLES, name), join(dir, name))
    }
    await writeFile(join(dir, 'notes.md'), '# not intent\n')
    await mkdir(join(dir, 'nested.json'))
    const intent = await loadIntentDir(dir)
    expect(intent.sources).toEqual([
      'api-networks.json',
      'api-subnets.json',
      'nova-list.txt',
      'osc-port-list-long.json',
    ])
    expect(intent.networks).toHaveLength(3)
    expect(intent.ports.map((p) => p.id)).toEqual([VM_PORT, DHCP_PORT])
    expect(intent.ports.every((p) => p.networkId === NET1)).toBe(true)
    expect(intent.servers).toHaveLength(2)
    expect(intent.problems.map((p) => [p.kind, p.spec])).toEqual([['missing', 'nested.json']])
  })

  it('records parse problems with file, line and the file name as spec', async () => {
    await copyFile(join(SAMPLES, 'garbled-table.txt'), join(dir, 'servers.txt'))
    await writeFile(join(dir, 'empty.json'), '')
    const intent = await loadIntentDir(dir)
    expect(intent.servers).toHaveLength(1)
    expect(intent.problems).toContainEqual({
      host: 'intent',
      spec: 'empty.json',
      file: join(dir, 'empty.json'),
      kind: 'parse',
      message: 'empty document',
    })
    expect(intent.problems).toContainEqual(
      expect.objectContaining({
        host: 'intent',
        spec: 'servers.txt',
        file: join(dir, 'servers.txt'),
        kind: 'parse',
        line: 5,
      }),
    )
  })

  it('a missing folder is a problem, not a throw', async () => {
    const intent = await loadIntentDir(join(dir, 'nope'))
    expect(intent.networks).toEqual([])
    expect(intent.problems).toHaveLength(1)
    expect(intent.problems[0]).toMatchObject({host: 'intent', kind: 'missing'})
    expect(intent.problems[0].message).toMatch(/^cannot read the intent folder/)
  })
})
