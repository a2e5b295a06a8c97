// A generated snapshot of any size: control node (DHCP) plus N compute nodes, several VLAN networks, VMs wired the
// Havana hybrid way with patch int/phy links — in the exact text formats the real programs print (as captured from the
// lab). Used by the benchmark (200 hosts) and by analyzer tests that need shapes the seed lacks (two networks).

import {createHash} from 'node:crypto'
import {mkdir, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {captureFileName, type CaptureRecord, type HostRecord, type Manifest} from '../../src/snapshot/manifest.js'

export interface SynthNetwork {
  id: string
  name: string
  segmentationId: number
  cidr3: string // e.g. '198.19.1'
}

export interface SynthOptions {
  computes: number
  networks: number
  vmsPerHost: number
  /**
   * Modern agent flows (OF1.3 spelling, random cookies, tables 0/24/25/30/31/58/59/60, dead-VLAN drop) instead of
   * Havana's.
   */
  modern?: boolean
  /** Mutations for tests: host -> spec@key -> text transform */
  mutate?: (host: string, spec: string, key: string | undefined, text: string) => string
}

export interface SynthVm {
  uuid: string
  name: string
  host: string
  portId: string
  mac: string
  ip: string
  network: SynthNetwork
  localVlan: number
}

function uuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

function mac(n: number): string {
  return `fa:16:3e:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`
}

/** The EUI-64 link-local address of a MAC (what the agent's neighbour-advertisement flows name as nd_target). */
function linkLocal(m: string): string {
  const b = m.split(':').map((x) => Number.parseInt(x, 16))
  const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16)
  return `fe80::${hex(b[0] ^ 2, b[1])}:${hex(b[2], 0xff)}:${hex(0xfe, b[3])}:${hex(b[4], b[5])}`
}

interface PortSpec {
  name: string
  tag?: number
  type?: string
  options?: string
}

function vsctlShow(bridges: {name: string; ports: PortSpec[]}[]): string {
  const out = ['2c1b7a1e-8d0f-4b55-9e6a-3f6f1f1d7e21']
  for (const b of bridges) {
    out.push(`    Bridge ${b.name}`)
    for (const p of b.ports) {
      out.push(`        Port ${p.name}`)
      if (p.tag !== undefined) out.push(`            tag: ${p.tag}`)
      out.push(`            Interface ${p.name}`)
      if (p.type) out.push(`                type: ${p.type}`)
      if (p.options) out.push(`                options: {${p.options}}`)
    }
  }
  out.push('    ovs_version: "3.1.0"')
  return out.join('\n') + '\n'
}

function ofctlShow(ports: string[], bridge: string): string {
  const out = [
    'OFPT_FEATURES_REPLY (xid=0x2): dpid:00002a6b1c3d4e5f',
    'n_tables:254, n_buffers:0',
    'capabilities: FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS ARP_MATCH_IP',
    'actions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst',
  ]
  ports.forEach((p, i) =>
    out.push(
      ` ${i + 1}(${p}): addr:fe:16:3e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
      '     config:     0',
      '     state:      0',
      '     speed: 0 Mbps now, 0 Mbps max',
    ),
  )
  out.push(
    ` LOCAL(${bridge}): addr:2a:6b:1c:3d:4e:5f`,
    '     config:     0',
    '     state:      0',
    '     speed: 0 Mbps now, 0 Mbps max',
    'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0',
  )
  return out.join('\n') + '\n'
}

function flowLine(table: number, priority: number, match: string, actions: string): string {
  return ` cookie=0x0, duration=1234.5s, table=${table}, n_packets=0, n_bytes=0, idle_age=1234, priority=${priority}${match ? `,${match}` : ''} actions=${actions}`
}

interface LinkSpec {
  name: string
  kind?: string
  master?: string
  peer?: string
}

function ipLinkJson(links: LinkSpec[]): string {
  const index = new Map(links.map((l, i) => [l.name, i + 2]))
  const out: unknown[] = [
    {
      ifindex: 1,
      ifname: 'lo',
      flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
      mtu: 65536,
      operstate: 'UNKNOWN',
      link_type: 'loopback',
      address: '00:00:00:00:00:00',
    },
  ]
  links.forEach((l, i) => {
    const rec: Record<string, unknown> = {
      ifindex: i + 2,
      ifname: l.name,
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      mtu: 1500,
      operstate: 'UP',
      link_type: 'ether',
      address: mac(0xa00000 + i),
    }
    if (l.peer) rec.link = l.peer
    if (l.master) rec.master = l.master
    if (l.kind) rec.linkinfo = {info_kind: l.kind, ...(l.master ? {info_slave_kind: 'bridge'} : {})}
    void index
    out.push(rec)
  })
  return JSON.stringify(out) + '\n'
}

function brctlShow(bridges: {name: string; members: string[]}[]): string {
  const out = ['bridge name\tbridge id\t\tSTP enabled\tinterfaces']
  bridges.forEach((b, i) => {
    out.push(
      `${b.name}\t\t8000.${mac(0xb00000 + i)
        .replace(/:/g, '')
        .slice(0, 12)}\tno\t\t${b.members[0] ?? ''}`,
    )
    for (const m of b.members.slice(1)) out.push(`\t\t\t\t\t\t\t${m}`)
  })
  return out.join('\n') + '\n'
}

function libvirtXml(vm: SynthVm, short: string): string {
  return `<domain type="kvm">
  <uuid>${vm.uuid}</uuid>
  <name>instance-${vm.uuid.slice(0, 8)}</name>
  <metadata>
    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.0">
      <nova:name>${vm.name}</nova:name>
    </nova:instance>
  </metadata>
  <devices>
    <interface type="bridge">
      <mac address="${vm.mac}"/>
      <model type="virtio"/>
      <source bridge="qbr${short}"/>
      <target dev="tap${short}"/>
    </interface>
  </devices>
</domain>
`
}

function havanaFlows(used: Set<SynthNetwork>, networks: SynthNetwork[]): {intFlows: string[]; physFlows: string[]} {
  const intFlows = ['NXST_FLOW reply (xid=0x4):', flowLine(0, 1, '', 'NORMAL'), flowLine(0, 2, 'in_port=1', 'drop')]
  const physFlows = ['NXST_FLOW reply (xid=0x4):', flowLine(0, 1, '', 'NORMAL'), flowLine(0, 2, 'in_port=2', 'drop')]
  for (const net of used) {
    const local = networks.indexOf(net) + 1
    intFlows.push(flowLine(0, 3, `in_port=1,dl_vlan=${net.segmentationId}`, `mod_vlan_vid:${local},NORMAL`))
    physFlows.push(flowLine(0, 4, `in_port=2,dl_vlan=${local}`, `mod_vlan_vid:${net.segmentationId},NORMAL`))
  }
  return {intFlows, physFlows}
}

/** What a 2025.1 agent installs, as `ovs-ofctl -O OpenFlow13 --names dump-flows` prints it. */
function modernFlows(
  host: string,
  used: Set<SynthNetwork>,
  networks: SynthNetwork[],
  vms: SynthVm[],
): {intFlows: string[]; physFlows: string[]} {
  const cookie = '0x' + createHash('sha1').update(host).digest('hex').slice(0, 16)
  const line = (table: number, priority: number, match: string, actions: string) =>
    ` cookie=${cookie}, duration=812.4s, table=${table}, n_packets=0, n_bytes=0, priority=${priority}${match ? `,${match}` : ''} actions=${actions}`
  const intFlows = [
    'OFPST_FLOW reply (OF1.3) (xid=0x2):',
    line(0, 65535, 'dl_vlan=4095', 'drop'),
    line(0, 2, 'in_port="int-br-eth2"', 'drop'),
  ]
  for (const net of used) {
    const local = networks.indexOf(net) + 1
    intFlows.push(
      line(
        0,
        3,
        `in_port="int-br-eth2",dl_vlan=${net.segmentationId}`,
        `set_field:${4096 + local}->vlan_vid,goto_table:58`,
      ),
    )
  }
  for (const vm of vms) {
    const qvo = `"qvo${vm.portId.slice(0, 11)}"`
    intFlows.push(
      line(0, 10, `arp,in_port=${qvo}`, 'goto_table:24'),
      line(0, 10, `icmp6,in_port=${qvo},icmp_type=136`, 'goto_table:24'),
      line(0, 9, `in_port=${qvo}`, 'goto_table:25'),
      line(24, 2, `arp,in_port=${qvo},arp_spa=${vm.ip}`, 'goto_table:25'),
      line(24, 2, `icmp6,in_port=${qvo},icmp_type=136,nd_target=${linkLocal(vm.mac)}`, 'goto_table:58'),
      line(25, 2, `in_port=${qvo},dl_src=${vm.mac}`, 'goto_table:30'),
    )
  }
  intFlows.push(
    line(0, 0, '', 'goto_table:58'),
    line(23, 0, '', 'drop'),
    line(24, 0, '', 'drop'),
    line(30, 0, '', 'goto_table:31'),
    line(31, 0, '', 'goto_table:58'),
    line(58, 0, '', 'goto_table:59'),
    line(59, 0, '', 'goto_table:60'),
    line(60, 1, '', 'NORMAL'),
  )
  const physFlows = [
    'OFPST_FLOW reply (OF1.3) (xid=0x2):',
    line(0, 2, 'in_port="phy-br-eth2"', 'drop'),
    line(0, 0, '', 'NORMAL'),
  ]
  for (const net of used) {
    const local = networks.indexOf(net) + 1
    physFlows.push(
      line(0, 4, `in_port="phy-br-eth2",dl_vlan=${local}`, `set_field:${4096 + net.segmentationId}->vlan_vid,NORMAL`),
    )
  }
  return {intFlows, physFlows}
}

const PHYS = 'br-eth2'
const NIC = 'eth2'

export interface Synth {
  networks: SynthNetwork[]
  vms: SynthVm[]
  hosts: string[]
}

/** VMs a generated /24 holds: .10 to .249. */
const VMS_PER_NETWORK = 240

export async function writeSynthSnapshot(dir: string, opts: SynthOptions): Promise<Synth> {
  // At least as many networks as the VMs need for unique addresses: 500 hosts × 40 VMs on 8 /24s would reuse IPs.
  const count = Math.max(opts.networks, Math.ceil((opts.computes * opts.vmsPerHost) / VMS_PER_NETWORK))
  if (count > 250) throw new Error(`${count} networks do not fit in 198.19.0.0/16 as /24s`)
  const networks: SynthNetwork[] = Array.from({length: count}, (_, i) => ({
    id: uuid(`net-${i}`),
    name: `net${i + 1}`,
    segmentationId: 1000 + i,
    cidr3: `198.19.${i + 1}`,
  }))
  const hosts = ['control', ...Array.from({length: opts.computes}, (_, i) => `compute-${i + 1}`)]
  const vms: SynthVm[] = []
  let n = 0
  for (const host of hosts.slice(1)) {
    for (let v = 0; v < opts.vmsPerHost; v++) {
      // The VMs in turn over the networks: the k-th VM of a network gets .10+k, unique in its /24.
      const network = networks[n % networks.length]
      const ip = `${network.cidr3}.${10 + Math.floor(n / networks.length)}`
      n++
      vms.push({
        uuid: uuid(`vm-${n}`),
        name: `vm-${n}`,
        host,
        portId: uuid(`port-${n}`),
        mac: mac(n),
        ip,
        network,
        localVlan: networks.indexOf(network) + 1,
      })
    }
  }
  const dhcpPorts = networks.map((net, i) => ({
    net,
    id: uuid(`dhcp-${i}`),
    mac: mac(0xd00000 + i),
    ip: `${net.cidr3}.2`,
    localVlan: i + 1,
  }))
  const manifestHosts: HostRecord[] = []
  const files = new Map<string, string>()
  const write = (host: string, spec: string, key: string | undefined, argv: string[], text: string): CaptureRecord => {
    const body = opts.mutate ? opts.mutate(host, spec, key, text) : text
    const file = captureFileName(host, spec, key)
    files.set(file, body)
    return {
      spec,
      key,
      argv,
      file,
      exitCode: 0,
      durationMs: 1,
      startedAt: '2026-11-24T00:00:00.000Z',
      sha256: createHash('sha256').update(body).digest('hex'),
    }
  }

  for (const host of hosts) {
    const control = host === 'control'
    const mine = vms.filter((v) => v.host === host)
    const captures: CaptureRecord[] = []
    const intPorts: PortSpec[] = [
      {name: 'int-br-eth2', type: 'patch', options: 'peer=phy-br-eth2'},
      {name: 'br-int', type: 'internal'},
    ]
    const links: LinkSpec[] = [{name: NIC}, {name: 'br-int'}, {name: PHYS}]
    const linuxBridges: {name: string; members: string[]}[] = []
    for (const vm of mine) {
      const short = vm.portId.slice(0, 11)
      intPorts.push({name: `qvo${short}`, tag: vm.localVlan})
      links.push(
        {name: `qbr${short}`, kind: 'bridge'},
        {name: `qvb${short}`, kind: 'veth', peer: `qvo${short}`, master: `qbr${short}`},
        {name: `qvo${short}`, kind: 'veth', peer: `qvb${short}`},
        {name: `tap${short}`, kind: 'tun', master: `qbr${short}`},
      )
      linuxBridges.push({name: `qbr${short}`, members: [`qvb${short}`, `tap${short}`]})
      captures.push(
        write(
          host,
          'file',
          `/var/lib/nova/instances/${vm.uuid}/libvirt.xml`,
          ['cat', '--', `/var/lib/nova/instances/${vm.uuid}/libvirt.xml`],
          libvirtXml(vm, short),
        ),
      )
    }
    if (control)
      for (const d of dhcpPorts) intPorts.push({name: `tap${d.id.slice(0, 11)}`, tag: d.localVlan, type: 'internal'})
    const physPorts: PortSpec[] = [
      {name: NIC},
      {name: 'phy-br-eth2', type: 'patch', options: 'peer=int-br-eth2'},
      {name: PHYS, type: 'internal'},
    ]
    captures.push(write(host, 'hostname', undefined, ['hostname'], `${host}\n`))
    captures.push(
      write(
        host,
        'ovs_vsctl_show',
        undefined,
        ['ovs-vsctl', 'show'],
        vsctlShow([
          {name: 'br-int', ports: intPorts},
          {name: PHYS, ports: physPorts},
        ]),
      ),
    )
    const intNames = intPorts.filter((p) => p.name !== 'br-int').map((p) => p.name)
    const physNames = physPorts.filter((p) => p.name !== PHYS).map((p) => p.name)
    captures.push(
      write(host, 'ovs_ofctl_show', 'br-int', ['ovs-ofctl', 'show', 'br-int'], ofctlShow(intNames, 'br-int')),
    )
    captures.push(write(host, 'ovs_ofctl_show', PHYS, ['ovs-ofctl', 'show', PHYS], ofctlShow(physNames, PHYS)))
    const used = new Set([...mine.map((v) => v.network), ...(control ? networks : [])])
    const {intFlows, physFlows} = opts.modern ? modernFlows(host, used, networks, mine) : havanaFlows(used, networks)
    captures.push(
      write(host, 'ovs_ofctl_dump_flows', 'br-int', ['ovs-ofctl', 'dump-flows', 'br-int'], intFlows.join('\n') + '\n'),
    )
    captures.push(
      write(host, 'ovs_ofctl_dump_flows', PHYS, ['ovs-ofctl', 'dump-flows', PHYS], physFlows.join('\n') + '\n'),
    )
    captures.push(write(host, 'ip_link', undefined, ['ip', '-j', '-d', 'link'], ipLinkJson(links)))
    captures.push(write(host, 'brctl_show', undefined, ['brctl', 'show'], brctlShow(linuxBridges)))
    captures.push(
      write(
        host,
        'file',
        '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
        ['cat', '--', '/etc/neutron/plugins/ml2/openvswitch_agent.ini'],
        `[ovs]\nbridge_mappings = default:${PHYS}\n\n[securitygroup]\nfirewall_driver = iptables_hybrid\n`,
      ),
    )
    const namespaces = control ? networks.map((net) => `qdhcp-${net.id}`) : []
    captures.push(
      write(
        host,
        'ip_netns',
        undefined,
        ['ip', 'netns', 'list'],
        namespaces.map((ns, i) => `${ns} (id: ${i})`).join('\n') + (namespaces.length ? '\n' : ''),
      ),
    )
    const ps = ['1 /sbin/init', `2 /usr/sbin/sshd -D -f /etc/ssh/sshd_config`]
    if (control) {
      dhcpPorts.forEach((d, i) => {
        const ns = `qdhcp-${d.net.id}`
        const dev = `tap${d.id.slice(0, 11)}`
        captures.push(
          write(
            host,
            'netns_ip_addr',
            ns,
            ['ip', '-n', ns, '-j', 'addr'],
            JSON.stringify([
              {
                ifindex: 1,
                ifname: 'lo',
                flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
                mtu: 65536,
                operstate: 'UNKNOWN',
                address: '00:00:00:00:00:00',
                addr_info: [],
              },
              {
                ifindex: 2,
                ifname: dev,
                flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
                mtu: 1500,
                operstate: 'UNKNOWN',
                address: d.mac,
                addr_info: [{family: 'inet', local: d.ip, prefixlen: 24, scope: 'global', label: dev}],
              },
            ]) + '\n',
          ),
        )
        const base = `/var/lib/neutron/dhcp/${d.net.id}`
        ps.push(
          `${100 + i} dnsmasq --no-hosts --no-resolv --strict-order --bind-interfaces --interface=${dev} --except-interface=lo --pid-file=${base}/pid --dhcp-hostsfile=${base}/host --addn-hosts=${base}/addn_hosts --dhcp-optsfile=${base}/opts --dhcp-leasefile=${base}/leases --dhcp-range=set:tag0,${d.net.cidr3}.0,static,86400s --dhcp-lease-max=256 --conf-file= --domain=openstacklocal`,
        )
        const entries = vms
          .filter((v) => v.network === d.net)
          .map((v) => `${v.mac},host-${v.ip.replace(/\./g, '-')}.openstacklocal,${v.ip}`)
        captures.push(
          write(
            host,
            'file',
            `${base}/host`,
            ['cat', '--', `${base}/host`],
            entries.join('\n') + (entries.length ? '\n' : ''),
          ),
        )
        captures.push(
          write(host, 'netns_of_pid', String(100 + i), ['ip', 'netns', 'identify', String(100 + i)], `${ns}\n`),
        )
      })
    }
    captures.push(write(host, 'ps', undefined, ['ps', '-ww', '-eo', 'pid=,args='], ps.join('\n') + '\n'))
    manifestHosts.push({
      name: host,
      roles: control ? ['control', 'network'] : ['compute'],
      address: '198.18.0.1',
      status: 'complete',
      captures,
    })
  }

  const intent = {
    'networks.json': {
      networks: networks.map((n) => ({
        id: n.id,
        name: n.name,
        admin_state_up: true,
        status: 'ACTIVE',
        subnets: [uuid(`subnet-${n.id}`)],
        'provider:network_type': 'vlan',
        'provider:physical_network': 'default',
        'provider:segmentation_id': n.segmentationId,
        mtu: 1500,
        shared: false,
      })),
    },
    'subnets.json': {
      subnets: networks.map((n) => ({
        id: uuid(`subnet-${n.id}`),
        network_id: n.id,
        name: `${n.name}-subnet`,
        cidr: `${n.cidr3}.0/24`,
        gateway_ip: `${n.cidr3}.1`,
        enable_dhcp: true,
        ip_version: 4,
        allocation_pools: [{start: `${n.cidr3}.2`, end: `${n.cidr3}.254`}],
      })),
    },
    'ports.json': {
      ports: [
        ...vms.map((v) => ({
          id: v.portId,
          network_id: v.network.id,
          mac_address: v.mac,
          fixed_ips: [{subnet_id: uuid(`subnet-${v.network.id}`), ip_address: v.ip}],
          device_owner: 'compute:nova',
          device_id: v.uuid,
          'binding:host_id': v.host,
          'binding:vif_type': 'ovs',
          'binding:vif_details': {ovs_hybrid_plug: true, port_filter: true},
          status: 'ACTIVE',
          admin_state_up: true,
        })),
        ...dhcpPorts.map((d) => ({
          id: d.id,
          network_id: d.net.id,
          mac_address: d.mac,
          fixed_ips: [{subnet_id: uuid(`subnet-${d.net.id}`), ip_address: d.ip}],
          device_owner: 'network:dhcp',
          device_id: `dhcp-${d.net.id}`,
          'binding:host_id': 'control',
          'binding:vif_type': 'ovs',
          status: 'ACTIVE',
          admin_state_up: true,
        })),
      ],
    },
    'servers.json': {
      servers: vms.map((v) => ({
        id: v.uuid,
        name: v.name,
        status: 'ACTIVE',
        'OS-EXT-SRV-ATTR:host': v.host,
        'OS-EXT-SRV-ATTR:instance_name': `instance-${v.uuid.slice(0, 8)}`,
        addresses: {
          [v.network.name]: [{addr: v.ip, version: 4, 'OS-EXT-IPS-MAC:mac_addr': v.mac, 'OS-EXT-IPS:type': 'fixed'}],
        },
      })),
    },
  }
  const manifest: Manifest = {
    format: 'neutrace-snapshot',
    formatVersion: 1,
    toolVersion: '0.1.0',
    createdAt: '2026-11-24T00:00:00.000Z',
    source: 'synthetic',
    description: `generated: ${opts.computes} compute nodes, ${networks.length} networks, ${opts.vmsPerHost} VMs per compute node`,
    hosts: manifestHosts,
    intent: Object.keys(intent).map((k) => `intent/${k}`),
  }
  await mkdir(dir, {recursive: true})
  for (const [file, text] of files) {
    await mkdir(dirname(join(dir, file)), {recursive: true})
    await writeFile(join(dir, file), text)
  }
  await mkdir(join(dir, 'intent'), {recursive: true})
  for (const [name, body] of Object.entries(intent))
    await writeFile(join(dir, 'intent', name), JSON.stringify(body, null, 1) + '\n')
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n')
  return {networks, vms, hosts}
}
