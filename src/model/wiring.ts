// Joins the reference model to the actual one per host: where each port sits, which physical bridge serves a physnet,
// which local VLAN a network uses and which translation flows carry it. Analyzers and the tracer share these answers.

import {createHash} from 'node:crypto'
import {matchTci, tciVlan} from '../openflow/vlan.js'
import type {Flow, OvsBridge} from '../types.js'
import {type FlowTable, type HostModel, type OvsPortRef, findOvsInterface, findOvsInterfaceById} from './actual.js'
import {DEAD_VLAN, type NetworkView, type PortView, type ReferenceModel, devicesOf} from './reference.js'

export const INTEGRATION_BRIDGE = 'br-int'

/** The OVS interface a Neutron port is plugged as on this host: by iface-id first, then by the naming convention. */
export function ovsPortOf(host: HostModel, port: PortView): OvsPortRef | undefined {
  if (port.id.length === 36) {
    const ref = findOvsInterfaceById(host, port.id)
    if (ref) return ref
  }
  if (!port.short) return undefined
  const names =
    port.plug === 'hybrid'
      ? [devicesOf(port).qvo]
      : port.plug === 'vhostuser'
        ? [`vhu${port.short}`]
        : port.plug === 'unknown'
          ? [devicesOf(port).qvo, devicesOf(port).tap]
          : [devicesOf(port).tap]
  for (const name of names) {
    const ref = findOvsInterface(host, name)
    if (ref) return ref
  }
  return undefined
}

/** The ports a host should carry: bound to it by Neutron, or found on it when the binding is unknown. */
export function portsOnHost(ref: ReferenceModel, host: HostModel): PortView[] {
  const {bound, unbound, positions} = portsByHost(ref)
  const mine = bound.get(host.name) ?? []
  const found = unbound.filter((p) => ovsPortOf(host, p))
  if (!found.length) return [...mine]
  // In the reference's order, as one filter of every port gives them.
  return [...mine, ...found].sort((a, b) => positions.get(a)! - positions.get(b)!)
}

interface PortsByHost {
  count: number
  bound: Map<string, PortView[]>
  unbound: PortView[]
  positions: Map<PortView, number>
}
const byHost = new WeakMap<ReferenceModel, PortsByHost>()

/** The reference's ports grouped by the host Neutron binds them to, once per reference (a filter of every port of
 * the cloud per host made each analyzer quadratic in the hosts). Built again if ports were added. */
function portsByHost(ref: ReferenceModel): PortsByHost {
  const have = byHost.get(ref)
  if (have?.count === ref.ports.length) return have
  const out: PortsByHost = {count: ref.ports.length, bound: new Map(), unbound: [], positions: new Map()}
  ref.ports.forEach((port, at) => {
    out.positions.set(port, at)
    if (port.host === undefined) out.unbound.push(port)
    else {
      const list = out.bound.get(port.host)
      if (list) list.push(port)
      else out.bound.set(port.host, [port])
    }
  })
  byHost.set(ref, out)
  return out
}

export function portNameOf(host: HostModel, bridge: string, ref: number | string | undefined): string | undefined {
  if (ref === undefined) return undefined
  if (typeof ref === 'string') return ref
  const ofports = host.ofports.get(bridge)
  return ofports && namesOf(ofports).get(ref)
}

const portNames = new WeakMap<Map<string, number>, {size: number; names: Map<number, string>}>()

/** OpenFlow number -> the first port name with it, once per bridge (not a scan of the ports per flow). */
function namesOf(ofports: Map<string, number>): Map<number, string> {
  const have = portNames.get(ofports)
  if (have?.size === ofports.size) return have.names
  const names = new Map<number, string>()
  for (const [name, n] of ofports) if (!names.has(n)) names.set(n, name)
  portNames.set(ofports, {size: ofports.size, names})
  return names
}

/** The VLAN a flow matches on: a vid, 'untagged', or undefined when it does not constrain the VLAN. */
export function flowVlan(flow: Flow): number | 'untagged' | 'any-tagged' | undefined {
  const tci = matchTci(flow.match.fields)
  return tci ? tciVlan(tci) : undefined
}

/** What a flow does to the VLAN before forwarding: a new vid, 'pop', or undefined (unchanged). */
export function flowVlanRewrite(flow: Flow): number | 'pop' | undefined {
  let out: number | 'pop' | undefined
  for (const a of flow.actions) {
    if (a.type === 'set_vlan_vid') out = a.vid
    else if (a.type === 'pop_vlan') out = 'pop'
  }
  return out
}

export function flowInPort(host: HostModel, bridge: string, flow: Flow): string | undefined {
  return portNameOf(host, bridge, flow.match.inPort)
}

export function isDropFlow(flow: Flow): boolean {
  return flow.actions.length === 0 || flow.actions.every((a) => a.type === 'drop')
}

const tableZeros = new WeakMap<Flow[], {length: number; flows: Flow[]}>()

export function tableZero(table: FlowTable | undefined): Flow[] {
  if (!table) return []
  const have = tableZeros.get(table.flows)
  if (have?.length === table.flows.length) return [...have.flows]
  const flows = table.flows.filter((f) => f.table === 0)
  tableZeros.set(table.flows, {length: table.flows.length, flows})
  return [...flows]
}

export interface PhysLink {
  physnet?: string
  bridge: string
  /** int-<bridge> on br-int, phy-<bridge> on the physical bridge (hashed when long). */
  intPort: string
  phyPort: string
}

/** Neutron's name for the int-/phy- ports of a bridge (neutron_lib get_interface_name, 15-char limit). */
export function linkPortNames(bridge: string): {intPort: string; phyPort: string} {
  return {intPort: shorten('int-', bridge), phyPort: shorten('phy-', bridge)}
}

function shorten(prefix: string, name: string): string {
  if (prefix.length + name.length <= 15) return prefix + name
  // sha1 hex digest of the name, first 6 characters.
  const hash = sha1Hex(name).slice(0, 6)
  return prefix + name.slice(0, 15 - prefix.length - 6) + hash
}

function sha1Hex(s: string): string {
  return createHash('sha1').update(s).digest('hex')
}

/** The physical bridges of a host: from bridge_mappings when known, else the bridges int-/phy- ports reveal. */
export function physLinks(host: HostModel): PhysLink[] {
  const mappings = host.config.bridgeMappings
  if (mappings && Object.keys(mappings).length) {
    return Object.entries(mappings).map(([physnet, bridge]) => ({physnet, bridge, ...linkPortNames(bridge)}))
  }
  const out: PhysLink[] = []
  for (const br of host.ovs?.bridges ?? []) {
    if (br.name === INTEGRATION_BRIDGE) continue
    const {intPort, phyPort} = linkPortNames(br.name)
    if (br.ports.some((p) => p.name === phyPort)) out.push({bridge: br.name, intPort, phyPort})
  }
  return out
}

/** The physical bridges frames really cross: those of bridge_mappings, and any other bridge still joined to br-int by
 * the agent's phy-/int- ports (left behind when bridge_mappings changed: its flows and NIC still carry traffic). */
export function wiredLinks(host: HostModel): PhysLink[] {
  const out = physLinks(host)
  for (const br of host.ovs?.bridges ?? []) {
    if (br.name === INTEGRATION_BRIDGE || out.some((l) => l.bridge === br.name)) continue
    const {intPort, phyPort} = linkPortNames(br.name)
    if (br.ports.some((p) => p.name === phyPort)) out.push({bridge: br.name, intPort, phyPort})
  }
  return out
}

export function physLinkFor(host: HostModel, net: NetworkView): PhysLink | undefined {
  const links = physLinks(host)
  if (net.physnet) return links.find((l) => l.physnet === net.physnet)
  return links.length === 1 ? links[0] : undefined
}

export function bridgeOf(host: HostModel, name: string): OvsBridge | undefined {
  return host.ovs?.bridges.find((b) => b.name === name)
}

export interface VlanTranslation {
  flow: Flow
  bridge: string
  /** The VLAN matched (segment for ingress, local VLAN for egress); 'untagged' for flat ingress. */
  from: number | 'untagged'
  /** The VLAN written (local for ingress, segment for egress); 'pop' for flat egress. */
  to: number | 'pop'
}

interface Translations {
  length: number
  byPort: Map<string, VlanTranslation[]>
  /** Per port, the same lists by the VLAN matched and by the VLAN written, made when first asked. */
  byFrom: Map<string, Map<number | 'untagged', VlanTranslation[]>>
  byTo: Map<string, Map<number | 'pop', VlanTranslation[]>>
}

/** The translations of a dump's table 0 by the port they name, once per dump (each network of each host asks). */
function translationsOf(host: HostModel, bridge: string, table: FlowTable): Translations {
  let have = translationsByPort.get(table.flows)
  if (have?.length !== table.flows.length) {
    have = {length: table.flows.length, byPort: new Map(), byFrom: new Map(), byTo: new Map()}
    for (const flow of tableZero(table)) {
      const port = flowInPort(host, bridge, flow)
      const from = flowVlan(flow)
      const to = flowVlanRewrite(flow)
      if (port === undefined || !((typeof from === 'number' || from === 'untagged') && to !== undefined)) continue
      const list = have.byPort.get(port)
      if (list) list.push({flow, bridge, from, to})
      else have.byPort.set(port, [{flow, bridge, from, to}])
    }
    translationsByPort.set(table.flows, have)
  }
  return have
}

function grouped<K>(list: VlanTranslation[], key: (t: VlanTranslation) => K): Map<K, VlanTranslation[]> {
  const out = new Map<K, VlanTranslation[]>()
  for (const t of list) {
    const k = key(t)
    const have = out.get(k)
    if (have) have.push(t)
    else out.set(k, [t])
  }
  return out
}

/** Translation flows on table 0 of `bridge` for frames arriving on `inPort`; with `only`, those matching its `from`
 * or its `to` (the same list, in the same order, as filtering them all). */
export function translations(
  host: HostModel,
  bridge: string,
  inPort: string,
  only?: {from: number | 'untagged'} | {to: number | 'pop'},
): VlanTranslation[] {
  const table = host.flows.get(bridge)
  if (!table) return []
  const have = translationsOf(host, bridge, table)
  const all = have.byPort.get(inPort) ?? []
  let list = all
  if (only && 'from' in only) {
    let by = have.byFrom.get(inPort)
    if (!by) have.byFrom.set(inPort, (by = grouped(all, (t) => t.from)))
    list = by.get(only.from) ?? []
  } else if (only) {
    let by = have.byTo.get(inPort)
    if (!by) have.byTo.set(inPort, (by = grouped(all, (t) => t.to)))
    list = by.get(only.to) ?? []
  }
  return list.map((t) => ({...t}))
}

const translationsByPort = new WeakMap<Flow[], Translations>()

export interface LocalVlan {
  vlan?: number
  /** How it was decided, strongest first. */
  from: 'ingress-flow' | 'egress-flow' | 'port-tags' | 'other_config' | 'unknown'
  ports: {port: PortView; ovs: OvsPortRef}[]
  link?: PhysLink
}

/** The local VLAN of a network on a host, decided from the flows first (they carry the segment), then the tags. */
export function localVlanOf(host: HostModel, net: NetworkView, ports: PortView[]): LocalVlan {
  const placed = ports
    .filter((p) => p.networkId === net.id)
    .map((port) => ({port, ovs: ovsPortOf(host, port)}))
    .filter((x): x is {port: PortView; ovs: OvsPortRef} => Boolean(x.ovs && x.ovs.bridge.name === INTEGRATION_BRIDGE))
  const link = physLinkFor(host, net)
  const seg = net.type === 'flat' ? 'untagged' : (net.segmentationId ?? undefined)
  if (link && seg !== undefined) {
    const ingress = translations(host, INTEGRATION_BRIDGE, link.intPort, {from: seg}).filter(
      (t) => typeof t.to === 'number',
    )
    const vids = new Set(ingress.map((t) => t.to as number))
    if (vids.size === 1) return {vlan: [...vids][0], from: 'ingress-flow', ports: placed, link}
    const want = seg === 'untagged' ? 'pop' : seg // 'untagged' only for a flat network
    const egress = translations(host, link.bridge, link.phyPort, {to: want}).filter((t) => typeof t.from === 'number')
    const evids = new Set(egress.map((t) => t.from as number))
    if (evids.size === 1) return {vlan: [...evids][0], from: 'egress-flow', ports: placed, link}
  }
  const counts = new Map<number, number>()
  for (const {ovs} of placed) {
    const tag = ovs.port.tag
    if (tag !== undefined && tag !== DEAD_VLAN) counts.set(tag, (counts.get(tag) ?? 0) + 1)
  }
  if (counts.size) {
    const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0]
    return {vlan: best, from: 'port-tags', ports: placed, link}
  }
  for (const {ovs} of placed) {
    const tag = Number(ovs.port.otherConfig.tag)
    if (Number.isInteger(tag) && tag > 0 && tag < DEAD_VLAN)
      return {vlan: tag, from: 'other_config', ports: placed, link}
  }
  return {from: 'unknown', ports: placed, link}
}
