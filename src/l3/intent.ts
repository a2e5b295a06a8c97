// Routers and floating IPs as Neutron's API and CLI print them (GET /v2.0/routers, /v2.0/floatingips; `openstack
// router|floating ip show -f json`): one record -> IntentRouter / IntentFloatingIp. The router's ports are ordinary
// ports (device_owner network:router_interface, network:router_gateway, network:ha_router_replicated_interface,
// device_id = the router), read by the port reader.

import type {IntentFloatingIp, IntentRouter, ParseProblem} from '../types.js'
import {type Loose, asBool, asText, isLoose, pick} from '../intent/values.js'
import {clip} from '../text.js'

export const ROUTER_MARKS = ['external_gateway_info', 'enable_ha', 'ha', 'distributed'] as const
export const FLOATING_IP_MARKS = ['floating_ip_address', 'floating_network_id', 'Floating IP Address'] as const

interface Ctx {
  line?: number
  problems: ParseProblem[]
}

function problem(ctx: Ctx, message: string, text?: string): void {
  ctx.problems.push({...(ctx.line !== undefined ? {line: ctx.line} : {}), ...(text ? {text: clip(text)} : {}), message})
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** `external_gateway_info`: {network_id, enable_snat, external_fixed_ips: [{subnet_id, ip_address}]}; null = none. */
function gatewayOf(raw: unknown, id: string, ctx: Ctx): IntentRouter['gateway'] {
  if (raw === null || raw === undefined || raw === '') return undefined
  if (!isLoose(raw)) {
    problem(ctx, `router ${id}: external_gateway_info is not an object`, JSON.stringify(raw))
    return undefined
  }
  const networkId = asText(raw.network_id)
  if (networkId === undefined) {
    problem(ctx, `router ${id}: external_gateway_info without network_id`, JSON.stringify(raw))
    return undefined
  }
  const fixedIps: {subnetId?: string; ipAddress: string}[] = []
  for (const item of Array.isArray(raw.external_fixed_ips) ? raw.external_fixed_ips : []) {
    const ipAddress = isLoose(item) ? asText(item.ip_address) : undefined
    if (ipAddress === undefined) {
      problem(ctx, `router ${id}: an external fixed IP without an address`, JSON.stringify(item))
      continue
    }
    const subnetId = asText((item as Loose).subnet_id)
    fixedIps.push(subnetId !== undefined ? {subnetId, ipAddress} : {ipAddress})
  }
  return compact({networkId, enableSnat: asBool(raw.enable_snat), fixedIps})
}

export function readRouter(rec: Loose, ctx: Ctx): IntentRouter | undefined {
  const id = asText(pick(rec, ['id', 'ID']))
  if (id === undefined) {
    problem(ctx, 'a router without an id is skipped')
    return undefined
  }
  const routes: IntentRouter['routes'] = []
  for (const r of Array.isArray(rec.routes) ? rec.routes : []) {
    const destination = isLoose(r) ? asText(r.destination) : undefined
    const nexthop = isLoose(r) ? asText(r.nexthop) : undefined
    if (destination === undefined || nexthop === undefined)
      problem(ctx, `router ${id}: a route without destination or nexthop`, JSON.stringify(r))
    else routes.push({destination, nexthop})
  }
  return compact<IntentRouter>({
    id,
    name: asText(pick(rec, ['name', 'Name'])),
    status: asText(pick(rec, ['status', 'Status'])),
    adminStateUp: asBool(pick(rec, ['admin_state_up', 'is_admin_state_up'])),
    gateway: gatewayOf(pick(rec, ['external_gateway_info']), id, ctx),
    routes,
    ha: asBool(pick(rec, ['ha', 'is_ha', 'enable_ha'])),
    distributed: asBool(pick(rec, ['distributed', 'is_distributed'])),
  })
}

export function readFloatingIp(rec: Loose, ctx: Ctx): IntentFloatingIp | undefined {
  const id = asText(pick(rec, ['id', 'ID']))
  const address = asText(pick(rec, ['floating_ip_address', 'Floating IP Address']))
  if (id === undefined || address === undefined) {
    problem(ctx, 'a floating IP without an id or an address is skipped')
    return undefined
  }
  return compact<IntentFloatingIp>({
    id,
    floatingIpAddress: address,
    floatingNetworkId: asText(pick(rec, ['floating_network_id', 'Floating Network'])),
    routerId: asText(pick(rec, ['router_id', 'Router'])),
    portId: asText(pick(rec, ['port_id', 'Port'])),
    fixedIpAddress: asText(pick(rec, ['fixed_ip_address', 'Fixed IP Address'])),
    status: asText(pick(rec, ['status', 'Status'])),
  })
}
