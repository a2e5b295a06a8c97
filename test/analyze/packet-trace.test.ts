import {describe, expect, it} from 'vitest'

import {loadAnalysis, tracePacketBetween} from '../../src/engine.js'
import {packetJson} from '../../src/render/packet.js'
import {expectMatchesSchema} from '../support/schemas.js'

// The Neutron lab with security groups (fixtures/snapshots/neutron-sg, see its README). The same matrix is checked
// against the real packets in test/lab/neutron/security-groups.test.ts.
const SNAP = new URL('../../fixtures/snapshots/neutron-sg', import.meta.url).pathname

const PROBES = [
  {proto: 'icmp', label: 'icmp'},
  {proto: 'tcp', dport: 22, label: 'tcp/22'},
  {proto: 'tcp', dport: 80, label: 'tcp/80'},
  {proto: 'udp', dport: 53, label: 'udp/53'},
] as const

/** The lab has no Nova: the VMs are found by their Neutron port ids. */
const PORTS: Record<string, string> = {
  'vm-net1-1': '690d5b42-3549-4898-a70a-683e696f594b',
  'vm-net1-2': '4793b0fb-081f-45c4-b178-4671320c7b35',
  'vm-net1-3': '1f4cc644-f108-403b-8293-c09fe259a7f3',
  'vm-net3-1': '00dbaedf-163b-402d-948a-c7fc8e7c0bb1',
  'vm-net3-2': '74084f9b-b058-4018-9475-e9c6f80b81df',
}

describe('trace --from VM --to VM through the security groups (iptables_hybrid)', async () => {
  const a = await loadAnalysis(SNAP)
  const cell = (from: string, to: string, p: (typeof PROBES)[number], reply = false) =>
    tracePacketBetween(a, PORTS[from], PORTS[to], {proto: p.proto, ...('dport' in p ? {dport: p.dport} : {}), reply})

  it('the matrix: VM pairs × icmp, tcp/22, tcp/80, udp/53', () => {
    const pairs = [
      ['vm-net1-1', 'vm-net1-2'],
      ['vm-net1-2', 'vm-net1-1'],
      ['vm-net1-3', 'vm-net1-2'],
      ['vm-net1-3', 'vm-net1-1'],
      ['vm-net1-1', 'vm-net1-3'],
      ['vm-net3-1', 'vm-net3-2'],
    ]
    const got = pairs.map(([f, t]) => [f, t, ...PROBES.map((p) => cell(f, t, p).verdict)])
    expect(got).toEqual([
      ['vm-net1-1', 'vm-net1-2', 'dropped', 'delivered', 'delivered', 'delivered'],
      ['vm-net1-2', 'vm-net1-1', 'dropped', 'dropped', 'delivered', 'delivered'],
      ['vm-net1-3', 'vm-net1-2', 'dropped', 'dropped', 'delivered', 'delivered'],
      ['vm-net1-3', 'vm-net1-1', 'dropped', 'dropped', 'delivered', 'delivered'],
      ['vm-net1-1', 'vm-net1-3', 'dropped', 'dropped', 'delivered', 'delivered'],
      ['vm-net3-1', 'vm-net3-2', 'delivered', 'delivered', 'delivered', 'delivered'],
    ])
  })

  it('--format json: every cell of the matrix, with its reply, is valid against trace.schema.json', () => {
    for (const [f, t] of [
      ['vm-net1-1', 'vm-net1-2'],
      ['vm-net1-3', 'vm-net1-1'],
      ['vm-net3-1', 'vm-net3-2'],
    ])
      for (const p of PROBES) expectMatchesSchema('trace', packetJson(cell(f!, t!, p, true), '0.0.0'))
  })

  it('names the deciding rule and the Neutron rule behind it', () => {
    const ssh = cell('vm-net1-1', 'vm-net1-2', PROBES[1], true)
    expect(ssh.arp).toMatchObject({answeredBy: 'peer', mac: 'fa:16:3e:e9:3d:f0'})
    const ingress = ssh.firewall.find((s) => s.direction === 'ingress')!
    expect(ingress).toMatchObject({
      host: 'nlab-cmp2',
      port: 'tap4793b0fb-08',
      verdict: 'accept',
      rule: {chain: 'neutron-openvswi-i4793b0fb-0', number: 4},
      sgRule: {group: 'nlab-ssh (cfd39b83)', text: 'ingress tcp/22 from 198.19.201.17/32'},
    })
    expect(ssh.reply).toMatchObject({verdict: 'delivered'})
    expect(ssh.reply!.firewall.map((s) => s.rule!.number)).toEqual([5, 1])

    const ping = cell('vm-net1-3', 'vm-net1-1', PROBES[0], true)
    expect(ping.verdict).toBe('dropped')
    expect(ping.reason).toMatch(
      /^dropped by neutron-openvswi-i690d5b42-3: no rule of its security groups \(groups default \(3c7503ca\), nlab-web \(70cc26b1\)\) allows it; last rule: neutron-openvswi-i690d5b42-3 rule 8: .* -j neutron-openvswi-sg-fallback; dropped by neutron-openvswi-sg-fallback rule 1$/,
    )
    // The reply of a request that never arrived is a new connection the other way, and dropped too.
    expect(ping.reply!.verdict).toBe('dropped')
  })

  it('DHCP traces are unchanged by the firewall (not applied to them)', async () => {
    const {traceVm} = await import('../../src/engine.js')
    const [dhcp] = traceVm(a, PORTS['vm-net1-2'], 'dhcp')
    expect(dhcp.verdict).toBe('delivered')
    expect(dhcp.hops.some((h) => h.kind === 'firewall')).toBe(false)
  })
})
