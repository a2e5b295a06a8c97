import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {canonicalActions, formatFlow, parseActions} from '../../src/openflow/index.js'
import {parseDumpFlows} from '../../src/parsers/ovs-ofctl-dump-flows.js'
import {parseOfctlShow} from '../../src/parsers/ovs-ofctl-show.js'
import type {Flow, FlowAction} from '../../src/types.js'
import {bestTimeMs} from '../support/best-time.js'

const SAMPLES = fileURLToPath(new URL('../../fixtures/samples/ovs/', import.meta.url))
const sample = (path: string): string => readFileSync(SAMPLES + path, 'utf8')

/** What must not change between spellings of the same flow table: table, priority, cookie, match, actions. */
function key(flow: Flow, ports?: Map<string, number>): string {
  const inPort =
    typeof flow.match.inPort === 'string' ? (ports?.get(flow.match.inPort) ?? flow.match.inPort) : flow.match.inPort
  const actions = canonicalActions(flow.actions).map((a): FlowAction => {
    if (a.type === 'output' && typeof a.port === 'string' && ports?.has(a.port))
      return {type: 'output', port: ports.get(a.port)!}
    return a
  })
  const fields = Object.entries(flow.match.fields).sort(([a], [b]) => a.localeCompare(b))
  return JSON.stringify([flow.table, flow.priority, flow.cookie, inPort, fields, actions], (_k, v: unknown) =>
    typeof v === 'bigint' ? `0x${v.toString(16)}` : v,
  )
}

function keys(text: string, ports?: Map<string, number>): string[] {
  const result = parseDumpFlows(text)
  expect(result.problems).toEqual([])
  return result.value.map((flow) => key(flow, ports)).sort()
}

function portsOf(dir: string, bridge: string): Map<string, number> {
  const show = parseOfctlShow(sample(`${dir}/ofctl-show-${bridge}.txt`)).value
  return new Map(
    show.ports.flatMap((p) => (typeof p.ofport === 'number' ? [[p.name, p.ofport] as [string, number]] : [])),
  )
}

describe('parseDumpFlows on the seed 2013 output (verbatim, NBSP-indented, blank lines between)', () => {
  const {value: flows, problems} = parseDumpFlows(sample('seed-2013/dump-flows-br-int.txt'))

  it('reads every flow with its line, stats and counters', () => {
    expect(problems).toEqual([])
    expect(flows).toHaveLength(3)
    const [vlan, drop, normal] = flows
    expect(vlan).toMatchObject({
      line: 4,
      table: 0,
      priority: 3,
      cookie: '0x0',
      durationS: 18690.876,
      nPackets: 1610,
      nBytes: 210752,
      idleAge: 1,
      match: {inPort: 1, fields: {dl_vlan: {value: '1000'}}},
      actions: [{type: 'set_vlan_vid', vid: 1}, {type: 'normal'}],
    })
    expect(vlan!.hardAge).toBeUndefined()
    expect(drop).toMatchObject({priority: 2, hardAge: 65534, match: {inPort: 1}, actions: [{type: 'drop'}]})
    expect(normal).toMatchObject({priority: 1, match: {fields: {}}, actions: [{type: 'normal'}]})
    expect(normal!.match.inPort).toBeUndefined()
  })

  it('reads br-eth2 the other way round (local VLAN 1 -> segment 1000)', () => {
    const eth2 = parseDumpFlows(sample('seed-2013/dump-flows-br-eth2.txt'))
    expect(eth2.problems).toEqual([])
    expect(eth2.value[0]).toMatchObject({priority: 4, match: {inPort: 2, fields: {dl_vlan: {value: '1'}}}})
    expect(eth2.value[0]!.actions).toEqual([{type: 'set_vlan_vid', vid: 1000}, {type: 'normal'}])
  })
})

describe('parseDumpFlows on captured seed-era flows (OVS 3.1)', () => {
  it('gives the same flows in every spelling: default, --no-names, --no-stats, --rsort, OpenFlow13', () => {
    const reference = keys(sample('seed-era/dump-flows-br-int.txt'))
    expect(reference).toHaveLength(6)
    for (const variant of ['no-names', 'no-stats', 'rsort', 'of13']) {
      expect(keys(sample(`seed-era/dump-flows-${variant}-br-int.txt`)), variant).toEqual(reference)
    }
  })

  it('gives the same flows with --names once names are mapped to ofports by ovs-ofctl show', () => {
    for (const bridge of ['br-int', 'br-eth2', 'br-ex']) {
      const ports = portsOf('seed-era', bridge)
      const reference = keys(sample(`seed-era/dump-flows-${bridge}.txt`))
      expect(keys(sample(`seed-era/dump-flows-names-${bridge}.txt`), ports), bridge).toEqual(reference)
      expect(keys(sample(`seed-era/dump-flows-of13-names-no-stats-${bridge}.txt`), ports), bridge).toEqual(reference)
    }
  })

  it('normalises dl_vlan=0xffff (printed vlan_tci=0x0000) and OF1.3 vlan_tci=0x0000/0x1fff alike', () => {
    const of10 = parseDumpFlows(sample('seed-era/dump-flows-br-int.txt')).value
    const of13 = parseDumpFlows(sample('seed-era/dump-flows-of13-br-int.txt')).value
    const flat10 = of10.find((f) => f.match.inPort === 2 && f.priority === 3)!
    const flat13 = of13.find((f) => f.match.inPort === 2 && f.priority === 3)!
    expect(flat10.raw).toContain('vlan_tci=0x0000 ')
    expect(flat13.raw).toContain('vlan_tci=0x0000/0x1fff')
    expect(flat10.match.fields).toEqual({vlan_tci: {value: '0x0000', mask: '0x1fff'}})
    expect(flat13.match.fields).toEqual(flat10.match.fields)
    expect(flat13.actions).toEqual([
      {type: 'push_vlan', ethertype: 0x8100},
      {type: 'set_vlan_vid', vid: 2},
      {type: 'normal'},
    ])
    expect(flat10.actions).toEqual([{type: 'set_vlan_vid', vid: 2}, {type: 'normal'}])
  })

  it('reads --no-stats (no counters, no table=0) and the OF1.3 reset_counts flag', () => {
    const noStats = parseDumpFlows(sample('seed-era/dump-flows-no-stats-br-int.txt')).value
    expect(noStats.every((f) => f.nPackets === undefined && f.durationS === undefined && f.table === 0)).toBe(true)
    const of13 = parseDumpFlows(sample('seed-era/dump-flows-of13-names-no-stats-br-int.txt'))
    expect(of13.value[0]!.raw.startsWith('reset_counts ')).toBe(true)
    expect(of13.value[0]!.match.fields).not.toHaveProperty('reset_counts')
  })

  it('reads the Havana br-tun: resubmit, learn with nested parentheses, set_tunnel, two outputs, a learned flow', () => {
    const {value: flows, problems} = parseDumpFlows(sample('seed-era/dump-flows-br-tun.txt'))
    expect(problems).toEqual([])
    expect(flows.find((f) => f.table === 0 && f.match.inPort === 2)!.actions).toEqual([{type: 'resubmit', table: 2}])
    const learn = flows.find((f) => f.table === 10)!
    expect(learn.actions).toHaveLength(2)
    expect(learn.actions[0]).toMatchObject({type: 'learn'})
    expect((learn.actions[0] as {text: string}).text).toMatch(/^table=20,hard_timeout=300,.*output:NXM_OF_IN_PORT\[\]$/)
    expect(learn.actions[1]).toEqual({type: 'output', port: 1})
    const flood = flows.find((f) => f.table === 21 && f.priority === 1)!
    expect(flood.match.fields).toEqual({dl_vlan: {value: '3'}})
    expect(flood.actions).toEqual([
      {type: 'pop_vlan'},
      {type: 'set_tunnel', id: 0x3e9n},
      {type: 'output', port: 2},
      {type: 'output', port: 3},
    ])
    // What learn() wrote: TCI 0 (strip the tag), the tunnel id, the port it learned.
    const learned = flows.find((f) => f.table === 20 && f.priority === 1)!
    expect(learned.match.fields.vlan_tci).toEqual({value: '0x0003', mask: '0x0fff'})
    expect(learned.actions).toEqual([{type: 'pop_vlan'}, {type: 'set_tunnel', id: 0x3e9n}, {type: 'output', port: 2}])
  })

  it('keeps the 15-character port name OF1.0 truncates to, quoted', () => {
    const flows = parseDumpFlows(sample('seed-era/dump-flows-names-br-tun.txt')).value
    expect(
      flows.find(
        (f) => f.table === 0 && f.priority === 1 && f.actions[0]?.type === 'resubmit' && f.actions[0].table === 3,
      )!.match.inPort,
    ).toBe('vxlan-198.18.0.')
    expect(flows.find((f) => f.table === 20 && f.priority === 2)!.actions.at(-1)).toEqual({
      type: 'output',
      port: 'gre-198.18.0.2',
    })
  })
})

describe('parseDumpFlows on captured modern flows', () => {
  const ports = portsOf('modern', 'br-int')

  it('reads the multi-table OF1.3 br-int with its cookie, names and OXM spellings', () => {
    const {value: flows, problems} = parseDumpFlows(sample('modern/dump-flows-names-br-int.txt'))
    expect(flows).toHaveLength(28)
    expect(new Set(flows.map((f) => f.cookie))).toEqual(new Set(['0x5c1f0e3a2b4c6d7e']))
    expect(flows[0]).toMatchObject({
      table: 0,
      priority: 65535,
      match: {fields: {dl_vlan: {value: '4095'}}},
      actions: [{type: 'drop'}],
    })
    const vlan = flows.find((f) => f.priority === 3 && f.match.fields.dl_vlan)!
    expect(vlan.match.inPort).toBe('int-br-eth2')
    expect(vlan.actions).toEqual([
      {type: 'set_vlan_vid', vid: 1},
      {type: 'goto_table', table: 58},
    ])
    const arp = flows.find((f) => f.table === 24 && f.match.fields.arp_spa)!
    expect(arp.match).toEqual({
      inPort: 'qvo3f7e5d8a-1b',
      fields: {dl_type: {value: '0x0806'}, arp_spa: {value: '198.18.10.5'}},
    })
    const nd = flows.find((f) => f.table === 24 && f.match.fields.nd_target)!
    expect(nd.match.fields).toMatchObject({
      dl_type: {value: '0x86dd'},
      nw_proto: {value: '58'},
      icmp_type: {value: '136'},
    })
    // The named table is printed by name only: kept with table -1 and reported once.
    expect(flows.filter((f) => f.tableName === 'local_switching').map((f) => f.table)).toEqual([-1, -1])
    expect(problems).toHaveLength(1)
    expect(problems[0]!.message).toMatch(/local_switching/)
    expect(flows.find((f) => f.table === 59)!.actions[0]).toMatchObject({type: 'other', name: 'goto_table'})
  })

  it('resolves table names given by the caller', () => {
    const {value: flows, problems} = parseDumpFlows(sample('modern/dump-flows-names-br-int.txt'), {
      tableNames: {local_switching: 60},
    })
    expect(problems).toEqual([])
    expect(flows.filter((f) => f.tableName === 'local_switching').map((f) => f.table)).toEqual([60, 60])
    expect(flows.find((f) => f.table === 59)!.actions).toEqual([{type: 'goto_table', table: 60}])
  })

  it('reads ct(), move, note, set_field to registers, CONTROLLER, IN_PORT, LOCAL, FLOOD, ALL and flags', () => {
    const flows = parseDumpFlows(sample('modern/dump-flows-br-int.txt')).value
    const byTable = (t: number, p: number): Flow => flows.find((f) => f.table === t && f.priority === p)!
    expect(byTable(60, 100).actions).toEqual([
      {type: 'set_field', field: 'reg5', value: '0x4'},
      {type: 'set_field', field: 'reg6', value: '0x2'},
      {type: 'resubmit', table: 71},
    ])
    expect(byTable(71, 90).actions).toEqual([{type: 'ct', text: 'table=72,zone=NXM_NX_REG6[0..15]'}])
    const commit = byTable(72, 74)
    expect(commit.match.fields).toEqual({
      ct_state: {value: '+est-rel-rpl'},
      dl_type: {value: '0x0800'},
      reg5: {value: '0x4'},
    })
    expect(commit.actions.map((a) => a.type)).toEqual(['ct', 'move', 'note', 'output'])
    expect(commit.actions[0]).toEqual({
      type: 'ct',
      text: 'commit,zone=NXM_NX_REG6[0..15],exec(load:0x1->NXM_NX_CT_MARK[])',
    })
    expect(commit.actions[1]).toEqual({type: 'move', src: 'NXM_OF_IN_PORT[]', dst: 'NXM_NX_REG5[0..15]'})
    expect(byTable(73, 100).actions).toEqual([{type: 'controller', text: '65535'}, {type: 'in_port'}, {type: 'local'}])
    expect(byTable(73, 100).match.fields).toMatchObject({
      nw_proto: {value: '17'},
      tp_src: {value: '68'},
      tp_dst: {value: '67'},
    })
    expect(byTable(74, 50).actions).toEqual([{type: 'flood'}])
    expect(byTable(74, 50).match.fields.ipv6_src).toEqual({value: 'fe80::', mask: '64'})
    expect(byTable(74, 40).actions).toEqual([{type: 'all'}])
    expect(byTable(74, 40).match.fields.tp_dst).toEqual({value: '0x50', mask: '0xfff0'})
    // idle_timeout, hard_timeout and send_flow_rem sit before the match and are not part of it.
    const timed = byTable(74, 30)
    expect(timed.raw).toContain('send_flow_rem priority=30')
    expect(Object.keys(timed.match.fields).sort()).toEqual(['dl_type', 'nw_proto', 'tp_dst'])
    expect(timed.actions).toEqual([
      {type: 'set_field', field: 'dl_src', value: 'fa:16:3e:00:00:01'},
      {type: 'set_field', field: 'ipv6_src', value: 'fe80::1'},
      {type: 'other', name: 'dec_ttl', text: 'dec_ttl'},
      {type: 'output', port: 4},
    ])
    expect(byTable(74, 20).match.fields).toEqual({
      reg0: {value: '0x5'},
      tun_id: {value: '0x3e9'},
      metadata: {value: '0x1', mask: '0xff'},
      dl_vlan: {value: '7'},
    })
  })

  it("gives the same br-int in every OF1.3 spelling, and over OF1.0 up to OVS's own translation", () => {
    const reference = keys(sample('modern/dump-flows-br-int.txt'))
    for (const variant of ['no-names', 'no-stats', 'rsort', 'of13']) {
      expect(keys(sample(`modern/dump-flows-${variant}-br-int.txt`)), variant).toEqual(reference)
    }
    // OF1.0 cannot say set_field:fe80::1->ipv6_src; it splits it into two partial loads.
    const of10 = keys(sample('modern/dump-flows-of10-br-int.txt')).filter((k) => !k.includes('NXM_NX_IPV6_SRC'))
    expect(of10).toEqual(reference.filter((k) => !k.includes('ipv6_src","value":"fe80::1"')))
    expect(of10).toHaveLength(27)
  })

  it('reads the modern br-tun: goto_table, learn with a cookie, set_field tun_id, quoted outputs', () => {
    const tunPorts = portsOf('modern', 'br-tun')
    const reference = keys(sample('modern/dump-flows-br-tun.txt'))
    expect(keys(sample('modern/dump-flows-of13-names-no-stats-br-tun.txt'), tunPorts)).toEqual(reference)
    expect(keys(sample('modern/dump-flows-of10-names-no-stats-br-tun.txt'), tunPorts)).toEqual(reference)
    const flows = parseDumpFlows(sample('modern/dump-flows-of13-names-no-stats-br-tun.txt')).value
    expect(flows.find((f) => f.table === 4 && f.priority === 1)!.actions).toEqual([
      {type: 'push_vlan', ethertype: 0x8100},
      {type: 'set_vlan_vid', vid: 2},
      {type: 'goto_table', table: 10},
    ])
    expect(flows.find((f) => f.table === 22 && f.priority === 1)!.actions).toEqual([
      {type: 'pop_vlan'},
      {type: 'set_tunnel', id: 0x3e9n},
      {type: 'output', port: 'vxlan-c6120002'},
    ])
    expect(ports.get('qvo3f7e5d8a-1b')).toBe(3)
  })
})

describe('parseDumpFlows on hand-written spellings', () => {
  it('expands protocol shorthands and OXM names; reads table names with numbers', () => {
    const text = [
      ' table=0(classifier), priority=5,tcp6,eth_src=fa:16:3e:00:00:01,ipv4_dst=198.18.0.1,udp_dst=53 actions=goto_table:"egress"',
      ' table=12(egress), rarp,vlan_vid=0x1005 actions=output:2',
      ' table=egress, priority=1,vlan_vid=0 actions=resubmit:3,resubmit(LOCAL,egress)',
      ' priority=1,dl_vlan=65535,vlan_vid=0x1000/0x1000 actions=',
    ].join('\n')
    const {value: flows, problems} = parseDumpFlows(text)
    expect(problems).toEqual([])
    expect(flows[0]).toMatchObject({table: 0, tableName: 'classifier', priority: 5})
    expect(flows[0]!.match.fields).toEqual({
      dl_type: {value: '0x86dd'},
      nw_proto: {value: '6'},
      dl_src: {value: 'fa:16:3e:00:00:01'},
      nw_dst: {value: '198.18.0.1'},
      tp_dst: {value: '53'},
    })
    expect(flows[0]!.actions).toEqual([{type: 'goto_table', table: 12}])
    expect(flows[1]).toMatchObject({table: 12, priority: 32768})
    expect(flows[1]!.match.fields).toEqual({dl_type: {value: '0x8035'}, dl_vlan: {value: '5'}})
    expect(flows[2]).toMatchObject({table: 12, tableName: 'egress'})
    expect(flows[2]!.match.fields).toEqual({vlan_tci: {value: '0x0000', mask: '0x1fff'}})
    expect(flows[2]!.actions).toEqual([
      {type: 'resubmit', port: 3},
      {type: 'resubmit', port: 'LOCAL', table: 12},
    ])
    expect(flows[3]!.match.fields).toEqual({vlan_tci: {value: '0x1000', mask: '0x1000'}})
    expect(flows[3]!.actions).toEqual([{type: 'drop'}])
  })

  it('reads quoted port names with backslash escapes', () => {
    const {value: flows} = parseDumpFlows(' priority=1,in_port="we\\"ird, port" actions=output:"a\\\\b",NORMAL')
    expect(flows[0]!.match.inPort).toBe('we"ird, port')
    expect(flows[0]!.actions).toEqual([{type: 'output', port: 'a\\b'}, {type: 'normal'}])
  })

  it('reads every action spelling of shared/reference/neutron-wiring.md §3', () => {
    const actions = parseActions(
      'mod_vlan_vid:3,set_vlan_vid:4,set_field:4196->vlan_vid,strip_vlan,pop_vlan,push_vlan:0x8100,mod_vlan_pcp:5,' +
        'set_tunnel:0x3e9,set_tunnel64:1001,load:0x3e9->NXM_NX_TUN_ID[],set_field:0x3e9->tun_id,' +
        'load:0x1->NXM_NX_REG0[0..3],set_field:fa:16:3e:00:00:02->eth_dst,output:in_port,CONTROLLER,enqueue:1:2,1,2',
    )!
    expect(actions).toEqual([
      {type: 'set_vlan_vid', vid: 3},
      {type: 'set_vlan_vid', vid: 4},
      {type: 'set_vlan_vid', vid: 100},
      {type: 'pop_vlan'},
      {type: 'pop_vlan'},
      {type: 'push_vlan', ethertype: 0x8100},
      {type: 'set_vlan_pcp', pcp: 5},
      {type: 'set_tunnel', id: 1001n},
      {type: 'set_tunnel', id: 1001n},
      {type: 'set_tunnel', id: 1001n},
      {type: 'set_tunnel', id: 1001n},
      {type: 'load', value: '0x1', dst: 'NXM_NX_REG0[0..3]'},
      {type: 'set_field', field: 'dl_dst', value: 'fa:16:3e:00:00:02'},
      {type: 'output', port: 'in_port'},
      {type: 'controller', text: ''},
      {type: 'other', name: 'enqueue', text: 'enqueue:1:2'},
      {type: 'output', port: 1},
      {type: 'output', port: 2},
    ])
  })

  it("folds OVS's OF1.0/OF1.3 translations for comparison only", () => {
    const of13 = parseActions('push_vlan:0x8100,set_field:4098->vlan_vid,set_field:0x4->reg5,goto_table:58')!
    const of10 = parseActions('mod_vlan_vid:2,load:0x4->NXM_NX_REG5[],resubmit(,58)')!
    expect(of13).not.toEqual(of10)
    expect(canonicalActions(of13)).toEqual(canonicalActions(of10))
    // A resubmit in the middle returns and goes on: it is not a goto.
    expect(canonicalActions(parseActions('resubmit(,10),output:1')!)[0]).toEqual({type: 'resubmit', table: 10})
  })

  it('formats a flow on one line', () => {
    const flow = parseDumpFlows(
      ' cookie=0x0, duration=1.5s, table=21, n_packets=0, n_bytes=0, idle_age=0, priority=1,dl_vlan=3 actions=strip_vlan,set_tunnel:0x3e9,output:2,output:"gre-198.18.0.2"',
    ).value[0]!
    expect(formatFlow(flow)).toBe(
      'table=21 priority=1 cookie=0x0 dl_vlan=3 actions=pop_vlan,set_tunnel:0x3e9,output:2,output:"gre-198.18.0.2"',
    )
    const named = parseDumpFlows(' table=local_switching, priority=1,in_port=eth2 actions=NORMAL').value[0]!
    expect(formatFlow(named)).toBe('table="local_switching" priority=1 cookie=0x0 in_port=eth2 actions=NORMAL')
  })
})

describe('parseDumpFlows on empty, error and garbled input', () => {
  it('reads empty output (--no-stats of an empty table) as no flows and no problem', () => {
    expect(parseDumpFlows('')).toEqual({value: [], problems: []})
    expect(parseDumpFlows('NXST_FLOW reply (xid=0x4):\n')).toEqual({value: [], problems: []})
  })

  it('reports what ovs-ofctl said when the bridge is missing', () => {
    const {value, problems} = parseDumpFlows(sample('errors/dump-flows-no-bridge.txt'))
    expect(value).toEqual([])
    expect(problems).toEqual([
      {
        line: 1,
        text: 'ovs-ofctl: br-missing is not a bridge or a socket',
        message: 'command reported: ovs-ofctl: br-missing is not a bridge or a socket',
      },
    ])
  })

  it('reports each garbled line with its number and reads the others', () => {
    const lines = sample('seed-era/dump-flows-br-tun.txt').split('\n')
    const garbled = [
      lines[0]!,
      lines[1]!,
      ' cookie=0x0, duration=0.120s, table=0, n_pack',
      ' cookie=0x0, table=0, priority=1 actions=learn(table=20,output:NXM_OF_IN_PORT[]',
      ' cookie=0xZZ, priority=1 actions=drop',
      ' priority=99999 actions=drop',
      ' cookie=0x0, n_packets=many, priority=1 actions=drop',
      ' priority=1,dl_vlan=abc actions=drop',
      ' priority=1,in_port="unterminated actions=drop',
      '%%% garbage %%%',
      lines[2]!,
    ].join('\n')
    const {value: flows, problems} = parseDumpFlows(garbled)
    expect(flows.map((f) => f.line)).toEqual([2, 11])
    expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    expect(problems[0]!.message).toMatch(/no actions=/)
    expect(problems[1]!.message).toMatch(/unbalanced/)
    expect(problems.every((p) => p.text !== undefined && p.message.length > 0)).toBe(true)
  })

  it('keeps a flow with an unknown match keyword and says so', () => {
    const {value, problems} = parseDumpFlows(' priority=1,frobnicate,ip actions=NORMAL')
    expect(value[0]!.match.fields).toMatchObject({frobnicate: {value: ''}, dl_type: {value: '0x0800'}})
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({line: 1, message: "unknown match keyword 'frobnicate'"})
  })
})

describe('parseDumpFlows on hostile and out-of-range input (linear time, values range-checked)', () => {
  it('reads a line with 60k or 100k spaces before actions= in linear time (the old trailing [,\\s]+$ was quadratic)', () => {
    const line = ` priority=1,${' '.repeat(60_000)}x actions=drop`
    expect(bestTimeMs(() => parseDumpFlows(line))).toBeLessThan(200)
    const {value, problems} = parseDumpFlows(line)
    expect(value).toHaveLength(1)
    expect(problems[0]!.message).toBe("unknown match keyword 'x'")
    const longer = ` priority=1,${' '.repeat(100_000)}x actions=drop`
    expect(bestTimeMs(() => parseDumpFlows(longer))).toBeLessThan(200)
    expect(parseDumpFlows(longer).problems[0]!.message).toMatch(/too long to be a flow/)
  })

  it('reads 1 MB lines of hostile text in under 200 ms, reporting each as a problem', () => {
    const mb = 1 << 20
    for (const unit of [' ', ',', 'table=1(', 'actions=', '"', '(', 'resubmit(,', ' priority=1,dl_vlan=1']) {
      const line = unit.repeat(Math.ceil(mb / unit.length))
      expect(
        bestTimeMs(() => parseDumpFlows(line)),
        unit,
      ).toBeLessThan(200)
      const {value, problems} = parseDumpFlows(`${line}\n priority=1 actions=drop`)
      expect(value, unit).toHaveLength(1)
      expect(problems.length, unit).toBeLessThanOrEqual(1)
    }
    const long = parseDumpFlows(` priority=1,${'dl_vlan=1,'.repeat(10_000)} actions=drop`)
    expect(long.value).toEqual([])
    expect(long.problems[0]!.message).toMatch(/too long/)
  })

  it('records values out of range as problems instead of accepting them', () => {
    const cases: [string, RegExp][] = [
      [' priority=1,dl_vlan=99999 actions=drop', /dl_vlan 99999 out of range/],
      [' priority=1,dl_vlan=4096 actions=drop', /dl_vlan 4096 out of range/],
      [' table=18446744073709551616, priority=1 actions=drop', /table 18446744073709551616 out of range/],
      [' table=255, priority=1 actions=drop', /table 255 out of range/],
      [' table=300(big), priority=1 actions=drop', /table 300\(big\) out of range/],
      [' priority=65536 actions=drop', /bad priority/],
      [' priority=1,in_port=4294967296 actions=drop', /in_port 4294967296 out of range/],
      [' priority=1,vlan_tci=0x10000 actions=drop', /bad vlan_tci/],
      [' priority=1,nw_proto=256 actions=drop', /nw_proto 256 out of range/],
      [' priority=1 actions=mod_vlan_vid:5000,NORMAL', /VLAN id 5000 out of range/],
      [' priority=1 actions=output:4294967296', /port 4294967296 out of range/],
      [' priority=1 actions=resubmit(,255)', /table 255 out of range/],
      [' priority=1 actions=goto_table:18446744073709551616', /table 18446744073709551616 out of range/],
    ]
    for (const [line, message] of cases) {
      const {value, problems} = parseDumpFlows(line)
      expect(value, line).toEqual([])
      expect(problems, line).toHaveLength(1)
      expect(problems[0]!.message, line).toMatch(message)
    }
    // The limits themselves are fine.
    const ok = parseDumpFlows(
      ' table=254, priority=65535,dl_vlan=4095,in_port=4294967039 actions=mod_vlan_vid:4095,output:65279',
    )
    expect(ok.problems).toEqual([])
    expect(ok.value[0]).toMatchObject({
      table: 254,
      priority: 65535,
      match: {inPort: 4294967039, fields: {dl_vlan: {value: '4095'}}},
    })
  })

  it('resolves a table name printed before the table that defines it', () => {
    const {value, problems} = parseDumpFlows(
      [
        ' table=0, priority=1 actions=resubmit(,later),goto_table:"later"',
        ' table=5(later), priority=1 actions=drop',
      ].join('\n'),
    )
    expect(problems).toEqual([])
    expect(value[0]!.actions).toEqual([
      {type: 'resubmit', table: 5},
      {type: 'goto_table', table: 5},
    ])
  })

  it('reads a repeated action list once: the flows share it, frozen, so no consumer can change another flow', () => {
    const {value} = parseDumpFlows(
      ' priority=1 actions=mod_vlan_vid:3,NORMAL\n priority=2 actions=mod_vlan_vid:3,NORMAL',
    )
    expect(value[0]!.actions).toEqual([{type: 'set_vlan_vid', vid: 3}, {type: 'normal'}])
    expect(value[1]!.actions).toBe(value[0]!.actions)
    expect(Object.isFrozen(value[0]!.actions)).toBe(true)
    expect(Object.isFrozen(value[0]!.actions[0])).toBe(true)
    expect(() => ((value[0]!.actions[0] as {vid: number}).vid = 4)).toThrow(TypeError)
  })
})
