// The snapshot of a lab a real Neutron (Zed) programmed (fixtures/snapshots/neutron-lab), offline: it diagnoses clean
// and traces; and faults seen on the live Neutron lab (test/lab/neutron/neutron-faults.test.ts), put into its captures
// the way the agent really leaves them, are named right without false alarms.

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, PACKAGE_ROOT, traceVm} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

const SNAP = join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-lab')
/** vm on nlab-cmp1, network nlab-net1 (VLAN 1000, local VLAN 1 there). */
const PORT = 'ed41ad3d-2f37-46ed-b027-01857cf4073d'
const QVO = 'qvoed41ad3d-2f'
const AGENT_INI = '/etc/neutron/plugins/ml2/openvswitch_agent.ini'

let healthy: Snapshot
beforeAll(async () => {
  healthy = await readSnapshot(SNAP)
})

type Edit = {host: string; spec: string; key?: string; edit: (text: string) => string}

function edited(...edits: Edit[]): Snapshot {
  const snap: Snapshot = structuredClone(healthy)
  for (const e of edits) {
    const c = snap.captures.find(
      (x) => x.host === e.host && x.spec === e.spec && (e.key === undefined || x.key === e.key),
    )
    if (!c?.text) throw new Error(`no capture ${e.host} ${e.spec} ${e.key ?? ''}`)
    const before = c.text
    c.text = e.edit(before)
    if (c.text === before) throw new Error(`edit of ${e.host} ${e.spec} ${e.key ?? ''} changed nothing`)
  }
  return snap
}

function loud(findings: Finding[]): string[] {
  return findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.code} ${f.host} ${f.element}`)
}

/** Sets the `tag` column of one row of `ovs-vsctl -f json list Port`. */
function setTag(port: string, tag: number): (text: string) => string {
  return (text) => {
    const table = JSON.parse(text) as {headings: string[]; data: unknown[][]}
    const name = table.headings.indexOf('name')
    const at = table.headings.indexOf('tag')
    const row = table.data.find((r) => r[name] === port)
    if (!row) throw new Error(`no Port ${port}`)
    row[at] = tag
    return JSON.stringify(table) + '\n'
  }
}

/** What the OVS agent's port_dead adds: a drop for the port's in_port below its priority=9 resubmit(,25). */
const deadDrop = (text: string): string =>
  text +
  ` cookie=0xfb6b60fd9ed4bab2, duration=3.001s, table=0, n_packets=0, n_bytes=0, priority=2,in_port="${QVO}" actions=drop\n`

function bindTo(host: string, status: string): (text: string) => string {
  return (text) => {
    const body = JSON.parse(text) as {ports: Record<string, unknown>[]}
    const port = body.ports.find((p) => p.id === PORT)!
    port['binding:host_id'] = host
    port.status = status
    return JSON.stringify(body) + '\n'
  }
}

function withIntent(snap: Snapshot, name: string, edit: (text: string) => string): Snapshot {
  const file = snap.intentFiles.find((f) => f.name === name)!
  file.text = edit(file.text)
  return snap
}

describe('neutron-lab: a snapshot of a lab programmed by a real Neutron', () => {
  it('diagnoses clean: no error, no warning', () => {
    expect(loud(diagnose(analysisOf(healthy)))).toEqual([])
  })

  it('every VM traces to its uplink with its segment, to its qdhcp namespace on nlab-ctl, and the offer back', () => {
    const analysis = analysisOf(healthy)
    const vms = analysis.reference.ports.filter((p) => p.owner === 'compute:nova')
    expect(vms).toHaveLength(6)
    for (const port of vms) {
      const net = analysis.reference.networks.get(port.networkId!)!
      const [up] = traceVm(analysis, port.id, 'uplink')
      expect(up!.verdict, up!.reason).toBe('delivered')
      expect(up!.hops.find((h) => h.kind === 'uplink')?.vlan).toBe(net.type === 'flat' ? null : net.segmentationId)
      const [dhcp] = traceVm(analysis, port.id, 'dhcp')
      expect(dhcp!.verdict, dhcp!.reason).toBe('delivered')
      expect(dhcp!.dhcp).toMatchObject({host: 'nlab-ctl', namespace: `qdhcp-${net.id}`, offers: port.ips[0]})
      expect(dhcp!.reply?.verdict).toBe('delivered')
    }
  })
  it("finds a VM by its Neutron port's name as by the port id, and says so when no handle matches", () => {
    const analysis = analysisOf(healthy)
    const port = analysis.reference.ports.find((p) => p.owner === 'compute:nova' && p.name === 'vm-net2-1')!
    expect(port).toBeDefined()
    const [byName] = traceVm(analysis, 'VM-NET2-1', 'dhcp')
    expect([byName!.vm.portId, byName!.vm.ip, byName!.verdict]).toEqual([port.id, port.ips[0], 'delivered'])
    expect(() => traceVm(analysis, 'vm-net2-9', 'dhcp')).toThrow(/no VM matches "vm-net2-9".*port name/)
  })
})

describe('a binding moved away: the agent marks the old VIF dead (tag 4095 + a drop flow under its resubmit)', () => {
  it('is one VIF_MISMATCH on the new binding host, and no FLOW_SHADOWED warning for the dead port', () => {
    const snap = withIntent(
      edited(
        {host: 'nlab-cmp1', spec: 'ovs_vsctl_list_port', edit: setTag(QVO, 4095)},
        {host: 'nlab-cmp1', spec: 'ovs_ofctl_dump_flows', key: 'br-int', edit: deadDrop},
      ),
      'ports.json',
      bindTo('nlab-cmp2', 'DOWN'),
    )
    expect(loud(diagnose(analysisOf(snap)))).toEqual([`error VIF_MISMATCH nlab-cmp2 ${PORT}`])
  })

  it('still reports the same shadowed drop when the port is not dead (tag 1): the rule is that narrow', () => {
    // FLOW_SHADOWED has one severity, error (src/analyze/codes.ts); this was a warning when the code had two.
    const snap = edited({host: 'nlab-cmp1', spec: 'ovs_ofctl_dump_flows', key: 'br-int', edit: deadDrop})
    expect(loud(diagnose(analysisOf(snap)))).toEqual([
      `error FLOW_SHADOWED nlab-cmp1 br-int table 0: table=0 priority=2 cookie=0xfb6b60fd9ed4bab2 in_port="${QVO}" actions=drop`,
    ])
  })
})

describe('the OVS agent restarted with other bridge_mappings', () => {
  it('physnet renamed: one UPLINK_MISSING naming the mapping, none of the FLOW_MISSING it implies', () => {
    // What the agent then leaves (seen live): br-eth2 without its mod_vlan_vid/strip_vlan flows, br-int without the
    // translations from int-br-eth2; tags and Port other_config unchanged.
    const snap = edited(
      {
        host: 'nlab-cmp2',
        spec: 'file',
        key: AGENT_INI,
        edit: (t) => t.replace('bridge_mappings = default:br-eth2', 'bridge_mappings = physnet2:br-eth2'),
      },
      {
        host: 'nlab-cmp2',
        spec: 'ovs_ofctl_dump_flows',
        key: 'br-eth2',
        edit: (t) =>
          t
            .split('\n')
            .filter((l) => !/priority=4,/.test(l))
            .join('\n'),
      },
      {
        host: 'nlab-cmp2',
        spec: 'ovs_ofctl_dump_flows',
        key: 'br-int',
        edit: (t) =>
          t
            .split('\n')
            .filter((l) => !/priority=3,in_port="int-br-eth2"/.test(l))
            .join('\n'),
      },
    )
    const analysis = analysisOf(snap)
    const findings = diagnose(analysis)
    expect(loud(findings)).toEqual(['error UPLINK_MISSING nlab-cmp2 bridge_mappings: default'])
    const f = findings.find((x) => x.code === 'UPLINK_MISSING')!
    expect(f.actual).toBe('bridge_mappings = physnet2:br-eth2')
    expect(f.expected).toBe('bridge_mappings with default:br-eth2 (as on nlab-ctl, nlab-cmp1)')
    expect(f.message).toContain('nlab-net1, nlab-net2, nlab-net3')
    expect(f.impact.vms).toHaveLength(3)
    expect(f.evidence[0]).toMatchObject({host: 'nlab-cmp2', text: 'bridge_mappings = physnet2:br-eth2'})
    const cut = analysis.reference.ports.find((p) => p.host === 'nlab-cmp2' && p.owner === 'compute:nova')!
    expect(traceVm(analysis, cut.id, 'dhcp')[0]!.verdict).not.toBe('delivered')
  })

  it('mapped to a bridge that does not exist: UPLINK_MISSING on it; the old bridge, still wired with its flows, still carries the VM', () => {
    // The agent exits at start ("Bridge br-ex for physical network default does not exist"), so the flows it had
    // programmed stay, and with them the path through br-eth2.
    const snap = edited({
      host: 'nlab-cmp1',
      spec: 'file',
      key: AGENT_INI,
      edit: (t) => t.replace('default:br-eth2', 'default:br-ex'),
    })
    const analysis = analysisOf(snap)
    expect(loud(diagnose(analysis))).toEqual(['error UPLINK_MISSING nlab-cmp1 br-ex'])
    const [r] = traceVm(analysis, PORT, 'dhcp')
    expect(r!.verdict, r!.reason).toBe('delivered')
    expect(r!.hops.find((h) => h.kind === 'uplink')).toMatchObject({host: 'nlab-cmp1', element: 'eth2', vlan: 1000})
  })
})
