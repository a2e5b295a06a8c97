// FLOW_MISSING for the flows a table needs (the default flows): every frame the wiring sends into a bridge must meet a
// flow. Neutron runs its bridges fail_mode=secure, so a table miss drops the frame, and the OVS agent always installs
// a flow that takes it — legacy: table 0 `priority=1 actions=NORMAL`; modern: `priority=0 actions=NORMAL` on the
// physical bridges and, on br-int, the resubmit chain to table 60's NORMAL. A miss on a path the wiring uses is
// therefore an expected flow that is gone. It is what the tracer reports as "table N: no flow matched", and diagnose
// reports it too: the two never disagree about a drop a missing flow explains.
//
// The frames are those the tracer follows: DHCP-like frames from each port of a network on the host into br-int
// (broadcast, and unicast to another port of the network), out of br-int into the physical bridge with the local
// VLAN, in from each NIC with the segment, and into br-int from the physical bridge with the segment.

import {type FlowTable, type HostModel, isMet} from '../model/actual.js'
import {type NetworkView, type PortView} from '../model/reference.js'
import {INTEGRATION_BRIDGE, type LocalVlan, bridgeOf, localVlanOf, portsOnHost} from '../model/wiring.js'
import {type Packet, ETH_TYPE_IP} from '../sim/packet.js'
import {simulateBridge} from '../sim/openflow.js'
import {simBridgeOf} from '../trace/datapath.js'
import {fieldInfo} from '../openflow/fields.js'
import {type AnalysisContext, type Analyzer, confidenceOf, finding, impactOf} from './context.js'
import type {Finding} from './finding.js'

const BROADCAST = 'ff:ff:ff:ff:ff:ff'
/** A MAC no port has, for unicast frames whose destination is not known. */
const SOMEONE = 'fa:16:3e:00:00:01'

interface Probe {
  bridge: string
  port: string
  /** The VLAN the frame carries on the wire into the bridge; undefined = untagged. */
  vlan?: number
  src: string
  dst: string
  what: string
  net: NetworkView
  ports: PortView[]
}

function macOf(port: PortView, ovsMac?: string): string | undefined {
  const mac = (port.mac ?? ovsMac)?.toLowerCase()
  return mac && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) ? mac : undefined
}

/** The frames the wiring sends into this host's bridges for one network. */
function probes(host: HostModel, net: NetworkView, local: LocalVlan, ports: PortView[]): Probe[] {
  const out: Probe[] = []
  const macs = local.ports.map(({port, ovs}) => macOf(port, ovs.iface.externalIds['attached-mac']))
  const intFlows = host.flows.get(INTEGRATION_BRIDGE)
  const blind = intFlows !== undefined && dstBlind(intFlows)
  for (const [i, {port, ovs}] of local.ports.entries()) {
    const src = macs[i]
    if (!src) continue
    const peer = macs.find((m, j) => j !== i && m) ?? SOMEONE
    for (const dst of [BROADCAST, peer]) {
      // The unicast frame follows the broadcast's path through a bridge blind to destinations: its finding would be
      // the broadcast's (the same element, found second), so it is not simulated again.
      if (dst !== BROADCAST && plainUnicast(dst) && blind) continue
      out.push({
        bridge: INTEGRATION_BRIDGE,
        port: ovs.iface.name,
        src,
        dst,
        net,
        ports: [port],
        what: `${dst === BROADCAST ? 'broadcasts' : 'unicast frames'} from ${src}`,
      })
    }
  }
  const link = local.link
  const physical = net.type === undefined || net.type === 'vlan' || net.type === 'flat'
  if (!physical || !link || local.vlan === undefined || !bridgeOf(host, link.bridge)) return out
  const segment = net.type === 'flat' ? undefined : (net.segmentationId ?? null)
  const src = macs.find(Boolean) ?? SOMEONE
  out.push({
    bridge: link.bridge,
    port: link.phyPort,
    vlan: local.vlan,
    src,
    dst: BROADCAST,
    net,
    ports,
    what: `frames of local VLAN ${local.vlan} from br-int`,
  })
  if (segment === null) return out
  const br = bridgeOf(host, link.bridge)!
  const nics = br.ports.filter(
    (p) =>
      p.name !== link.phyPort &&
      p.name !== br.name &&
      p.interfaces.some((i) => i.type === '' || i.type === 'system' || i.type === 'dpdk'),
  )
  for (const nic of nics) {
    out.push({
      bridge: link.bridge,
      port: nic.name,
      vlan: segment,
      src: SOMEONE,
      dst: src,
      net,
      ports,
      what: `frames of ${segment === undefined ? 'the flat network' : `VLAN ${segment}`} from the physical network`,
    })
  }
  out.push({
    bridge: INTEGRATION_BRIDGE,
    port: link.intPort,
    vlan: segment,
    src: SOMEONE,
    dst: src,
    net,
    ports,
    what: `frames of ${segment === undefined ? 'the flat network' : `VLAN ${segment}`} from ${link.bridge}`,
  })
  return out
}

/** The agent's default flow for a table, when it is one flow we know: table 0 NORMAL on a physical bridge (priority
 * 1 in the legacy single-table layout, 0 in the modern one), or on the legacy br-int. */
function defaultFlow(host: HostModel, bridge: string, table: number): string | undefined {
  if (table !== 0) return undefined
  const modern = host.flows.get(INTEGRATION_BRIDGE)?.flows.some((f) => f.table !== 0) ?? false
  if (bridge === INTEGRATION_BRIDGE) return modern ? undefined : 'table=0,priority=1,actions=NORMAL'
  return `table=0,priority=${modern ? 0 : 1},actions=NORMAL`
}

const catchAll = new WeakMap<FlowTable, boolean>()

/** Can no frame miss? True when table 0 and every table a flow resubmits or goes to has a flow matching everything
 * (legacy bridges, modern physical bridges): then the bridge needs no simulation. */
function cannotMiss(flows: FlowTable): boolean {
  let known = catchAll.get(flows)
  if (known === undefined) {
    const tables = new Set([0])
    for (const f of flows.flows)
      for (const a of f.actions)
        if ((a.type === 'resubmit' || a.type === 'goto_table') && a.table !== undefined) tables.add(a.table)
    const covered = new Set(
      flows.flows
        .filter((f) => f.match.inPort === undefined && !Object.keys(f.match.fields).length)
        .map((f) => f.table),
    )
    known = [...tables].every((t) => covered.has(t))
    catchAll.set(flows, known)
  }
  return known
}

const DST_SPELLINGS = /dl_dst|eth_dst/i
/** Actions that hash the frame's addresses without naming them. */
const HASHING = new Set(['multipath', 'bundle', 'bundle_load'])
const dstBlindTables = new WeakMap<FlowTable, boolean>()

/** Can no flow of the bridge tell one destination MAC from another? True when no match field is the Ethernet
 * destination and no action reads it (named in a move, load, set_field, learn or ct, or hashed). Then, with no MAC
 * table (the probes learn nothing), a frame to a unicast MAC takes exactly the broadcast's path: NORMAL floods both. */
function dstBlind(flows: FlowTable): boolean {
  let known = dstBlindTables.get(flows)
  if (known === undefined) {
    known = flows.flows.every(
      (f) =>
        Object.keys(f.match.fields).every((k) => !DST_SPELLINGS.test(k) && fieldInfo(k) !== undefined) &&
        f.actions.every((a) => {
          switch (a.type) {
            case 'move':
              return !DST_SPELLINGS.test(a.src) && !DST_SPELLINGS.test(a.dst)
            case 'load':
              return !DST_SPELLINGS.test(a.dst)
            case 'set_field':
              return !DST_SPELLINGS.test(a.field)
            case 'learn':
            case 'ct':
            case 'note':
            case 'controller':
              return !DST_SPELLINGS.test(a.text)
            case 'other':
              return !HASHING.has(a.name.toLowerCase()) && !DST_SPELLINGS.test(a.text)
            default:
              return true
          }
        }),
    )
    dstBlindTables.set(flows, known)
  }
  return known
}

/** A unicast MAC that is neither multicast nor reserved: NORMAL treats it like the broadcast address when it has
 * learnt nothing. */
const plainUnicast = (mac: string): boolean => (parseInt(mac.slice(0, 2), 16) & 1) === 0

function check(ctx: AnalysisContext, host: HostModel, p: Probe): Finding | undefined {
  const flows = host.flows.get(p.bridge)
  if (!flows || cannotMiss(flows)) return undefined
  // A dump with lines that could not be read may hold the very flow that seems missing: unknown, not a fault.
  if (!isMet(host, {spec: 'ovs_ofctl_dump_flows', key: p.bridge}, 'complete')) return undefined
  const sim = simBridgeOf(host, p.bridge)
  const ofport = sim.ports.find((x) => x.name === p.port)?.ofport
  if (ofport === undefined) return undefined
  const packet: Packet = {
    in_port: ofport,
    dl_src: p.src,
    dl_dst: p.dst,
    dl_type: ETH_TYPE_IP,
    nw_src: '0.0.0.0',
    nw_dst: '255.255.255.255',
    nw_proto: 17,
    tp_src: 68,
    tp_dst: 67,
    ...(p.vlan !== undefined ? {vlan: {vid: p.vlan, pcp: 0}} : {}),
  }
  const result = simulateBridge(sim, packet, {learn: false})
  if (result.verdict !== 'dropped' || result.outputs.length || result.dropFlow) return undefined
  const miss = result.steps.find((s) => !s.flow)
  if (!miss) return undefined
  const vlan = p.vlan === undefined ? 'untagged' : `VLAN ${p.vlan}`
  const match = `in_port=${p.port},${p.vlan === undefined ? 'vlan_tci=0x0000/0x1fff' : `dl_vlan=${p.vlan}`}`
  const flow = defaultFlow(host, p.bridge, miss.table)
  const path = result.steps
    .filter((s) => s.flow)
    .map((s) => `table ${s.table} line ${s.flow!.line}`)
    .join(', ')
  return finding(
    'FLOW_MISSING',
    'tableMiss',
    {host: host.name, bridge: p.bridge, table: miss.table, port: p.port, vlan, what: p.what, flow},
    {
      host: host.name,
      element: `${p.bridge} table ${miss.table}: ${match}`,
      impact: impactOf(ctx, p.ports),
      confidence: confidenceOf(p.net.source),
      expected: `a flow in table ${miss.table} of ${p.bridge} that takes them${flow ? ` (the agent's ${flow})` : ''}`,
      actual: `table miss${path ? ` after ${path}` : ''}: dropped`,
      evidence: [{...flows.evidence, text: `no flow of table ${miss.table} matches ${p.what} in ${match}`}],
    },
  )
}

export const tableMissAnalyzer: Analyzer = (ctx) => {
  const out: Finding[] = []
  for (const host of ctx.actual.hosts) {
    if (!host.ovs || [...host.flows.values()].every(cannotMiss)) continue
    const ports = portsOnHost(ctx.reference, host)
    const seen = new Set<string>()
    for (const net of ctx.reference.networks.values()) {
      const mine = ports.filter((p) => p.networkId === net.id)
      if (!mine.length) continue
      for (const p of probes(host, net, localVlanOf(host, net, mine), mine)) {
        const f = check(ctx, host, p)
        if (!f || seen.has(f.element)) continue
        seen.add(f.element)
        out.push(f)
      }
    }
  }
  return out
}
