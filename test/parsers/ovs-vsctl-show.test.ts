import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parseOvsVsctlShow, parseShowMap} from '../../src/parsers/ovs-vsctl-show.js'
import type {OvsBridge, OvsPort} from '../../src/types.js'

const SAMPLES = fileURLToPath(new URL('../../fixtures/samples/ovs/', import.meta.url))
const sample = (path: string): string => readFileSync(SAMPLES + path, 'utf8')
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function bridge(bridges: OvsBridge[], name: string): OvsBridge {
  const found = bridges.find((b) => b.name === name)
  expect(found, name).toBeDefined()
  return found!
}

function port(br: OvsBridge, name: string): OvsPort {
  const found = br.ports.find((p) => p.name === name)
  expect(found, name).toBeDefined()
  return found!
}

describe('parseOvsVsctlShow on the seed 2013 output (no UUID line, quoted names, NBSP indentation)', () => {
  it('reads the control node: br-eth2, br-ex, br-int and the tagged DHCP tap', () => {
    const {value, problems} = parseOvsVsctlShow(sample('seed-2013/vsctl-show-control.txt'))
    expect(problems).toEqual([])
    expect(value.uuid).toBeUndefined()
    expect(value.ovsVersion).toBe('1.11.0')
    expect(value.bridges.map((b) => b.name)).toEqual(['br-eth2', 'br-ex', 'br-int'])
    expect(bridge(value.bridges, 'br-eth2').ports.map((p) => p.name)).toEqual(['br-eth2', 'eth2', 'phy-br-eth2'])
    const tap = port(bridge(value.bridges, 'br-int'), 'tap26c9b807-7c')
    expect(tap).toEqual({
      name: 'tap26c9b807-7c',
      tag: 1,
      trunks: [],
      externalIds: {},
      otherConfig: {},
      interfaces: [{name: 'tap26c9b807-7c', type: 'internal', options: {}, externalIds: {}}],
    })
    // A veth end in 2013: no type printed, so a system interface.
    expect(port(bridge(value.bridges, 'br-int'), 'int-br-eth2').interfaces[0]!.type).toBe('')
    expect(port(bridge(value.bridges, 'br-int'), 'int-br-eth2').tag).toBeUndefined()
  })

  it('reads the compute node with the instance port on tag 3', () => {
    const {value, problems} = parseOvsVsctlShow(sample('seed-2013/vsctl-show-compute.txt'))
    expect(problems).toEqual([])
    expect(value.bridges.map((b) => b.name)).toEqual(['br-eth2', 'br-int'])
    const qvo = port(bridge(value.bridges, 'br-int'), 'qvo53903a95-82')
    expect(qvo.tag).toBe(3)
    expect(qvo.interfaces.map((i) => i.name)).toEqual(['qvo53903a95-82'])
  })
})

describe('parseOvsVsctlShow on captured output (OVS 3.1)', () => {
  it('reads the seed-era capture: datapath_type, patch options, a port whose device is missing', () => {
    const {value, problems} = parseOvsVsctlShow(sample('seed-era/vsctl-show.txt'))
    expect(problems).toEqual([])
    expect(value.uuid).toMatch(UUID)
    expect(value.ovsVersion).toBe('3.1.0')
    expect(value.bridges.map((b) => b.name).sort()).toEqual(['br-eth2', 'br-ex', 'br-int', 'br-tun'])
    expect(value.bridges.every((b) => b.datapathType === 'netdev')).toBe(true)
    const brInt = bridge(value.bridges, 'br-int')
    expect(port(brInt, 'patch-tun').interfaces[0]).toEqual({
      name: 'patch-tun',
      type: 'patch',
      options: {peer: 'patch-int'},
      externalIds: {},
    })
    const dead = port(brInt, 'qvo0badc0de-99')
    expect(dead.tag).toBe(4095)
    expect(dead.interfaces[0]!.error).toBe('could not open network device qvo0badc0de-99 (No such device)')
    const gre = port(bridge(value.bridges, 'br-tun'), 'gre-198.18.0.2').interfaces[0]!
    expect(gre.type).toBe('gre')
    expect(gre.options).toEqual({in_key: 'flow', local_ip: '198.18.0.1', out_key: 'flow', remote_ip: '198.18.0.2'})
  })

  it('reads the modern capture: Manager, Controller, fail_mode, tag 4095 with trunks [4095], trunks lists, vxlan options', () => {
    const {value, problems} = parseOvsVsctlShow(sample('modern/vsctl-show.txt'))
    expect(problems).toEqual([])
    const brInt = bridge(value.bridges, 'br-int')
    expect(brInt.controllers).toEqual(['tcp:127.0.0.1:6633'])
    expect(brInt.failMode).toBe('secure')
    expect(bridge(value.bridges, 'br-tun').controllers).toEqual([])
    const dead = port(brInt, 'qvodeadbeef-00')
    expect(dead).toMatchObject({tag: 4095, trunks: [4095]})
    expect(dead.interfaces[0]!.error).toMatch(/No such device/)
    expect(port(brInt, 'trunk-port')).toMatchObject({tag: 100, trunks: [100, 200, 300]})
    expect(port(brInt, 'int-br-eth2').interfaces[0]!.options).toEqual({peer: 'phy-br-eth2'})
    expect(port(brInt, 'qvo3f7e5d8a-1b')).toMatchObject({tag: 1, interfaces: [{name: 'qvo3f7e5d8a-1b', type: ''}]})
    const vxlan = port(bridge(value.bridges, 'br-tun'), 'vxlan-c6120002').interfaces[0]!
    expect(vxlan.type).toBe('vxlan')
    expect(vxlan.options).toEqual({
      df_default: 'true',
      egress_pkt_mark: '0',
      in_key: 'flow',
      local_ip: '198.18.0.1',
      out_key: 'flow',
      remote_ip: '198.18.0.2',
    })
  })
})

describe('parseOvsVsctlShow on hand-written spellings', () => {
  it('reads vlan_mode, is_connected under Controller and Manager, quoted names with escapes', () => {
    const text = [
      '0b5e2a4c-1d2e-4f30-8a9b-0c1d2e3f4a5b',
      '    Manager "ptcp:6640:127.0.0.1"',
      '        is_connected: true',
      '    Bridge "br \\"odd\\""',
      '        Controller "tcp:127.0.0.1:6633"',
      '            is_connected: true',
      '        fail_mode: standalone',
      '        Port "p1"',
      '            tag: 7',
      '            trunks: [7, 8]',
      '            vlan_mode: native-untagged',
      '            Interface "p1"',
      '                type: internal',
      '    ovs_version: "2.17.9"',
    ].join('\n')
    const {value, problems} = parseOvsVsctlShow(text)
    expect(problems).toEqual([])
    expect(value.uuid).toBe('0b5e2a4c-1d2e-4f30-8a9b-0c1d2e3f4a5b')
    expect(value.bridges[0]).toMatchObject({
      name: 'br "odd"',
      failMode: 'standalone',
      controllers: ['tcp:127.0.0.1:6633'],
    })
    expect(value.bridges[0]!.ports[0]).toMatchObject({name: 'p1', tag: 7, trunks: [7, 8], vlanMode: 'native-untagged'})
    expect(value.ovsVersion).toBe('2.17.9')
  })

  it('reads option maps with quoted values holding commas and equals signs', () => {
    expect(parseShowMap('{a="x, y", b=c, "k k"="v=w"}')).toEqual({a: 'x, y', b: 'c', 'k k': 'v=w'})
    expect(parseShowMap('{}')).toEqual({})
    expect(parseShowMap('peer=x')).toBeUndefined()
  })
})

describe('parseOvsVsctlShow on empty, error and garbled input', () => {
  it('says an empty capture holds no configuration', () => {
    const {value, problems} = parseOvsVsctlShow('')
    expect(value.bridges).toEqual([])
    expect(problems).toEqual([{message: 'empty output: no Open vSwitch configuration'}])
  })

  it('reports the database connection failure ovs-vsctl printed', () => {
    const {value, problems} = parseOvsVsctlShow(sample('errors/vsctl-show-no-db.txt'))
    expect(value.bridges).toEqual([])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({line: 1})
    expect(problems[0]!.message).toMatch(/^command reported: ovs-vsctl: unix:.*: database connection failed/)
  })

  it('reports garbled lines with their numbers and keeps the rest', () => {
    const text = [
      '    Bridge br-int',
      '        Port p1',
      '            tag: one',
      '            Interface p1',
      '                options: {peer=',
      '    ### garbage ###',
      '        Port p2',
      '            trunks: [1, x]',
      '            Interface p2',
      '    Interface orphan',
      '    ovs_version: "3.1.0"',
    ].join('\n')
    const {value, problems} = parseOvsVsctlShow(text)
    expect(problems.map((p) => p.line)).toEqual([3, 5, 6, 8, 10])
    expect(value.bridges[0]!.ports.map((p) => p.name)).toEqual(['p1', 'p2'])
    expect(value.bridges[0]!.ports[1]!.interfaces.map((i) => i.name)).toEqual(['p2'])
    expect(value.bridges[0]!.ports[0]!.tag).toBeUndefined()
    expect(value.ovsVersion).toBe('3.1.0')
  })
})

describe('parseOvsVsctlShow on values out of range', () => {
  it('records a tag outside 0–4095 as a problem instead of keeping it', () => {
    const text = [
      '    Bridge br-int',
      '        Port qvo1',
      '            tag: 99999',
      '        Port qvo2',
      '            tag: 4095',
    ].join('\n')
    const {value, problems} = parseOvsVsctlShow(text)
    const ports = value.bridges[0]!.ports
    expect(ports.find((p) => p.name === 'qvo1')!.tag).toBeUndefined()
    expect(ports.find((p) => p.name === 'qvo2')!.tag).toBe(4095)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({line: 3})
    expect(problems[0]!.message).toMatch(/tag 99999 out of range/)
  })
})
