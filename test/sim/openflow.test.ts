import {describe, expect, it} from 'vitest'
import type {FlowAction} from '../../src/types.js'
import {MacTable} from '../../src/sim/mac-table.js'
import {simulateBridge, type BridgeResult} from '../../src/sim/openflow.js'
import {makePacket, type Packet} from '../../src/sim/packet.js'
import {bridge, flow, port} from './helpers.js'

const BCAST = 'ff:ff:ff:ff:ff:ff'
const normal: FlowAction = {type: 'normal'}
const drop: FlowAction = {type: 'drop'}
const out = (p: number | string): FlowAction => ({type: 'output', port: p})

/** The seed's br-int on the network node: int-br-eth2=1, the DHCP tap (tag 1)=2, a VM on another network (tag 3)=3. */
function seedBrInt() {
  return bridge(
    'br-int',
    [
      port(1, 'int-br-eth2'),
      port(2, 'tap26c9b807-7c', {tag: 1, type: 'internal'}),
      port(3, 'qvo53903a95-82', {tag: 3}),
    ],
    [
      flow({priority: 3, inPort: 1, match: {dl_vlan: '1000'}, actions: [{type: 'set_vlan_vid', vid: 1}, normal]}),
      flow({priority: 2, inPort: 1, actions: [drop]}),
      flow({priority: 1, actions: [normal]}),
    ],
  )
}

function pkt(inPort: number, extra: Partial<Packet> = {}): Packet {
  return makePacket({in_port: inPort, dl_src: 'fa:16:3e:fe:c7:87', dl_dst: BCAST, dl_type: 0x0800, ...extra})
}

function where(result: BridgeResult): string[] {
  return result.outputs.map((o) => `${o.port.name}:${o.packet.vlan ? o.packet.vlan.vid : '-'}`).sort()
}

/** A plain bridge: ports 1..4 trunk (no tag), and the given flows. */
function plain(...flows: ReturnType<typeof flow>[]) {
  return bridge('br0', [port(1, 'p1'), port(2, 'p2'), port(3, 'p3'), port(4, 'p4')], flows)
}

describe('table lookup', () => {
  it('picks the highest-priority matching flow (seed: VLAN 1000 from the physical network becomes local VLAN 1)', () => {
    const r = simulateBridge(seedBrInt(), pkt(1, {vlan: {vid: 1000, pcp: 0}}))
    expect(r.steps).toHaveLength(1)
    expect(r.steps[0]?.flow?.priority).toBe(3)
    expect(r.steps[0]?.vlanBefore).toEqual({vid: 1000, pcp: 0})
    expect(r.steps[0]?.vlanAfter).toEqual({vid: 1, pcp: 0})
    expect(r.verdict).toBe('forwarded')
    expect(where(r)).toEqual(['br-int:1', 'tap26c9b807-7c:-'])
  })

  it('drops a VLAN with no translation flow by the priority=2 in_port drop', () => {
    const r = simulateBridge(seedBrInt(), pkt(1, {vlan: {vid: 1001, pcp: 0}}))
    expect(r.verdict).toBe('dropped')
    expect(r.dropFlow?.priority).toBe(2)
    expect(r.dropReason).toMatch(/actions=drop/)
    expect(r.outputs).toEqual([])
  })

  it('treats a table miss as a drop and says so', () => {
    const r = simulateBridge(plain(flow({priority: 5, inPort: 2, actions: [out(3)]})), pkt(1))
    expect(r.verdict).toBe('dropped')
    expect(r.steps[0]?.flow).toBeUndefined()
    expect(r.dropReason).toMatch(/table miss/)
    expect(r.dropFlow).toBeUndefined()
    expect(r.notes.join(' ')).toMatch(/OpenFlow 1\.3/)
  })

  it('reports two equal-priority matches with different actions as ambiguous', () => {
    const r = simulateBridge(
      plain(
        flow({priority: 5, inPort: 1, actions: [out(2)]}),
        flow({priority: 5, match: {dl_type: '0x0800'}, actions: [out(3)]}),
      ),
      pkt(1),
    )
    expect(r.steps[0]?.ambiguousWith).toHaveLength(1)
    expect(r.verdict).toBe('unknown')
    expect(r.unknownReasons.join(' ')).toMatch(/priority 5/)
  })

  it('does not call equal-priority matches with identical actions ambiguous', () => {
    const r = simulateBridge(
      plain(
        flow({priority: 5, inPort: 1, actions: [out(2)]}),
        flow({priority: 5, match: {dl_type: '0x0800'}, actions: [out(2)]}),
      ),
      pkt(1),
    )
    expect(r.steps[0]?.ambiguousWith).toHaveLength(1)
    expect(r.verdict).toBe('forwarded')
  })

  it('cannot decide a higher-priority flow on a field the packet lacks, and names the field', () => {
    const br = plain(
      flow({priority: 10, match: {dl_type: '0x0800', nw_proto: '17', tp_dst: '67'}, actions: [drop]}),
      flow({priority: 1, actions: [out(2)]}),
    )
    const r = simulateBridge(br, pkt(1, {nw_proto: 17}))
    expect(r.verdict).toBe('unknown')
    expect(r.steps[0]?.undecided[0]?.fields).toEqual(['tp_dst'])
    expect(r.steps[0]?.flow?.priority).toBe(1)
    // with the field present the answer is definite
    expect(simulateBridge(br, pkt(1, {nw_proto: 17, tp_dst: 67})).verdict).toBe('dropped')
    // a known field that differs settles it even though tp_dst is missing
    expect(simulateBridge(br, pkt(1, {nw_proto: 6})).verdict).toBe('forwarded')
  })

  it('resolves in_port and output given as port names', () => {
    const br = plain(flow({priority: 5, inPort: 'p1', actions: [out('p3')]}))
    expect(where(simulateBridge(br, pkt(1)))).toEqual(['p3:-'])
  })
})

describe('resubmit and goto_table', () => {
  it('resubmit(,N) runs table N and then the rest of the action list', () => {
    const br = plain(
      flow({table: 0, priority: 1, actions: [{type: 'resubmit', table: 1}, out(4)]}),
      flow({table: 1, priority: 1, actions: [out(2)]}),
    )
    const r = simulateBridge(br, pkt(1))
    expect(r.outputs.map((o) => o.port.name)).toEqual(['p2', 'p4'])
    expect(r.steps.map((s) => [s.table, s.depth, s.parent])).toEqual([
      [0, 0, undefined],
      [1, 1, 0],
    ])
    expect(r.steps[0]?.events[0]?.next).toBe(1)
  })

  it('a miss inside resubmit does not stop the outer action list', () => {
    const br = plain(flow({priority: 1, actions: [{type: 'resubmit', table: 7}, out(3)]}))
    const r = simulateBridge(br, pkt(1))
    expect(r.steps[1]?.flow).toBeUndefined()
    expect(where(r)).toEqual(['p3:-'])
    expect(r.verdict).toBe('forwarded')
  })

  it('resubmit(port,N) changes in_port for the lookup only (as ovs-vswitchd does)', () => {
    const br = plain(
      flow({table: 0, priority: 5, inPort: 1, actions: [{type: 'resubmit', port: 2, table: 1}]}),
      flow({table: 1, priority: 5, inPort: 2, actions: [out(1), out(3), {type: 'in_port'}]}),
    )
    const r = simulateBridge(br, pkt(1))
    expect(r.steps[1]?.lookupInPort).toBe(2)
    expect(r.steps[1]?.flow?.priority).toBe(5)
    // output:1 is still "the input port" and skipped; in_port still means port 1
    expect(r.outputs.map((o) => `${o.port.name}/${o.via}`)).toEqual(['p3/output', 'p1/output'])
    expect(r.steps[1]?.events[0]?.notes).toEqual(['skipping output to input port'])
  })

  it('a resubmit loop fails translation and drops everything, like OVS', () => {
    const br = plain(flow({priority: 1, actions: [out(2), {type: 'resubmit', table: 0}]}))
    const r = simulateBridge(br, pkt(1))
    expect(r.verdict).toBe('dropped')
    expect(r.outputs).toEqual([])
    expect(r.dropReason).toMatch(/translation failed \(over max translation depth 64\)/)
  })

  it('limits the total number of resubmits (maxResubmits)', () => {
    const br = plain(
      flow({table: 0, priority: 1, actions: [{type: 'resubmit', table: 1}]}),
      flow({table: 1, priority: 1, actions: [{type: 'resubmit', table: 2}]}),
      flow({table: 2, priority: 1, actions: [{type: 'resubmit', table: 3}]}),
      flow({table: 3, priority: 1, actions: [out(2)]}),
    )
    expect(simulateBridge(br, pkt(1)).verdict).toBe('forwarded')
    const r = simulateBridge(br, pkt(1), {maxResubmits: 2})
    expect(r.dropReason).toMatch(/over 2 resubmit actions/)
  })

  it('goto_table continues at the same level; backwards is refused', () => {
    const br = plain(
      flow({table: 0, priority: 1, actions: [{type: 'goto_table', table: 5}]}),
      flow({table: 5, priority: 1, actions: [out(2)]}),
    )
    const r = simulateBridge(br, pkt(1))
    expect(r.steps.map((s) => [s.table, s.depth])).toEqual([
      [0, 0],
      [5, 0],
    ])
    expect(where(r)).toEqual(['p2:-'])
    const back = plain(
      flow({table: 0, priority: 1, actions: [{type: 'goto_table', table: 5}]}),
      flow({table: 5, priority: 1, actions: [{type: 'goto_table', table: 2}]}),
    )
    expect(simulateBridge(back, pkt(1)).verdict).toBe('unknown')
  })

  it('a goto_table miss drops', () => {
    const r = simulateBridge(plain(flow({priority: 1, actions: [{type: 'goto_table', table: 24}]})), pkt(1))
    expect(r.verdict).toBe('dropped')
    expect(r.dropReason).toMatch(/table 24/)
  })
})

describe('output actions', () => {
  it('skips output to the input port unless in_port is used', () => {
    const r = simulateBridge(plain(flow({priority: 1, actions: [out(1)]})), pkt(1))
    expect(r.verdict).toBe('dropped')
    expect(r.dropReason).toMatch(/input port/)
    const back = simulateBridge(plain(flow({priority: 1, actions: [{type: 'in_port'}]})), pkt(1))
    expect(where(back)).toEqual(['p1:-'])
    const named = simulateBridge(plain(flow({priority: 1, actions: [out('IN_PORT')]})), pkt(1))
    expect(where(named)).toEqual(['p1:-'])
  })

  it('output to a port the bridge does not have sends nothing', () => {
    const r = simulateBridge(plain(flow({priority: 1, actions: [out(9)]})), pkt(1))
    expect(r.verdict).toBe('dropped')
    expect(r.dropReason).toMatch(/nonexistent port 9/)
  })

  it('FLOOD and ALL send to every other port with the VLAN unchanged', () => {
    const tagged = pkt(1, {vlan: {vid: 7, pcp: 0}})
    for (const type of ['flood', 'all'] as const) {
      const r = simulateBridge(plain(flow({priority: 1, actions: [{type}]})), tagged)
      expect(where(r)).toEqual(['br0:7', 'p2:7', 'p3:7', 'p4:7'])
      expect(r.outputs.every((o) => o.via === 'flood')).toBe(true)
    }
  })

  it('LOCAL is the bridge port 65534', () => {
    const r = simulateBridge(plain(flow({priority: 1, actions: [{type: 'local'}, out('LOCAL')]})), pkt(1))
    expect(r.outputs.map((o) => o.port.ofport)).toEqual([65534, 65534])
  })

  it('explicit drop and an empty action list both drop with the flow named', () => {
    for (const actions of [[drop], []]) {
      const r = simulateBridge(plain(flow({priority: 9, inPort: 1, actions})), pkt(1))
      expect(r.verdict).toBe('dropped')
      expect(r.dropFlow?.priority).toBe(9)
    }
  })

  it('a flow that only rewrites fields outputs nothing', () => {
    const r = simulateBridge(plain(flow({priority: 1, actions: [{type: 'set_vlan_vid', vid: 5}]})), pkt(1))
    expect(r.verdict).toBe('dropped')
    expect(r.dropReason).toBe('the actions never output the packet')
    expect(r.dropFlow?.priority).toBe(1)
  })

  it('controller makes the verdict unknown', () => {
    const r = simulateBridge(
      plain(flow({priority: 1, actions: [{type: 'controller', text: 'CONTROLLER:65535'}]})),
      pkt(1),
    )
    expect(r.verdict).toBe('unknown')
    expect(r.unknownReasons[0]).toMatch(/controller/)
  })
})

describe('VLAN actions', () => {
  const through = (actions: FlowAction[], p: Packet) =>
    simulateBridge(plain(flow({priority: 1, actions: [...actions, out(2)]})), p)

  it('mod_vlan_vid pushes a tag on an untagged packet and rewrites an existing one', () => {
    expect(through([{type: 'set_vlan_vid', vid: 100}], pkt(1)).outputs[0]?.packet.vlan).toEqual({vid: 100, pcp: 0})
    expect(
      through([{type: 'set_vlan_vid', vid: 100}], pkt(1, {vlan: {vid: 3, pcp: 5}})).outputs[0]?.packet.vlan,
    ).toEqual({vid: 100, pcp: 5})
  })

  it('pop_vlan removes the outer tag and is harmless when untagged', () => {
    expect(through([{type: 'pop_vlan'}], pkt(1, {vlan: {vid: 3, pcp: 0}})).outputs[0]?.packet.vlan).toBeUndefined()
    const r = through([{type: 'pop_vlan'}], pkt(1))
    expect(r.outputs[0]?.packet.vlan).toBeUndefined()
    expect(r.steps[0]?.events[0]?.notes).toEqual(['no VLAN header to pop'])
  })

  it('push_vlan adds a VID-0 header that set_field then fills (modern Neutron flat network)', () => {
    const r = through(
      [
        {type: 'push_vlan', ethertype: 0x8100},
        {type: 'set_field', field: 'vlan_vid', value: '4098'},
      ],
      pkt(1),
    )
    expect(r.outputs[0]?.packet.vlan).toEqual({vid: 2, pcp: 0})
    const bare = through([{type: 'push_vlan', ethertype: 0x8100}], pkt(1, {vlan: {vid: 7, pcp: 0}}))
    expect(bare.outputs[0]?.packet.vlan).toEqual({vid: 0, pcp: 0})
    expect(bare.outputs[0]?.packet.innerVlans).toEqual([{vid: 7, pcp: 0}])
  })

  it('mod_vlan_pcp sets the priority bits', () => {
    expect(through([{type: 'set_vlan_pcp', pcp: 6}], pkt(1, {vlan: {vid: 3, pcp: 0}})).outputs[0]?.packet.vlan).toEqual(
      {vid: 3, pcp: 6},
    )
  })

  it('each output carries the VLAN at that point of the action list', () => {
    const br = plain(
      flow({priority: 1, actions: [out(2), {type: 'set_vlan_vid', vid: 9}, out(3), {type: 'pop_vlan'}, out(4)]}),
    )
    expect(where(simulateBridge(br, pkt(1)))).toEqual(['p2:-', 'p3:9', 'p4:-'])
  })
})

describe('field writes', () => {
  it('load into a register slice is seen by a later match', () => {
    const br = plain(
      flow({
        table: 0,
        priority: 1,
        actions: [
          {type: 'load', value: '0x5', dst: 'NXM_NX_REG0[0..15]'},
          {type: 'resubmit', table: 1},
        ],
      }),
      flow({table: 1, priority: 9, match: {reg0: '0x5'}, actions: [out(2)]}),
      flow({table: 1, priority: 1, actions: [out(3)]}),
    )
    const r = simulateBridge(br, pkt(1))
    expect(where(r)).toEqual(['p2:-'])
    expect(r.finalPacket.regs?.[0]).toBe(5)
  })

  it('move copies between fields', () => {
    const br = plain(
      flow({priority: 1, actions: [{type: 'move', src: 'NXM_OF_ETH_SRC[]', dst: 'NXM_OF_ETH_DST[]'}, out(2)]}),
    )
    expect(simulateBridge(br, pkt(1)).outputs[0]?.packet.dl_dst).toBe('fa:16:3e:fe:c7:87')
  })

  it('load:0->NXM_OF_VLAN_TCI[] strips the tag (br-tun learn idiom)', () => {
    const br = plain(flow({priority: 1, actions: [{type: 'load', value: '0', dst: 'NXM_OF_VLAN_TCI[]'}, out(2)]}))
    expect(simulateBridge(br, pkt(1, {vlan: {vid: 3, pcp: 0}})).outputs[0]?.packet.vlan).toBeUndefined()
  })

  it('set_tunnel and set_field tun_id set the tunnel id a later match sees', () => {
    const br = plain(
      flow({
        table: 0,
        priority: 1,
        actions: [
          {type: 'set_tunnel', id: 0x3e9n},
          {type: 'goto_table', table: 1},
        ],
      }),
      flow({table: 1, priority: 5, match: {tun_id: '0x3e9'}, actions: [out(2)]}),
    )
    expect(where(simulateBridge(br, pkt(1)))).toEqual(['p2:-'])
    const viaField = plain(flow({priority: 1, actions: [{type: 'set_field', field: 'tun_id', value: '0x64'}, out(2)]}))
    expect(simulateBridge(viaField, pkt(1)).outputs[0]?.packet.tun_id).toBe(0x64n)
  })

  it('a write to an unmodelled field makes a later match on it undecidable', () => {
    const br = plain(
      flow({
        table: 0,
        priority: 1,
        actions: [
          {type: 'set_field', field: 'ct_nw_src', value: '1.2.3.4'},
          {type: 'goto_table', table: 1},
        ],
      }),
      flow({table: 1, priority: 5, match: {ct_nw_src: '1.2.3.4'}, actions: [out(2)]}),
      flow({table: 1, priority: 1, actions: [out(3)]}),
    )
    const r = simulateBridge(br, pkt(1))
    expect(r.verdict).toBe('unknown')
    expect(r.unknownReasons.some((u) => u.includes('ct_nw_src'))).toBe(true)
  })

  it('write_metadata and mod_dl_src given as "other" actions still take effect', () => {
    const br = plain(
      flow({
        priority: 1,
        actions: [
          {type: 'other', name: 'write_metadata', text: 'write_metadata:0x10/0xff'},
          {type: 'other', name: 'mod_dl_src', text: 'mod_dl_src:fa:16:3e:00:00:99'},
          out(2),
        ],
      }),
    )
    const r = simulateBridge(br, pkt(1))
    expect(r.outputs[0]?.packet.metadata).toBe(0x10n)
    expect(r.outputs[0]?.packet.dl_src).toBe('fa:16:3e:00:00:99')
    expect(r.verdict).toBe('forwarded')
  })
})

describe('what is not modelled', () => {
  it('learn() is reported but does not change the verdict (br-tun table 10)', () => {
    const br = plain(
      flow({
        priority: 1,
        actions: [{type: 'learn', text: 'learn(table=20,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])'}, out(2)],
      }),
    )
    const r = simulateBridge(br, pkt(1))
    expect(r.verdict).toBe('forwarded')
    expect(r.unknownReasons[0]).toMatch(/learn/)
  })

  it('ct(table=N) makes the verdict unknown; ct(commit) does not', () => {
    const recirc = simulateBridge(
      plain(flow({priority: 1, actions: [{type: 'ct', text: 'ct(table=72,zone=NXM_NX_REG6[0..15])'}]})),
      pkt(1),
    )
    expect(recirc.verdict).toBe('unknown')
    const commit = simulateBridge(
      plain(flow({priority: 1, actions: [{type: 'ct', text: 'ct(commit,zone=NXM_NX_REG6[0..15])'}, out(2)]})),
      pkt(1),
    )
    expect(commit.verdict).toBe('forwarded')
    expect(commit.unknownReasons).toHaveLength(1)
  })

  it('ct_state is -trk before any ct() and unknown after ct(table=...)', () => {
    const br = plain(
      flow({table: 0, priority: 9, match: {ct_state: '-trk'}, actions: [out(2)]}),
      flow({table: 0, priority: 1, actions: [out(3)]}),
    )
    expect(where(simulateBridge(br, pkt(1)))).toEqual(['p2:-'])
  })

  it('exit stops every remaining action', () => {
    const br = plain(
      flow({table: 0, priority: 1, actions: [{type: 'resubmit', table: 1}, out(3)]}),
      flow({table: 1, priority: 1, actions: [out(2), {type: 'other', name: 'exit', text: 'exit'}, out(4)]}),
    )
    expect(where(simulateBridge(br, pkt(1)))).toEqual(['p2:-'])
  })

  it('group actions are unknown', () => {
    const r = simulateBridge(
      plain(flow({priority: 1, actions: [{type: 'other', name: 'group', text: 'group:1'}]})),
      pkt(1),
    )
    expect(r.verdict).toBe('unknown')
  })
})

describe('NORMAL inside simulateBridge', () => {
  it('learns the source when given a MAC table, and forwards the reply to the learned port', () => {
    const macs = new MacTable()
    const br = seedBrInt()
    simulateBridge(br, pkt(2, {dl_src: 'fa:16:3e:1d:5c:81'}), {macTable: macs})
    expect(macs.lookup('br-int', 1, 'fa:16:3e:1d:5c:81')).toBe(2)
    const reply = simulateBridge(br, pkt(1, {vlan: {vid: 1000, pcp: 0}, dl_dst: 'fa:16:3e:1d:5c:81'}), {macTable: macs})
    expect(where(reply)).toEqual(['tap26c9b807-7c:-'])
    expect(reply.outputs[0]?.via).toBe('normal')
  })

  it('does not learn when learn is false (like ofproto/trace)', () => {
    const macs = new MacTable()
    simulateBridge(seedBrInt(), pkt(2), {macTable: macs, learn: false})
    expect(macs.list()).toEqual([])
  })

  it('NORMAL drops are explained with OVS words', () => {
    const r = simulateBridge(seedBrInt(), pkt(2, {vlan: {vid: 5, pcp: 0}}))
    expect(r.verdict).toBe('dropped')
    expect(r.dropReason).toMatch(/^NORMAL: disallowed VLAN VID/)
    expect(r.steps[0]?.events[0]?.notes[0]).toMatch(
      /dropping VLAN 5 tagged packet received on port tap26c9b807-7c configured as VLAN 1 access port/,
    )
  })
})
