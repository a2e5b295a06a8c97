// Generated from schemas/trace.schema.json by `npm run contracts`: do not edit, change the schema.

/**
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "traceVerdict".
 */
export type TraceVerdict = 'delivered' | 'dropped' | 'blackholed' | 'unknown'
/**
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "hopKind".
 */
export type HopKind =
  | 'vm'
  | 'tap'
  | 'linux-bridge'
  | 'veth'
  | 'ovs-port'
  | 'ovs-bridge'
  | 'patch'
  | 'uplink'
  | 'physical-network'
  | 'namespace'
  | 'dhcp-server'
  | 'tunnel'
  | 'underlay'
  | 'firewall'
  | 'router'

export interface TraceReport {
  schemaVersion: 1
  tool: Tool
  traces: Trace[]
}
/**
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "tool".
 */
export interface Tool {
  name: 'neutrace'
  version: string
}
/**
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "trace".
 */
export interface Trace {
  vm: TraceVm
  /**
   * uplink, dhcp; ip: a VM to an address beyond its router; fip: from the external network to a floating IP
   */
  target: 'uplink' | 'dhcp' | 'ip' | 'fip'
  verdict: TraceVerdict
  reason: string
  hops: Hop[]
  dropFlow?: DropFlow
  l3?: TraceL3
  /**
   * Where else the flood went (other ports of the same VLAN).
   */
  elsewhere: string[]
  dhcp?: TraceDhcp
  reply?: TraceReply
  unknowns: string[]
}
/**
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "traceVm".
 */
export interface TraceVm {
  host: string
  name?: string
  uuid?: string
  mac: string
  ip?: string
  portId?: string
  networkId?: string
  tap?: string
}
/**
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "hop".
 */
export interface Hop {
  host: string
  kind: HopKind
  element: string
  /**
   * The VLAN the frame carries here; null when untagged.
   */
  vlan: number | null
  /**
   * On a tunnel and across the underlay: the tunnel id (VXLAN VNI, GRE key) the frame is encapsulated with.
   */
  vni?: number
  note?: string
  flows?: HopFlow[]
}
/**
 * A flow the frame matched at this hop: the bridge, its table, and the line of the flow dump.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "hopFlow".
 */
export interface HopFlow {
  bridge: string
  table: number
  line: number
  text: string
}
/**
 * The flow that dropped the frame, when a flow did: host, bridge and the line of the flow dump.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "dropFlow".
 */
export interface DropFlow {
  host: string
  bridge: string
  line: number
  text: string
}
/**
 * Through a router (targets ip and fip): which router on which host, the packet as sent and as it arrives (NAT applied), and the rules and routes that decided.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "traceL3".
 */
export interface TraceL3 {
  router: string
  host: string
  namespace: string
  sent: AddressPair
  seen: AddressPair
  decided: string[]
}
/**
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "addressPair".
 */
export interface AddressPair {
  src: string
  dst: string
}
/**
 * The DHCP namespace the request reached: whether dnsmasq runs there and knows the VM's MAC.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "traceDhcp".
 */
export interface TraceDhcp {
  host: string
  namespace: string
  device: string
  server: boolean
  knowsMac: boolean
  offers?: string
}
/**
 * With target dhcp: dnsmasq's offer on its way back to the VM.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "traceReply".
 */
export interface TraceReply {
  verdict: TraceVerdict
  reason: string
  hops: Hop[]
  dropFlow?: DropFlow
}
