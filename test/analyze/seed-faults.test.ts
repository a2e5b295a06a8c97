// Every finding code fires on the seed snapshot with its fault put in, names the right host and element, and stays
// quiet on the healthy seed. Faults are made by editing the captured text the way the fault would change it.

import {cp, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {analysisOf, diagnose, SEED_SNAPSHOT} from '../../src/engine.js'
import type {Finding} from '../../src/analyze/index.js'
import {buildReport} from '../../src/render/findings.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
import {expectMatchesSchema} from '../support/schemas.js'

const NET = '5f833617-6179-4797-b7c0-7d420d84040c'
let healthy: Snapshot

beforeAll(async () => {
  healthy = await readSnapshot(SEED_SNAPSHOT)
})

/** An edit of a capture's text; undefined removes the capture (the collector would not have made it). */
type Edit = {host: string; spec: string; key?: string; edit: (text: string) => string | undefined}

function withFaults(...edits: Edit[]): Finding[] {
  const snapshot: Snapshot = structuredClone(healthy)
  for (const e of edits) {
    const capture = snapshot.captures.find(
      (c) => c.host === e.host && c.spec === e.spec && (e.key === undefined || c.key === e.key),
    )
    if (!capture?.text) throw new Error(`no capture ${e.host} ${e.spec} ${e.key ?? ''}`)
    const before = capture.text
    const after = e.edit(before)
    if (after === undefined) {
      snapshot.captures = snapshot.captures.filter((c) => c !== capture)
      continue
    }
    capture.text = after
    if (capture.text === before) throw new Error(`edit of ${e.host} ${e.spec} ${e.key ?? ''} changed nothing`)
  }
  const analysis = analysisOf(snapshot)
  const findings = diagnose(analysis)
  expectMatchesSchema('diagnose', buildReport(analysis, findings, 'test')) // what `diagnose --format json` prints
  return findings
}

function errors(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error')
}

const dropLine = (re: RegExp) => (t: string) =>
  t
    .split('\n')
    .filter((l) => !re.test(l))
    .join('\n')

describe('the healthy seed', () => {
  it('has no error and no warning', () => {
    const findings = withFaults()
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([])
  })
})

interface Case {
  code: string
  host: string
  element: string | RegExp
  edits: Edit[]
}

const CASES: Case[] = [
  {
    code: 'FLOW_MISSING',
    host: 'compute-1',
    element: 'br-eth2 table 0: in_port=phy-br-eth2,dl_vlan=3',
    edits: [{host: 'compute-1', spec: 'ovs_ofctl_dump_flows', key: 'br-eth2', edit: dropLine(/mod_vlan_vid:1000/)}],
  },
  {
    code: 'FLOW_MISSING',
    host: 'control',
    element: 'br-int table 0: in_port=int-br-eth2,dl_vlan=1000',
    edits: [{host: 'control', spec: 'ovs_ofctl_dump_flows', key: 'br-int', edit: dropLine(/mod_vlan_vid:1,/)}],
  },
  {
    code: 'SEGMENT_MISMATCH',
    host: 'compute-1',
    element: /^br-eth2 table 0: .*dl_vlan=3.*mod_vlan_vid:1001/,
    edits: [
      {
        host: 'compute-1',
        spec: 'ovs_ofctl_dump_flows',
        key: 'br-eth2',
        edit: (t) => t.replace('mod_vlan_vid:1000', 'mod_vlan_vid:1001'),
      },
    ],
  },
  {
    code: 'VLAN_TAG_MISMATCH',
    host: 'compute-1',
    element: 'qvo53903a95-82',
    edits: [{host: 'compute-1', spec: 'ovs_vsctl_show', edit: (t) => t.replace('tag: 3', 'tag: 5')}],
  },
  {
    code: 'DEAD_VLAN',
    host: 'compute-1',
    element: 'qvo53903a95-82',
    edits: [{host: 'compute-1', spec: 'ovs_vsctl_show', edit: (t) => t.replace('tag: 3', 'tag: 4095')}],
  },
  {
    code: 'PORT_MISSING',
    host: 'compute-1',
    element: 'qvo53903a95-82',
    edits: [
      {
        host: 'compute-1',
        spec: 'ovs_vsctl_show',
        edit: (t) => t.replace(/ +Port "qvo53903a95-82"\n +tag: 3\n +Interface "qvo53903a95-82"\n/, ''),
      },
    ],
  },
  {
    code: 'PORT_MISSING',
    host: 'compute-1',
    element: 'qvb53903a95-82',
    edits: [{host: 'compute-1', spec: 'brctl_show', edit: (t) => t.replace(/\t?qvb53903a95-82/, '')}],
  },
  {
    code: 'LINK_BROKEN',
    host: 'compute-1',
    element: 'int-br-eth2',
    edits: [
      {
        host: 'compute-1',
        spec: 'ip_link',
        edit: (t) =>
          t.replace(
            /int-br-eth2: <BROADCAST,MULTICAST,UP,LOWER_UP>(.*)state UP/,
            'int-br-eth2: <BROADCAST,MULTICAST>$1state DOWN',
          ),
      },
    ],
  },
  {
    code: 'UPLINK_MISSING',
    host: 'compute-1',
    element: 'br-eth2',
    edits: [
      {host: 'compute-1', spec: 'ovs_vsctl_show', edit: (t) => t.replace(/ +Port "eth2"\n +Interface "eth2"\n/, '')},
    ],
  },
  {
    code: 'NAMESPACE_MISSING',
    host: 'control',
    element: `qdhcp-${NET}`,
    // The namespace gone: ip netns no longer lists it, and so the collector captured nothing inside it.
    edits: [
      {host: 'control', spec: 'ip_netns', edit: () => ''},
      {host: 'control', spec: 'netns_ip_addr', edit: () => undefined},
    ],
  },
  {
    code: 'DHCP_SERVER_DOWN',
    host: 'control',
    element: `dnsmasq qdhcp-${NET}`,
    edits: [{host: 'control', spec: 'ps', edit: dropLine(/dnsmasq/)}],
  },
  {
    code: 'DHCP_HOST_MISSING',
    host: 'control',
    element: `/var/lib/neutron/dhcp/${NET}/host`,
    edits: [
      {host: 'control', spec: 'file', key: `/var/lib/neutron/dhcp/${NET}/host`, edit: dropLine(/fa:16:3e:fe:c7:87/)},
    ],
  },
  {
    code: 'DHCP_HOST_MISMATCH',
    host: 'control',
    element: `/var/lib/neutron/dhcp/${NET}/host`,
    edits: [
      {
        host: 'control',
        spec: 'file',
        key: `/var/lib/neutron/dhcp/${NET}/host`,
        edit: (t) => t.replace(/198\.19\.0\.3$/m, '198.19.0.99'),
      },
    ],
  },
  {
    code: 'DHCP_INTERFACE_MISMATCH',
    host: 'control',
    element: 'dnsmasq --interface=tap00000000-00',
    edits: [
      {host: 'control', spec: 'ps', edit: (t) => t.replace('--interface=tap26c9b807-7c', '--interface=tap00000000-00')},
    ],
  },
  {
    code: 'VIF_MISMATCH',
    host: 'compute-1',
    element: 'tap53903a95-82',
    edits: [
      {
        host: 'compute-1',
        spec: 'file',
        key: '/var/lib/nova/instances/3707ac87-4f5d-4349-b7ed-3a673f55e5e1/libvirt.xml',
        edit: (t) => t.replace('qbr53903a95-82', 'qbr0badc0de-00'),
      },
    ],
  },
  {
    code: 'FLOW_SHADOWED',
    host: 'compute-1',
    element: /^br-eth2 table 0: .*dl_vlan=3/,
    edits: [
      {
        host: 'compute-1',
        spec: 'ovs_ofctl_dump_flows',
        key: 'br-eth2',
        edit: (t) =>
          t +
          ' cookie=0x0, duration=1.0s, table=0, n_packets=0, n_bytes=0, idle_age=1, priority=10,in_port=2 actions=drop\n',
      },
    ],
  },
]

describe('each finding code fires on its fault, with the right host and element, and nothing else of severity error', () => {
  for (const c of CASES) {
    it(`${c.code} on ${c.host}: ${c.element}`, () => {
      const errs = errors(withFaults(...c.edits))
      const hit = errs.filter(
        (f) =>
          f.code === c.code &&
          f.host === c.host &&
          (typeof c.element === 'string' ? f.element === c.element : c.element.test(f.element)),
      )
      expect(hit, JSON.stringify(errs.map((f) => [f.code, f.host, f.element]))).toHaveLength(1)
      expect(errs.filter((f) => !hit.includes(f)).map((f) => [f.code, f.host, f.element])).toEqual([])
      expect(hit[0].evidence.length).toBeGreaterThan(0)
      expect(hit[0].remedy).toBeTruthy()
    })
  }
})

describe('what could not be known is said, never called a fault', () => {
  it('a garbled flow line is PARSE_ERROR with host, file and line, and the rest is analysed', () => {
    const findings = withFaults({
      host: 'compute-1',
      spec: 'ovs_ofctl_dump_flows',
      key: 'br-eth2',
      edit: (t) => t.replace('priority=1 actions=NORMAL', 'priority=1 actions=NORM(AL'),
    })
    const parse = findings.filter((f) => f.code === 'PARSE_ERROR')
    expect(parse).toHaveLength(1)
    expect(parse[0].severity).toBe('warning')
    expect(parse[0].host).toBe('compute-1')
    expect(parse[0].evidence[0].file).toBe('hosts/compute-1/ovs_ofctl_dump_flows@br-eth2.out')
    expect(parse[0].evidence[0].line).toBe(4)
    expect(errors(findings)).toEqual([])
  })

  it('a capture that failed is DATA_MISSING, and checks that needed it stay silent', () => {
    const snapshot: Snapshot = structuredClone(healthy)
    const ps = snapshot.captures.find((c) => c.host === 'control' && c.spec === 'ps')!
    ps.record.exitCode = 127
    ps.record.error = 'ps: command not found'
    ps.text = ''
    const findings = diagnose(analysisOf(snapshot))
    const missing = findings.filter((f) => f.code === 'DATA_MISSING')
    expect(missing).toHaveLength(1)
    expect(missing[0].message).toContain('ps: command not found')
    expect(findings.some((f) => f.code === 'DHCP_SERVER_DOWN')).toBe(false)
  })

  it('a capture edited after the fact is flagged by its sha256', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'neutrace-seed-'))
    try {
      await cp(SEED_SNAPSHOT, dir, {recursive: true})
      const file = join(dir, 'hosts/compute-1/ovs_vsctl_show.out')
      await writeFile(file, (await readFile(file, 'utf8')).replace('tag: 3', 'tag: 4'))
      const snapshot = await readSnapshot(dir)
      expect(snapshot.problems.map((p) => [p.host, p.spec, p.message.slice(0, 15)])).toEqual([
        ['compute-1', 'ovs_vsctl_show', 'sha256 mismatch'],
      ])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('what is not a fault', () => {
  const routerPort = {
    ports: [
      {
        id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        network_id: NET,
        mac_address: 'fa:16:3e:aa:bb:01',
        fixed_ips: [{subnet_id: '2d7a0a58-0674-439a-ad23-d6471aaae9bc', ip_address: '198.19.0.1'}],
        device_owner: 'network:router_interface',
        device_id: 'f0e1d2c3-b4a5-4968-8776-655443322110',
        'binding:host_id': 'control',
        'binding:vif_type': 'ovs',
        'binding:vif_details': {ovs_hybrid_plug: false},
        status: 'ACTIVE',
        admin_state_up: true,
      },
    ],
  }

  it('a router interface port (wired by the L3 agent, not modelled) raises no PORT_MISSING', () => {
    const snapshot: Snapshot = structuredClone(healthy)
    const hostFile = snapshot.captures.find((c) => c.key === `/var/lib/neutron/dhcp/${NET}/host`)!
    hostFile.text += 'fa:16:3e:aa:bb:01,host-198-19-0-1.openstacklocal,198.19.0.1\n'
    const findings = diagnose(analysisOf(snapshot, [{name: 'router-port.json', text: JSON.stringify(routerPort)}]))
    expect(findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.element}`)).toEqual([])
  })

  it("a stopped instance's missing tap is not PORT_MISSING, an active one's is", () => {
    const noTap = {host: 'compute-1', spec: 'brctl_show', edit: (t: string) => t.replace(/\n\s+tap53903a95-82/, '')}
    const down = (t: string) => t.replace(/"status": "ACTIVE"/, '"status": "DOWN"')
    expect(errors(withFaults(noTap)).map((f) => [f.code, f.element])).toEqual([['PORT_MISSING', 'tap53903a95-82']])
    const snapshot: Snapshot = structuredClone(healthy)
    const ports = snapshot.intentFiles.find((f) => f.name === 'ports.json')!
    expect(ports.text).toMatch(/"status": "ACTIVE"/)
    ports.text = down(ports.text)
    const brctl = snapshot.captures.find((c) => c.host === 'compute-1' && c.spec === 'brctl_show')!
    brctl.text = noTap.edit(brctl.text!)
    expect(errors(diagnose(analysisOf(snapshot)))).toEqual([])
  })
})
