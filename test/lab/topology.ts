// The lab's plan: from LabOptions to every name, id, address and VLAN the lab will create. Pure and deterministic:
// the same options (and seed) always give the same plan, so a fault or a test can name elements before they exist.

import {createHash} from 'node:crypto'
import type {Role} from '../../src/specs.js'

export type NetworkType = 'vlan' | 'flat'
export type PlugMode = 'hybrid' | 'native'
export type IntPhyLink = 'veth' | 'patch'

export interface NetworkOptions {
  name: string
  /** Neutron network uuid; seeded when absent (net1 defaults to the seed's network). */
  uuid?: string
  subnetUuid?: string
  type?: NetworkType
  /** VLAN id on the physical network; ignored for flat. Defaults to 1000 + index. */
  segmentationId?: number
  /** A /24 inside 198.19.0.0/16; defaults to 198.19.<index+1>.0/24. */
  cidr?: string
}

export interface LabOptions {
  computeNodes: number
  networks: NetworkOptions[]
  vmsPerNodePerNetwork: number
  /** First local VLAN on each kind of host; network i gets base + i (the seed: 1 on control, 3 on compute). */
  localVlanBase: {control: number; compute: number}
  /** Explicit local VLANs: host name -> network name -> VLAN. Wins over localVlanBase. */
  localVlans: Record<string, Record<string, number>>
  physicalBridge: string
  physicalNic: string
  physnet: string
  plug: PlugMode
  intPhyLink: IntPhyLink
  /** Seed for the random-but-repeatable ids and MACs. */
  seed: string
  /** Lab slot: names the lab directory, the management bridge and subnet 198.18.<slot>.0/24. Auto when absent. */
  slot?: number
  /** Directory holding the labs; default $NEUTRACE_LAB_DIR or /tmp/neutrace-lab. */
  rootDir?: string
  /** Keep running after the starting process exits (lab:up). Otherwise the nodes die with their starter. */
  persistent: boolean
  /** Let every VM take its lease with udhcpc at start and configure it (checks the data path end to end). */
  dhcpOnStart: boolean
}

export const SEED_NETWORK_ID = '5f833617-6179-4797-b7c0-7d420d84040c'
export const SEED_SUBNET_ID = '2d7a0a58-0674-439a-ad23-d6471aaae9bc'
export const SEED_TENANT_ID = '9796e5145ee546508939cd49ad59d51f'

/** The seed's network (VLAN 1000), and the second VLAN and the flat network the multi-network labs add. */
export const LAB_NET1: NetworkOptions = {
  name: 'net1',
  uuid: SEED_NETWORK_ID,
  subnetUuid: SEED_SUBNET_ID,
  type: 'vlan',
  segmentationId: 1000,
  cidr: '198.19.1.0/24',
}
export const LAB_NET2: NetworkOptions = {
  name: 'net2',
  uuid: 'a3c5e7f9-1b2d-4e6f-8a0c-2e4f6a8c0e13',
  subnetUuid: 'b4d6f8a0-2c3e-4f7a-9b1d-3f5a7b9d1f24',
  type: 'vlan',
  segmentationId: 1001,
  cidr: '198.19.2.0/24',
}
export const LAB_FLAT1: NetworkOptions = {
  name: 'flat1',
  uuid: 'c5e7a9b1-3d4f-4a8b-8c2e-4a6c8e0a2c35',
  subnetUuid: 'd6f8b0c2-4e5a-4b9c-9d3f-5b7d9f1b3d46',
  type: 'flat',
  cidr: '198.19.3.0/24',
}

export const DEFAULT_OPTIONS: LabOptions = {
  computeNodes: 1,
  networks: [LAB_NET1],
  vmsPerNodePerNetwork: 1,
  localVlanBase: {control: 1, compute: 3},
  localVlans: {},
  physicalBridge: 'br-eth2',
  physicalNic: 'eth2',
  physnet: 'default',
  plug: 'hybrid',
  intPhyLink: 'veth',
  seed: 'neutrace-lab',
  persistent: false,
  dhcpOnStart: true,
}

export interface PlanNode {
  name: string
  roles: Role[]
  /** Management address (sshd listens here). */
  address: string
  /** Position in the node list: 0 = control. */
  index: number
  /** network id -> local VLAN, only for networks with a port on this host. */
  localVlans: Record<string, number>
}

export interface PlanPort {
  id: string
  networkId: string
  mac: string
  ip: string
  deviceOwner: 'compute:nova' | 'network:dhcp'
  deviceId: string
  host: string
  /** tap + id[:11]: the VM's tap or the DHCP namespace's device. */
  tap: string
}

export interface PlanNetwork {
  name: string
  id: string
  subnetId: string
  type: NetworkType
  segmentationId: number | null
  cidr: string
  prefixLen: number
  networkAddress: string
  gateway: string
  broadcast: string
  poolStart: string
  poolEnd: string
  dhcpPort: PlanPort
  netns: string
}

export interface PlanVm {
  uuid: string
  name: string
  instanceName: string
  host: string
  network: string
  networkId: string
  port: PlanPort
  /** The namespace standing in for the guest, inside the compute node. */
  netns: string
  tap: string
  qbr: string
  qvb: string
  qvo: string
  /** The guest's NIC inside netns. */
  guestDev: string
  /** libvirt gives the host side of a tap the guest MAC with fe: as first byte. */
  tapMac: string
}

export interface LabPlan {
  options: LabOptions
  slot: number
  tenantId: string
  mgmt: {bridge: string; rootAddress: string; prefixLen: number; subnet: string}
  nodes: PlanNode[]
  networks: PlanNetwork[]
  vms: PlanVm[]
  /** int-<bridge> / phy-<bridge> (all names here are short enough for the 15-character rule). */
  intPort: string
  phyPort: string
  switchName: string
}

/** A stable v4-form uuid from the seed and a label: adding a network never renumbers another one's ports. */
export function seededUuid(seed: string, label: string): string {
  const h = createHash('sha256').update(`${seed}/${label}`).digest()
  h[6] = (h[6]! & 0x0f) | 0x40
  h[8] = (h[8]! & 0x3f) | 0x80
  const hex = h.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** A Neutron-style MAC (fa:16:3e prefix) from the seed and a label. */
export function seededMac(seed: string, label: string): string {
  const h = createHash('sha256').update(`${seed}/mac/${label}`).digest()
  return ['fa', '16', '3e', ...[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0'))].join(':')
}

/** uuid5 (RFC 4122 name-based, SHA-1), as Neutron uses for the DHCP port's device_id. */
export function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex')
  const h = createHash('sha1')
    .update(Buffer.concat([ns, Buffer.from(name, 'utf8')]))
    .digest()
  h[6] = (h[6]! & 0x0f) | 0x50
  h[8] = (h[8]! & 0x3f) | 0x80
  const hex = h.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export const UUID_NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'

/** Nova's device names: prefix + first 11 characters of the port id (NIC_NAME_LEN 14). */
export function devName(prefix: string, portId: string): string {
  return `${prefix}${portId.slice(0, 11)}`
}

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`bad IPv4 address ${ip}`)
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.')
}

interface Cidr {
  network: number
  prefixLen: number
}

export function parseCidr(cidr: string): Cidr {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr)
  if (!m) throw new Error(`bad CIDR ${cidr}`)
  const prefixLen = Number(m[2])
  if (prefixLen < 8 || prefixLen > 29) throw new Error(`CIDR ${cidr}: prefix must be /8../29`)
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0
  return {network: (ipToInt(m[1]!) & mask) >>> 0, prefixLen}
}

function inLabTenantRange(c: Cidr): boolean {
  const base = ipToInt('198.19.0.0')
  return c.prefixLen >= 16 && (c.network & 0xffff0000) >>> 0 === base
}

export function mergeOptions(partial: Partial<LabOptions> = {}): LabOptions {
  const merged: LabOptions = {...DEFAULT_OPTIONS, ...partial}
  merged.localVlanBase = {...DEFAULT_OPTIONS.localVlanBase, ...(partial.localVlanBase ?? {})}
  return merged
}

function validate(o: LabOptions): void {
  if (!Number.isInteger(o.computeNodes) || o.computeNodes < 1 || o.computeNodes > 20)
    throw new Error('computeNodes must be 1..20')
  if (!Number.isInteger(o.vmsPerNodePerNetwork) || o.vmsPerNodePerNetwork < 0 || o.vmsPerNodePerNetwork > 20) {
    throw new Error('vmsPerNodePerNetwork must be 0..20')
  }
  if (o.networks.length < 1 || o.networks.length > 50) throw new Error('networks: 1..50 networks')
  const names = new Set<string>()
  for (const n of o.networks) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(n.name))
      throw new Error(`network name ${JSON.stringify(n.name)}: letters, digits, _ and - only`)
    if (names.has(n.name)) throw new Error(`network name ${n.name} used twice`)
    names.add(n.name)
  }
  for (const name of [o.physicalBridge, o.physicalNic]) {
    if (!/^[A-Za-z0-9_.-]{1,11}$/.test(name))
      throw new Error(`device name ${JSON.stringify(name)}: at most 11 characters [A-Za-z0-9_.-]`)
  }
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(o.physnet))
    throw new Error(`physnet ${JSON.stringify(o.physnet)}: letters, digits, _ and - only`)
  if (o.slot !== undefined && (!Number.isInteger(o.slot) || o.slot < 0 || o.slot > 255))
    throw new Error('slot must be 0..255')
}

function nodeNames(computeNodes: number): string[] {
  return ['control', ...Array.from({length: computeNodes}, (_, i) => `compute-${i + 1}`)]
}

/** The management bridge in the root namespace: `ntlab-mgmt` for slot 0, `ntlab<N>-mgmt` otherwise. */
export function mgmtBridgeName(slot: number): string {
  return slot === 0 ? 'ntlab-mgmt' : `ntlab${slot}-mgmt`
}

/** Root-side name of a node's management veth. */
export function mgmtVethName(slot: number, index: number): string {
  return `ntl${slot}m${index}`
}

export function buildPlan(options: LabOptions, slot: number): LabPlan {
  validate(options)
  const seed = options.seed
  const tenantId = seed === DEFAULT_OPTIONS.seed ? SEED_TENANT_ID : seededUuid(seed, 'tenant').replace(/-/g, '')
  const names = nodeNames(options.computeNodes)

  const networks: PlanNetwork[] = options.networks.map((n, i) => {
    const cidr = parseCidr(n.cidr ?? `198.19.${i + 1}.0/24`)
    if (!inLabTenantRange(cidr)) throw new Error(`network ${n.name}: CIDR must lie inside 198.19.0.0/16`)
    const size = 2 ** (32 - cidr.prefixLen)
    const id = n.uuid ?? seededUuid(seed, `network/${n.name}`)
    const type = n.type ?? 'vlan'
    const dhcpPortId = seededUuid(seed, `port/dhcp/${n.name}`)
    return {
      name: n.name,
      id,
      subnetId: n.subnetUuid ?? seededUuid(seed, `subnet/${n.name}`),
      type,
      segmentationId: type === 'flat' ? null : (n.segmentationId ?? 1000 + i),
      cidr: `${intToIp(cidr.network)}/${cidr.prefixLen}`,
      prefixLen: cidr.prefixLen,
      networkAddress: intToIp(cidr.network),
      gateway: intToIp(cidr.network + 1),
      broadcast: intToIp(cidr.network + size - 1),
      poolStart: intToIp(cidr.network + 2),
      poolEnd: intToIp(cidr.network + size - 2),
      netns: `qdhcp-${id}`,
      dhcpPort: {
        id: dhcpPortId,
        networkId: id,
        mac: seededMac(seed, `dhcp/${n.name}`),
        ip: intToIp(cidr.network + 2),
        deviceOwner: 'network:dhcp',
        deviceId: `dhcp${uuid5(UUID_NAMESPACE_DNS, 'control')}-${id}`,
        host: 'control',
        tap: devName('tap', dhcpPortId),
      },
    }
  })
  const segs = networks.filter((n) => n.segmentationId !== null).map((n) => n.segmentationId!)
  if (new Set(segs).size !== segs.length) throw new Error('two VLAN networks share a segmentation id')
  for (const s of segs) if (s < 1 || s > 4094) throw new Error(`segmentation id ${s} out of 1..4094`)
  if (networks.filter((n) => n.type === 'flat').length > 1)
    throw new Error('at most one flat network per physical network')

  const vms: PlanVm[] = []
  let instance = 0
  for (const host of names.slice(1)) {
    for (const net of networks) {
      for (let k = 0; k < options.vmsPerNodePerNetwork; k++) {
        instance++
        const label = `${host}/${net.name}/${k}`
        const portId = seededUuid(seed, `port/vm/${label}`)
        const mac = seededMac(seed, `vm/${label}`)
        const base = parseCidr(net.cidr).network
        const ip = intToIp(base + 2 + vms.filter((v) => v.networkId === net.id).length + 1)
        if (ipToInt(ip) > ipToInt(net.poolEnd)) throw new Error(`network ${net.name}: too many VMs for ${net.cidr}`)
        const uuid = seededUuid(seed, `server/${label}`)
        vms.push({
          uuid,
          name: `vm-${instance}`,
          instanceName: `instance-${instance.toString(16).padStart(8, '0')}`,
          host,
          network: net.name,
          networkId: net.id,
          netns: `vm-${instance}`,
          tap: devName('tap', portId),
          qbr: devName('qbr', portId),
          qvb: devName('qvb', portId),
          qvo: devName('qvo', portId),
          guestDev: 'eth0',
          tapMac: `fe${mac.slice(2)}`,
          port: {
            id: portId,
            networkId: net.id,
            mac,
            ip,
            deviceOwner: 'compute:nova',
            deviceId: uuid,
            host,
            tap: devName('tap', portId),
          },
        })
      }
    }
  }

  const nodes: PlanNode[] = names.map((name, index) => {
    const isControl = index === 0
    const base = isControl ? options.localVlanBase.control : options.localVlanBase.compute
    const localVlans: Record<string, number> = {}
    for (const [i, net] of networks.entries()) {
      const used = isControl || vms.some((v) => v.host === name && v.networkId === net.id)
      if (!used) continue
      const vlan = options.localVlans[name]?.[net.name] ?? base + i
      if (vlan < 1 || vlan > 4094) throw new Error(`local VLAN ${vlan} on ${name} out of 1..4094`)
      localVlans[net.id] = vlan
    }
    if (new Set(Object.values(localVlans)).size !== Object.values(localVlans).length)
      throw new Error(`two networks share a local VLAN on ${name}`)
    return {
      name,
      roles: isControl ? ['control', 'network'] : ['compute'],
      address: `198.18.${slot}.${11 + index}`,
      index,
      localVlans,
    }
  })

  return {
    options,
    slot,
    tenantId,
    mgmt: {bridge: mgmtBridgeName(slot), rootAddress: `198.18.${slot}.1`, prefixLen: 24, subnet: `198.18.${slot}.0/24`},
    nodes,
    networks,
    vms,
    intPort: `int-${options.physicalBridge}`,
    phyPort: `phy-${options.physicalBridge}`,
    switchName: 'physnet',
  }
}
