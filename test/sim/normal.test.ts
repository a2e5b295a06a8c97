import {describe, expect, it} from 'vitest'
import {MacTable} from '../../src/sim/mac-table.js'
import type {SimPort} from '../../src/sim/model.js'
import {normalSwitch, outputVlans, portVlanConfig, type NormalResult} from '../../src/sim/normal.js'
import {makePacket, type VlanTag} from '../../src/sim/packet.js'
import {port} from './helpers.js'

const BCAST = 'ff:ff:ff:ff:ff:ff'

const PORTS: SimPort[] = [
  port(1, 'acc10', {tag: 10}),
  port(2, 'acc10b', {tag: 10}),
  port(3, 'acc20', {tag: 20}),
  port(4, 'trunk-all'),
  port(5, 'trunk-10-20', {trunks: [10, 20]}),
  port(6, 'nat-untagged-20', {tag: 20, trunks: [10, 20], vlanMode: 'native-untagged'}),
  port(7, 'nat-tagged-30', {tag: 30, vlanMode: 'native-tagged'}),
  port(8, 'dead', {tag: 4095}),
  port(9, 'dead2', {tag: 4095}),
  port(10, 'dead-yoga', {tag: 4095, trunks: [4095], vlanMode: 'trunk'}),
  port(-1, 'broken', {tag: 10}),
]

function run(inPort: number, vlan?: VlanTag, dst = BCAST, macTable?: MacTable, ports = PORTS): NormalResult {
  return normalSwitch({
    bridgeName: 'br0',
    ports,
    packet: makePacket({in_port: inPort, vlan, dl_src: 'fa:16:3e:00:00:01', dl_dst: dst}),
    macTable,
    learn: true,
  })
}

function outs(r: NormalResult): string[] {
  return r.outputs
    .map((o) => `${o.port.name}:${o.vlans.map((v) => v.vid + (v.pcp ? `p${v.pcp}` : '')).join('+') || '-'}`)
    .sort()
}

describe('port VLAN configuration (bridge.c port_configure + bundle_set)', () => {
  it('a tag without vlan_mode is an access port and its trunks are ignored', () => {
    expect(portVlanConfig(port(1, 'a', {tag: 5, trunks: [1, 2]}))).toEqual({
      mode: 'access',
      vlan: 5,
      trunks: null,
      excludesVlan0: false,
    })
  })
  it('no tag is a trunk of all VLANs; trunks narrow it', () => {
    expect(portVlanConfig(port(1, 'a')).trunks).toBeNull()
    expect([...(portVlanConfig(port(1, 'a', {trunks: [3]})).trunks ?? [])]).toEqual([3])
  })
  it('native modes always trunk the native VLAN and never VLAN 0', () => {
    const cfg = portVlanConfig(port(1, 'a', {tag: 20, trunks: [0, 10], vlanMode: 'native-untagged'}))
    expect([...(cfg.trunks ?? [])].sort((a, b) => a - b)).toEqual([10, 20])
    expect(portVlanConfig(port(1, 'a', {tag: 20, vlanMode: 'native-tagged'})).excludesVlan0).toBe(true)
  })
  it('an explicit trunk mode ignores the tag', () => {
    expect(portVlanConfig(port(1, 'a', {tag: 4095, trunks: [4095], vlanMode: 'trunk'})).vlan).toBe(-1)
  })
})

describe('NORMAL ingress', () => {
  it('access port: untagged enters the port VLAN, floods to the same VLAN only, stripped on access ports', () => {
    const r = run(1)
    expect(r.vlan).toBe(10)
    expect(outs(r)).toEqual(['acc10b:-', 'nat-tagged-30:10', 'nat-untagged-20:10', 'trunk-10-20:10', 'trunk-all:10'])
    expect(r.notes[0]).toBe('no learned MAC for destination, flooding')
  })

  it('access port: a tagged packet is dropped with the OVS message', () => {
    const r = run(1, {vid: 5, pcp: 0})
    expect(r.drop).toBe('disallowed VLAN VID for this input port, dropping')
    expect(r.notes[0]).toBe('dropping VLAN 5 tagged packet received on port acc10 configured as VLAN 10 access port')
    expect(r.outputs).toEqual([])
  })

  it('access port: a priority tag (VID 0) is accepted and its PCP kept on trunks', () => {
    const r = run(1, {vid: 0, pcp: 3})
    expect(r.drop).toBeUndefined()
    expect(outs(r)).toContain('trunk-all:10p3')
    expect(outs(r)).toContain('acc10b:-')
  })

  it('trunk: the VLAN must be in trunks; untagged is VLAN 0', () => {
    expect(run(5, {vid: 30, pcp: 0}).notes[0]).toBe(
      'dropping VLAN 30 packet received on port trunk-10-20 not configured for trunking VLAN 30',
    )
    expect(run(5).drop).toBe('disallowed VLAN VID for this input port, dropping')
    const r = run(5, {vid: 20, pcp: 0})
    expect(outs(r)).toEqual(['acc20:-', 'nat-tagged-30:20', 'nat-untagged-20:-', 'trunk-all:20'])
  })

  it('trunk of all VLANs: untagged stays in VLAN 0 and goes only to other VLAN-0 carriers', () => {
    expect(outs(run(4))).toEqual([])
    expect(run(4).notes).toContain('no other port carries VLAN 0')
  })

  it('native-untagged: untagged enters the native VLAN; tagged ones must be trunked', () => {
    expect(run(6).vlan).toBe(20)
    expect(run(6, {vid: 10, pcp: 0}).vlan).toBe(10)
    expect(run(6, {vid: 30, pcp: 0}).drop).toBe('disallowed VLAN VID for this input port, dropping')
  })

  it('native-tagged: untagged enters the native VLAN, leaves other ports tagged', () => {
    const r = run(7)
    expect(r.vlan).toBe(30)
    expect(outs(r)).toEqual(['trunk-all:30'])
  })

  it('tag 4095 (dead) port: floods only within VLAN 4095, as OVS does', () => {
    const r = run(8)
    expect(r.vlan).toBe(4095)
    expect(outs(r)).toEqual(['dead-yoga:4095', 'dead2:-', 'nat-tagged-30:4095', 'trunk-all:4095'])
    expect(r.notes.join('\n')).toMatch(/dead VLAN/)
  })

  it('the Yoga dead-port form (vlan_mode=trunk, trunks=[4095]) drops untagged input', () => {
    expect(run(10).drop).toBe('disallowed VLAN VID for this input port, dropping')
  })

  it('ports of other VLANs and ports without an ofport get nothing', () => {
    const names = run(1).outputs.map((o) => o.port.name)
    expect(names).not.toContain('acc20')
    expect(names).not.toContain('dead')
    expect(names).not.toContain('broken')
  })

  it('drops reserved destination MACs (STP, LLDP ...)', () => {
    expect(run(1, undefined, '01:80:c2:00:00:0e').drop).toBe('packet has reserved destination MAC, dropping')
  })

  it('an in_port that is not a port of the bridge has no input bundle', () => {
    expect(run(42).drop).toMatch(/^no input bundle/)
  })

  it('dot1q-tunnel input is reported as not modelled', () => {
    expect(run(1, undefined, BCAST, undefined, [port(1, 'q', {tag: 5, vlanMode: 'dot1q-tunnel'})]).unknown).toMatch(
      /dot1q-tunnel/,
    )
  })
})

describe('NORMAL MAC learning', () => {
  it('learns the source in the ingress VLAN', () => {
    const macs = new MacTable()
    const r = run(1, undefined, BCAST, macs)
    expect(r.learned).toEqual({vlan: 10, mac: 'fa:16:3e:00:00:01', ofport: 1})
    expect(macs.lookup('br0', 10, 'FA:16:3E:00:00:01')).toBe(1)
    expect(macs.lookup('br0', 20, 'fa:16:3e:00:00:01')).toBeUndefined()
  })

  it('a learned destination goes to that one port', () => {
    const macs = new MacTable([{bridge: 'br0', vlan: 10, mac: 'fa:16:3e:00:00:44', ofport: 5}])
    const r = run(1, undefined, 'fa:16:3e:00:00:44', macs)
    expect(outs(r)).toEqual(['trunk-10-20:10'])
    expect(r.notes).toContain('forwarding to learned port')
  })

  it('a MAC learned in another VLAN is not used', () => {
    const macs = new MacTable([{bridge: 'br0', vlan: 20, mac: 'fa:16:3e:00:00:44', ofport: 5}])
    expect(run(1, undefined, 'fa:16:3e:00:00:44', macs).outputs.length).toBeGreaterThan(1)
  })

  it('learned on the input port: dropped; learned on a port that is gone: dropped', () => {
    const back = new MacTable([{bridge: 'br0', vlan: 10, mac: 'fa:16:3e:00:00:44', ofport: 1}])
    expect(run(1, undefined, 'fa:16:3e:00:00:44', back).drop).toBe('learned port is input port, dropping')
    const gone = new MacTable([{bridge: 'br0', vlan: 10, mac: 'fa:16:3e:00:00:44', ofport: 77}])
    expect(run(1, undefined, 'fa:16:3e:00:00:44', gone).drop).toBe('learned port is unknown, dropping')
  })

  it('multicast destinations are always flooded, never looked up', () => {
    const macs = new MacTable([{bridge: 'br0', vlan: 10, mac: '01:00:5e:00:00:01', ofport: 5}])
    expect(run(1, undefined, '01:00:5e:00:00:01', macs).outputs.length).toBeGreaterThan(1)
  })

  it('MacTable clone is independent', () => {
    const a = new MacTable([{bridge: 'b', vlan: 1, mac: 'fa:16:3e:00:00:01', ofport: 1}])
    const b = a.clone()
    b.forget('b', 1, 'fa:16:3e:00:00:01')
    expect(a.list('b')).toHaveLength(1)
    expect(b.list()).toHaveLength(0)
  })
})

describe('NORMAL egress VLAN', () => {
  it('native-untagged strips only its native VLAN', () => {
    const p = port(1, 'n', {tag: 20, vlanMode: 'native-untagged'})
    expect(outputVlans(p, [{vid: 20, pcp: 0}])).toEqual([])
    expect(outputVlans(p, [{vid: 10, pcp: 0}])).toEqual([{vid: 10, pcp: 0}])
  })
  it('a trunk writes no header for VLAN 0 without priority', () => {
    expect(outputVlans(port(1, 't'), [{vid: 0, pcp: 0}])).toEqual([])
    expect(outputVlans(port(1, 't'), [{vid: 0, pcp: 2}])).toEqual([{vid: 0, pcp: 2}])
  })
})
