// What neutrace collects, as data. A spec has a stable id, the argv it runs, and when it applies; transports
// (ssh2, a snapshot directory) run or read specs, parsers never know which.

export type Role = 'control' | 'network' | 'compute'

/** How a spec multiplies: once per host, per OVS bridge, per network namespace, per file, per process. */
export type SpecScope = 'host' | 'bridge' | 'netns' | 'file' | 'pid'

export interface Spec {
  id: string
  scope: SpecScope
  /** Roles it applies to; undefined = every host. */
  roles?: Role[]
  /** Build the argv. `arg` is the bridge, namespace, file path or pid for scoped specs (already validated). */
  argv: (arg?: string) => string[]
  /** A short sentence for docs and errors. */
  about: string
  /** Optional: a missing command or file is normal for this spec (recorded, not an error). */
  optional?: boolean
}

const AGENT_CONFIG_FILES = [
  '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
  '/etc/neutron/plugins/openvswitch/ovs_neutron_plugin.ini',
  '/etc/neutron/plugins/ml2/ml2_conf.ini',
  '/etc/neutron/dhcp_agent.ini',
]

export const SPECS: Spec[] = [
  {id: 'hostname', scope: 'host', argv: () => ['hostname'], about: 'the host name'},
  {id: 'ovs_vsctl_show', scope: 'host', argv: () => ['ovs-vsctl', 'show'], about: 'Open vSwitch configuration overview'},
  {id: 'ovs_vsctl_list_br', scope: 'host', argv: () => ['ovs-vsctl', 'list-br'], about: 'Open vSwitch bridge names, one a line (drives the per-bridge specs)'},
  {id: 'ovs_vsctl_list_open_vswitch', scope: 'host', argv: () => ['ovs-vsctl', '--format=json', 'list', 'Open_vSwitch'], about: 'OVSDB Open_vSwitch table'},
  {id: 'ovs_vsctl_list_bridge', scope: 'host', argv: () => ['ovs-vsctl', '--format=json', 'list', 'Bridge'], about: 'OVSDB Bridge table'},
  {id: 'ovs_vsctl_list_port', scope: 'host', argv: () => ['ovs-vsctl', '--format=json', 'list', 'Port'], about: 'OVSDB Port table'},
  {id: 'ovs_vsctl_list_interface', scope: 'host', argv: () => ['ovs-vsctl', '--format=json', 'list', 'Interface'], about: 'OVSDB Interface table'},
  {id: 'ovs_ofctl_dump_flows', scope: 'bridge', argv: (br) => ['ovs-ofctl', '--names', 'dump-flows', br!], about: 'OpenFlow table of one bridge'},
  {id: 'ovs_ofctl_show', scope: 'bridge', argv: (br) => ['ovs-ofctl', 'show', br!], about: 'OpenFlow port numbers of one bridge'},
  {id: 'ip_link', scope: 'host', argv: () => ['ip', '-j', '-d', 'link'], about: 'network devices (root namespace)'},
  {id: 'ip_addr', scope: 'host', argv: () => ['ip', '-j', 'addr'], about: 'addresses (root namespace)'},
  {id: 'ip_netns', scope: 'host', argv: () => ['ip', 'netns', 'list'], about: 'network namespaces'},
  {id: 'netns_ip_link', scope: 'netns', argv: (ns) => ['ip', '-n', ns!, '-j', '-d', 'link'], about: 'network devices inside a namespace'},
  {id: 'netns_ip_addr', scope: 'netns', argv: (ns) => ['ip', '-n', ns!, '-j', 'addr'], about: 'addresses inside a namespace'},
  {id: 'brctl_show', scope: 'host', argv: () => ['brctl', 'show'], about: 'Linux bridges and their members', optional: true},
  {id: 'bridge_link', scope: 'host', argv: () => ['bridge', '-j', 'link'], about: 'Linux bridge ports', optional: true},
  {id: 'ps', scope: 'host', argv: () => ['ps', '-ww', '-eo', 'pid=,args='], about: 'processes (dnsmasq, agents)'},
  {id: 'netns_of_pid', scope: 'pid', argv: (pid) => ['ip', 'netns', 'identify', pid!], about: 'the namespace a process runs in'},
  {id: 'neutron_dhcp_files', scope: 'host', argv: () => ['find', '/var/lib/neutron/dhcp', '-maxdepth', '3', '-type', 'f'], about: 'DHCP agent state files', optional: true},
  {id: 'neutron_config_files', scope: 'host', argv: () => ['find', '/etc/neutron', '-maxdepth', '4', '-name', '*.ini', '-type', 'f'], about: 'which agent configuration files exist (drives the file spec)', optional: true},
  {id: 'nova_instance_files', scope: 'host', roles: ['compute'], argv: () => ['find', '/var/lib/nova/instances', '/etc/libvirt/qemu', '-maxdepth', '2', '-name', '*.xml', '-type', 'f'], about: 'libvirt domain definitions', optional: true},
  {id: 'file', scope: 'file', argv: (path) => ['cat', '--', path!], about: 'a file: DHCP host/opts/leases, libvirt XML, agent configuration'},
  {id: 'ethtool_stats', scope: 'file', argv: (dev) => ['ethtool', '-S', dev!], about: 'veth peer index', optional: true},
]

export const SPEC_BY_ID = new Map(SPECS.map((spec) => [spec.id, spec]))

/** Agent configuration files read with the `file` spec when present. */
export const CONFIG_FILES = AGENT_CONFIG_FILES
