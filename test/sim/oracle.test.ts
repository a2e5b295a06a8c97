// The simulator checked against the real thing: the same bridges, ports and flows are built in a private Open vSwitch
// 3.1 (userspace datapath), the same packet is traced with `ovs-appctl ofproto/trace`, and the copies that leave
// (bridge, port, VLAN headers) and the flows hit must agree.

import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Flow, ParseResult} from '../../src/types.js'
import {MacTable} from '../../src/sim/mac-table.js'
import type {SimBridge} from '../../src/sim/openflow.js'
import {makePacket, packetToTraceFlow, type Packet} from '../../src/sim/packet.js'
import {
  OvsSandbox,
  isProcessAlive,
  ovsUnavailableReason,
  parseTraceOutput,
  type DatapathPort,
  type SandboxPort,
} from '../support/ovs-sandbox.js'
import {flowFromText, outputKey, simulateChain, type ChainResult} from './helpers.js'

const unavailable = ovsUnavailableReason()
if (unavailable) {
  console.warn(`[oracle] skipping the ofproto/trace comparison: ${unavailable} (install openvswitch-switch to run it)`)
}

type DumpParser = (text: string) => ParseResult<Flow[]>

/** The real dump-flows parser once it exists; until then the lab's own flow lines are read by a test helper. */
async function loadParser(): Promise<DumpParser | undefined> {
  const url = new URL('../../src/parsers/ovs-ofctl-dump-flows.ts', import.meta.url)
  if (!existsSync(fileURLToPath(url))) return undefined
  const mod = (await import(/* @vite-ignore */ url.href)) as {parseDumpFlows?: DumpParser}
  return mod.parseDumpFlows
}

interface LabBridge {
  name: string
  ports: SandboxPort[]
  flows: string[]
  /** ovs-ofctl -O for add-flows and dump-flows (undefined = OpenFlow 1.0 + NXM, as in 2013). */
  protocol?: string
  /** Dump with --names, so the parser and the simulator see port names in matches and actions. */
  names?: boolean
}

interface Lab {
  veths: [string, string][]
  bridges: LabBridge[]
  fdb: {bridge: string; port: string; vlan: number; mac: string}[]
}

interface Case {
  name: string
  bridge: string
  packet: Packet
}

const BCAST = 'ff:ff:ff:ff:ff:ff'

class LabRunner {
  sandbox?: OvsSandbox
  dp: DatapathPort[] = []
  sims: SimBridge[] = []
  parserUsed = false
  macTables = new Map<string, MacTable>()

  constructor(private readonly lab: Lab) {}

  async start(): Promise<void> {
    const sb = await OvsSandbox.start()
    this.sandbox = sb
    for (const [a, b] of this.lab.veths) await sb.addVethPair(a, b)
    for (const br of this.lab.bridges) {
      await sb.addBridge(br.name)
      for (const p of br.ports) await sb.addPort(br.name, p)
      await sb.addFlows(br.name, br.flows, br.protocol)
    }
    for (const e of this.lab.fdb) {
      await sb.fdbAdd(e.bridge, e.port, e.vlan, e.mac)
      const table = this.macTables.get(e.bridge) ?? new MacTable()
      const ofport = this.lab.bridges.find((b) => b.name === e.bridge)?.ports.find((p) => p.name === e.port)?.ofport
      if (ofport === undefined) throw new Error(`fdb entry for unknown port ${e.port}`)
      table.learn(e.bridge, e.vlan, e.mac, ofport)
      this.macTables.set(e.bridge, table)
    }
    this.dp = await sb.datapathPorts()
    const parser = await loadParser()
    for (const br of this.lab.bridges) this.sims.push(await this.simBridge(br, parser))
  }

  private async simBridge(br: LabBridge, parser: DumpParser | undefined): Promise<SimBridge> {
    let flows: Flow[]
    if (parser && this.sandbox) {
      const args = [...(br.protocol ? ['-O', br.protocol] : []), ...(br.names ? ['--names'] : [])]
      const parsed = parser(await this.sandbox.dumpFlows(br.name, args))
      expect(parsed.problems).toEqual([])
      expect(parsed.value).toHaveLength(br.flows.length)
      flows = parsed.value
      this.parserUsed = true
    } else {
      flows = br.flows.map(flowFromText)
    }
    const ports = br.ports.map((p) => ({
      ofport: p.ofport,
      name: p.name,
      tag: p.tag,
      trunks: p.trunks ?? [],
      vlanMode: p.vlanMode,
      type: p.type === 'system' ? '' : p.type,
      peer: p.peer,
    }))
    return {name: br.name, flows, ports: [...ports, {ofport: 65534, name: br.name, trunks: [], type: 'internal'}]}
  }

  async trace(c: Case): Promise<{sim: ChainResult; ovs: ReturnType<typeof parseTraceOutput>; text: string}> {
    if (!this.sandbox) throw new Error('lab not started')
    const text = await this.sandbox.trace(c.bridge, packetToTraceFlow(c.packet))
    const ovs = parseTraceOutput(text)
    const tables = new Map([...this.macTables].map(([k, v]) => [k, v.clone()]))
    const sim = simulateChain(this.sims, c.bridge, c.packet, tables, false)
    return {sim, ovs, text}
  }

  ovsOutputKeys(ovs: ReturnType<typeof parseTraceOutput>): string[] {
    return ovs.outputs
      .map((o) => {
        const port = this.dp.find((d) => d.odpPort === o.odpPort)
        return outputKey({bridge: port?.bridge ?? '?', port: port?.name ?? `odp${o.odpPort}`, vlans: o.vlans})
      })
      .sort()
  }

  async stop(): Promise<void> {
    await this.sandbox?.stop()
  }
}

/** Flows hit per bridge, as "table/priority" (or "table/miss"), from the trace text. */
function ovsFlowsHit(text: string): Map<string, string[]> {
  const hits = new Map<string, string[]>()
  let bridge = '?'
  for (const line of text.split('\n')) {
    const heading = /^\s*bridge\("([^"]+)"\)/.exec(line)
    if (heading) {
      bridge = heading[1] as string
      continue
    }
    const miss = /^\s*(\d+)\. No match\.\s*$/.exec(line)
    const hit = /^\s*(\d+)\. (?:.+, )?priority (\d+)(?:, cookie \S+)?\s*$/.exec(line)
    const entry = miss ? `${miss[1]}/miss` : hit ? `${hit[1]}/${hit[2]}` : undefined
    if (entry) hits.set(bridge, [...(hits.get(bridge) ?? []), entry].sort())
  }
  return hits
}

function simFlowsHit(sim: ChainResult): Map<string, string[]> {
  const hits = new Map<string, string[]>()
  for (const pass of sim.passes) {
    for (const step of pass.steps) {
      const entry = step.flow ? `${step.table}/${step.flow.priority}` : `${step.table}/miss`
      hits.set(pass.bridge, [...(hits.get(pass.bridge) ?? []), entry].sort())
    }
  }
  return hits
}

async function expectSameAsOvs(runner: LabRunner, c: Case): Promise<ChainResult> {
  const {sim, ovs, text} = await runner.trace(c)
  const context = `${c.name}\n--- ofproto/trace ---\n${text}`
  expect(sim.unknown, context).toBe(false)
  expect(sim.outputs.map(outputKey).sort(), context).toEqual(runner.ovsOutputKeys(ovs))
  if (!ovs.translationError) expect(simFlowsHit(sim), context).toEqual(ovsFlowsHit(text))
  return sim
}

// ---------------------------------------------------------------------------------------------------------------------
// The seed (2013, Havana): one table per bridge, br-int and br-eth2 joined by a veth pair, plus a bridge that
// exercises every NORMAL port mode and the resubmit/miss/recursion rules.

const SEED_LAB: Lab = {
  veths: [['int-br-eth2', 'phy-br-eth2']],
  bridges: [
    {
      name: 'br-int',
      ports: [
        {name: 'int-br-eth2', ofport: 1, type: 'system'},
        {name: 'tap26c9b807-7c', ofport: 2, type: 'internal', tag: 1},
        {name: 'qvo53903a95-82', ofport: 3, type: 'internal', tag: 3},
        {name: 'qvodead0000-00', ofport: 4, type: 'internal', tag: 4095},
      ],
      flows: [
        'priority=3,in_port=1,dl_vlan=1000 actions=mod_vlan_vid:1,NORMAL',
        'priority=2,in_port=1 actions=drop',
        'priority=2,in_port=4 actions=drop',
        'priority=1 actions=NORMAL',
      ],
    },
    {
      name: 'br-eth2',
      ports: [
        {name: 'eth2', ofport: 1, type: 'internal'},
        {name: 'phy-br-eth2', ofport: 2, type: 'system'},
      ],
      flows: [
        'priority=4,in_port=2,dl_vlan=1 actions=mod_vlan_vid:1000,NORMAL',
        'priority=2,in_port=2 actions=drop',
        'priority=1 actions=NORMAL',
      ],
    },
    {
      name: 'br-sem',
      protocol: 'OpenFlow13',
      ports: [
        {name: 'x1', ofport: 1, type: 'internal', tag: 10},
        {name: 'x2', ofport: 2, type: 'internal', tag: 4095},
        {name: 'x3', ofport: 3, type: 'internal', tag: 4095},
        {name: 'x4', ofport: 4, type: 'internal', trunks: [10, 20]},
        {name: 'x5', ofport: 5, type: 'internal'},
        {name: 'x6', ofport: 6, type: 'internal', tag: 20, trunks: [10, 20], vlanMode: 'native-untagged'},
        {name: 'x7', ofport: 7, type: 'internal', tag: 30, vlanMode: 'native-tagged'},
        {name: 'x8', ofport: 8, type: 'internal', tag: 4095, trunks: [4095], vlanMode: 'trunk'},
      ],
      flows: [
        'table=0,priority=20,in_port=5,dl_type=0x0800 actions=resubmit(1,1),output:5,IN_PORT',
        'table=0,priority=20,in_port=5,dl_type=0x86dd actions=resubmit(,2),output:4',
        'table=0,priority=20,in_port=5,dl_type=0x0806 actions=push_vlan:0x8100,set_field:4116->vlan_vid,output:4,pop_vlan,output:1,FLOOD',
        'table=0,priority=20,in_port=6,dl_type=0x9999 actions=resubmit(,0)',
        'table=0,priority=30,in_port=7,vlan_tci=0x0fff/0x1fff actions=drop',
        'table=0,priority=1 actions=NORMAL',
        'table=1,priority=1 actions=NORMAL,output:1,output:5',
      ],
    },
  ],
  fdb: [
    {bridge: 'br-int', port: 'tap26c9b807-7c', vlan: 1, mac: 'fa:16:3e:1d:5c:81'},
    {bridge: 'br-sem', port: 'x4', vlan: 10, mac: 'fa:16:3e:00:00:44'},
  ],
}

const VM_MAC = 'fa:16:3e:fe:c7:87'
const DHCP_MAC = 'fa:16:3e:1d:5c:81'

function dhcpDiscover(inPort: number, vid?: number): Packet {
  return makePacket({
    in_port: inPort,
    vlan: vid === undefined ? undefined : {vid, pcp: 0},
    dl_src: VM_MAC,
    dl_dst: BCAST,
    dl_type: 0x0800,
    nw_src: '0.0.0.0',
    nw_dst: '255.255.255.255',
    nw_proto: 17,
    nw_ttl: 64,
    tp_src: 68,
    tp_dst: 67,
  })
}

const SEED_CASES: Case[] = [
  {name: 'VM broadcast from a tagged access port (tap, tag 1)', bridge: 'br-int', packet: dhcpDiscover(2)},
  {name: 'VM broadcast from qvo (tag 3): no translation flow on br-eth2', bridge: 'br-int', packet: dhcpDiscover(3)},
  {name: 'DHCP-like broadcast arriving tagged 1000 on int-br-eth2', bridge: 'br-int', packet: dhcpDiscover(1, 1000)},
  {
    name: 'frame on int-br-eth2 with VLAN 1001: no translation flow, priority=2 drop',
    bridge: 'br-int',
    packet: dhcpDiscover(1, 1001),
  },
  {name: 'untagged frame on int-br-eth2: priority=2 drop', bridge: 'br-int', packet: dhcpDiscover(1)},
  {name: 'frame from the dead (tag 4095) port: priority=2 drop', bridge: 'br-int', packet: dhcpDiscover(4)},
  {
    name: 'unicast to the learned DHCP MAC arriving tagged 1000',
    bridge: 'br-int',
    packet: {...dhcpDiscover(1, 1000), dl_dst: DHCP_MAC},
  },
  {name: 'br-eth2: VLAN 1 from phy-br-eth2 becomes 1000 on eth2', bridge: 'br-eth2', packet: dhcpDiscover(2, 1)},
  {name: 'br-eth2: VLAN 3 from phy-br-eth2 is dropped', bridge: 'br-eth2', packet: dhcpDiscover(2, 3)},
  {name: 'br-eth2: VLAN 1000 from eth2 goes up to phy-br-eth2', bridge: 'br-eth2', packet: dhcpDiscover(1, 1000)},
  // NORMAL port modes
  {name: 'access port, untagged: flooded in VLAN 10', bridge: 'br-sem', packet: dhcpDiscover(1)},
  {name: 'access port, tagged with another VLAN: dropped', bridge: 'br-sem', packet: dhcpDiscover(1, 5)},
  {
    name: 'access port, priority tag (VID 0, PCP 3): accepted, PCP kept',
    bridge: 'br-sem',
    packet: {...dhcpDiscover(1), vlan: {vid: 0, pcp: 3}},
  },
  {name: 'trunk with trunks=10,20, untagged: dropped (VLAN 0 not trunked)', bridge: 'br-sem', packet: dhcpDiscover(4)},
  {name: 'trunk with trunks=10,20, VLAN 30: dropped', bridge: 'br-sem', packet: dhcpDiscover(4, 30)},
  {name: 'trunk with trunks=10,20, VLAN 20: flooded in 20', bridge: 'br-sem', packet: dhcpDiscover(4, 20)},
  {name: 'native-untagged port, untagged: native VLAN 20', bridge: 'br-sem', packet: dhcpDiscover(6)},
  {name: 'native-tagged port, untagged: native VLAN 30', bridge: 'br-sem', packet: dhcpDiscover(7)},
  {name: 'native-tagged port, VLAN 10 tagged', bridge: 'br-sem', packet: dhcpDiscover(7, 10)},
  {
    name: 'vlan_tci=0x0fff/0x1fff (Stein–Xena dead-VLAN drop) does not match VLAN 4095',
    bridge: 'br-sem',
    packet: dhcpDiscover(7, 4095),
  },
  {name: 'tag 4095 access port: floods only in VLAN 4095', bridge: 'br-sem', packet: dhcpDiscover(2)},
  {
    name: 'vlan_mode=trunk trunks=[4095] port (Yoga dead port), untagged: dropped',
    bridge: 'br-sem',
    packet: dhcpDiscover(8),
  },
  {
    name: 'reserved destination MAC: NORMAL drops',
    bridge: 'br-sem',
    packet: {...dhcpDiscover(1), dl_dst: '01:80:c2:00:00:0e'},
  },
  {
    name: 'unicast to a learned MAC: one port',
    bridge: 'br-sem',
    packet: {...dhcpDiscover(1), dl_dst: 'fa:16:3e:00:00:44'},
  },
  {
    name: 'unicast to a MAC learned on the input port: dropped',
    bridge: 'br-sem',
    packet: {...dhcpDiscover(4, 10), dl_dst: 'fa:16:3e:00:00:44'},
  },
  {name: 'resubmit(1,1): in_port changes for the lookup only', bridge: 'br-sem', packet: dhcpDiscover(5)},
  {
    name: 'resubmit into an empty table: miss, then the next action runs',
    bridge: 'br-sem',
    packet: makePacket({
      in_port: 5,
      dl_src: VM_MAC,
      dl_dst: BCAST,
      dl_type: 0x86dd,
      ipv6_src: 'fe80::1',
      ipv6_dst: 'ff02::1',
      nw_proto: 59,
    }),
  },
  {
    name: 'push_vlan/set_field/pop_vlan and FLOOD',
    bridge: 'br-sem',
    packet: makePacket({
      in_port: 5,
      dl_src: VM_MAC,
      dl_dst: BCAST,
      dl_type: 0x0806,
      arp_op: 1,
      arp_spa: '10.0.0.5',
      arp_tpa: '10.0.0.1',
    }),
  },
  {
    name: 'resubmit(,0) loop: translation fails, packet dropped',
    bridge: 'br-sem',
    packet: makePacket({in_port: 6, dl_src: VM_MAC, dl_dst: BCAST, dl_type: 0x9999}),
  },
]

// ---------------------------------------------------------------------------------------------------------------------
// Modern (Yoga+): br-int with anti-spoof tables 24/25, 0→30→31→58→59→60 NORMAL, dead VLAN 4095, patch to br-eth2.

const MODERN_LAB: Lab = {
  veths: [],
  bridges: [
    {
      name: 'br-int',
      protocol: 'OpenFlow13',
      names: true,
      ports: [
        {name: 'int-br-eth2', ofport: 1, type: 'patch', peer: 'phy-br-eth2'},
        {name: 'qvo3f7e5d8a-1b', ofport: 2, type: 'internal', tag: 1},
        {name: 'qvo9c8b7a6d-5e', ofport: 3, type: 'internal', tag: 1},
        {name: 'qvodeadbeef-00', ofport: 4, type: 'internal', tag: 4095, trunks: [4095], vlanMode: 'trunk'},
        {name: 'tap5f833617-61', ofport: 5, type: 'internal', tag: 1},
      ],
      flows: [
        'table=0,priority=65535,dl_vlan=4095 actions=drop',
        'table=0,priority=10,arp,in_port=2 actions=goto_table:24',
        'table=0,priority=9,in_port=2 actions=goto_table:25',
        'table=0,priority=10,arp,in_port=3 actions=goto_table:24',
        'table=0,priority=9,in_port=3 actions=goto_table:25',
        'table=0,priority=3,in_port=1,dl_vlan=100 actions=set_field:4097->vlan_vid,goto_table:58',
        'table=0,priority=2,in_port=1 actions=drop',
        'table=0,priority=2,in_port=4 actions=drop',
        'table=0,priority=0 actions=goto_table:58',
        'table=23,priority=0 actions=drop',
        'table=24,priority=2,arp,in_port=2,arp_spa=10.0.0.5 actions=goto_table:25',
        'table=24,priority=2,arp,in_port=3,arp_spa=10.0.0.6 actions=goto_table:25',
        'table=24,priority=0 actions=drop',
        'table=25,priority=2,in_port=2,dl_src=fa:16:3e:4a:5b:6c actions=goto_table:30',
        'table=25,priority=2,in_port=3,dl_src=fa:16:3e:11:22:33 actions=goto_table:30',
        'table=25,priority=0 actions=drop',
        'table=30,priority=0 actions=goto_table:31',
        'table=31,priority=0 actions=goto_table:58',
        'table=58,priority=0 actions=goto_table:59',
        'table=59,priority=0 actions=goto_table:60',
        'table=60,priority=1 actions=NORMAL',
      ],
    },
    {
      name: 'br-eth2',
      protocol: 'OpenFlow13',
      names: true,
      ports: [
        {name: 'eth2', ofport: 1, type: 'internal'},
        {name: 'phy-br-eth2', ofport: 2, type: 'patch', peer: 'int-br-eth2'},
      ],
      flows: [
        'priority=4,in_port=2,dl_vlan=1 actions=set_field:4196->vlan_vid,NORMAL',
        'priority=2,in_port=2 actions=drop',
        'priority=0 actions=NORMAL',
      ],
    },
  ],
  fdb: [
    {bridge: 'br-int', port: 'qvo9c8b7a6d-5e', vlan: 1, mac: 'fa:16:3e:11:22:33'},
    {bridge: 'br-eth2', port: 'eth2', vlan: 100, mac: 'fa:16:3e:99:99:99'},
  ],
}

const VM1 = 'fa:16:3e:4a:5b:6c'

function arpRequest(inPort: number, src: string, spa: string): Packet {
  return makePacket({
    in_port: inPort,
    dl_src: src,
    dl_dst: BCAST,
    dl_type: 0x0806,
    arp_op: 1,
    arp_spa: spa,
    arp_tpa: '10.0.0.1',
    arp_sha: src,
    arp_tha: '00:00:00:00:00:00',
  })
}

function ipPacket(inPort: number, src: string, dst: string, vid?: number): Packet {
  return makePacket({
    in_port: inPort,
    vlan: vid === undefined ? undefined : {vid, pcp: 0},
    dl_src: src,
    dl_dst: dst,
    dl_type: 0x0800,
    nw_src: '10.0.0.5',
    nw_dst: '10.0.0.6',
    nw_proto: 1,
    nw_ttl: 64,
    tp_src: 8,
    tp_dst: 0,
  })
}

const MODERN_CASES: Case[] = [
  {
    name: 'VM ARP broadcast passes anti-spoof and floods VLAN 1 (and VLAN 100 on eth2)',
    bridge: 'br-int',
    packet: arpRequest(2, VM1, '10.0.0.5'),
  },
  {
    name: 'ARP with a spoofed sender IP: dropped in table 24',
    bridge: 'br-int',
    packet: arpRequest(2, VM1, '10.0.0.99'),
  },
  {
    name: 'IP from a spoofed MAC: dropped in table 25',
    bridge: 'br-int',
    packet: ipPacket(2, 'fa:16:3e:66:66:66', BCAST),
  },
  {
    name: 'DHCP-like broadcast tagged 100 from eth2 reaches the VLAN-1 ports',
    bridge: 'br-eth2',
    packet: {...dhcpDiscover(1, 100), dl_src: 'fa:16:3e:77:77:77'},
  },
  {name: 'DHCP-like broadcast arriving tagged 100 on the int-br link', bridge: 'br-int', packet: dhcpDiscover(1, 100)},
  {
    name: 'VLAN 101 on the int-br link: no translation flow, priority=2 drop',
    bridge: 'br-int',
    packet: dhcpDiscover(1, 101),
  },
  {name: 'frame from the dead port (tag 4095): dropped', bridge: 'br-int', packet: dhcpDiscover(4)},
  {
    name: 'VLAN 4095 on the int-br link: priority=65535 dead-VLAN drop',
    bridge: 'br-int',
    packet: dhcpDiscover(1, 4095),
  },
  {
    name: 'unicast to a MAC learned on br-int: one port',
    bridge: 'br-int',
    packet: ipPacket(2, VM1, 'fa:16:3e:11:22:33'),
  },
  {
    name: 'unicast to a MAC learned only on br-eth2: flood on br-int, one port on br-eth2',
    bridge: 'br-int',
    packet: ipPacket(2, VM1, 'fa:16:3e:99:99:99'),
  },
]

// ---------------------------------------------------------------------------------------------------------------------

describe.skipIf(unavailable !== undefined)('simulateBridge against ovs-appctl ofproto/trace', () => {
  describe('the seed (2013 single-table bridges) and NORMAL port modes', () => {
    const runner = new LabRunner(SEED_LAB)
    beforeAll(() => runner.start())
    afterAll(() => runner.stop())

    for (const c of SEED_CASES) it(c.name, () => expectSameAsOvs(runner, c).then(() => undefined))

    it('read its flows with the real dump-flows parser when that parser exists', () => {
      expect(runner.parserUsed).toBe(
        existsSync(fileURLToPath(new URL('../../src/parsers/ovs-ofctl-dump-flows.ts', import.meta.url))),
      )
    })

    it('gives the same verdicts the seed describes', async () => {
      const broadcast = await expectSameAsOvs(runner, SEED_CASES[2] as Case)
      expect(broadcast.outputs.map(outputKey).sort()).toEqual(['br-int:br-int:vlan1', 'br-int:tap26c9b807-7c:untagged'])
      const dropped = await expectSameAsOvs(runner, SEED_CASES[3] as Case)
      expect(dropped.outputs).toEqual([])
      expect(dropped.passes[0]?.dropFlow?.priority).toBe(2)
    })

    it('reports the translation failure OVS reports for a resubmit loop', async () => {
      const c = SEED_CASES[SEED_CASES.length - 1] as Case
      const {sim, ovs} = await runner.trace(c)
      // A resubmit(,0) loop nests one level per pass: both hit the depth limit (64) before the resubmit limit (4096).
      expect(ovs.translationError).toBe('Recursion too deep')
      expect(sim.passes[0]?.dropReason).toBe('translation failed (over max translation depth 64), packet is dropped')
    })
  })

  describe('a modern multi-table br-int patched to br-eth2', () => {
    const runner = new LabRunner(MODERN_LAB)
    beforeAll(() => runner.start())
    afterAll(() => runner.stop())

    for (const c of MODERN_CASES) it(c.name, () => expectSameAsOvs(runner, c).then(() => undefined))

    it('crosses the patch port with the VLAN rewritten on each side', async () => {
      const sim = await expectSameAsOvs(runner, MODERN_CASES[0] as Case)
      const keys = sim.outputs.map(outputKey)
      expect(keys).toContain('br-eth2:eth2:vlan100')
      expect(keys).toContain('br-int:qvo9c8b7a6d-5e:untagged')
      expect(keys.some((k) => k.includes('qvodeadbeef-00'))).toBe(false)
    })
  })

  it('stop() ends its daemons and removes its directory', async () => {
    const sb = await OvsSandbox.start()
    const pids = [...sb.daemonPids]
    expect(pids).toHaveLength(2)
    expect(pids.every(isProcessAlive)).toBe(true)
    await sb.stop()
    expect(pids.some(isProcessAlive)).toBe(false)
    expect(existsSync(sb.dir)).toBe(false)
  })
})
