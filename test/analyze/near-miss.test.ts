// Every finding code has a near miss that must stay quiet: a situation close to its fault that is healthy. Each case
// edits the seed snapshot the way the healthy variant would look, and asserts that neither this code nor any other
// error or warning is raised. (The fault side of each code: seed-faults.test.ts.)

import {beforeAll, describe, expect, it} from 'vitest'
import {FINDING_CODES, type FindingCode} from '../../src/analyze/codes.js'
import {join} from 'node:path'
import {analysisOf, diagnose, PACKAGE_ROOT, SEED_SNAPSHOT} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

const NET = '5f833617-6179-4797-b7c0-7d420d84040c'
const HOST_FILE = `/var/lib/neutron/dhcp/${NET}/host`
const LIBVIRT = '/var/lib/nova/instances/3707ac87-4f5d-4349-b7ed-3a673f55e5e1/libvirt.xml'

let seed: Snapshot
/** The tunnel codes' near misses are edits of the VXLAN lab's snapshot (the seed has no tunnels). */
let vxlan: Snapshot
/** The security-group codes' near misses are edits of the lab with security groups. */
let sg: Snapshot
/** The L3 codes' near misses are edits of the router lab's snapshot (issue 11). */
let l3: Snapshot
beforeAll(async () => {
  sg = await readSnapshot(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-sg'))
  seed = await readSnapshot(SEED_SNAPSHOT)
  vxlan = await readSnapshot(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-vxlan'))
  l3 = await readSnapshot(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-l3'))
})

type Edit =
  | {host: string; spec: string; key?: string; text: (t: string) => string}
  | {intent: string; text: (t: string) => string}
  | {host: string; spec: string; key?: string; record: (r: Snapshot['captures'][number]['record']) => void}
  /** The capture is not there at all (the collector would not have made it). */
  | {host: string; spec: string; key?: string; remove: true}
  /** One more file capture on a host (a copy of one of its file captures with another path and text). */
  | {host: string; addFile: string; text: string}

function apply(edits: Edit[], on: 'seed' | 'vxlan' | 'sg' | 'l3' = 'seed'): Snapshot {
  const snap: Snapshot = structuredClone(on === 'vxlan' ? vxlan : on === 'sg' ? sg : on === 'l3' ? l3 : seed)
  for (const e of edits) {
    if ('addFile' in e) {
      const like = snap.captures.find((x) => x.host === e.host && x.spec === 'file')!
      const file = `hosts/${e.host}/file@${e.addFile.replaceAll('/', '_')}.out`
      snap.captures.push({...structuredClone(like), key: e.addFile, text: e.text, record: {...like.record, file}})
      continue
    }
    if ('intent' in e) {
      const f = snap.intentFiles.find((x) => x.name === e.intent)!
      const before = f.text
      f.text = e.text(before)
      if (f.text === before) throw new Error(`edit of intent/${e.intent} changed nothing`)
      continue
    }
    const c = snap.captures.find(
      (x) =>
        x.host === e.host &&
        x.spec === e.spec &&
        (e.key === undefined || x.key === e.key || x.key?.endsWith(`/${e.key}`)),
    )
    if (!c) throw new Error(`no capture ${e.host} ${e.spec} ${e.key ?? ''}`)
    if ('record' in e) {
      e.record(c.record)
      continue
    }
    if ('remove' in e) {
      snap.captures = snap.captures.filter((x) => x !== c)
      continue
    }
    const before = c.text!
    c.text = e.text(before)
    if (c.text === before) throw new Error(`edit of ${e.host} ${e.spec} ${e.key ?? ''} changed nothing`)
  }
  return snap
}

const flows = (host: string, bridge: string, text: (t: string) => string): Edit => ({
  host,
  spec: 'ovs_ofctl_dump_flows',
  key: bridge,
  text,
})

const AGENT_INI = 'openvswitch_agent.ini'
/** Every capture of a host that names `from`, with `to` instead (a port renamed everywhere OVS shows it). */
const renamed = (host: string, from: string, to: string): Edit[] =>
  ['ovs_vsctl_show', 'ovs_vsctl_list_port', 'ovs_vsctl_list_interface']
    .map((spec): Edit => ({host, spec, text: (t) => t.replaceAll(from, to)}))
    .concat([
      flows(host, 'br-tun', (t) => t.replaceAll(from, to)),
      {host, spec: 'ovs_ofctl_show', key: 'br-tun', text: (t) => t.replaceAll(from, to)},
    ])

const SG_IPT = {host: 'nlab-cmp2', spec: 'iptables_save'}
const SG_SSH = '-A neutron-openvswi-i4793b0fb-0 -s 198.19.201.17/32 -p tcp -m tcp --dport 22 -j RETURN'
const SG_WEB =
  '-A neutron-openvswi-i4793b0fb-0 -p tcp -m tcp --dport 80 -m set --match-set NIPv470cc26b1-e2a6-4f21-8a62- src -j RETURN'

/** ports.json with one port's security off: port_security_enabled false and no groups (the API's only way). */
const withoutPortSecurity = (portPrefix: string) => (t: string) => {
  const body = JSON.parse(t) as {ports: {id: string; port_security_enabled?: boolean; security_groups?: string[]}[]}
  const port = body.ports.find((p) => p.id.startsWith(portPrefix))!
  port.port_security_enabled = false
  port.security_groups = []
  return `${JSON.stringify(body, null, 2)}\n`
}

const ROUTER = '7f8bb6d5-76d4-40d0-92de-111306e22e1f'
const RNS = `qrouter-${ROUTER}`
const l3ipt = (text: (t: string) => string): Edit => ({host: 'nlab-ctl', spec: 'netns_iptables_save', key: RNS, text})

const NEAR_MISSES: Record<FindingCode, {what: string; edits: Edit[]; on?: 'vxlan' | 'sg' | 'l3'}> = {
  ROUTER_NAMESPACE_MISSING: {
    what: 'the router namespace listed without its id (older iproute2 prints no "(id: N)")',
    on: 'l3',
    edits: [{host: 'nlab-ctl', spec: 'ip_netns', text: (t) => t.replace(`${RNS} (id: 4)`, RNS)}],
  },
  ROUTER_PORT_MISSING: {
    what: 'a leftover device of a removed interface in the router namespace besides the right ones',
    on: 'l3',
    edits: ['netns_ip_link', 'netns_ip_addr'].map((spec): Edit => ({
      host: 'nlab-ctl',
      spec,
      key: RNS,
      text: (t) => {
        const devs = JSON.parse(t) as {ifindex: number; ifname: string; addr_info?: unknown[]}[]
        devs.push({...devs[0], ifindex: 99, ifname: 'qr-00000000-00', addr_info: []})
        return JSON.stringify(devs) + '\n'
      },
    })),
  },
  ROUTER_PORT_VLAN: {
    what: "qg-'s other_config still says an old tag while its real tag is the network's local VLAN",
    on: 'l3',
    edits: [
      {
        host: 'nlab-ctl',
        spec: 'ovs_vsctl_list_port',
        text: (t) => t.replace(/("qg-f92e8eb1-35".*?"tag","4")/s, (m) => m.replace('"tag","4"', '"tag","9"')),
      },
    ],
  },
  ROUTER_PORT_ADDRESS: {
    what: 'qr- holds a second address besides the gateway (an extra subnet)',
    on: 'l3',
    edits: [
      {
        host: 'nlab-ctl',
        spec: 'netns_ip_addr',
        key: RNS,
        text: (t) =>
          t.replace(
            '"local":"198.19.201.1","prefixlen":24',
            '"local":"198.19.201.1","prefixlen":24},{"family":"inet","local":"198.19.209.1","prefixlen":24',
          ),
      },
    ],
  },
  ROUTER_NO_DEFAULT_ROUTE: {
    what: 'the default route with a metric and protocol kernel (as older agents add it)',
    on: 'l3',
    edits: [
      {
        host: 'nlab-ctl',
        spec: 'netns_ip_route',
        key: RNS,
        text: (t) =>
          t.replace(
            '"dst":"default","gateway":"198.19.150.1","dev":"qg-f92e8eb1-35","protocol":"static"',
            '"dst":"default","gateway":"198.19.150.1","dev":"qg-f92e8eb1-35","protocol":"kernel","metric":100',
          ),
      },
    ],
  },
  FIP_NAT_MISSING: {
    what: "the floating IP's nat OUTPUT DNAT (router-local traffic) gone and the PREROUTING DNATs in another order",
    on: 'l3',
    edits: [
      l3ipt((t) =>
        t.replace('-A neutron-l3-agent-OUTPUT -d 198.19.150.25/32 -j DNAT --to-destination 198.19.201.184\n', ''),
      ),
      l3ipt((t) => {
        const a = '-A neutron-l3-agent-PREROUTING -d 198.19.150.25/32 -j DNAT --to-destination 198.19.201.184'
        const b = '-A neutron-l3-agent-PREROUTING -d 198.19.150.35/32 -j DNAT --to-destination 198.19.202.203'
        return t.replace(`${a}\n${b}`, `${b}\n${a}`)
      }),
    ],
  },
  SNAT_MISSING: {
    what: 'a router with enable_snat false and no gateway SNAT rule',
    on: 'l3',
    edits: [
      {intent: 'routers.json', text: (t) => t.replace('"enable_snat": true', '"enable_snat": false')},
      l3ipt((t) =>
        t.replace('-A neutron-l3-agent-snat -o qg-f92e8eb1-35 -j SNAT --to-source 198.19.150.41 --random-fully\n', ''),
      ),
    ],
  },
  HA_ROUTER_STATE: {
    what: 'an HA router primary on one host, backup on the other',
    on: 'l3',
    edits: [
      {intent: 'routers.json', text: (t) => t.replace('"ha": false', '"ha": true')},
      {host: 'nlab-ctl', addFile: `/var/lib/neutron/ha_confs/${ROUTER}/state`, text: 'primary\n'},
      {host: 'nlab-cmp1', addFile: `/var/lib/neutron/ha_confs/${ROUTER}/state`, text: 'backup\n'},
    ],
  },
  METADATA_PROXY_DOWN: {
    what: 'haproxy started by its absolute path with more options',
    on: 'l3',
    edits: [
      {
        host: 'nlab-ctl',
        spec: 'ps',
        text: (t) =>
          t.replace(
            'haproxy -f /var/lib/neutron/ns-metadata-proxy/',
            '/usr/sbin/haproxy -Ws -f /var/lib/neutron/ns-metadata-proxy/',
          ),
      },
    ],
  },
  EXTERNAL_BRIDGE_UNWIRED: {
    what: 'bridge_mappings written with spaces after the comma',
    on: 'l3',
    edits: [
      {
        host: 'nlab-ctl',
        spec: 'file',
        key: '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
        text: (t) => t.replace('default:br-eth2,external:br-ex', 'default:br-eth2, external:br-ex'),
      },
    ],
  },
  FLOW_MISSING: {
    what: 'the egress translation at another priority and the default NORMAL flow at priority 0 (modern spelling)',
    edits: [
      flows('compute-1', 'br-eth2', (t) =>
        t
          .replace('priority=4,in_port=2,dl_vlan=3', 'priority=5,in_port=2,dl_vlan=3')
          .replace('priority=1 actions=NORMAL', 'priority=0 actions=NORMAL'),
      ),
    ],
  },
  FLOW_SHADOWED: {
    what: 'a higher-priority drop that overlaps the egress translation but matches another VLAN',
    edits: [
      flows(
        'compute-1',
        'br-eth2',
        (t) =>
          t +
          ' cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=10,in_port=2,dl_vlan=4 actions=drop\n',
      ),
    ],
  },
  SEGMENT_MISMATCH: {
    what: 'the segmentation id changed everywhere at once (Neutron and both hosts say 1001)',
    edits: [
      {
        intent: 'net-create.txt',
        text: (t) => t.replace('| provider:segmentation_id  | 1000 ', '| provider:segmentation_id  | 1001 '),
      },
      ...['compute-1', 'control'].flatMap((h) =>
        ['br-eth2', 'br-int'].map((b) =>
          flows(h, b, (t) => t.replace(/mod_vlan_vid:1000|dl_vlan=1000/g, (m) => m.replace('1000', '1001'))),
        ),
      ),
    ],
  },
  VLAN_TAG_MISMATCH: {
    what: "compute-1's local VLAN renumbered from 3 to 7 consistently: port tag and both translations",
    edits: [
      {host: 'compute-1', spec: 'ovs_vsctl_show', text: (t) => t.replace('tag: 3', 'tag: 7')},
      flows('compute-1', 'br-eth2', (t) => t.replace('dl_vlan=3 ', 'dl_vlan=7 ')),
      flows('compute-1', 'br-int', (t) => t.replace('mod_vlan_vid:3,', 'mod_vlan_vid:7,')),
    ],
  },
  DEAD_VLAN: {
    what: 'a port in the dead VLAN 4095 that Neutron holds DOWN (the agent parks it there)',
    edits: [
      {host: 'compute-1', spec: 'ovs_vsctl_show', text: (t) => t.replace('tag: 3', 'tag: 4095')},
      {intent: 'ports.json', text: (t) => t.replace(/("device_id": "3707ac87[^]*?"status": )"ACTIVE"/, '$1"DOWN"')},
    ],
  },
  LOCAL_VLAN_CONFLICT: {
    what: 'the same local VLAN number (3) for net1 on two hosts: local VLANs are per host',
    edits: [
      {host: 'control', spec: 'ovs_vsctl_show', text: (t) => t.replace('tag: 1', 'tag: 3')},
      flows('control', 'br-eth2', (t) => t.replace('dl_vlan=1 ', 'dl_vlan=3 ')),
      flows('control', 'br-int', (t) => t.replace('mod_vlan_vid:1,', 'mod_vlan_vid:3,')),
    ],
  },
  PORT_MISSING: {
    what: 'the qvo, qbr, qvb and tap all present, the OVS names written without quotes',
    edits: [{host: 'compute-1', spec: 'ovs_vsctl_show', text: (t) => t.replace(/"(qvo53903a95-82)"/g, '$1')}],
  },
  LINK_BROKEN: {
    what: 'a veth end whose operstate is UNKNOWN (admin up): not down',
    edits: [
      {
        host: 'compute-1',
        spec: 'ip_link',
        text: (t) => t.replace(/(int-br-eth2: <BROADCAST,MULTICAST,UP,LOWER_UP>.*state) UP/, '$1 UNKNOWN'),
      },
    ],
  },
  UPLINK_MISSING: {
    what: 'the physical bridge has its NIC under another name (ens3, a system port)',
    edits: [
      {
        host: 'compute-1',
        spec: 'ovs_vsctl_show',
        text: (t) =>
          t.replace('Port "eth2"\n            Interface "eth2"', 'Port "ens3"\n            Interface "ens3"'),
      },
    ],
  },
  NAMESPACE_MISSING: {
    what: 'no qdhcp namespace for a network whose subnet has DHCP disabled',
    edits: [
      {intent: 'subnet-create.txt', text: (t) => t.replace('| enable_dhcp      | True ', '| enable_dhcp      | False')},
      {host: 'control', spec: 'ip_netns', text: () => ''},
      {host: 'control', spec: 'netns_ip_addr', remove: true},
    ],
  },
  DHCP_SERVER_DOWN: {
    what: "dnsmasq running from another path (/usr/local/sbin), its command line otherwise the agent's",
    edits: [
      {
        host: 'control',
        spec: 'ps',
        text: (t) => t.replace(' dnsmasq --no-hosts', ' /usr/local/sbin/dnsmasq --no-hosts'),
      },
    ],
  },
  DHCP_HOST_MISSING: {
    what: "the VM's MAC in the host file in upper case",
    edits: [
      {host: 'control', spec: 'file', key: HOST_FILE, text: (t) => t.replace('fa:16:3e:fe:c7:87', 'FA:16:3E:FE:C7:87')},
    ],
  },
  DHCP_HOST_MISMATCH: {
    what: 'the right address under another host name (host-198-19-0-3.novalocal)',
    edits: [
      {
        host: 'control',
        spec: 'file',
        key: HOST_FILE,
        text: (t) => t.replace('host-198-19-0-3.openstacklocal', 'host-198-19-0-3.novalocal'),
      },
    ],
  },
  DHCP_INTERFACE_MISMATCH: {
    what: 'dnsmasq without --interface (bound by its namespace, as modern agents start it)',
    edits: [{host: 'control', spec: 'ps', text: (t) => t.replace(' --interface=tap26c9b807-7c', '')}],
  },
  TUNNEL_ENDPOINT_MISSING: {
    what: "local_ip under Havana's [OVS] spelling of the section",
    on: 'vxlan',
    edits: [{host: 'nlab-cmp1', spec: 'file', key: AGENT_INI, text: (t) => t.replace('[ovs]', '[OVS]')}],
  },
  TUNNEL_PORT_MISSING: {
    what: 'the tunnel to nlab-ctl under another name (remote_ip is what counts)',
    on: 'vxlan',
    edits: renamed('nlab-cmp1', 'vxlan-c613e60b', 'vxlan-peer0ctl'),
  },
  TUNNEL_PORT_STALE: {
    what: "nlab-cmp2's local_ip set in ml2_conf.ini's [ovs] instead of openvswitch_agent.ini",
    on: 'vxlan',
    edits: [
      {host: 'nlab-cmp2', spec: 'file', key: AGENT_INI, text: (t) => t.replace('local_ip = 198.19.230.13', '')},
      {host: 'nlab-cmp2', spec: 'file', key: 'ml2_conf.ini', text: (t) => `${t}\n[ovs]\nlocal_ip = 198.19.230.13\n`},
    ],
  },
  TUNNEL_FLOOD_MISSING: {
    what: "the flood entry's tunnels in another order (l2pop updates leave them in set order)",
    on: 'vxlan',
    edits: [
      flows('nlab-cmp1', 'br-tun', (t) =>
        t.replace('output:"vxlan-c613e60b",output:"vxlan-c613e60d"', 'output:"vxlan-c613e60d",output:"vxlan-c613e60b"'),
      ),
    ],
  },
  TUNNEL_FDB_STALE: {
    what: 'an l2pop entry that names its tunnel by ofport number',
    on: 'vxlan',
    edits: [
      flows('nlab-cmp1', 'br-tun', (t) =>
        t.replace(/(priority=2,dl_vlan=2,dl_dst=fa:16:3e:13:d9:33 actions=.*)output:"vxlan-c613e60d"/, '$1output:3'),
      ),
    ],
  },
  ARP_RESPONDER_MISMATCH: {
    what: 'the responder MAC in the OF1.3 spelling (set_field:…->arp_sha)',
    on: 'vxlan',
    edits: [
      flows('nlab-cmp1', 'br-tun', (t) =>
        t.replace('load:0xfa163e13d933->NXM_NX_ARP_SHA[]', 'set_field:fa:16:3e:13:d9:33->arp_sha'),
      ),
    ],
  },
  TUNNEL_MTU: {
    what: 'an underlay of 1450 under networks of MTU 1400: exactly enough',
    on: 'vxlan',
    edits: [
      {intent: 'networks.json', text: (t) => t.replaceAll('"mtu": 1450', '"mtu": 1400')},
      {host: 'nlab-cmp1', spec: 'ip_link', text: (t) => t.replace(/("ifname":"eth1",[^}]*?"mtu":)1500/, '$11450')},
    ],
  },
  SG_RULE_NOT_ENFORCED: {
    what: 'the rules given with protocol numbers (6) in the API, as Neutron accepts them',
    on: 'sg',
    edits: ['security-groups.json', 'security-group-rules.json'].map((intent) => ({
      intent,
      text: (t: string) => t.replaceAll('"protocol": "tcp"', '"protocol": "6"'),
    })),
  },
  SG_RULE_STALE: {
    what: "the port's SG rules in another order in its chain",
    on: 'sg',
    edits: [
      {
        ...SG_IPT,
        text: (t) => {
          const lines = t.split('\n')
          const a = lines.findIndex((l) => l.endsWith(SG_SSH))
          const b = lines.findIndex((l) => l.endsWith(SG_WEB))
          ;[lines[a], lines[b]] = [lines[b], lines[a]]
          return lines.join('\n')
        },
      },
    ],
  },
  SG_IPSET_MEMBER_MISSING: {
    what: "the set's members in another order",
    on: 'sg',
    edits: [
      {
        host: 'nlab-cmp2',
        spec: 'ipset_save',
        text: (t) =>
          t.replace('add NIPv470cc26b1-e2a6-4f21-8a62- 198.19.201.250\n', '') +
          'add NIPv470cc26b1-e2a6-4f21-8a62- 198.19.201.250\n',
      },
    ],
  },
  SG_ANTISPOOF_MISMATCH: {
    what: 'the allowed address pair given without a MAC (it takes the port MAC) and the MAC in upper case, as legacy iptables prints it',
    on: 'sg',
    edits: [
      {
        intent: 'ports.json',
        text: (t: string) =>
          t.replace(/"mac_address": "fa:16:3e:e9:3d:f0",\s*("ip_address": "198\.19\.201\.250")/, '$1'),
      },
      {
        ...SG_IPT,
        text: (t) =>
          t.replace(
            '-s 198.19.201.250/32 -m mac --mac-source fa:16:3e:e9:3d:f0',
            '-s 198.19.201.250/32 -m mac --mac-source FA:16:3E:E9:3D:F0',
          ),
      },
    ],
  },
  SG_PORT_SECURITY_MISMATCH: {
    what: 'port security disabled (and no groups) on a port whose chains the agent has removed',
    on: 'sg',
    edits: [
      {intent: 'ports.json', text: withoutPortSecurity('1f4cc644')},
      {
        host: 'nlab-cmp1',
        spec: 'iptables_save',
        text: (t) =>
          t
            .split('\n')
            .filter((l) => !l.includes('1f4cc644-f'))
            .join('\n'),
      },
    ],
  },
  BRIDGE_NF_OFF: {
    what: 'bridge netfilter off on a host whose firewall filters no port (the control node has DHCP ports only)',
    on: 'sg',
    edits: [
      {
        host: 'nlab-ctl',
        spec: 'sysctl_bridge_nf',
        text: (t) => t.replace('bridge-nf-call-iptables = 1', 'bridge-nf-call-iptables = 0'),
      },
    ],
  },
  VIF_MISMATCH: {
    what: "the VM definition's MAC in upper case",
    edits: [
      {
        host: 'compute-1',
        spec: 'file',
        key: LIBVIRT,
        text: (t) => t.replace(/fa:16:3e:fe:c7:87/g, 'FA:16:3E:FE:C7:87'),
      },
    ],
  },
  DATA_MISSING: {
    what: 'a capture that succeeded and also wrote to stderr',
    edits: [
      {
        host: 'control',
        spec: 'ps',
        record: (r) => {
          r.stderrFile = 'hosts/control/ps.err'
        },
      },
    ],
  },
  PARSE_ERROR: {
    what: 'a flow dump with the OF1.3 reply header and trailing blank lines',
    edits: [
      flows(
        'compute-1',
        'br-eth2',
        (t) => t.replace('NXST_FLOW reply (xid=0x4):', 'OFPST_FLOW reply (OF1.3) (xid=0x2):') + '\n\n',
      ),
    ],
  },
}

describe('near misses stay quiet: close to each fault, healthy', () => {
  it('covers every code of the catalog', () => {
    expect(Object.keys(NEAR_MISSES).sort()).toEqual(Object.keys(FINDING_CODES).sort())
  })

  for (const [code, {what, edits, on}] of Object.entries(NEAR_MISSES)) {
    it(`${code}: ${what}`, () => {
      const findings = diagnose(analysisOf(apply(edits, on)))
      expect(
        findings
          .filter((f) => f.code === code || f.severity !== 'info')
          .map((f) => `${f.severity} ${f.code} ${f.host} ${f.element}: ${f.message}`),
      ).toEqual([])
    })
  }
})
