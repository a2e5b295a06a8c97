// The openvswitch firewall driver's br-int tables 60–94 (shared/reference/neutron-wiring-2.md §9.2, the Zed agent's
// flows for one port: ofport 2, local VLAN 1, fa:16:3e:4a:5b:6c / 10.1.0.5, an ingress tcp/22 rule, a remote-group
// rule as conjunction 17 with member 10.1.0.6, egress any) through the simulator with a connection tracker: ct(),
// ct_state/ct_zone/ct_mark, conjunction()/conj_id, reg5/reg6. Then the same packets through a real Open vSwitch with
// `ofproto/trace --ct-next` stating the state the tracker gave: the same fate, the same output ports.

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseDumpFlows} from '../../src/parsers/ovs-ofctl-dump-flows.js'
import {Conntrack, CS} from '../../src/sim/conntrack.js'
import {formatCtState, simulateBridge} from '../../src/sim/openflow.js'
import type {BridgeResult, SimBridge} from '../../src/sim/model.js'
import {makePacket, type Packet, packetToTraceFlow} from '../../src/sim/packet.js'
import {OvsSandbox, ovsUnavailableReason, parseTraceOutput} from '../support/ovs-sandbox.js'

const MAC = 'fa:16:3e:4a:5b:6c'
const PEER = 'fa:16:3e:00:00:06'
const FLOWS = [
  'priority=0 actions=resubmit(,60)',
  'table=60, priority=100,in_port=2 actions=load:0x2->NXM_NX_REG5[],load:0x1->NXM_NX_REG6[],resubmit(,71)',
  `table=60, priority=90,dl_vlan=1,dl_dst=${MAC} actions=load:0x2->NXM_NX_REG5[],load:0x1->NXM_NX_REG6[],strip_vlan,resubmit(,81)`,
  'table=60, priority=3 actions=NORMAL',
  'table=71, priority=110,ct_state=+trk actions=ct_clear,resubmit(,71)',
  `table=71, priority=95,arp,reg5=0x2,in_port=2,dl_src=${MAC},arp_spa=10.1.0.5 actions=resubmit(,94)`,
  `table=71, priority=65,ip,reg5=0x2,in_port=2,dl_src=${MAC},nw_src=10.1.0.5 actions=ct(table=72,zone=NXM_NX_REG6[0..15])`,
  'table=71, priority=10,reg5=0x2,in_port=2 actions=ct_clear,resubmit(,93)',
  'table=71, priority=0 actions=drop',
  'table=72, priority=74,ct_state=+new-est,ip,reg5=0x2 actions=resubmit(,73)',
  'table=72, priority=74,ct_state=+est-rel-rpl,ip,reg5=0x2 actions=resubmit(,73)',
  'table=72, priority=50,ct_state=+inv+trk actions=resubmit(,93)',
  'table=72, priority=50,ct_mark=0x1,reg5=0x2 actions=resubmit(,93)',
  'table=72, priority=50,ct_state=+est-rel+rpl,ct_zone=1,ct_mark=0,reg5=0x2 actions=resubmit(,94)',
  'table=72, priority=50,ct_state=-new-est+rel-inv,ct_zone=1,ct_mark=0,reg5=0x2 actions=resubmit(,94)',
  'table=72, priority=40,ct_state=-est,reg5=0x2 actions=resubmit(,93)',
  'table=72, priority=40,ct_state=+est,ip,reg5=0x2 actions=ct(commit,zone=NXM_NX_REG6[0..15],exec(load:0x1->NXM_NX_CT_MARK[]))',
  'table=72, priority=0 actions=drop',
  `table=73, priority=100,reg6=0x1,dl_dst=${MAC} actions=load:0x2->NXM_NX_REG5[],resubmit(,81)`,
  'table=73, priority=90,ct_state=+new-est,ip,reg5=0x2 actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,91)',
  'table=73, priority=80,reg5=0x2 actions=resubmit(,94)',
  'table=73, priority=0 actions=drop',
  'table=81, priority=100,arp,reg5=0x2 actions=output:2',
  'table=81, priority=90,ct_state=-trk,ip,reg5=0x2 actions=ct(table=82,zone=NXM_NX_REG6[0..15])',
  'table=81, priority=80,ct_state=+trk,reg5=0x2 actions=resubmit(,82)',
  'table=81, priority=0 actions=drop',
  'table=82, priority=77,ct_state=+new-est,tcp,reg5=0x2,tp_dst=22 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:2,resubmit(,92)',
  'table=82, priority=77,ct_state=+est-rel-rpl,tcp,reg5=0x2,tp_dst=22 actions=output:2',
  'table=82, priority=70,ct_state=+new-est,ip,reg5=0x2 actions=conjunction(17,2/2)',
  'table=82, priority=70,ct_state=+new-est,ip,reg6=0x1,nw_src=10.1.0.6 actions=conjunction(17,1/2)',
  'table=82, priority=70,conj_id=17,ct_state=+new-est,ip,reg5=0x2 actions=load:0x11->NXM_NX_REG7[],ct(commit,zone=NXM_NX_REG6[0..15]),output:2,resubmit(,92)',
  'table=82, priority=50,ct_state=+est-rel+rpl,ct_zone=1,ct_mark=0,reg5=0x2 actions=output:2',
  'table=82, priority=40,ct_state=-est,reg5=0x2 actions=resubmit(,93)',
  'table=82, priority=0 actions=drop',
  'table=91, priority=1 actions=resubmit(,94)',
  'table=92, priority=0 actions=drop',
  'table=93, priority=0 actions=drop',
  'table=94, priority=1 actions=NORMAL',
]

/** As `ovs-ofctl dump-flows --no-stats` prints them (the parser reads dumps, not add-flow syntax). */
const DUMP = FLOWS.map((f) => ` ${f}`).join('\n') + '\n'

const PORTS = [
  {ofport: 1, name: 'int-br-eth2', trunks: [], type: 'internal'},
  {ofport: 2, name: 'tap4a5b6c', trunks: [], type: 'internal', tag: 1},
]

function brInt(): SimBridge {
  const parsed = parseDumpFlows(DUMP)
  expect(parsed.problems).toEqual([])
  return {
    name: 'br-int',
    flows: parsed.value,
    ports: [...PORTS, {ofport: 65534, name: 'br-int', trunks: [], type: 'internal'}],
  }
}

/** tcp or icmp between the remote end (on the patch side, VLAN 1) and the port. */
function toPort(src: string, proto: 'tcp' | 'icmp', dport = 22, sport = 40000): Packet {
  return makePacket({
    in_port: 1,
    vlan: {vid: 1, pcp: 0},
    dl_src: PEER,
    dl_dst: MAC,
    dl_type: 0x0800,
    nw_src: src,
    nw_dst: '10.1.0.5',
    nw_proto: proto === 'tcp' ? 6 : 1,
    nw_ttl: 64,
    tp_src: proto === 'tcp' ? sport : 8,
    tp_dst: proto === 'tcp' ? dport : 0,
  })
}
function fromPort(dst: string, sport: number, dport: number): Packet {
  return makePacket({
    in_port: 2,
    dl_src: MAC,
    dl_dst: PEER,
    dl_type: 0x0800,
    nw_src: '10.1.0.5',
    nw_dst: dst,
    nw_proto: 6,
    nw_ttl: 64,
    tp_src: sport,
    tp_dst: dport,
  })
}

const outPorts = (r: BridgeResult) => r.outputs.map((o) => o.port.name).sort()
/** The ct_state of each recirculation, in order, as `--ct-next` takes them. */
const ctStates = (r: BridgeResult) =>
  r.steps.filter((s) => s.notes.some((n) => n.startsWith('recirculated'))).map((s) => s.notes)

describe('openvswitch firewall tables in the simulator (conntrack, conjunctions)', () => {
  it('tcp/22 in: +trk+new, the tcp/22 flow commits and outputs to the port; its reply is +trk+est+rpl', () => {
    const ct = new Conntrack()
    const req = simulateBridge(brInt(), toPort('10.1.0.9', 'tcp'), {conntrack: ct, learn: false})
    expect(req.verdict).toBe('forwarded')
    expect(outPorts(req)).toEqual(['tap4a5b6c'])
    const allowed = req.steps.find((s) => s.table === 82)!
    expect(allowed.flow?.priority).toBe(77)
    expect(ct.size).toBe(1)
    const reply = simulateBridge(brInt(), fromPort('10.1.0.9', 22, 40000), {conntrack: ct, learn: false})
    const t72 = reply.steps.find((s) => s.table === 72)!
    expect(t72.flow?.match.fields.ct_state?.value).toBe('+est-rel+rpl')
    expect(reply.steps.some((s) => s.table === 94)).toBe(true)
    expect(ctStates(reply)).toHaveLength(1)
  })

  it('tcp/80 from a member of the remote group: conjunction 17 (both dimensions) allows it', () => {
    const r = simulateBridge(brInt(), toPort('10.1.0.6', 'tcp', 80), {conntrack: new Conntrack(), learn: false})
    expect(r.verdict).toBe('forwarded')
    expect(r.steps.find((s) => s.table === 82)?.flow?.match.fields.conj_id?.value).toBe('17')
  })

  it('tcp/80 from a non-member: dimension 1 fails, no conjunctive match, dropped in table 93', () => {
    const r = simulateBridge(brInt(), toPort('10.1.0.7', 'tcp', 80), {conntrack: new Conntrack(), learn: false})
    expect(r.verdict).toBe('dropped')
    expect(r.steps.at(-1)?.table).toBe(93)
  })

  it('a second packet in the original direction after the commit is not guessed (unknown)', () => {
    const ct = new Conntrack()
    simulateBridge(brInt(), toPort('10.1.0.9', 'tcp'), {conntrack: ct, learn: false})
    const again = simulateBridge(brInt(), toPort('10.1.0.9', 'tcp'), {conntrack: ct, learn: false})
    expect(again.verdict).toBe('unknown')
  })

  it('without a connection tracker ct(table=N) stays unknown, as before', () => {
    const r = simulateBridge(brInt(), toPort('10.1.0.9', 'tcp'), {learn: false})
    expect(r.verdict).toBe('unknown')
  })

  it('ct_state prints as ovs-ofctl does', () => {
    expect(formatCtState(CS.trk | CS.new)).toBe('trk|new')
    expect(formatCtState(CS.trk | CS.est | CS.rpl)).toBe('trk|est|rpl')
  })
})

const unavailable = ovsUnavailableReason()
describe.skipIf(unavailable !== undefined)('the same packets through ofproto/trace --ct-next', () => {
  let sb: OvsSandbox | undefined
  beforeAll(async () => {
    sb = await OvsSandbox.start()
    await sb.addBridge('br-int')
    for (const p of PORTS) await sb.addPort('br-int', {ofport: p.ofport, name: p.name, type: 'internal', tag: p.tag})
    await sb.addFlows('br-int', FLOWS)
  }, 120_000)
  afterAll(async () => sb?.stop())

  const cases: {name: string; packet: Packet; prior?: Packet[]}[] = [
    {name: 'tcp/22 in', packet: toPort('10.1.0.9', 'tcp')},
    {name: 'tcp/80 from a member', packet: toPort('10.1.0.6', 'tcp', 80)},
    {name: 'tcp/80 from a non-member', packet: toPort('10.1.0.7', 'tcp', 80)},
    {name: 'icmp in (no rule)', packet: toPort('10.1.0.9', 'icmp')},
    {name: 'tcp out (egress any)', packet: fromPort('10.1.0.9', 40000, 80)},
    {
      name: 'tcp/22 reply after the request',
      packet: fromPort('10.1.0.9', 22, 40000),
      prior: [toPort('10.1.0.9', 'tcp')],
    },
  ]
  for (const c of cases)
    it(c.name, async () => {
      const ct = new Conntrack()
      for (const p of c.prior ?? []) simulateBridge(brInt(), p, {conntrack: ct, learn: false})
      const sim = simulateBridge(brInt(), c.packet, {conntrack: ct, learn: false})
      expect(sim.verdict).not.toBe('unknown')
      const states = sim.steps
        .flatMap((s) => s.events.flatMap((e) => e.notes))
        .map((n) => /^conntrack: (\S+) in zone/.exec(n)?.[1])
        .filter((s): s is string => s !== undefined)
        .map((s) => s.replaceAll('|', ','))
      const args = ['ovs-appctl', 'ofproto/trace', 'br-int', packetToTraceFlow(c.packet)]
      for (const s of states) args.push('--ct-next', s)
      const text = await sb!.run(args)
      // One section per translation: the first, then one per recirculation (`recirc(0x…) - resume conntrack`).
      const outputs = text.split(/^=+\n.*resume conntrack.*\n=+\n/m).flatMap((t) => parseTraceOutput(t).outputs)
      const dp = await sb!.datapathPorts()
      const ovsPorts = outputs.map((o) => dp.find((d) => d.odpPort === o.odpPort)?.name ?? `odp${o.odpPort}`).sort()
      expect(outPorts(sim), text).toEqual(ovsPorts)
    })
})
