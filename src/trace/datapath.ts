// The simulator's view of one bridge on one host, built from the actual model: its flows and its ports with their
// OpenFlow numbers and VLAN configuration.

import {type DeviceRef, type HostModel, vethPeer} from '../model/actual.js'
import {type PhysLink, wiredLinks} from '../model/wiring.js'
import {OFPP_LOCAL, type SimBridge, type SimPort} from '../sim/openflow.js'
import type {Flow, LinkDevice, LinuxBridge} from '../types.js'

/** The NORMAL-only table a bridge behaves as when its flows were not captured (OVS's default flow). */
const DEFAULT_NORMAL: Flow = {
  line: 0,
  raw: 'priority=0 actions=NORMAL (assumed: flows not captured)',
  table: 0,
  priority: 0,
  cookie: '0x0',
  match: {fields: {}},
  actions: [{type: 'normal'}],
}

const cache = new WeakMap<HostModel, Map<string, SimBridge>>()

export function simBridgeOf(host: HostModel, name: string): SimBridge {
  let perHost = cache.get(host)
  if (!perHost) {
    perHost = new Map()
    cache.set(host, perHost)
  }
  const have = perHost.get(name)
  if (have) return have
  const bridge = host.ovs?.bridges.find((b) => b.name === name)
  const ofports = host.ofports.get(name) ?? new Map<string, number>()
  const ports: SimPort[] = []
  for (const port of bridge?.ports ?? []) {
    for (const iface of port.interfaces) {
      const ofport =
        iface.ofport !== undefined && iface.ofport >= 0
          ? iface.ofport
          : (ofports.get(iface.name) ?? (iface.name === name ? OFPP_LOCAL : undefined))
      if (ofport === undefined) continue
      ports.push({
        ofport,
        name: iface.name,
        tag: port.tag,
        trunks: port.trunks,
        vlanMode: port.vlanMode,
        type: iface.type,
        peer: iface.options.peer,
      })
    }
  }
  const sim: SimBridge = {name, flows: host.flows.get(name)?.flows ?? [DEFAULT_NORMAL], ports}
  perHost.set(name, sim)
  return sim
}

// ---------------------------------------------------------------------------------------------------------------------
// The model look-ups a trace makes at every hop, answered once per host and element: a model does not change once
// built (the simulator's bridges above are cached the same way), and every VM's trace asks the same questions of its
// host and of the hosts serving DHCP.

interface HostLookups {
  peers: WeakMap<LinkDevice, {peer: DeviceRef | undefined}>
  linuxBridges?: {of: LinuxBridge[] | undefined; byMember: Map<string, LinuxBridge>}
  wired?: PhysLink[]
}

const lookups = new WeakMap<HostModel, HostLookups>()

function lookupsOf(host: HostModel): HostLookups {
  let have = lookups.get(host)
  if (!have) lookups.set(host, (have = {peers: new WeakMap()}))
  return have
}

/** vethPeer, once per device. */
export function peerOf(host: HostModel, ref: DeviceRef): DeviceRef | undefined {
  const peers = lookupsOf(host).peers
  let have = peers.get(ref.device)
  if (!have) peers.set(ref.device, (have = {peer: vethPeer(host, ref)}))
  return have.peer
}

/** linuxBridgeOf: the first Linux bridge that has `device` as a member. */
export function linuxBridgeWith(host: HostModel, device: string): LinuxBridge | undefined {
  const l = lookupsOf(host)
  if (l.linuxBridges?.of !== host.linuxBridges) {
    const byMember = new Map<string, LinuxBridge>()
    for (const br of host.linuxBridges ?? []) for (const m of br.interfaces) if (!byMember.has(m)) byMember.set(m, br)
    l.linuxBridges = {of: host.linuxBridges, byMember}
  }
  return l.linuxBridges.byMember.get(device)
}

/** wiredLinks, once per host (read only). */
export function wiredLinksOf(host: HostModel): readonly PhysLink[] {
  const l = lookupsOf(host)
  return (l.wired ??= wiredLinks(host))
}
