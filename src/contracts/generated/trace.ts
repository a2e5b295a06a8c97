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
  /**
   * The VM traces (--vm, --to uplink|dhcp, an address beyond a router, --to-fip); empty with --from VM --to VM|IP.
   */
  traces: Trace[]
  packet?: PacketTrace
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
/**
 * --from VM --to VM|IP: the ARP answer, then one packet (icmp echo, tcp or udp to a port) hop by hop through the firewalls, and with --reply its answer back.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "packetTrace".
 */
export interface PacketTrace {
  from: TraceVm
  /**
   * Where the packet goes: a VM, or an address a namespace's device holds.
   */
  to: {
    host: string
    ip: string
    mac?: string
    dev: string
    netns?: string
    vm?: TraceVm
    label: string
  }
  query: {
    proto: 'icmp' | 'tcp' | 'udp'
    dport?: number
    sport?: number
    reply: boolean
    /**
     * The IP packet's size in bytes (a ping's -s plus 28), checked against the MTU of the tunnels' underlay.
     */
    size?: number
  }
  /**
   * Who answers the sender's ARP request for the destination: the peer itself, the ARP responder, nobody.
   */
  arp: {
    answeredBy: 'peer' | 'responder' | 'nobody' | 'unknown'
    mac?: string
    reason: string
  }
  verdict: TraceVerdict
  reason: string
  hops: Hop[]
  firewall: FirewallStep[]
  dropFlow?: DropFlow
  reply?: PacketLeg
  unknowns: string[]
}
/**
 * A port's security groups on one side of the packet: egress of the sender's port, ingress of the receiver's.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "firewallStep".
 */
export interface FirewallStep {
  host: string
  bridge: string
  port: string
  direction: 'egress' | 'ingress'
  verdict: 'accept' | 'drop' | 'unknown'
  rule?: FirewallRuleRef
  flow?: HopFlow1
  /**
   * The Neutron security group rule the deciding rule stands for, when intent has the port's groups.
   */
  sgRule?: {
    id: string
    group: string
    text: string
  }
  /**
   * Every rule the packet matched (whose packet counters it moves); openvswitch firewall: none (the flows are the hop's).
   */
  matched: {
    chain: string
    number: number
    line: number
  }[]
  reason: string
}
/**
 * An iptables rule: its chain, its number in the chain, the line of the iptables-save capture, its text.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "firewallRuleRef".
 */
export interface FirewallRuleRef {
  chain: string
  number: number
  line: number
  text: string
}
/**
 * A flow the frame matched at this hop: the bridge, its table, and the line of the flow dump.
 */
export interface HopFlow1 {
  bridge: string
  table: number
  line: number
  text: string
}
/**
 * One direction of a packet trace: its fate, the hops, the firewalls it met, the flow that dropped it.
 *
 * This interface was referenced by `TraceReport`'s JSON-Schema
 * via the `definition` "packetLeg".
 */
export interface PacketLeg {
  verdict: TraceVerdict
  reason: string
  hops: Hop[]
  firewall: FirewallStep[]
  dropFlow?: DropFlow
}
