// The reference model: what each host should have, from Neutron's intent and the agents' conventions
// (shared/reference/neutron-wiring.md). Without intent, what can be inferred from the hosts themselves is used, marked
// 'inferred'.

import {expectedRouters, type RouterView} from '../l3/reference.js'
import type {Intent, IntentSecurityGroup, OvsInterface} from '../types.js'
import {type ActualModel, type HostModel, findDevice, hostNamed, isVif} from './actual.js'

type Source = 'intent' | 'inferred'

export interface NetworkView {
  id: string
  name?: string
  /** vlan, flat, vxlan, gre, geneve, local; undefined = unknown */
  type?: string
  physnet?: string
  /** undefined = unknown, null = none (flat) */
  segmentationId?: number | null
  /** The network's MTU as Neutron computed it (intent), when known. */
  mtu?: number
  dhcp?: boolean
  source: Source
}

type Plug = 'hybrid' | 'native' | 'vhostuser' | 'dhcp' | 'unknown'

export interface PortView {
  /** Full uuid when known; the 11-character device prefix otherwise (e.g. `53903a95-82`). */
  id: string
  /** The 11-character prefix Nova/Neutron put into device names. */
  short: string
  networkId?: string
  mac?: string
  ips: string[]
  owner?: string
  host?: string
  deviceId?: string
  vmName?: string
  /** The Neutron port's own name, when intent has one (`openstack port create --name`). */
  name?: string
  plug: Plug
  /** Port status/admin state known and active */
  active?: boolean
  /** Security: the port's groups, port_security_enabled and allowed address pairs, when intent says. */
  security?: {groups?: string[]; enabled?: boolean; pairs?: {ipAddress: string; macAddress?: string}[]}
  source: Source
}

export interface ReferenceModel {
  networks: Map<string, NetworkView>
  ports: PortView[]
  intentKnown: boolean
  /** Security groups by id, when intent lists them. */
  securityGroups?: Map<string, IntentSecurityGroup>
  /** What Neutron intends for each router (issue 11); empty without routers in the intent. */
  routers: RouterView[]
  /** Facts that could not be learned: shown to the user so silence is not mistaken for health. */
  unknowns: string[]
}

export const DEAD_VLAN = 4095

function shortId(id: string): string {
  return id.slice(0, 11)
}

export function devicesOf(port: PortView): {tap: string; qbr: string; qvb: string; qvo: string} {
  return {tap: `tap${port.short}`, qbr: `qbr${port.short}`, qvb: `qvb${port.short}`, qvo: `qvo${port.short}`}
}

/** The name of the DHCP port's device: `tap` + port id cut to 14 characters. */
export function dhcpDeviceOf(port: PortView): string {
  return `tap${port.id}`.slice(0, 14)
}

const byMacs = new WeakMap<ReferenceModel, {count: number; ports: Map<string, PortView>}>()

/** The first port of the reference with this MAC (lower case), from an index built once per reference. */
export function portByMac(ref: ReferenceModel, mac: string): PortView | undefined {
  let have = byMacs.get(ref)
  if (have?.count !== ref.ports.length) {
    have = {count: ref.ports.length, ports: new Map()}
    for (const p of ref.ports) if (p.mac !== undefined && !have.ports.has(p.mac)) have.ports.set(p.mac, p)
    byMacs.set(ref, have)
  }
  return have.ports.get(mac)
}

export function isComputePort(port: PortView): boolean {
  return port.owner === undefined ? port.plug !== 'dhcp' : port.owner.startsWith('compute:')
}

export function isDhcpPort(port: PortView): boolean {
  return port.owner === 'network:dhcp' || port.plug === 'dhcp'
}

function plugFromVif(details?: Record<string, unknown>, vifType?: string): Plug {
  if (vifType === 'vhostuser') return 'vhostuser'
  if (!details) return 'unknown'
  const hybrid = details.ovs_hybrid_plug ?? details.port_filter
  return hybrid === true || hybrid === 'True' || hybrid === 'true' ? 'hybrid' : 'native'
}

function fromIntent(intent: Intent): ReferenceModel {
  const networks = new Map<string, NetworkView>()
  const dhcpNets = new Set(intent.subnets.filter((s) => s.enableDhcp !== false).map((s) => s.networkId))
  for (const n of intent.networks) {
    networks.set(n.id, {
      id: n.id,
      name: n.name,
      type: n.networkType,
      physnet: n.physicalNetwork,
      segmentationId: n.segmentationId,
      mtu: n.mtu,
      dhcp: intent.subnets.length ? dhcpNets.has(n.id) : undefined,
      source: 'intent',
    })
  }
  const servers = new Map<string | undefined, (typeof intent.servers)[number]>()
  for (const s of intent.servers) if (!servers.has(s.id)) servers.set(s.id, s)
  const ports: PortView[] = intent.ports.map((p) => {
    const owner = p.deviceOwner
    const server = servers.get(p.deviceId)
    return {
      id: p.id,
      short: shortId(p.id),
      networkId: p.networkId,
      mac: p.macAddress?.toLowerCase(),
      ips: p.fixedIps.map((f) => f.ipAddress),
      owner,
      host: p.bindingHost || undefined,
      deviceId: p.deviceId,
      vmName: server?.name,
      ...(p.name ? {name: p.name} : {}),
      plug: owner === 'network:dhcp' ? 'dhcp' : plugFromVif(p.vifDetails, p.vifType),
      active: p.status === undefined ? undefined : p.status === 'ACTIVE' && p.adminStateUp !== false,
      ...(p.securityGroups || p.portSecurityEnabled !== undefined || p.allowedAddressPairs
        ? {
            security: {
              ...(p.securityGroups ? {groups: p.securityGroups} : {}),
              ...(p.portSecurityEnabled !== undefined ? {enabled: p.portSecurityEnabled} : {}),
              ...(p.allowedAddressPairs ? {pairs: p.allowedAddressPairs} : {}),
            },
          }
        : {}),
      source: 'intent',
    }
  })
  // Nova may know a VM's port when the port listing was not exported.
  const macs = new Set(ports.map((p) => p.mac))
  const byName = new Map<string | undefined, (typeof intent.networks)[number]>()
  for (const n of intent.networks) if (!byName.has(n.name)) byName.set(n.name, n)
  for (const s of intent.servers) {
    for (const [netName, addrs] of Object.entries(s.addresses)) {
      for (const a of addrs) {
        if (!a.mac || macs.has(a.mac.toLowerCase())) continue
        macs.add(a.mac.toLowerCase())
        const net = byName.get(netName)
        ports.push({
          id: '',
          short: '',
          networkId: net?.id,
          mac: a.mac.toLowerCase(),
          ips: [a.addr],
          owner: 'compute:nova',
          host: s.host,
          deviceId: s.id,
          vmName: s.name,
          plug: 'unknown',
          source: 'intent',
        })
      }
    }
  }
  return {
    routers: [],
    networks,
    ports,
    intentKnown: intent.networks.length > 0 || intent.ports.length > 0,
    ...(intent.securityGroups ? {securityGroups: new Map(intent.securityGroups.map((g) => [g.id, g]))} : {}),
    unknowns: [...intent.unknowns],
  }
}

const QDHCP = /^qdhcp-([0-9a-f-]{36})$/
const PREFIXED = /^(tap|qvo|qvb|qbr|vhu)([0-9a-f]{8}-[0-9a-f]{2})$/

/** Add to the reference what the hosts themselves say, never overriding intent. */
function inferFromHosts(ref: ReferenceModel, actual: ActualModel): void {
  // The first port with a given MAC or short id, kept up to date as ports are added or learn one (a scan of
  // ref.ports per lookup made this quadratic in the ports of the cloud).
  const macs = new Map<string, PortView>()
  const shorts = new Map<string, PortView>()
  const index = (p: PortView) => {
    if (p.mac !== undefined && !macs.has(p.mac)) macs.set(p.mac, p)
    if (!shorts.has(p.short)) shorts.set(p.short, p)
  }
  for (const p of ref.ports) index(p)
  const byShort = (short: string) => shorts.get(short)
  const byMac = (mac: string) => macs.get(mac)
  const network = (id: string): NetworkView => {
    let n = ref.networks.get(id)
    if (!n) {
      n = {id, source: 'inferred'}
      ref.networks.set(id, n)
    }
    return n
  }
  const addPort = (p: PortView): PortView => {
    const have = (p.mac && byMac(p.mac)) || (p.short && byShort(p.short))
    if (!have) {
      ref.ports.push(p)
      index(p)
      return p
    }
    if (have.source === 'inferred') {
      if (p.id.length > have.id.length) have.id = p.id
      have.mac ??= p.mac
      have.networkId ??= p.networkId
      have.host ??= p.host
      have.deviceId ??= p.deviceId
      if (have.plug === 'unknown') have.plug = p.plug
      if (!have.ips.length) have.ips = p.ips
    } else if (!have.short && p.short) {
      have.short = p.short
      if (!have.id) have.id = p.id
    }
    index(have)
    return have
  }

  for (const host of actual.hosts) {
    // DHCP namespaces and files name their networks.
    for (const ns of host.namespaces ?? []) {
      const m = QDHCP.exec(ns.name)
      if (m) network(m[1]).dhcp ??= true
    }
    for (const id of host.dhcp.keys()) network(id).dhcp ??= true
    // OVS ports: external_ids and the agent's other_config.
    for (const bridge of host.ovs?.bridges ?? []) {
      for (const port of bridge.ports) {
        for (const iface of port.interfaces) {
          const inferred = portFromIface(host, iface, port.otherConfig)
          if (!inferred) continue
          const view = addPort(inferred)
          const oc = port.otherConfig
          if (oc.net_uuid) {
            view.networkId ??= oc.net_uuid
            const n = network(oc.net_uuid)
            if (n.source === 'inferred') {
              n.type ??= oc.network_type
              if (oc.physical_network && oc.physical_network !== 'None') n.physnet ??= oc.physical_network
              if (oc.segmentation_id && /^\d+$/.test(oc.segmentation_id))
                n.segmentationId ??= Number(oc.segmentation_id)
            }
          }
        }
      }
    }
    // libvirt: VM MACs and tap names.
    for (const vm of host.vms) {
      for (const nic of vm.domain.interfaces) {
        const dev = nic.targetDev ?? nic.sourceBridge
        const m = dev ? PREFIXED.exec(dev) : undefined
        const id = nic.virtualPort?.interfaceId ?? (m ? m[2] : '')
        if (!id && !nic.mac) continue
        addPort({
          id,
          short: shortId(id),
          mac: nic.mac?.toLowerCase(),
          ips: [],
          host: host.name,
          deviceId: vm.domain.uuid,
          vmName: vm.domain.novaName ?? vm.domain.name,
          owner: 'compute:nova',
          plug:
            nic.type === 'vhostuser'
              ? 'vhostuser'
              : nic.virtualPort
                ? 'native'
                : nic.sourceBridge?.startsWith('qbr')
                  ? 'hybrid'
                  : 'unknown',
          source: 'inferred',
        })
      }
    }
  }
  // Host files tie MACs to networks and IPs.
  for (const host of actual.hosts) {
    for (const files of host.dhcp.values()) {
      for (const e of files.hosts?.entries ?? []) {
        const p = byMac(e.mac.toLowerCase())
        if (p && p.source === 'inferred') {
          p.networkId ??= files.networkId
          if (!p.ips.length) p.ips = [e.ip]
        }
      }
    }
  }
}

function portFromIface(
  host: HostModel,
  iface: OvsInterface,
  otherConfig: Record<string, string>,
): PortView | undefined {
  const ids = iface.externalIds
  const m = PREFIXED.exec(iface.name)
  const inNs = findDevice(host, iface.name)
  const qdhcp = inNs ? QDHCP.exec(inNs.netns) : null
  if (isVif(iface)) {
    const id = ids['iface-id']
    const dhcp = iface.type === 'internal' || Boolean(qdhcp)
    return {
      id,
      short: shortId(id),
      mac: ids['attached-mac'].toLowerCase(),
      ips: [],
      host: host.name,
      deviceId: ids['vm-uuid'] ?? ids['vm-id'],
      networkId: otherConfig.net_uuid ?? qdhcp?.[1],
      owner: dhcp ? 'network:dhcp' : 'compute:nova',
      plug: dhcp ? 'dhcp' : m?.[1] === 'qvo' ? 'hybrid' : m?.[1] === 'vhu' ? 'vhostuser' : 'native',
      source: 'inferred',
    }
  }
  if (!m) return undefined
  // No external_ids (the seed's `ovs-vsctl show`): fall back on the naming convention.
  if (m[1] === 'tap' && (iface.type === 'internal' || qdhcp)) {
    return {
      id: m[2],
      short: m[2],
      ips: [],
      host: host.name,
      networkId: qdhcp?.[1],
      owner: 'network:dhcp',
      plug: 'dhcp',
      mac: inNs?.device.mac?.toLowerCase(),
      source: 'inferred',
    }
  }
  if (m[1] === 'qvo')
    return {id: m[2], short: m[2], ips: [], host: host.name, owner: 'compute:nova', plug: 'hybrid', source: 'inferred'}
  return undefined
}

export function buildReferenceModel(actual: ActualModel, intent?: Intent): ReferenceModel {
  const ref: ReferenceModel = intent
    ? fromIntent(intent)
    : {networks: new Map(), ports: [], intentKnown: false, unknowns: [], routers: []}
  // OpenStack names a host as its agents report it (their hostname); the reference speaks in the snapshot's labels.
  for (const p of ref.ports) if (p.host !== undefined) p.host = hostNamed(actual, p.host)?.name ?? p.host
  ref.routers = intent ? expectedRouters(intent) : []
  for (const r of ref.routers) if (r.host !== undefined) r.host = hostNamed(actual, r.host)?.name ?? r.host
  inferFromHosts(ref, actual)
  for (const n of ref.networks.values()) {
    if (n.segmentationId === undefined && (n.type === undefined || n.type === 'vlan')) {
      const what = `segmentation id of network ${n.name ?? n.id}`
      if (!ref.unknowns.includes(what)) ref.unknowns.push(what)
    }
  }
  if (!ref.intentKnown)
    ref.unknowns.push(
      'Neutron intent (no intent/ folder or --intent): expectations inferred from the hosts, faults only where the hosts contradict themselves',
    )
  return ref
}
