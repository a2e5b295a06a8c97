// The simulator's view of one bridge on one host, built from the actual model: its flows and its ports with their
// OpenFlow numbers and VLAN configuration.

import type {HostModel} from '../model/actual.js'
import {OFPP_LOCAL, type SimBridge, type SimPort} from '../sim/openflow.js'
import type {Flow} from '../types.js'

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
