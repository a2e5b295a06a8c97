// The shared vocabulary of neutrace: what parsers return, what the models hold, what analyzers emit.
// Data flows one way: captures -> parsers -> actual model -> analyzers/tracer -> renderers.

import type {SourceId} from './specs.js'

/** A problem found while reading data: never thrown through the pipeline, always recorded and carried on. */
export interface ParseProblem {
  /** 1-based line in the capture, when the problem has one. */
  line?: number
  /** The offending text (trimmed to a reasonable length). */
  text?: string
  message: string
}

/** What every parser returns: the records it could read and the problems it met. */
export interface ParseResult<T> {
  value: T
  problems: ParseProblem[]
}

/** A problem attached to the place it came from. */
export interface DataProblem extends ParseProblem {
  host: string
  spec: SourceId
  /** The key of a scoped capture (bridge, namespace, path …), when the problem is about one the snapshot lacks. */
  key?: string
  file?: string
  /** damaged: the file is not what the collector wrote (sha256 mismatch); its lines are still read. */
  kind: 'parse' | 'missing' | 'command-failed' | 'unreachable' | 'damaged'
}

// ---------------------------------------------------------------------------------------------------------------------
// OpenFlow: the flow, match and action model lives with the rest of the OpenFlow vocabulary in src/openflow/.

export type {Flow, FlowAction, FlowMatch, LearnSpec, Masked, PortRef, SubFieldRef} from './openflow/types.js'

// ---------------------------------------------------------------------------------------------------------------------
// Open vSwitch database

export type VlanMode = 'access' | 'native-tagged' | 'native-untagged' | 'trunk' | 'dot1q-tunnel'

export interface OvsInterface {
  name: string
  uuid?: string
  /** '' (system), internal, patch, vxlan, gre, geneve, dpdkvhostuser, dpdkvhostuserclient, tap ... */
  type: string
  ofport?: number
  error?: string
  mac?: string
  macInUse?: string
  adminState?: string
  linkState?: string
  options: Record<string, string>
  externalIds: Record<string, string>
  otherConfig?: Record<string, string>
  ifindex?: number
}

export interface OvsPort {
  name: string
  uuid?: string
  tag?: number
  trunks: number[]
  vlanMode?: VlanMode
  externalIds: Record<string, string>
  otherConfig: Record<string, string>
  interfaces: OvsInterface[]
}

export interface OvsBridge {
  name: string
  uuid?: string
  datapathType?: string
  failMode?: string
  controllers: string[]
  externalIds: Record<string, string>
  otherConfig?: Record<string, string>
  ports: OvsPort[]
}

/** What `ovs-vsctl show` and the JSON tables tell together. */
export interface OvsConfig {
  uuid?: string
  ovsVersion?: string
  bridges: OvsBridge[]
  /** The capture each table was read from (findings cite it): the JSON tables, or ovs-vsctl show for all three. */
  sources?: Record<'bridge' | 'port' | 'interface', {spec: SourceId; file?: string}>
}

// ---------------------------------------------------------------------------------------------------------------------
// Linux

export interface LinkDevice {
  ifindex: number
  name: string
  /** veth, tun, bridge, openvswitch, vxlan, dummy, loopback, physical ... */
  kind?: string
  slaveKind?: string
  mac?: string
  mtu?: number
  flags: string[]
  /** `operstate` (UP, DOWN, UNKNOWN, LOWERLAYERDOWN ...) */
  operState?: string
  /** admin state derived from flags: UP present */
  adminUp: boolean
  master?: string
  /** `ifname@peer`: the peer's name (same namespace) */
  peerName?: string
  /** peer ifindex (`@ifN`, link_index, ethtool peer_ifindex) */
  peerIfindex?: number
  /** peer's namespace id as seen from here (link-netnsid) or name (link-netns) */
  peerNetnsId?: number
  peerNetns?: string
  addresses: {family: 'inet' | 'inet6'; address: string; prefixlen: number}[]
}

export interface LinuxBridge {
  name: string
  id?: string
  stp?: boolean
  interfaces: string[]
}

export interface NetnsEntry {
  name: string
  id?: number
}

// ---------------------------------------------------------------------------------------------------------------------
// libvirt

export interface VmInterface {
  /** bridge, ethernet, vhostuser, network ... */
  type: string
  mac?: string
  sourceBridge?: string
  targetDev?: string
  model?: string
  mtu?: number
  virtualPort?: {type: string; interfaceId?: string}
  vhostPath?: string
}

export interface VmDomain {
  uuid?: string
  name?: string
  novaName?: string
  interfaces: VmInterface[]
}

// ---------------------------------------------------------------------------------------------------------------------
// dnsmasq

export interface DnsmasqProcess {
  pid?: number
  /** NEUTRON_NETWORK_ID from `env` or the directory of the files. */
  networkId?: string
  netns?: string
  argv: string[]
  interface?: string
  bindMode?: 'bind-interfaces' | 'bind-dynamic' | 'wildcard'
  hostsFile?: string
  optsFile?: string
  addnHostsFile?: string
  leaseFile?: string
  pidFile?: string
  ranges: {tag?: string; start: string; mode?: string; netmask?: string; lease?: string}[]
  domain?: string
}

export interface DhcpHostEntry {
  line: number
  mac: string
  ip: string
  hostname?: string
  tags: string[]
  clientId?: string
}

export interface DhcpOptEntry {
  line: number
  tag?: string
  option: string
  value: string
}

export interface DhcpLease {
  line: number
  expiry: string
  mac: string
  ip: string
  hostname?: string
  clientId?: string
}

// ---------------------------------------------------------------------------------------------------------------------
// Neutron / Nova intent

export interface IntentNetwork {
  id: string
  name?: string
  adminStateUp?: boolean
  status?: string
  networkType?: string
  physicalNetwork?: string
  /** undefined = unknown (e.g. `openstack network list --long` lacks it); null = none (flat/local). */
  segmentationId?: number | null
  mtu?: number
  subnets: string[]
  shared?: boolean
}

export interface IntentSubnet {
  id: string
  networkId: string
  name?: string
  cidr?: string
  gatewayIp?: string | null
  enableDhcp?: boolean
  ipVersion?: number
  allocationPools?: {start: string; end: string}[]
}

export interface IntentPort {
  id: string
  networkId: string
  name?: string
  macAddress: string
  fixedIps: {subnetId?: string; ipAddress: string}[]
  deviceOwner?: string
  deviceId?: string
  bindingHost?: string
  vifType?: string
  vifDetails?: Record<string, unknown>
  status?: string
  adminStateUp?: boolean
  portSecurityEnabled?: boolean
  /** Security group ids; undefined = not known from the forms read. */
  securityGroups?: string[]
  allowedAddressPairs?: {ipAddress: string; macAddress?: string}[]
}

export interface IntentSgRule {
  id: string
  securityGroupId: string
  direction: 'ingress' | 'egress'
  ethertype: 'IPv4' | 'IPv6'
  /** tcp, udp, icmp, a number …; null = any. */
  protocol: string | null
  portRangeMin: number | null
  portRangeMax: number | null
  remoteIpPrefix: string | null
  remoteGroupId: string | null
  line?: number
}

export interface IntentSecurityGroup {
  id: string
  name?: string
  stateful?: boolean
  rules: IntentSgRule[]
}

export interface IntentServer {
  id: string
  name?: string
  status?: string
  host?: string
  instanceName?: string
  /** network name -> addresses */
  addresses: Record<string, {addr: string; mac?: string}[]>
}

/** A Neutron router (issue 11): its gateway on an external network and extra routes. */
export interface IntentRouter {
  id: string
  name?: string
  status?: string
  adminStateUp?: boolean
  /** external_gateway_info; undefined = no gateway. */
  gateway?: {networkId: string; enableSnat?: boolean; fixedIps: {subnetId?: string; ipAddress: string}[]}
  routes: {destination: string; nexthop: string}[]
  ha?: boolean
  distributed?: boolean
}

/** A floating IP: the external address and the fixed IP (of port_id) it stands for. */
export interface IntentFloatingIp {
  id: string
  floatingIpAddress: string
  floatingNetworkId?: string
  routerId?: string
  portId?: string
  fixedIpAddress?: string
  status?: string
}

export interface Intent {
  networks: IntentNetwork[]
  subnets: IntentSubnet[]
  ports: IntentPort[]
  servers: IntentServer[]
  /** Security groups with their rules; undefined when no document listed any. */
  securityGroups?: IntentSecurityGroup[]
  /** Rules read as records of their own, before mergeIntent puts them into their groups. */
  securityGroupRules?: IntentSgRule[]
  /** Routers and floating IPs, when the intent has them (GET /v2.0/routers, /v2.0/floatingips). */
  routers?: IntentRouter[]
  floatingIps?: IntentFloatingIp[]
  /** What could not be learned from the forms given (e.g. segmentation ids from `list --long`). */
  unknowns: string[]
  problems: DataProblem[]
  /** Where each piece came from, for evidence. */
  sources: string[]
}
