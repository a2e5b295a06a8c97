// Tunnels in the actual model: each host's endpoint (the agent's local_ip, the device holding it, the underlay NIC
// and its MTU) and its tunnel ports (vxlan/gre/geneve Interfaces with remote_ip/local_ip), joined into the mesh —
// which peer each tunnel port reaches (remote_ip = the peer's local_ip) and whether the peer has the port back.
// shared/reference/neutron-wiring-2.md §8.

import type {LinkDevice, OvsBridge, OvsInterface} from '../types.js'
import {type ActualModel, type Evidence, type HostModel, findOvsInterface} from './actual.js'

const TUNNEL_TYPES = ['vxlan', 'gre', 'geneve'] as const
export type TunnelType = (typeof TUNNEL_TYPES)[number]

export function isTunnelType(type: string | undefined): type is TunnelType {
  return (TUNNEL_TYPES as readonly string[]).includes(type ?? '')
}

/** Outer IPv4 header + encapsulation (neutron_lib VXLAN_ENCAP_OVERHEAD 30, GRE 22, geneve max_header_size 30). */
export const ENCAP_OVERHEAD: Record<TunnelType, number> = {vxlan: 50, gre: 42, geneve: 50}

export interface TunnelPort {
  host: string
  bridge: string
  name: string
  type: TunnelType
  ofport?: number
  remoteIp?: string
  localIp?: string
  /** The Interface's options as OVSDB holds them (in_key, out_key, dst_port, df_default ...). */
  options: Record<string, string>
}

export interface Endpoint {
  host: string
  /** `[ovs] local_ip`; undefined when the agent runs no tunnels or its configuration was not captured. */
  localIp?: string
  types: TunnelType[]
  l2Population: boolean
  arpResponder: boolean
  /** `[ovs] tunnel_bridge`, br-tun by default. */
  tunnelBridge: string
  /** The root-namespace device holding local_ip, when one does. */
  holder?: LinkDevice
  /** The OVS bridge whose internal port is `holder` (userspace tunnelling needs one). */
  holderBridge?: OvsBridge
  /** The NIC(s) the outer packets leave by: the system ports of `holderBridge`, or `holder` itself. */
  underlay: LinkDevice[]
  /** The smallest MTU on the way out (holder and underlay NICs), when known. */
  underlayMtu?: number
  evidence?: Evidence
}

export interface TunnelLink {
  port: TunnelPort
  /** The host whose endpoint is the port's remote_ip. */
  peer?: HostModel
  /** The peer's tunnel port of the same type back to this host's endpoint. */
  back?: TunnelPort
}

export function tunnelPorts(host: HostModel): TunnelPort[] {
  const out: TunnelPort[] = []
  for (const bridge of host.ovs?.bridges ?? []) {
    for (const port of bridge.ports) {
      for (const iface of port.interfaces) {
        if (!isTunnelType(iface.type)) continue
        out.push(tunnelPortOf(host, bridge, iface))
      }
    }
  }
  return out
}

function tunnelPortOf(host: HostModel, bridge: OvsBridge, iface: OvsInterface): TunnelPort {
  const ofport = iface.ofport ?? host.ofports.get(bridge.name)?.get(iface.name)
  return {
    host: host.name,
    bridge: bridge.name,
    name: iface.name,
    type: iface.type as TunnelType,
    ofport: ofport !== undefined && ofport >= 0 ? ofport : undefined,
    remoteIp: unquote(iface.options.remote_ip),
    localIp: unquote(iface.options.local_ip),
    options: iface.options,
  }
}

function unquote(v: string | undefined): string | undefined {
  return v?.replace(/^"|"$/g, '')
}

/** The device of the host's root namespace that holds `ip`. */
function deviceHolding(host: HostModel, ip: string): LinkDevice | undefined {
  return host.devices.get('')?.find((d) => d.addresses.some((a) => a.address === ip))
}

export function endpointOf(host: HostModel): Endpoint | undefined {
  const t = host.config.tunnel
  const types = (t?.tunnelTypes ?? []).filter(isTunnelType)
  if (!t || (!t.localIp && types.length === 0)) return undefined
  const ep: Endpoint = {
    host: host.name,
    localIp: t.localIp,
    types,
    l2Population: t.l2Population ?? false,
    arpResponder: t.arpResponder ?? false,
    tunnelBridge: t.tunnelBridge ?? 'br-tun',
    underlay: [],
    evidence: t.evidence,
  }
  return t.localIp ? {...ep, ...endpointAt(host, t.localIp)} : ep
}

/** Where the datapath of `host` sends and receives tunnel packets for the address `ip`: the device holding it, the
 * OVS bridge whose internal port that is, the NICs under it and the smallest MTU on the way out. */
export function endpointAt(
  host: HostModel,
  ip: string,
): Pick<Endpoint, 'holder' | 'holderBridge' | 'underlay' | 'underlayMtu'> {
  const holder = deviceHolding(host, ip)
  if (!holder) return {underlay: []}
  const out: Pick<Endpoint, 'holder' | 'holderBridge' | 'underlay' | 'underlayMtu'> = {holder, underlay: []}
  const ovs = findOvsInterface(host, holder.name)
  if (ovs && ovs.iface.type === 'internal') {
    out.holderBridge = ovs.bridge
    const root = host.devices.get('') ?? []
    for (const port of ovs.bridge.ports) {
      for (const iface of port.interfaces) {
        if (iface.type !== '' && iface.type !== 'system') continue
        const dev = root.find((d) => d.name === iface.name)
        if (dev) out.underlay.push(dev)
      }
    }
  } else out.underlay.push(holder)
  const mtus = [holder, ...out.underlay].map((d) => d.mtu).filter((m): m is number => m !== undefined)
  if (mtus.length) out.underlayMtu = Math.min(...mtus)
  return out
}

/** Endpoints of every host that runs tunnels, by host name. */
export function endpoints(model: ActualModel): Map<string, Endpoint> {
  const out = new Map<string, Endpoint>()
  for (const host of model.hosts) {
    const ep = endpointOf(host)
    if (ep) out.set(host.name, ep)
  }
  return out
}

/** The host whose agent uses `ip` as local_ip; else the host whose tunnel ports were made with local_ip `ip` and
 * which still holds it (an agent restarted with another local_ip refuses to start and leaves its ports working). */
export function hostOfEndpoint(model: ActualModel, ip: string): HostModel | undefined {
  return (
    model.hosts.find((h) => h.config.tunnel?.localIp === ip) ??
    model.hosts.find((h) => tunnelPorts(h).some((p) => p.localIp === ip) && deviceHolding(h, ip) !== undefined)
  )
}

/** Every tunnel port of every host, with the peer it reaches and the peer's port back. */
export function tunnelMesh(model: ActualModel): TunnelLink[] {
  const ports = model.hosts.flatMap((h) => tunnelPorts(h))
  return ports.map((port) => {
    const peer = port.remoteIp ? hostOfEndpoint(model, port.remoteIp) : undefined
    const mine = model.hosts.find((h) => h.name === port.host)?.config.tunnel?.localIp
    const back =
      peer && mine ? ports.find((p) => p.host === peer.name && p.type === port.type && p.remoteIp === mine) : undefined
    return {port, peer, back}
  })
}

/** The tunnel port of `host` (of `type`) whose remote_ip is `remoteIp`: where a frame from that endpoint comes in. */
export function tunnelPortTo(host: HostModel, type: string, remoteIp: string): TunnelPort | undefined {
  return tunnelPorts(host).find((p) => p.type === type && p.remoteIp === remoteIp)
}

/** Neutron's tunnel port name for an IPv4 remote endpoint: `<type>-<8 hex digits>` (get_tunnel_name). */
export function tunnelPortName(type: string, remoteIp: string): string | undefined {
  const parts = remoteIp.split('.').map(Number)
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined
  return `${type}-${parts.map((n) => n.toString(16).padStart(2, '0')).join('')}`
}
