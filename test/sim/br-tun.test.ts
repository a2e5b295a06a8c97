import {describe, expect, it} from 'vitest'
import {parseDumpFlows} from '../../src/parsers/ovs-ofctl-dump-flows.js'
import {simulateBridge} from '../../src/sim/openflow.js'
import {makePacket} from '../../src/sim/packet.js'
import type {SimBridge} from '../../src/sim/model.js'
import type {Flow} from '../../src/types.js'

// br-tun as the Zed agent writes it (shared/reference/neutron-wiring-2.md §8.3, captured with OVS 3.1): l2pop + ARP
// responder, peers
// vxlan-0a000002 (ofport 2) and vxlan-0a000003 (ofport 3); VNI 1001 (0x3e9) ↔ local VLAN 1.
const BR_TUN = ` priority=1,in_port="patch-int" actions=goto_table:2
 priority=1,in_port="vxlan-0a000002" actions=goto_table:4
 priority=1,in_port="vxlan-0a000003" actions=goto_table:4
 priority=0 actions=drop
 table=2, priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff actions=goto_table:21
 table=2, priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 actions=goto_table:20
 table=2, priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=goto_table:22
 table=4, priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10
 table=4, priority=0 actions=drop
 table=10, priority=1 actions=learn(table=20,hard_timeout=300,priority=1,cookie=0xce4f8b18e981f927,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:"patch-int"
 table=20, priority=2,dl_vlan=1,dl_dst=fa:16:3e:11:22:33 actions=pop_vlan,set_field:0x3e9->tun_id,output:"vxlan-0a000002"
 table=20, priority=0 actions=goto_table:22
 table=21, priority=1,arp,dl_vlan=1,arp_tpa=10.1.0.5 actions=set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:fa:16:3e:11:22:33->arp_sha,set_field:10.1.0.5->arp_spa,move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:fa:16:3e:11:22:33->eth_src,IN_PORT
 table=21, priority=0 actions=goto_table:22
 table=22, priority=1,dl_vlan=1 actions=pop_vlan,set_field:0x3e9->tun_id,output:"vxlan-0a000002",output:"vxlan-0a000003"
 table=22, priority=0 actions=drop
`

function brTun(text = BR_TUN): SimBridge {
  return {
    name: 'br-tun',
    flows: parseDumpFlows(text).value,
    ports: [
      {ofport: 1, name: 'patch-int', trunks: [], type: 'patch', peer: 'patch-tun'},
      {ofport: 2, name: 'vxlan-0a000002', trunks: [], type: 'vxlan'},
      {ofport: 3, name: 'vxlan-0a000003', trunks: [], type: 'vxlan'},
      {ofport: 65534, name: 'br-tun', trunks: [], type: 'internal'},
    ],
  }
}

const VM_A = 'fa:16:3e:aa:aa:aa'
const REMOTE = 'fa:16:3e:11:22:33'

describe('br-tun: VLAN ↔ VNI, flooding, l2pop unicast, ARP responder', () => {
  it('floods a broadcast from br-int to every tunnel of the VLAN with the VNI, untagged', () => {
    const r = simulateBridge(
      brTun(),
      makePacket({in_port: 1, vlan: {vid: 1, pcp: 0}, dl_src: VM_A, dl_dst: 'ff:ff:ff:ff:ff:ff', dl_type: 0x0800}),
    )
    expect(r.verdict).toBe('forwarded')
    expect(r.outputs.map((o) => [o.port.name, o.packet.vlan, o.packet.tun_id])).toEqual([
      ['vxlan-0a000002', undefined, 0x3e9n],
      ['vxlan-0a000003', undefined, 0x3e9n],
    ])
    expect(r.steps.map((s) => s.table)).toEqual([0, 2, 22])
  })

  it('sends a unicast to a remote MAC l2pop knows down its one tunnel', () => {
    const r = simulateBridge(
      brTun(),
      makePacket({in_port: 1, vlan: {vid: 1, pcp: 0}, dl_src: VM_A, dl_dst: REMOTE, dl_type: 0x0800}),
    )
    expect(r.outputs.map((o) => [o.port.name, o.packet.tun_id])).toEqual([['vxlan-0a000002', 0x3e9n]])
  })

  it('answers an ARP request for a remote IP itself, back out of patch-int', () => {
    const r = simulateBridge(
      brTun(),
      makePacket({
        in_port: 1,
        vlan: {vid: 1, pcp: 0},
        dl_src: VM_A,
        dl_dst: 'ff:ff:ff:ff:ff:ff',
        dl_type: 0x0806,
        arp_op: 1,
        arp_spa: '10.1.0.9',
        arp_tpa: '10.1.0.5',
        arp_sha: VM_A,
        arp_tha: '00:00:00:00:00:00',
      }),
    )
    expect(r.outputs).toHaveLength(1)
    const reply = r.outputs[0]!
    expect(reply.port.name).toBe('patch-int')
    expect(reply.packet).toMatchObject({
      dl_src: REMOTE,
      dl_dst: VM_A,
      arp_sha: REMOTE,
      arp_spa: '10.1.0.5',
      arp_tha: VM_A,
      arp_tpa: '10.1.0.9',
      vlan: {vid: 1},
    })
    expect(reply.packet.nw_proto ?? reply.packet.arp_op).toBe(2)
  })

  it('drops a frame from a tunnel with a VNI it has no flow for', () => {
    const r = simulateBridge(
      brTun(),
      makePacket({in_port: 2, tun_id: 0x3ean, dl_src: REMOTE, dl_dst: 'ff:ff:ff:ff:ff:ff'}),
    )
    expect(r.verdict).toBe('dropped')
    expect(r.dropFlow?.raw).toContain('table=4, priority=0 actions=drop')
  })
})

describe('br-tun: learn() in table 10 teaches table 20, within one trace', () => {
  // Without l2pop: no table-20 priority-2 entries; the return path is what table 10 learnt.
  const noL2pop = BR_TUN.split('\n')
    .filter((l) => !l.includes('table=20, priority=2') && !l.includes('table=21, priority=1'))
    .join('\n')

  it('learns the source MAC on the tunnel it came from, and the reply follows it', () => {
    const learned: Flow[] = []
    const inbound = simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 3, tun_id: 0x3e9n, dl_src: REMOTE, dl_dst: 'ff:ff:ff:ff:ff:ff', dl_type: 0x0800}),
      {learned},
    )
    expect(inbound.outputs.map((o) => [o.port.name, o.packet.vlan?.vid])).toEqual([['patch-int', 1]])
    expect(learned).toHaveLength(1)
    expect(learned[0]).toMatchObject({
      table: 20,
      priority: 1,
      match: {fields: {vlan_tci: {value: '0x1', mask: '0xfff'}, dl_dst: {value: REMOTE}}},
    })

    const back = simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 1, vlan: {vid: 1, pcp: 0}, dl_src: VM_A, dl_dst: REMOTE, dl_type: 0x0800}),
      {learned},
    )
    expect(back.verdict).toBe('forwarded')
    expect(back.outputs.map((o) => [o.port.name, o.packet.vlan, o.packet.tun_id])).toEqual([
      ['vxlan-0a000003', undefined, 0x3e9n],
    ])
  })

  it('floods the same unicast when nothing was learnt (a near miss: no store, or another MAC)', () => {
    const flood = simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 1, vlan: {vid: 1, pcp: 0}, dl_src: VM_A, dl_dst: REMOTE, dl_type: 0x0800}),
    )
    expect(flood.outputs.map((o) => o.port.name)).toEqual(['vxlan-0a000002', 'vxlan-0a000003'])
    const learned: Flow[] = []
    simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 3, tun_id: 0x3e9n, dl_src: 'fa:16:3e:00:00:99', dl_dst: 'ff:ff:ff:ff:ff:ff'}),
      {learned},
    )
    const other = simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 1, vlan: {vid: 1, pcp: 0}, dl_src: VM_A, dl_dst: REMOTE}),
      {learned},
    )
    expect(other.outputs.map((o) => o.port.name)).toEqual(['vxlan-0a000002', 'vxlan-0a000003'])
  })

  it('relearns a MAC that moved to another tunnel (one entry, the newest)', () => {
    const learned: Flow[] = []
    simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 3, tun_id: 0x3e9n, dl_src: REMOTE, dl_dst: 'ff:ff:ff:ff:ff:ff'}),
      {learned},
    )
    simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 2, tun_id: 0x3e9n, dl_src: REMOTE, dl_dst: 'ff:ff:ff:ff:ff:ff'}),
      {learned},
    )
    expect(learned).toHaveLength(1)
    const back = simulateBridge(
      brTun(noL2pop),
      makePacket({in_port: 1, vlan: {vid: 1, pcp: 0}, dl_src: VM_A, dl_dst: REMOTE}),
      {learned},
    )
    expect(back.outputs.map((o) => o.port.name)).toEqual(['vxlan-0a000002'])
  })
})
