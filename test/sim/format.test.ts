import {describe, expect, it} from 'vitest'
import {describeFlow, formatAction, formatMatch, formatSteps} from '../../src/sim/format.js'
import {simulateBridge} from '../../src/sim/openflow.js'
import {makePacket} from '../../src/sim/packet.js'
import {bridge, flow, port} from './helpers.js'

const seed = bridge(
  'br-int',
  [port(1, 'int-br-eth2'), port(2, 'tap26c9b807-7c', {tag: 1})],
  [
    flow({
      priority: 3,
      inPort: 1,
      match: {dl_vlan: '1000'},
      actions: [{type: 'set_vlan_vid', vid: 1}, {type: 'normal'}],
    }),
    flow({priority: 2, inPort: 1, actions: [{type: 'drop'}]}),
    flow({priority: 1, actions: [{type: 'resubmit', table: 1}]}),
    flow({table: 1, priority: 1, actions: [{type: 'normal'}]}),
  ],
)

describe('formatSteps', () => {
  it('reads like ofproto/trace: flow, actions, NORMAL decisions, verdict', () => {
    const text = formatSteps(
      simulateBridge(seed, makePacket({in_port: 1, vlan: {vid: 1000, pcp: 0}, dl_dst: 'ff:ff:ff:ff:ff:ff'})),
    )
    expect(text.split('\n')).toEqual([
      'bridge("br-int")',
      '----------------',
      ' 0. in_port=1,dl_vlan=1000, priority 3',
      '    mod_vlan_vid:1',
      '     -> VLAN 1000 → VLAN 1',
      '    NORMAL',
      '     -> no learned MAC for destination, flooding',
      '     -> output to tap26c9b807-7c (port 2, access port, VLAN 1): untagged',
      '     -> output to br-int (port LOCAL, trunk port, all VLANs): VLAN 1',
      '',
      'Verdict: forwarded to tap26c9b807-7c (untagged), br-int (VLAN 1)',
    ])
  })

  it('indents resubmitted tables and explains drops', () => {
    const fwd = formatSteps(simulateBridge(seed, makePacket({in_port: 2, dl_dst: 'ff:ff:ff:ff:ff:ff'})))
    expect(fwd).toContain('    resubmit(,1)\n     1. priority 1\n        NORMAL\n         -> no learned MAC')
    const dropped = formatSteps(simulateBridge(seed, makePacket({in_port: 1, vlan: {vid: 5, pcp: 0}})))
    expect(dropped).toContain(' 0. in_port=1, priority 2\n    drop')
    expect(dropped).toContain('Verdict: dropped — dropped by table=0 priority=2 in_port=1 (actions=drop)')
  })

  it('shows a table miss and the unknowns', () => {
    const br = bridge(
      'br-tun',
      [port(1, 'patch-int')],
      [flow({table: 0, priority: 1, actions: [{type: 'ct', text: 'ct(table=72)'}]})],
    )
    const unknown = formatSteps(simulateBridge(br, makePacket({in_port: 1})))
    expect(unknown).toMatch(/Verdict: unknown — ct\(\.\.\.,table=72\)/)
    const miss = formatSteps(simulateBridge(bridge('br-x', [port(1, 'a')], []), makePacket({in_port: 1})))
    expect(miss).toContain(' 0. No match.')
    expect(miss).toContain('table miss')
  })
})

describe('flow text', () => {
  it('formats matches, actions and flows', () => {
    const f = flow({
      table: 24,
      priority: 2,
      inPort: 'qvo3f7e5d8a-1b',
      match: {dl_type: '0x0806', arp_spa: '10.0.0.5'},
      actions: [],
      cookie: '0x5c1f',
    })
    expect(formatMatch(f.match)).toBe('in_port="qvo3f7e5d8a-1b",dl_type=0x0806,arp_spa=10.0.0.5')
    expect(describeFlow(f)).toBe(
      'table=24 priority=2 in_port="qvo3f7e5d8a-1b",dl_type=0x0806,arp_spa=10.0.0.5 cookie=0x5c1f',
    )
    expect(formatAction({type: 'resubmit', port: 2, table: 1})).toBe('resubmit(2,1)')
    expect(formatAction({type: 'set_tunnel', id: 1001n})).toBe('set_tunnel:0x3e9')
    expect(formatAction({type: 'output', port: 'int-br-eth2'})).toBe('output:"int-br-eth2"')
  })
})
