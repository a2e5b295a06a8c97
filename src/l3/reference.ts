// What Neutron intends for each router (issue 11), from the intent alone: the host that should hold it (the binding
// host of its ports: the L3 agent's host for a legacy router), its namespace, a qr- per interface with the subnet's
// gateway address, a qg- with the gateway address on the external network and the default route via the external
// subnet's gateway, SNAT for each internal subnet (unless disabled), DNAT+SNAT per floating IP, the metadata proxy.

import type {Intent, IntentSubnet} from '../types.js'
import {prefix} from './ip.js'

export interface RouterInterfaceView {
  portId: string
  /** qr-<port id[:11]> */
  dev: string
  networkId: string
  subnetId?: string
  ip: string
  /** The subnet's prefix (`198.19.201.0/24`), when the subnet is known. */
  cidr?: string
  prefixlen?: number
  mac?: string
}

export interface RouterGatewayView {
  portId?: string
  /** qg-<port id[:11]> */
  dev?: string
  networkId: string
  ip?: string
  prefixlen?: number
  cidr?: string
  /** The external subnet's gateway: the default route's next hop. */
  nextHop?: string
  mac?: string
  enableSnat: boolean
}

export interface FloatingIpView {
  id: string
  address: string
  fixed: string
  portId: string
}

export interface RouterView {
  id: string
  name?: string
  namespace: string
  /** The binding host of its ports (legacy router); undefined when Neutron does not say. */
  host?: string
  ha: boolean
  distributed: boolean
  adminUp: boolean
  interfaces: RouterInterfaceView[]
  gateway?: RouterGatewayView
  floatingIps: FloatingIpView[]
}

export const ROUTER_INTERFACE_OWNERS = [
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
]

function label(r: {id: string; name?: string}): string {
  return r.name ? `${r.name} (${r.id})` : r.id
}
export {label as routerLabel}

export function expectedRouters(intent: Intent): RouterView[] {
  const subnets = new Map<string, IntentSubnet>(intent.subnets.map((s) => [s.id, s]))
  const out: RouterView[] = []
  for (const r of intent.routers ?? []) {
    const ports = intent.ports.filter((p) => p.deviceId === r.id)
    const hosts = ports.map((p) => p.bindingHost).filter((h): h is string => Boolean(h))
    const interfaces: RouterInterfaceView[] = []
    for (const p of ports.filter((x) => ROUTER_INTERFACE_OWNERS.includes(x.deviceOwner ?? ''))) {
      for (const ip of p.fixedIps) {
        const s = ip.subnetId ? subnets.get(ip.subnetId) : undefined
        if (s?.ipVersion === 6 || ip.ipAddress.includes(':')) continue
        const len = s?.cidr ? prefix(s.cidr)?.len : undefined
        interfaces.push({
          portId: p.id,
          dev: `qr-${p.id.slice(0, 11)}`,
          networkId: p.networkId,
          ...(ip.subnetId ? {subnetId: ip.subnetId} : {}),
          ip: ip.ipAddress,
          ...(s?.cidr ? {cidr: s.cidr} : {}),
          ...(len !== undefined ? {prefixlen: len} : {}),
          ...(p.macAddress ? {mac: p.macAddress} : {}),
        })
      }
    }
    let gateway: RouterGatewayView | undefined
    if (r.gateway) {
      const gp = ports.find((p) => p.deviceOwner === 'network:router_gateway')
      const fixed =
        r.gateway.fixedIps.find((f) => !f.ipAddress.includes(':')) ??
        gp?.fixedIps.find((f) => !f.ipAddress.includes(':'))
      const s = fixed?.subnetId ? subnets.get(fixed.subnetId) : undefined
      const len = s?.cidr ? prefix(s.cidr)?.len : undefined
      gateway = {
        ...(gp ? {portId: gp.id, dev: `qg-${gp.id.slice(0, 11)}`, mac: gp.macAddress} : {}),
        networkId: r.gateway.networkId,
        ...(fixed ? {ip: fixed.ipAddress} : {}),
        ...(len !== undefined ? {prefixlen: len, cidr: s!.cidr} : {}),
        ...(s?.gatewayIp ? {nextHop: s.gatewayIp} : {}),
        enableSnat: r.gateway.enableSnat !== false,
      }
    }
    const floatingIps: FloatingIpView[] = []
    for (const f of intent.floatingIps ?? []) {
      if (f.routerId !== r.id || !f.portId || !f.fixedIpAddress) continue
      floatingIps.push({id: f.id, address: f.floatingIpAddress, fixed: f.fixedIpAddress, portId: f.portId})
    }
    out.push({
      id: r.id,
      ...(r.name ? {name: r.name} : {}),
      namespace: `qrouter-${r.id}`,
      ...(hosts.length
        ? {host: hosts.sort((a, b) => hosts.filter((h) => h === b).length - hosts.filter((h) => h === a).length)[0]}
        : {}),
      ha: r.ha === true,
      distributed: r.distributed === true,
      adminUp: r.adminStateUp !== false,
      interfaces,
      ...(gateway ? {gateway} : {}),
      floatingIps,
    })
  }
  return out
}
