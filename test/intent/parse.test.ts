import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseIntentDocument} from '../../src/intent/index.js'

const SAMPLES = join(import.meta.dirname, '../../fixtures/intent-samples')

function parseSample(name: string) {
  return parseIntentDocument(name, readFileSync(join(SAMPLES, name), 'utf8'))
}

const NET1 = '8d8c1794-6c87-4fc5-bedc-aa44709b07a6'
const PUBLIC = '9848cafc-def6-4978-aa25-15ccd019a797'
const TUN1 = 'b6f4da57-de12-4509-82f2-781e0bb3c7ca'
const SUB1 = 'af433e60-e6f2-4634-895b-dc538c8bb4dc'
const VM_PORT = '82c374cc-c190-47a8-a592-fe3517fbd42f'
const WEB1 = 'd06715fd-0fa4-4eeb-b740-8647d2e9a0bb'

// The sample cloud's subnet sub1 and server web-1 as every spelling that carries all their fields reads them.
const SUB1_READ = {
  id: SUB1,
  networkId: NET1,
  name: 'sub1',
  cidr: '198.18.0.0/24',
  gatewayIp: '198.18.0.1',
  enableDhcp: true,
  ipVersion: 4,
  allocationPools: [{start: '198.18.0.2', end: '198.18.0.254'}],
}
const WEB1_READ = {
  id: WEB1,
  name: 'web-1',
  status: 'ACTIVE',
  host: 'compute-1',
  addresses: {net1: [{addr: '198.18.0.5'}]},
}

describe('API bodies', () => {
  it('reads GET /v2.0/networks: vlan, flat (segmentation id null) and vxlan', () => {
    const {value, problems} = parseSample('api-networks.json')
    expect(problems).toEqual([])
    expect(value.sources).toEqual(['api-networks.json'])
    expect(value.networks).toEqual([
      {
        id: NET1,
        name: 'net1',
        adminStateUp: true,
        status: 'ACTIVE',
        networkType: 'vlan',
        physicalNetwork: 'physnet1',
        segmentationId: 1000,
        mtu: 1500,
        subnets: [SUB1],
        shared: false,
      },
      {
        id: PUBLIC,
        name: 'public',
        adminStateUp: true,
        status: 'ACTIVE',
        networkType: 'flat',
        physicalNetwork: 'external',
        segmentationId: null,
        mtu: 1500,
        subnets: ['4b4a984d-96ec-4a98-a7ff-acd59930892b'],
        shared: false,
      },
      {
        id: TUN1,
        name: 'tun1',
        adminStateUp: true,
        status: 'ACTIVE',
        networkType: 'vxlan',
        segmentationId: 1042,
        mtu: 1450,
        subnets: ['82142871-5ac1-44db-bb65-5f51a4b1db07'],
        shared: false,
      },
    ])
    expect(value.unknowns).toEqual([])
  })

  it('reads a single {"network": …} body whose provider attributes sit in segments', () => {
    const {value, problems} = parseSample('api-network-single.json')
    expect(problems).toEqual([])
    expect(value.networks?.[0]).toMatchObject({
      id: NET1,
      networkType: 'vlan',
      physicalNetwork: 'physnet1',
      segmentationId: 1000,
    })
  })

  it('reads GET /v2.0/subnets, keeping a null gateway as null', () => {
    const {value, problems} = parseSample('api-subnets.json')
    expect(problems).toEqual([])
    expect(value.subnets?.[0]).toEqual(SUB1_READ)
    expect(value.subnets?.[2].gatewayIp).toBeNull()
    expect(value.unknowns).toEqual([])
  })

  it('reads GET /v2.0/ports with bindings; an unbound port has an empty binding host', () => {
    const {value, problems} = parseSample('api-ports.json')
    expect(problems).toEqual([])
    const [vm, dhcp, spare] = value.ports ?? []
    expect(vm).toMatchObject({
      id: VM_PORT,
      networkId: NET1,
      macAddress: 'fa:16:3e:4a:5b:6c',
      fixedIps: [{subnetId: SUB1, ipAddress: '198.18.0.5'}],
      deviceOwner: 'compute:nova',
      deviceId: WEB1,
      bindingHost: 'compute-1',
      vifType: 'ovs',
      status: 'ACTIVE',
      adminStateUp: true,
      portSecurityEnabled: true,
    })
    expect(vm.vifDetails).toMatchObject({ovs_hybrid_plug: true, bridge_name: 'br-int'})
    expect(dhcp).toMatchObject({deviceOwner: 'network:dhcp', bindingHost: 'control', portSecurityEnabled: false})
    expect(spare).toMatchObject({bindingHost: '', fixedIps: [], vifType: 'unbound', status: 'DOWN'})
    expect(spare.vifDetails).toBeUndefined()
    expect(value.unknowns).toEqual([])
  })

  it('reads GET /v2.1/servers/detail with host, instance name and MACs', () => {
    const {value, problems} = parseSample('api-servers-detail.json')
    expect(problems).toEqual([])
    expect(value.servers).toEqual([
      {
        ...WEB1_READ,
        instanceName: 'instance-00000002',
        addresses: {net1: [{addr: '198.18.0.5', mac: 'fa:16:3e:4a:5b:6c'}]},
      },
    ])
  })
})

describe('openstack … show -f json', () => {
  it('reads network show (vxlan: no physical network to ask for)', () => {
    const {value, problems} = parseSample('osc-network-show.json')
    expect(problems).toEqual([])
    expect(value.networks?.[0]).toMatchObject({id: TUN1, networkType: 'vxlan', segmentationId: 1042, mtu: 1450})
    expect(value.unknowns).toEqual([])
  })

  it('reads subnet show', () => {
    const {value} = parseSample('osc-subnet-show.json')
    expect(value.subnets?.[0]).toMatchObject({
      networkId: TUN1,
      cidr: '198.18.2.0/24',
      gatewayIp: null,
      enableDhcp: true,
    })
  })

  it('reads port show with binding_host_id and fixed_ips as a list', () => {
    const {value, problems} = parseSample('osc-port-show.json')
    expect(problems).toEqual([])
    expect(value.ports?.[0]).toMatchObject({
      id: 'a53d25fc-8bdc-4719-992d-d17bc410b8cb',
      networkId: TUN1,
      bindingHost: 'compute-2',
      macAddress: 'fa:16:3e:a0:b1:c2',
      fixedIps: [{subnetId: '82142871-5ac1-44db-bb65-5f51a4b1db07', ipAddress: '198.18.2.7'}],
      vifDetails: {ovs_hybrid_plug: false},
      adminStateUp: true,
    })
  })

  it('reads the older human-readable spellings: fixed_ips and vif details as key=value text, state as UP', () => {
    const {value, problems} = parseSample('osc-port-show-legacy.json')
    expect(problems).toEqual([])
    expect(value.ports?.[0]).toMatchObject({
      id: VM_PORT,
      bindingHost: 'compute-1',
      adminStateUp: true,
      fixedIps: [{subnetId: SUB1, ipAddress: '198.18.0.5'}],
      vifDetails: {ovs_hybrid_plug: true, port_filter: true},
    })
  })

  it('reads server show, with addresses as a mapping or as `net=ip; net=ip` text', () => {
    const modern = parseSample('osc-server-show.json')
    expect(modern.problems).toEqual([])
    expect(modern.value.servers?.[0]).toMatchObject({
      name: 'db-1',
      host: 'compute-2',
      instanceName: 'instance-00000003',
      addresses: {tun1: [{addr: '198.18.2.7'}]},
    })
    const legacy = parseSample('osc-server-show-legacy.json')
    expect(legacy.value.servers?.[0].addresses).toEqual({
      net1: [{addr: '198.18.0.5'}],
      public: [{addr: '198.18.1.120'}],
    })
  })

  it('reads an array of show objects of different kinds', () => {
    const {value, problems} = parseSample('osc-show-array.json')
    expect(problems).toEqual([])
    expect(value.ports?.map((p) => p.id)).toEqual(['a53d25fc-8bdc-4719-992d-d17bc410b8cb'])
    expect(value.networks?.map((n) => n.id)).toEqual([TUN1])
  })
})

describe('openstack … list --long -f json', () => {
  it('network list: the type is known, segmentation ids and physical networks are unknowns, never guessed', () => {
    const {value, problems} = parseSample('osc-network-list-long.json')
    expect(problems).toEqual([])
    const [net1, pub, tun] = value.networks ?? []
    expect(net1).toMatchObject({id: NET1, name: 'net1', networkType: 'vlan', adminStateUp: true, subnets: [SUB1]})
    expect(net1.segmentationId).toBeUndefined()
    expect(net1.physicalNetwork).toBeUndefined()
    expect(pub.segmentationId).toBeNull()
    expect(tun.segmentationId).toBeUndefined()
    expect(value.unknowns).toEqual([
      `physical_network of network ${NET1}`,
      `segmentation_id of network ${NET1}`,
      `physical_network of network ${PUBLIC}`,
      `segmentation_id of network ${TUN1}`,
    ])
  })

  it('subnet list: Network, Subnet, Gateway, DHCP and Allocation Pools columns', () => {
    const {value, problems} = parseSample('osc-subnet-list-long.json')
    expect(problems).toEqual([])
    expect(value.subnets?.[1]).toEqual(SUB1_READ)
  })

  it('port list: network and binding are unknowns, the rest is read', () => {
    const {value, problems} = parseSample('osc-port-list-long.json')
    expect(problems).toEqual([])
    expect(value.ports?.[1]).toEqual({
      id: 'e8329db8-88ab-4e93-b73d-5211377b8bf7',
      networkId: '',
      macAddress: 'fa:16:3e:11:22:33',
      fixedIps: [{subnetId: SUB1, ipAddress: '198.18.0.2'}],
      deviceOwner: 'network:dhcp',
      status: 'ACTIVE',
      securityGroups: [],
    })
    expect(value.ports?.[0].securityGroups).toHaveLength(1)
    expect(value.unknowns).toContain(`binding:host_id of port ${VM_PORT}`)
    expect(value.unknowns).toContain(`network_id of port ${VM_PORT}`)
  })

  it('port list in the older string form, with an empty fixed IP list', () => {
    const {value, problems} = parseSample('osc-port-list-long-legacy.json')
    expect(problems).toEqual([])
    expect(value.ports?.[0].fixedIps).toEqual([{subnetId: SUB1, ipAddress: '198.18.0.5'}])
    expect(value.ports?.[1].fixedIps).toEqual([])
  })

  it('server list: Networks as a mapping, Host present', () => {
    const {value, problems} = parseSample('osc-server-list-long.json')
    expect(problems).toEqual([])
    expect(value.servers?.[1]).toEqual(WEB1_READ)
    expect(value.unknowns).toEqual([])
  })
})

describe('CLI tables', () => {
  it('reads neutron net-show with borders; an empty segmentation id of a flat network is none; a cell continues', () => {
    const {value, problems} = parseSample('neutron-net-show.txt')
    expect(problems).toEqual([])
    expect(value.networks).toEqual([
      {
        id: PUBLIC,
        name: 'public',
        adminStateUp: true,
        status: 'ACTIVE',
        networkType: 'flat',
        physicalNetwork: 'external',
        segmentationId: null,
        subnets: ['4b4a984d-96ec-4a98-a7ff-acd59930892b', '0e7b3c52-1f4d-4a8e-b6c9-2d5f8a1e7c30'],
        shared: false,
      },
    ])
  })

  it('reads neutron port-show with a JSON fixed_ips cell and Havana binding:capabilities', () => {
    const {value, problems} = parseSample('neutron-port-show.txt')
    expect(problems).toEqual([])
    expect(value.ports?.[0]).toMatchObject({
      id: 'e8329db8-88ab-4e93-b73d-5211377b8bf7',
      networkId: NET1,
      bindingHost: 'control',
      vifType: 'ovs',
      fixedIps: [{subnetId: SUB1, ipAddress: '198.18.0.2'}],
      vifDetails: {port_filter: true},
    })
  })

  it('reads neutron port-list with a fixed_ips cell spanning two lines', () => {
    const {value, problems} = parseSample('neutron-port-list.txt')
    expect(problems).toEqual([])
    expect(value.ports).toHaveLength(3)
    expect(value.ports?.[2]).toMatchObject({
      name: 'multi',
      fixedIps: [
        {subnetId: SUB1, ipAddress: '198.18.0.9'},
        {subnetId: SUB1, ipAddress: '198.18.0.10'},
      ],
    })
  })

  it('reads nova list: Networks as `net=ip; net=ip`, host unknown', () => {
    const {value, problems} = parseSample('nova-list.txt')
    expect(problems).toEqual([])
    expect(value.servers?.[0]).toEqual({
      id: WEB1,
      name: 'web-1',
      status: 'ACTIVE',
      addresses: {net1: [{addr: '198.18.0.5'}], public: [{addr: '198.18.1.120'}]},
    })
    expect(value.unknowns).toContain(`host of server ${WEB1}`)
  })
})

describe('the seed text as the blog printed it (no borders, blank lines, no-break spaces, lost values)', () => {
  it('net-create: the network of the seed', () => {
    const {value, problems} = parseSample('seed-net-create-verbatim.txt')
    expect(problems).toEqual([])
    expect(value.networks).toEqual([
      {
        id: '5f833617-6179-4797-b7c0-7d420d84040c',
        name: 'net1',
        adminStateUp: true,
        status: 'ACTIVE',
        networkType: 'vlan',
        physicalNetwork: 'default',
        segmentationId: 1000,
        subnets: [],
        shared: false,
      },
    ])
  })

  it('subnet-create: the lost cidr and pool are problems with their lines, the lost gateway an unknown', () => {
    const {value, problems} = parseSample('seed-subnet-create-verbatim.txt')
    expect(value.subnets).toEqual([
      {
        id: '2d7a0a58-0674-439a-ad23-d6471aaae9bc',
        networkId: '5f833617-6179-4797-b7c0-7d420d84040c',
        enableDhcp: true,
        ipVersion: 4,
        allocationPools: [],
      },
    ])
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [9, 'subnet 2d7a0a58-0674-439a-ad23-d6471aaae9bc: the cidr is empty'],
      [
        7,
        'subnet 2d7a0a58-0674-439a-ad23-d6471aaae9bc: an allocation pool without a start or end: {"start": "", "end": ""}',
      ],
    ])
    expect(value.unknowns).toEqual([
      'cidr of subnet 2d7a0a58-0674-439a-ad23-d6471aaae9bc',
      'gateway_ip of subnet 2d7a0a58-0674-439a-ad23-d6471aaae9bc',
    ])
  })

  it('nova list: `net1=` with the address lost is a problem, not a crash', () => {
    const {value, problems} = parseSample('seed-nova-list-verbatim.txt')
    expect(value.servers?.[0]).toMatchObject({
      id: '3707ac87-4f5d-4349-b7ed-3a673f55e5e1',
      name: 'Oracle Linux',
      addresses: {net1: []},
    })
    expect(problems).toEqual([
      {
        line: 4,
        text: 'Networks: net1=',
        message: 'server 3707ac87-4f5d-4349-b7ed-3a673f55e5e1: no address for network net1',
      },
    ])
  })
})

describe('bad documents', () => {
  it('an empty or blank document is one problem', () => {
    for (const name of ['empty.json', 'blank.txt']) {
      const {value, problems} = parseSample(name)
      expect(problems).toEqual([{message: 'empty document'}])
      expect(value.networks).toEqual([])
    }
  })

  it('truncated JSON: a problem at the line where it broke', () => {
    const {value, problems} = parseSample('garbled-truncated.json')
    expect(value.ports).toEqual([])
    expect(problems).toHaveLength(1)
    expect(problems[0].message).toMatch(/^not valid JSON/)
    expect(problems[0].line).toBe(22)
  })

  it('garbled table rows are problems with their lines; the good row is kept', () => {
    const {value, problems} = parseSample('garbled-table.txt')
    expect(value.servers?.map((s) => s.id)).toEqual([WEB1])
    expect(problems.map((p) => p.line)).toEqual([5, 6, 7])
    expect(problems[0].message).toBe('table row is cut short (no closing |): the record is not read')
    expect(problems[1].message).toBe('expected 6 cells as in the header, found 5')
  })

  it('an API error reply and plain text are each a problem; routers are read (issue 11)', () => {
    expect(parseSample('error-reply.json').problems[0]).toMatchObject({
      line: 1,
      message: 'the document is an API error reply, not intent',
    })
    expect(parseSample('error-reply.json').problems[0].text).toContain('could not be found')
    const routers = parseSample('routers.json')
    expect(routers.problems).toEqual([])
    expect(routers.value.routers).toEqual([
      {id: '0b7d3c9e-1f4a-4e6b-8c2d-5a9f7e1b3c64', name: 'router1', status: 'ACTIVE', adminStateUp: true, routes: []},
    ])
    expect(parseSample('not-intent.txt').problems).toEqual([
      {line: 1, text: 'Connection to controller:9696 timed out', message: 'neither JSON nor a CLI table'},
    ])
  })

  it('bad values: a non-numeric segmentation id, a record without id, a non-object item', () => {
    const {value, problems} = parseSample('invalid-values.json')
    expect(value.networks).toHaveLength(1)
    expect(value.networks?.[0].segmentationId).toBeUndefined()
    expect(value.unknowns).toEqual(['segmentation_id of network e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b'])
    expect(problems.map((p) => p.message)).toEqual([
      'network e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b: segmentation id is not a number',
      'a network without an id is skipped',
      'networks[]: expected an object',
    ])
    expect(problems[0]).toMatchObject({line: 4, text: 'provider:segmentation_id: one thousand'})
  })

  it('a record that is nothing recognisable is skipped with a problem', () => {
    const {value, problems} = parseIntentDocument('x.json', '[{"id": "abc", "colour": "blue"}]')
    expect(value.networks).toEqual([])
    expect(problems).toEqual([
      {
        line: 1,
        text: 'id, colour',
        message: 'cannot tell whether this record is a network, subnet, port or server; skipped',
      },
    ])
  })

  it('a JSON scalar or a JSON object of the wrong shape is a problem', () => {
    expect(parseIntentDocument('x.json', '42').problems).toEqual([
      {line: 1, text: '42', message: 'neither JSON nor a CLI table'},
    ])
    expect(parseIntentDocument('x.json', '{"networks": {"id": "x"}}').problems).toEqual([
      {line: 1, text: 'networks', message: '"networks" should hold a list'},
    ])
  })
})
