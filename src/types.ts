// The shared vocabulary of neutrace: what parsers return, what the models hold, what analyzers emit.
// Data flows one way: captures -> parsers -> actual model -> analyzers/tracer -> renderers.

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
  spec: string
  file?: string
  kind: 'parse' | 'missing' | 'command-failed' | 'unreachable'
}

// ---------------------------------------------------------------------------------------------------------------------
// OpenFlow

/** A port as a flow names it: an OpenFlow port number or a port name (LOCAL, IN_PORT, ... are names too). */
export type PortRef = number | string

/** A masked value as OVS prints it (`0x1000/0x1fff`, `fa:16:3e:00:00:00/ff:ff:ff:00:00:00`). */
export interface Masked {
  value: string
  mask?: string
}

/**
 * A flow match, normalised: field names use the NXM/OF1.0 spelling (in_port, dl_vlan, dl_vlan_pcp, vlan_tci, dl_src,
 * dl_dst, dl_type, nw_src, nw_dst, nw_proto, tp_src, tp_dst, arp_spa, arp_tpa, arp_sha, tun_id, metadata, reg0..,
 * ...). Protocol shorthands (arp, ip, ipv6, udp, tcp, icmp, icmp6, udp6, tcp6, rarp) are expanded into dl_type /
 * nw_proto. `dl_vlan=0xffff` is normalised to vlan_tci=0x0000/0x1fff.
 */
export interface FlowMatch {
  inPort?: PortRef
  fields: Record<string, Masked>
}

export type FlowAction =
  | {type: 'output'; port: PortRef}
  | {type: 'normal'}
  | {type: 'flood'}
  | {type: 'all'}
  | {type: 'in_port'}
  | {type: 'local'}
  | {type: 'controller'; text: string}
  | {type: 'drop'}
  /** VLAN id rewrite: mod_vlan_vid:N, set_field:(4096|N)->vlan_vid, set_vlan_vid:N. Pushes a tag if none. */
  | {type: 'set_vlan_vid'; vid: number}
  /** strip_vlan / pop_vlan */
  | {type: 'pop_vlan'}
  | {type: 'push_vlan'; ethertype: number}
  | {type: 'set_vlan_pcp'; pcp: number}
  /** resubmit(port,table) / resubmit:port; table undefined = current table */
  | {type: 'resubmit'; port?: PortRef; table?: number}
  | {type: 'goto_table'; table: number}
  /** set_tunnel:N, load:N->NXM_NX_TUN_ID[], set_field:N->tun_id */
  | {type: 'set_tunnel'; id: bigint}
  | {type: 'set_field'; field: string; value: string}
  | {type: 'load'; value: string; dst: string}
  | {type: 'move'; src: string; dst: string}
  | {type: 'learn'; text: string}
  | {type: 'ct'; text: string}
  | {type: 'note'; text: string}
  /** Anything else, kept verbatim. The simulator treats it as having no effect on forwarding. */
  | {type: 'other'; name: string; text: string}

export interface Flow {
  /** 1-based line of the dump this flow came from. */
  line: number
  raw: string
  table: number
  /** 32768 when the dump omits it. */
  priority: number
  /** Hex string as printed, lower case, e.g. `0x0` or `0x5c1f0e3a2b4c6d7e`. */
  cookie: string
  match: FlowMatch
  actions: FlowAction[]
  nPackets?: number
  nBytes?: number
  durationS?: number
  idleAge?: number
  hardAge?: number
  /** Table name when the dump printed one (`table=0(name)` or `table=name`). */
  tableName?: string
}

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

export interface Intent {
  networks: IntentNetwork[]
  subnets: IntentSubnet[]
  ports: IntentPort[]
  servers: IntentServer[]
  /** What could not be learned from the forms given (e.g. segmentation ids from `list --long`). */
  unknowns: string[]
  problems: DataProblem[]
  /** Where each piece came from, for evidence. */
  sources: string[]
}
