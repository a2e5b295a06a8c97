// Generated from schemas/topology.schema.json by `npm run contracts`: do not edit, change the schema.

export interface TopologyReport {
  schemaVersion: 1
  tool: Tool
  hosts: TopologyHost[]
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "tool".
 */
export interface Tool {
  name: 'neutrace'
  version: string
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "topologyHost".
 */
export interface TopologyHost {
  name: string
  roles: string[]
  ovsBridges: OvsBridge[]
  linuxBridges: LinuxBridge[]
  namespaces: Namespace[]
  dnsmasq: Dnsmasq[]
  vms: Vm[]
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "ovsBridge".
 */
export interface OvsBridge {
  name: string
  flows: number
  ports: OvsPort[]
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "ovsPort".
 */
export interface OvsPort {
  name: string
  ofport?: number
  tag?: number
  trunks: number[]
  type: string
  peer?: string
  error?: string
  ifaceId?: string
  namespace?: string
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "linuxBridge".
 */
export interface LinuxBridge {
  name: string
  interfaces: string[]
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "namespace".
 */
export interface Namespace {
  name: string
  devices: NamespaceDevice[]
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "namespaceDevice".
 */
export interface NamespaceDevice {
  name: string
  /**
   * address/prefixlen
   */
  addresses: string[]
  up: boolean
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "dnsmasq".
 */
export interface Dnsmasq {
  pid?: number
  networkId?: string
  namespace?: string
  interface?: string
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "vm".
 */
export interface Vm {
  uuid?: string
  name?: string
  interfaces: VmInterface[]
}
/**
 * This interface was referenced by `TopologyReport`'s JSON-Schema
 * via the `definition` "vmInterface".
 */
export interface VmInterface {
  mac?: string
  bridge?: string
  dev?: string
  type: string
}
