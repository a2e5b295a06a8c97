// One record of any form -> the Intent types. The forms name the same field differently:
//   API body / `neutron … -show` table   `openstack … show -f json`   `openstack … list --long -f json`
//   provider:segmentation_id             provider:segmentation_id     (absent)
//   binding:host_id                      binding_host_id              (absent)
//   mac_address                          mac_address                  MAC Address
//   fixed_ips                            fixed_ips                    Fixed IP Addresses
//   OS-EXT-SRV-ATTR:host                 OS-EXT-SRV-ATTR:host         Host
// What a form lacks is recorded as an unknown (`segmentation_id of network <id>`), never guessed.

import type {IntentNetwork, IntentPort, IntentServer, IntentSubnet, ParseProblem} from '../types.js'
import {
  type Loose,
  asBool,
  asMapping,
  asStringList,
  asText,
  firstWord,
  has,
  isLoose,
  isNoneText,
  jsonInText,
  keyValueRecords,
  pick,
  readInt,
} from './values.js'
import {clip} from '../text.js'
import {readAddressPairs} from './security-groups.js'

import {FLOATING_IP_MARKS, ROUTER_MARKS} from '../l3/intent.js'

export type IntentKind =
  'network' | 'subnet' | 'port' | 'server' | 'security_group' | 'security_group_rule' | 'router' | 'floatingip'

/** Where a record came from and where its findings go. */
export interface ReadContext {
  /** 1-based line of the record, when known. */
  line?: number
  fieldLines?: Record<string, number>
  /** Table cells print None as an empty cell, so an empty cell may be a lost value rather than a known "none". */
  fromTable: boolean
  problems: ParseProblem[]
  unknowns: string[]
}

const ID = ['id', 'ID']
const NAME = ['name', 'Name']
const STATUS = ['status', 'Status']

const NET_ADMIN = ['admin_state_up', 'is_admin_state_up', 'State']
const NET_TYPE = ['provider:network_type', 'provider_network_type', 'Network Type']
const PHYSNET = ['provider:physical_network', 'provider_physical_network']
const SEGMENTATION = ['provider:segmentation_id', 'provider_segmentation_id']
const NET_SUBNETS = ['subnets', 'subnet_ids', 'Subnets']
const SHARED = ['shared', 'is_shared', 'Shared']

const NETWORK_ID = ['network_id', 'Network']
const CIDR = ['cidr', 'Subnet']
const GATEWAY = ['gateway_ip', 'Gateway']
const DHCP = ['enable_dhcp', 'is_dhcp_enabled', 'DHCP']
const IP_VERSION = ['ip_version', 'IP Version']
const POOLS = ['allocation_pools', 'Allocation Pools']

const MAC = ['mac_address', 'MAC Address']
const FIXED_IPS = ['fixed_ips', 'Fixed IP Addresses']
const OWNER = ['device_owner', 'Device Owner']
const DEVICE = ['device_id']
const BINDING_HOST = ['binding:host_id', 'binding_host_id']
const VIF_TYPE = ['binding:vif_type', 'binding_vif_type']
// Havana's binding:capabilities ({port_filter}) became binding:vif_details in Icehouse.
const VIF_DETAILS = ['binding:vif_details', 'binding_vif_details', 'binding:capabilities']
const PORT_ADMIN = ['admin_state_up', 'is_admin_state_up']
const PORT_SECURITY = ['port_security_enabled', 'is_port_security_enabled']
const SECURITY_GROUPS = ['security_groups', 'security_group_ids', 'Security Groups']
const ADDRESS_PAIRS = ['allowed_address_pairs', 'Allowed Address Pairs']

const SERVER_HOST = ['OS-EXT-SRV-ATTR:host', 'Host', 'compute_host']
const INSTANCE_NAME = ['OS-EXT-SRV-ATTR:instance_name', 'instance_name']
const ADDRESSES = ['addresses', 'Networks']
const MAC_OF_ADDRESS = 'OS-EXT-IPS-MAC:mac_addr'

const SERVER_MARKS = [
  'OS-EXT-SRV-ATTR:host',
  'OS-EXT-SRV-ATTR:instance_name',
  'OS-EXT-STS:vm_state',
  'addresses',
  'Networks',
  'Power State',
  'Task State',
  'flavor',
  'image',
  'hostId',
  'accessIPv4',
]
const PORT_MARKS = [...MAC, ...FIXED_IPS, ...OWNER, ...BINDING_HOST]
const SUBNET_MARKS = [...CIDR, ...POOLS, 'gateway_ip', 'enable_dhcp', 'ip_version']
const NETWORK_MARKS = [
  ...NET_TYPE,
  ...NET_SUBNETS,
  'router:external',
  'is_router_external',
  'segments',
  'mtu',
  'shared',
]

/** Networks without a segment: their segmentation id is known to be none. */
const UNSEGMENTED = new Set(['flat', 'local'])
/** Networks whose traffic leaves on a physical network (a bridge mapping). */
const ON_PHYSNET = new Set(['flat', 'vlan'])

/** What a record is, by the fields only that kind has; undefined when nothing tells. */
export function classify(rec: Loose): IntentKind | undefined {
  if (has(rec, FLOATING_IP_MARKS)) return 'floatingip'
  if (has(rec, ROUTER_MARKS)) return 'router'
  if (has(rec, SERVER_MARKS)) return 'server'
  if (has(rec, PORT_MARKS)) return 'port'
  if (has(rec, ['security_group_rules'])) return 'security_group'
  if (has(rec, ['direction']) && has(rec, ['ethertype', 'security_group_id'])) return 'security_group_rule'
  if (has(rec, SUBNET_MARKS)) return 'subnet'
  if (has(rec, NETWORK_MARKS)) return 'network'
  return undefined
}

/** The wording of an unknown; mergeIntent reads it back to drop the ones a later document answered. */
function unknownOf(field: string, kind: IntentKind, id: string): string {
  return `${field} of ${kind} ${id}`
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
}

function problem(ctx: ReadContext, keys: readonly string[], rec: Loose, message: string): void {
  const key = keys.find((k) => rec[k] !== undefined)
  const line = (key !== undefined ? ctx.fieldLines?.[key] : undefined) ?? ctx.line
  const text = key !== undefined ? clip(`${key}: ${show(rec[key])}`) : undefined
  ctx.problems.push({...(line !== undefined ? {line} : {}), ...(text !== undefined ? {text} : {}), message})
}

/** Drops the keys whose value is undefined, so records compare and print cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

function idOf(rec: Loose, kind: IntentKind, ctx: ReadContext): string | undefined {
  const id = asText(pick(rec, ID))
  if (id === undefined) problem(ctx, ID, rec, `a ${kind} without an id is skipped`)
  return id
}

// ---------------------------------------------------------------------------------------------------------------------
// Networks

/** Multi-provider networks carry their segments in `segments`; the first stands for the network. */
function providerSource(rec: Loose, id: string, ctx: ReadContext): Loose {
  if (has(rec, [...NET_TYPE, ...SEGMENTATION])) return rec
  const segments = pick(rec, ['segments'])
  if (!Array.isArray(segments) || segments.length === 0 || !isLoose(segments[0])) return rec
  if (segments.length > 1) {
    problem(ctx, ['segments'], rec, `network ${id} has ${segments.length} segments; only the first is modelled`)
  }
  return segments[0]
}

/** The segmentation ids Neutron accepts per network type: a VLAN id, a 24-bit VNI, a 32-bit GRE key. */
const SEGMENT_MAX: Record<string, number> = {vlan: 4094, vxlan: 0xffffff, geneve: 0xffffff, gre: 0xffffffff}

function segmentationOf(src: Loose, type: string | undefined, id: string, ctx: ReadContext): number | null | undefined {
  const unknown = unknownOf('segmentation_id', 'network', id)
  if (!has(src, SEGMENTATION)) {
    if (type !== undefined && UNSEGMENTED.has(type)) return null
    ctx.unknowns.push(unknown)
    return undefined
  }
  const raw = pick(src, SEGMENTATION)
  const reading = readInt(raw)
  if (reading.kind === 'int') {
    const max = SEGMENT_MAX[type ?? ''] ?? 0xffffffff
    if (reading.value >= 1 && reading.value <= max) return reading.value
    problem(ctx, SEGMENTATION, src, `network ${id}: segmentation id ${reading.value} out of range (1–${max})`)
    ctx.unknowns.push(unknown)
    return undefined
  }
  if (reading.kind === 'invalid') {
    problem(ctx, SEGMENTATION, src, `network ${id}: segmentation id is not a number`)
    ctx.unknowns.push(unknown)
    return undefined
  }
  // JSON null is the API's own "none"; an empty table cell only is one for networks that cannot have a segment.
  if (raw === null && !ctx.fromTable) return null
  if (type !== undefined && UNSEGMENTED.has(type)) return null
  if (type !== undefined)
    problem(ctx, SEGMENTATION, src, `network ${id}: a ${type} network with an empty segmentation id`)
  ctx.unknowns.push(unknown)
  return undefined
}

export function readNetwork(rec: Loose, ctx: ReadContext): IntentNetwork | undefined {
  const id = idOf(rec, 'network', ctx)
  if (id === undefined) return undefined
  const src = providerSource(rec, id, ctx)
  const networkType = asText(pick(src, NET_TYPE))?.toLowerCase()
  if (networkType === undefined) ctx.unknowns.push(unknownOf('network_type', 'network', id))
  let physicalNetwork: string | undefined
  if (has(src, PHYSNET)) physicalNetwork = asText(pick(src, PHYSNET))
  else if (networkType === undefined || ON_PHYSNET.has(networkType))
    ctx.unknowns.push(unknownOf('physical_network', 'network', id))
  const mtu = readInt(pick(rec, ['mtu']))
  if (mtu.kind === 'int' && mtu.value > 0x7fffffff) problem(ctx, ['mtu'], rec, `network ${id}: mtu out of range`)
  return compact<IntentNetwork>({
    id,
    name: asText(pick(rec, NAME)),
    adminStateUp: asBool(pick(rec, NET_ADMIN)),
    status: asText(pick(rec, STATUS)),
    networkType,
    physicalNetwork,
    segmentationId: segmentationOf(src, networkType, id, ctx),
    mtu: mtu.kind === 'int' && mtu.value <= 0x7fffffff ? mtu.value : undefined,
    subnets: asStringList(pick(rec, NET_SUBNETS)).map(firstWord),
    shared: asBool(pick(rec, SHARED)),
  })
}

// ---------------------------------------------------------------------------------------------------------------------
// Subnets

type Pool = {start: string; end: string}

function poolFrom(value: unknown): Pool | undefined {
  if (isLoose(value)) {
    const start = asText(value.start)
    const end = asText(value.end)
    return start !== undefined && end !== undefined ? {start, end} : undefined
  }
  if (typeof value !== 'string') return undefined
  const json = jsonInText(value)
  if (json !== undefined) return poolFrom(json)
  // OSC's human-readable `10.0.0.2-10.0.0.254`
  const range = /^\s*([0-9A-Fa-f.:]+)\s*-\s*([0-9A-Fa-f.:]+)\s*$/.exec(value)
  return range ? {start: range[1], end: range[2]} : undefined
}

function readPools(rec: Loose, id: string, ctx: ReadContext): Pool[] | undefined {
  const raw = pick(rec, POOLS)
  if (raw === undefined || raw === null) return undefined
  const json = typeof raw === 'string' ? jsonInText(raw) : undefined
  const items: unknown[] = Array.isArray(raw)
    ? raw
    : Array.isArray(json)
      ? json
      : typeof raw === 'string'
        ? raw.split(/\n|,(?=\s*[\d{[])/).filter((s) => s.trim() !== '')
        : [raw]
  const pools: Pool[] = []
  for (const item of items) {
    const pool = poolFrom(item)
    if (pool) pools.push(pool)
    else problem(ctx, POOLS, rec, `subnet ${id}: an allocation pool without a start or end: ${clip(show(item))}`)
  }
  return pools
}

export function readSubnet(rec: Loose, ctx: ReadContext): IntentSubnet | undefined {
  const id = idOf(rec, 'subnet', ctx)
  if (id === undefined) return undefined
  const networkId = asText(pick(rec, NETWORK_ID)) ?? ''
  if (networkId === '') ctx.unknowns.push(unknownOf('network_id', 'subnet', id))

  const cidr = asText(pick(rec, CIDR))
  if (cidr === undefined) {
    if (has(rec, CIDR)) problem(ctx, CIDR, rec, `subnet ${id}: the cidr is empty`)
    ctx.unknowns.push(unknownOf('cidr', 'subnet', id))
  } else if (!cidr.includes('/')) {
    problem(ctx, CIDR, rec, `subnet ${id}: cidr ${cidr} has no prefix length`)
  }

  let gatewayIp: string | null | undefined
  const gatewayRaw = pick(rec, GATEWAY)
  if (gatewayRaw === null) gatewayIp = null
  else if (typeof gatewayRaw === 'string' && isNoneText(gatewayRaw.trim())) gatewayIp = ctx.fromTable ? undefined : null
  else gatewayIp = asText(gatewayRaw)
  if (gatewayIp === undefined) ctx.unknowns.push(unknownOf('gateway_ip', 'subnet', id))

  const ipVersion = readInt(pick(rec, IP_VERSION))
  if (ipVersion.kind === 'int' && ipVersion.value !== 4 && ipVersion.value !== 6)
    problem(ctx, IP_VERSION, rec, `subnet ${id}: ip_version ${ipVersion.value} is neither 4 nor 6`)
  return compact<IntentSubnet>({
    id,
    networkId,
    name: asText(pick(rec, NAME)),
    cidr,
    gatewayIp,
    enableDhcp: asBool(pick(rec, DHCP)),
    ipVersion:
      ipVersion.kind === 'int' && (ipVersion.value === 4 || ipVersion.value === 6) ? ipVersion.value : undefined,
    allocationPools: readPools(rec, id, ctx),
  })
}

// ---------------------------------------------------------------------------------------------------------------------
// Ports

type FixedIp = IntentPort['fixedIps'][number]

function fixedIpRecords(raw: unknown): Record<string, unknown>[] {
  if (Array.isArray(raw))
    return raw.flatMap((item) => (isLoose(item) ? [item] : typeof item === 'string' ? keyValueRecords(item) : []))
  if (isLoose(raw)) return [raw]
  if (typeof raw === 'string') return keyValueRecords(raw)
  return []
}

function readFixedIps(rec: Loose, id: string, ctx: ReadContext): FixedIp[] {
  const raw = pick(rec, FIXED_IPS)
  const records = fixedIpRecords(raw)
  const empty =
    raw === undefined ||
    raw === null ||
    (typeof raw === 'string' && raw.trim() === '') ||
    (Array.isArray(raw) && raw.length === 0)
  if (records.length === 0 && !empty) problem(ctx, FIXED_IPS, rec, `port ${id}: cannot read the fixed IPs`)
  const ips: FixedIp[] = []
  for (const r of records) {
    const ipAddress = asText(r.ip_address)
    const subnetId = asText(r.subnet_id)
    if (ipAddress === undefined) {
      problem(
        ctx,
        FIXED_IPS,
        rec,
        `port ${id}: a fixed IP without an address${subnetId ? ` (subnet ${subnetId})` : ''}`,
      )
      continue
    }
    ips.push(subnetId !== undefined ? {subnetId, ipAddress} : {ipAddress})
  }
  return ips
}

export function readPort(rec: Loose, ctx: ReadContext): IntentPort | undefined {
  const id = idOf(rec, 'port', ctx)
  if (id === undefined) return undefined
  const networkId = asText(pick(rec, NETWORK_ID)) ?? ''
  if (networkId === '') ctx.unknowns.push(unknownOf('network_id', 'port', id))

  const macAddress = asText(pick(rec, MAC))?.toLowerCase() ?? ''
  if (macAddress === '') {
    if (has(rec, MAC)) problem(ctx, MAC, rec, `port ${id}: the MAC address is empty`)
    ctx.unknowns.push(unknownOf('mac_address', 'port', id))
  }

  // An empty binding host is Neutron's "not bound" (known); a form without the field knows nothing.
  let bindingHost: string | undefined
  if (has(rec, BINDING_HOST)) bindingHost = asText(pick(rec, BINDING_HOST)) ?? ''
  else ctx.unknowns.push(unknownOf('binding:host_id', 'port', id))

  const vifDetails = asMapping(pick(rec, VIF_DETAILS))
  return compact<IntentPort>({
    id,
    networkId,
    name: asText(pick(rec, NAME)),
    macAddress,
    fixedIps: readFixedIps(rec, id, ctx),
    deviceOwner: asText(pick(rec, OWNER)),
    deviceId: asText(pick(rec, DEVICE)),
    bindingHost,
    vifType: asText(pick(rec, VIF_TYPE)),
    vifDetails: vifDetails && Object.keys(vifDetails).length > 0 ? vifDetails : undefined,
    status: asText(pick(rec, STATUS)),
    adminStateUp: asBool(pick(rec, PORT_ADMIN)),
    portSecurityEnabled: asBool(pick(rec, PORT_SECURITY)),
    securityGroups: has(rec, SECURITY_GROUPS) ? asStringList(pick(rec, SECURITY_GROUPS)) : undefined,
    allowedAddressPairs: readAddressPairs(pick(rec, ADDRESS_PAIRS)),
  })
}

// ---------------------------------------------------------------------------------------------------------------------
// Servers

type Addresses = IntentServer['addresses']

function addressFrom(item: unknown): {addr: string; mac?: string} | undefined {
  if (isLoose(item)) {
    const addr = asText(item.addr)
    const mac = asText(item[MAC_OF_ADDRESS])?.toLowerCase()
    return addr === undefined ? undefined : mac !== undefined ? {addr, mac} : {addr}
  }
  const addr = asText(item)
  return addr === undefined ? undefined : {addr}
}

/** `net1=10.0.0.3, 172.24.4.5; net2=10.1.0.4` (nova list, OSC human-readable) */
function addressesFromText(text: string, rec: Loose, id: string, ctx: ReadContext): Addresses {
  const result: Addresses = {}
  for (const entry of text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const eq = entry.indexOf('=')
    if (eq <= 0) {
      problem(ctx, ADDRESSES, rec, `server ${id}: cannot read network addresses "${clip(entry)}"`)
      continue
    }
    const network = entry.slice(0, eq).trim()
    const addrs = asStringList(entry.slice(eq + 1)).map((addr) => ({addr}))
    if (addrs.length === 0) problem(ctx, ADDRESSES, rec, `server ${id}: no address for network ${network}`)
    result[network] = [...(result[network] ?? []), ...addrs]
  }
  return result
}

function readAddresses(rec: Loose, id: string, ctx: ReadContext): Addresses {
  const raw = pick(rec, ADDRESSES)
  if (typeof raw === 'string') {
    const json = jsonInText(raw)
    return isLoose(json) ? readAddressMap(json, rec, id, ctx) : addressesFromText(raw, rec, id, ctx)
  }
  return isLoose(raw) ? readAddressMap(raw, rec, id, ctx) : {}
}

function readAddressMap(map: Loose, rec: Loose, id: string, ctx: ReadContext): Addresses {
  const result: Addresses = {}
  for (const [network, list] of Object.entries(map)) {
    const items = Array.isArray(list) ? list : typeof list === 'string' ? list.split(',') : [list]
    const addrs = items.map(addressFrom).filter((a): a is {addr: string; mac?: string} => a !== undefined)
    if (addrs.length < items.length || addrs.length === 0)
      problem(ctx, ADDRESSES, rec, `server ${id}: an empty address on network ${network}`)
    result[network] = addrs
  }
  return result
}

export function readServer(rec: Loose, ctx: ReadContext): IntentServer | undefined {
  const id = idOf(rec, 'server', ctx)
  if (id === undefined) return undefined
  let host: string | undefined
  if (has(rec, SERVER_HOST)) host = asText(pick(rec, SERVER_HOST))
  else ctx.unknowns.push(unknownOf('host', 'server', id))
  return compact<IntentServer>({
    id,
    name: asText(pick(rec, NAME)),
    status: asText(pick(rec, STATUS)),
    host,
    instanceName: asText(pick(rec, INSTANCE_NAME)),
    addresses: readAddresses(rec, id, ctx),
  })
}
