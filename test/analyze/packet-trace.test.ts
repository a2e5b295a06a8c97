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

// The same lab with nlab-cmp2 on the openvswitch firewall driver (fixtures/snapshots/neutron-ovsfw, see its README):
// vm-net1-2's security groups are br-int's tables 60–94, simulated with connection tracking; the expected verdicts
// are what the real packets did at capture time.
describe('trace --from VM --to VM through the openvswitch firewall (br-int tables 60–94, conntrack)', async () => {
  const a = await loadAnalysis(new URL('../../fixtures/snapshots/neutron-ovsfw', import.meta.url).pathname)
  const OVSFW: Record<string, string> = {
    'vm-net1-1': '20c9154d-ea01-48de-aacc-e75b3f85fcd2',
    'vm-net1-2': '1878039b-6971-44a0-9732-1dfd645eade3',
    'vm-net1-3': '7493bad9-5bf2-4236-abc0-e44b75a55520',
  }
  const cell = (from: string, to: string, p: (typeof PROBES)[number]) =>
    tracePacketBetween(a, OVSFW[from]!, OVSFW[to]!, {
      proto: p.proto,
      ...('dport' in p ? {dport: p.dport} : {}),
      reply: true,
    })
  const fate = (t: ReturnType<typeof cell>) =>
    t.verdict === 'delivered' && t.reply?.verdict === 'delivered' ? 'pass' : t.verdict === 'unknown' ? '?' : 'drop'

  it('the matrix equals the real packets (request and reply)', () => {
    const pairs = [
      ['vm-net1-1', 'vm-net1-2'],
      ['vm-net1-2', 'vm-net1-1'],
      ['vm-net1-3', 'vm-net1-2'],
    ]
    expect(pairs.map(([f, t]) => [f, t, ...PROBES.map((p) => fate(cell(f!, t!, p)))])).toEqual([
      ['vm-net1-1', 'vm-net1-2', 'drop', 'pass', 'pass', 'pass'],
      ['vm-net1-2', 'vm-net1-1', 'drop', 'drop', 'pass', 'pass'],
      ['vm-net1-3', 'vm-net1-2', 'drop', 'drop', 'pass', 'pass'],
    ])
  })

  it('the receiver on nlab-cmp2 is filtered by br-int: tcp/22 committed as +trk+new, its reply +trk+est+rpl', () => {
    const t = cell('vm-net1-1', 'vm-net1-2', PROBES[1])
    expect(t.unknowns).toEqual([])
    const cmp2 = t.hops.find((h) => h.host === 'nlab-cmp2' && h.kind === 'ovs-bridge' && h.element === 'br-int')!
    expect(cmp2.flows?.map((f) => f.table)).toEqual(expect.arrayContaining([81, 82]))
    expect(cmp2.flows?.find((f) => f.table === 82)?.text).toMatch(/ct_state=\+new-est.*tp_dst=22/)
    const back = t.reply!.hops.find((h) => h.host === 'nlab-cmp2' && h.kind === 'ovs-bridge' && h.element === 'br-int')!
    expect(back.flows?.find((f) => f.table === 72)?.text).toMatch(/ct_state=\+est-rel\+rpl/)
  })

  const ingressOf = (t: ReturnType<typeof cell>) => t.firewall.find((s) => s.host === 'nlab-cmp2')!

  it('an allowed packet names the Neutron rule behind the br-int flow: a rule with a prefix (tcp/22 from a /32)', () => {
    const t = cell('vm-net1-1', 'vm-net1-2', PROBES[1])
    expect(ingressOf(t)).toMatchObject({
      bridge: 'br-int',
      port: 'tap1878039b-69',
      direction: 'ingress',
      verdict: 'accept',
      flow: {table: 82, line: 189},
      sgRule: {group: 'nlab-ssh (1f0ad4f0)', text: 'ingress tcp/22 from 198.19.201.176/32'},
      reason: expect.stringMatching(/^allowed by rule 9458b607-\S+ of group nlab-ssh \(1f0ad4f0\): ingress tcp\/22/),
    })
    // Its reply leaves through table 72 as part of the committed connection.
    expect(t.reply!.firewall.find((s) => s.host === 'nlab-cmp2')).toMatchObject({
      direction: 'egress',
      verdict: 'accept',
      flow: {table: 72, line: 107},
      reason: expect.stringMatching(/belongs to a connection already allowed .*\+est-rel\+rpl/),
    })
  })

  it('a remote-group rule through its conjunction: the conj_id flow, the group whose members are its addresses', () => {
    const t = cell('vm-net1-3', 'vm-net1-2', PROBES[2])
    const step = ingressOf(t)
    expect(step.flow?.text).toMatch(/conj_id=23,ct_state=\+new-est/)
    expect(step.sgRule).toMatchObject({
      id: '7224998e-5567-4ef0-bceb-2b1c46b0fe30',
      text: 'ingress tcp/80 from members of nlab-web (bdc81208)',
    })
  })

  it('egress from the openvswitch host: every rule of its groups that allows it is named', () => {
    const t = cell('vm-net1-2', 'vm-net1-1', PROBES[2])
    const egress = t.firewall.find((s) => s.host === 'nlab-cmp2')!
    expect(egress).toMatchObject({direction: 'egress', verdict: 'accept', flow: {table: 72, line: 95}})
    expect(egress.reason).toMatch(
      /^allowed by rule \S+ of group nlab-ssh .*: egress any protocol to anywhere \(also rule \S+ of group nlab-web/,
    )
  })

  it("a drop names the missing rule: no rule of the port's groups allows it; the flows stay as evidence", () => {
    const t = cell('vm-net1-3', 'vm-net1-2', PROBES[1])
    expect(t.verdict).toBe('dropped')
    expect(t.reason).toMatch(
      /^dropped: no rule of security group\(s\) nlab-ssh \(1f0ad4f0\), nlab-web \(bdc81208\) of port vm-net1-2 \(1878039b\) allows tcp\/22 from 198\.19\.201\.244 \(br-int table 82 line 281: .*ct_state=-est,reg5=0x3 actions=resubmit\(,93\); then dropped by table=93/,
    )
    expect(t.dropFlow).toMatchObject({host: 'nlab-cmp2', bridge: 'br-int'})
    expect(ingressOf(t)).toMatchObject({verdict: 'drop', flow: {table: 82, line: 281}})
    expect(ingressOf(t).sgRule).toBeUndefined()
    const ping = cell('vm-net1-1', 'vm-net1-2', PROBES[0])
    expect(ping.reason).toMatch(/^dropped: no rule .* allows icmp type 8 from 198\.19\.201\.176 /)
  })

  it('a rule Neutron has but br-int lacks: the drop names it as not applied', async () => {
    const b = await loadAnalysis(new URL('../../fixtures/snapshots/neutron-ovsfw', import.meta.url).pathname)
    const ssh = b.intent!.securityGroups!.find((g) => g.name === 'nlab-ssh')!
    ssh.rules.push({
      ...ssh.rules.find((r) => r.portRangeMin === 22)!,
      id: 'added-while-agent-down',
      portRangeMin: 8080,
      portRangeMax: 8080,
    })
    const t = tracePacketBetween(b, OVSFW['vm-net1-1']!, OVSFW['vm-net1-2']!, {proto: 'tcp', dport: 8080, reply: false})
    expect(t.verdict).toBe('dropped')
    expect(t.reason).toMatch(
      /^dropped: rule added-while-agent-down of group nlab-ssh \(1f0ad4f0\) allows tcp\/8080 from 198\.19\.201\.176 in Neutron, but br-int has no flow for it/,
    )
  })

  it('unknown, never guessed: a flow no rule of intent stands for, and a port whose groups intent lacks', async () => {
    const b = await loadAnalysis(new URL('../../fixtures/snapshots/neutron-ovsfw', import.meta.url).pathname)
    const ssh = b.intent!.securityGroups!.find((g) => g.name === 'nlab-ssh')!
    // Neutron no longer has the tcp/22 rule, br-int still enforces it.
    ssh.rules = ssh.rules.filter((r) => r.portRangeMin !== 22)
    const t = tracePacketBetween(b, OVSFW['vm-net1-1']!, OVSFW['vm-net1-2']!, {proto: 'tcp', dport: 22, reply: false})
    expect(t.verdict).toBe('delivered')
    const step = t.firewall.find((s) => s.host === 'nlab-cmp2')!
    expect(step.sgRule).toBeUndefined()
    expect(step.reason).toMatch(/^allowed by br-int table 82 line 189; the security-group rule behind it is unknown/)
    const port = b.intent!.ports.find((p) => p.id === OVSFW['vm-net1-2'])!
    delete port.securityGroups
    const u = tracePacketBetween(b, OVSFW['vm-net1-3']!, OVSFW['vm-net1-2']!, {proto: 'tcp', dport: 80, reply: false})
    expect(u.firewall.find((s) => s.host === 'nlab-cmp2')?.reason).toMatch(
      /rule behind it is unknown: intent does not have the port's security groups/,
    )
  })

  it('--format json of these traces is valid against trace.schema.json; DHCP traces have no firewall step', async () => {
    for (const p of PROBES) expectMatchesSchema('trace', packetJson(cell('vm-net1-3', 'vm-net1-2', p), '0.0.0'))
    const {traceVm} = await import('../../src/engine.js')
    const [dhcp] = traceVm(a, OVSFW['vm-net1-2']!, 'dhcp')
    expect(dhcp.verdict).toBe('delivered')
    expect(dhcp.hops.some((h) => h.kind === 'firewall')).toBe(false)
  })
})

describe('port_rule_masking as Neutron writes a port range into tp_dst/mask flows', async () => {
  const {isPortBlock} = await import('../../src/firewall/ovsfw.js')
  const blocks = (min: number, max: number) => {
    const out: string[] = []
    for (let size = 1; size <= 0x10000; size *= 2)
      for (let v = 0; v < 0x10000; v += size)
        if (isPortBlock(min, max, v, (0x10000 - size) & 0xffff)) out.push(size === 1 ? `${v}` : `${v}/${size}`)
    return out.sort((x, y) => parseInt(x) - parseInt(y))
  }
  it('the blocks neutron.common.utils.port_rule_masking (Zed) gives, run in Python on the same ranges', () => {
    expect(blocks(5, 12)).toEqual(['5', '6/2', '8/4', '12'])
    expect(blocks(16, 23)).toEqual(['16/8'])
    expect(blocks(22, 22)).toEqual(['22'])
    expect(blocks(40, 105)).toEqual(['40/8', '48/16', '64/32', '96/8', '104/2'])
    expect(blocks(1000, 1999)).toEqual(['1000/8', '1008/16', '1024/512', '1536/256', '1792/128', '1920/64', '1984/16'])
    // 0x0001, 0x0002/0xfffe, … 0x4000/0xc000, 0x8000/0x8000
    expect(blocks(1, 65535)).toEqual(Array.from({length: 16}, (_, k) => (k === 0 ? '1' : `${2 ** k}/${2 ** k}`)))
  })
})
