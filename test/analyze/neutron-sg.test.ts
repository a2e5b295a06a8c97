// The security-group codes fire on the Neutron lab's snapshot with security groups (fixtures/snapshots/neutron-sg)
// when a capture is edited the way the fault changes it, name the right host and element, and nothing else errs; the
// healthy snapshot has no finding. (Near misses: near-miss.test.ts; the faults made for real: test/lab/neutron/
// security-groups.test.ts.)

import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {analysisOf, diagnose, PACKAGE_ROOT} from '../../src/engine.js'
import {readSnapshot, type Snapshot} from '../../src/snapshot/read.js'

let healthy: Snapshot
beforeAll(async () => {
  healthy = await readSnapshot(join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'neutron-sg'))
})

function withEdit(host: string, spec: string, edit: (t: string) => string) {
  const snap: Snapshot = structuredClone(healthy)
  const c = snap.captures.find((x) => x.host === host && x.spec === spec)!
  const before = c.text!
  c.text = edit(before)
  expect(c.text).not.toBe(before)
  return diagnose(analysisOf(snap))
}

const SSH_RULE = '-A neutron-openvswi-i4793b0fb-0 -s 198.19.201.17/32 -p tcp -m tcp --dport 22 -j RETURN'

describe('security-group findings on the lab with security groups', () => {
  it('the healthy snapshot has none', () => {
    expect(diagnose(analysisOf(healthy))).toEqual([])
  })

  it('SG_RULE_NOT_ENFORCED: the tcp/22 rule deleted behind the agent', () => {
    const findings = withEdit('nlab-cmp2', 'iptables_save', (t) =>
      t
        .split('\n')
        .filter((l) => !l.endsWith(SSH_RULE))
        .join('\n'),
    )
    expect(findings.map((f) => [f.code, f.host, f.element])).toEqual([
      ['SG_RULE_NOT_ENFORCED', 'nlab-cmp2', 'neutron-openvswi-i4793b0fb-0: 673b4b9a-3f67-42d1-a1dd-e2669e827aad'],
    ])
    expect(findings[0].message).toBe(
      'nlab-cmp2 does not enforce ingress tcp/22 from 198.19.201.17/32 (group nlab-ssh (cfd39b83)) for port 4793b0fb-081f-45c4-b178-4671320c7b35: that traffic is dropped',
    )
  })

  it('SG_RULE_STALE: a rule no group has any more', () => {
    const findings = withEdit('nlab-cmp2', 'iptables_save', (t) =>
      t.replace(SSH_RULE, `${SSH_RULE}\n[0:0] -A neutron-openvswi-i4793b0fb-0 -p tcp -m tcp --dport 8080 -j RETURN`),
    )
    expect(findings.map((f) => [f.code, f.host, f.element])).toEqual([
      ['SG_RULE_STALE', 'nlab-cmp2', 'neutron-openvswi-i4793b0fb-0 rule 5'],
    ])
  })

  it('SG_IPSET_MEMBER_MISSING: a member removed from the remote group set', () => {
    const findings = withEdit('nlab-cmp2', 'ipset_save', (t) =>
      t.replace('add NIPv470cc26b1-e2a6-4f21-8a62- 198.19.201.124\n', ''),
    )
    expect(findings.map((f) => [f.code, f.host, f.element])).toEqual([
      ['SG_IPSET_MEMBER_MISSING', 'nlab-cmp2', 'ipset NIPv470cc26b1-e2a6-4f21-8a62-: 198.19.201.124'],
    ])
    expect(findings[0].remedy).toContain('ipset add NIPv470cc26b1-e2a6-4f21-8a62- 198.19.201.124')
  })

  it('BRIDGE_NF_OFF: net.bridge.bridge-nf-call-iptables = 0', () => {
    const findings = withEdit('nlab-cmp2', 'sysctl_bridge_nf', (t) =>
      t.replace('bridge-nf-call-iptables = 1', 'bridge-nf-call-iptables = 0'),
    )
    expect(findings.map((f) => [f.code, f.host, f.element])).toEqual([
      ['BRIDGE_NF_OFF', 'nlab-cmp2', 'net.bridge.bridge-nf-call-iptables'],
    ])
  })
})

describe('anti-spoofing and port security', () => {
  it('SG_ANTISPOOF_MISMATCH: the allowed address pair missing from the s chain', () => {
    const findings = withEdit('nlab-cmp2', 'iptables_save', (t) =>
      t
        .split('\n')
        .filter((l) => !l.includes('-A neutron-openvswi-s4793b0fb-0 -s 198.19.201.250/32'))
        .join('\n'),
    )
    expect(findings.map((f) => [f.code, f.host, f.element])).toEqual([
      ['SG_ANTISPOOF_MISMATCH', 'nlab-cmp2', 'neutron-openvswi-s4793b0fb-0: 198.19.201.250 fa:16:3e:e9:3d:f0'],
    ])
  })

  it('SG_PORT_SECURITY_MISMATCH: port security disabled in Neutron, the host still filters the port', () => {
    const snap: Snapshot = structuredClone(healthy)
    const ports = snap.intentFiles.find((f) => f.name === 'ports.json')!
    const body = JSON.parse(ports.text) as {
      ports: {id: string; port_security_enabled?: boolean; security_groups?: string[]}[]
    }
    const port = body.ports.find((p) => p.id.startsWith('1f4cc644'))!
    port.port_security_enabled = false
    port.security_groups = []
    ports.text = `${JSON.stringify(body, null, 2)}\n`
    const findings = diagnose(analysisOf(snap))
    expect(findings.map((f) => [f.code, f.host, f.element])).toEqual([
      ['SG_PORT_SECURITY_MISMATCH', 'nlab-cmp1', 'port 1f4cc644-f108-403b-8293-c09fe259a7f3'],
    ])
  })
})
