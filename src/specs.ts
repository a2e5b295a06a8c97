// What neutrace collects, as data. A spec has a stable id, how it is read from each kind of source (the live argv, a
// path in a sosreport, a command run inside a container), how it multiplies (once per host, per bridge, per
// namespace, ...) and where the keys of a multiplied spec come from. Transports (ssh2, a snapshot directory, a
// sosreport reader) run or read specs; parsers never know which.

export type Role = 'control' | 'network' | 'compute'

/** Every spec id. A typo in an id anywhere in src/ fails to compile. */
export type SpecId =
  | 'hostname'
  | 'ovs_vsctl_show'
  | 'ovs_vsctl_list_br'
  | 'ovs_vsctl_list_open_vswitch'
  | 'ovs_vsctl_list_bridge'
  | 'ovs_vsctl_list_port'
  | 'ovs_vsctl_list_interface'
  | 'ovs_ofctl_dump_flows'
  | 'ovs_ofctl_show'
  | 'ip_link'
  | 'ip_addr'
  | 'ip_route'
  | 'ip_netns'
  | 'netns_ip_link'
  | 'netns_ip_addr'
  | 'netns_ip_route'
  | 'netns_iptables_save'
  | 'netns_ip_rule'
  | 'netns_ip_neigh'
  | 'neutron_ha_files'
  | 'brctl_show'
  | 'bridge_link'
  | 'ps'
  | 'netns_of_pid'
  | 'neutron_dhcp_files'
  | 'neutron_config_files'
  | 'nova_instance_files'
  | 'file'
  | 'ethtool_stats'
  | 'iptables_save'
  | 'ip6tables_save'
  | 'ipset_save'
  | 'sysctl_bridge_nf'

/** Where a fact or a problem can come from: a spec, the SSH connection, the collection itself (a problem the collector
 * recorded about a spec this neutrace does not know), or an intent document (by file name). */
export type SourceId = SpecId | 'ssh' | 'collect' | 'intent' | IntentDocumentName
/** An intent document's file name (`ports.json`, `nova-list.txt`). */
export type IntentDocumentName = `${string}.json` | `${string}.txt` | `${string}.JSON` | `${string}.TXT`

/** How a spec multiplies: once per host, per OVS bridge, per network namespace, per file, per process, per device. */
export type SpecScope = 'host' | 'bridge' | 'netns' | 'file' | 'pid' | 'device'

/**
 * Where the keys of a scoped spec come from: the output of a host-scoped spec, read by its parser, and what to take
 * from it. Every key is validated (collect/validate.ts) before it becomes an argument.
 */
export type KeySource =
  | {from: 'ovs_vsctl_list_br'; take: 'bridges'}
  | {from: 'ip_netns'; take: 'namespaces'}
  /** The L3 agent's namespaces only: qrouter-*, snat-*, fip-* (issue 11). */
  | {from: 'ip_netns'; take: 'router-namespaces'}
  | {from: 'ps'; take: 'dnsmasq-pids'}
  | {from: 'ip_link'; take: 'veths'}
  /** Paths listed by `find`: those under one of `dirs` (ending in `suffix`), or only those in `only`. */
  | {
      from: 'neutron_dhcp_files' | 'nova_instance_files' | 'neutron_config_files' | 'neutron_ha_files'
      take: 'files'
      dirs: string[]
      suffix?: string
      only?: readonly string[]
    }

/** The sos plugins whose output neutrace reads (sos report writes `sos_commands/<plugin>/<mangled command>`). */
type SosPlugin =
  | 'host'
  | 'openvswitch'
  | 'networking'
  | 'process'
  | 'openstack_neutron'
  | 'libvirt'
  | 'openstack_nova'
  | 'files'
  | 'kernel'
  | 'firewall_tables'

/**
 * How a spec is found in a sosreport: candidate paths relative to the archive root, tried in order. `{key}` stands
 * for the scope's key (bridge, namespace, device; a file path is used as is under the root); `*` matches within one
 * path segment. sos mangles a command into a file name: `/usr/bin/` dropped, every run of characters other than
 * `[\w.-/]` becomes `_`, `/` becomes `.` (e.g. `ovs-vsctl -t 5 show` → `ovs-vsctl_-t_5_show`).
 */
interface SosBinding {
  plugin: SosPlugin
  paths: string[]
  /** `same`: the very text the live argv prints. Otherwise the reader needs another parser or a conversion. */
  format: 'same' | 'text' | 'different'
  /** What differs from the live output, for the reader. */
  note?: string
  /** Not every sos version collects it: a report without it lacks nothing it should have (not recorded as missing). */
  optional?: boolean
}

/** How a spec is run on a containerised host: `docker|podman exec <container> <argv>`, the first container present. */
interface ContainerBinding {
  /** Container names to try, in order (kolla-ansible, then TripleO/OSP). */
  containers: string[]
}

type ContainerRuntime = 'docker' | 'podman'

/** A spec; `Spec<SpecId>` (CatalogSpec) is one of neutrace's own, a plain `Spec` may be a test's or a plugin's. */
export interface Spec<Id extends string = string> {
  id: Id
  scope: SpecScope
  /** Roles it applies to; undefined = every host. */
  roles?: Role[]
  /** The live binding: the argv. `key` is the bridge, namespace, file path, pid or device for scoped specs (already
   * validated). */
  argv: (key?: string) => string[]
  /** Where the keys of a scoped spec come from; default: KEY_SOURCES of its scope. */
  keys?: KeySource[]
  /** Where a sosreport holds the same data, when it does. */
  sos?: SosBinding
  /** The containers that hold the program, on hosts that run it in one. */
  container?: ContainerBinding
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

/** The agent configuration files whose settings the L2 checks rest on (bridge_mappings, VLAN ranges, tunnels, the
 * firewall driver): one the host has but the snapshot lacks makes those checks unknown. */
export const SETTINGS_FILES: readonly string[] = AGENT_CONFIG_FILES

/** Agent configuration files read with the `file` spec when present (l3_agent.ini since issue 11: snapshots taken
 * before it list it without capturing it, which is not damage). */
export const CONFIG_FILES: readonly string[] = [...AGENT_CONFIG_FILES, '/etc/neutron/l3_agent.ini']

export const DHCP_DIRS = ['/var/lib/neutron/dhcp/']
export const INSTANCE_DIRS = ['/var/lib/nova/instances/', '/etc/libvirt/qemu/']
/** keepalived's state per HA router: `<ha_confs_path>/<router id>/state` (primary|backup; master before Victoria). */
export const HA_DIRS = ['/var/lib/neutron/ha_confs/']
const ROUTER_NAMESPACES: KeySource[] = [{from: 'ip_netns', take: 'router-namespaces'}]

/** Where each scope gets its keys, unless a spec says otherwise. */
export const KEY_SOURCES: Record<Exclude<SpecScope, 'host'>, KeySource[]> = {
  bridge: [{from: 'ovs_vsctl_list_br', take: 'bridges'}],
  netns: [{from: 'ip_netns', take: 'namespaces'}],
  pid: [{from: 'ps', take: 'dnsmasq-pids'}],
  device: [{from: 'ip_link', take: 'veths'}],
  file: [
    {from: 'neutron_dhcp_files', take: 'files', dirs: DHCP_DIRS},
    {from: 'nova_instance_files', take: 'files', dirs: INSTANCE_DIRS, suffix: '.xml'},
    // Only the state files: keepalived.conf holds the VRRP password.
    {from: 'neutron_ha_files', take: 'files', dirs: HA_DIRS, suffix: '/state'},
    // Only the catalogued agent configuration files are read (others hold secrets).
    {from: 'neutron_config_files', take: 'files', dirs: ['/etc/neutron/'], only: CONFIG_FILES},
  ],
}

/** The key sources of a scoped spec (none for a host-scoped one). */
export function keySourcesOf(spec: Spec): KeySource[] {
  return spec.scope === 'host' ? [] : (spec.keys ?? KEY_SOURCES[spec.scope])
}

// Containers: kolla-ansible names first, then TripleO/OSP.
const OVS_CONTAINERS = ['openvswitch_vswitchd', 'ovs_vswitchd', 'openvswitch']
const DHCP_CONTAINERS = ['neutron_dhcp_agent', 'neutron_dhcp']
const OVS_AGENT_CONTAINERS = ['neutron_openvswitch_agent', 'neutron_ovs_agent']
const LIBVIRT_CONTAINERS = ['nova_libvirt']

const OVS = 'sos_commands/openvswitch'
const FW = 'sos_commands/firewall_tables'
const NET = 'sos_commands/networking'

/** Every spec, by id: the compiler checks that each SpecId has exactly one definition. */
const DEFINITIONS: {[K in SpecId]: Omit<Spec<K>, 'id'>} = {
  hostname: {
    scope: 'host',
    argv: () => ['hostname'],
    about: 'the host name',
    sos: {plugin: 'host', paths: ['hostname', 'sos_commands/host/hostname'], format: 'same'},
  },
  ovs_vsctl_show: {
    scope: 'host',
    argv: () => ['ovs-vsctl', 'show'],
    about: 'Open vSwitch configuration overview',
    sos: {plugin: 'openvswitch', paths: [`${OVS}/ovs-vsctl_-t_5_show`], format: 'same'},
    container: {containers: OVS_CONTAINERS},
  },
  ovs_vsctl_list_br: {
    scope: 'host',
    argv: () => ['ovs-vsctl', 'list-br'],
    about: 'Open vSwitch bridge names, one a line (drives the per-bridge specs)',
    sos: {plugin: 'openvswitch', paths: [`${OVS}/ovs-vsctl_-t_5_list-br`], format: 'same'},
    container: {containers: OVS_CONTAINERS},
  },
  ovs_vsctl_list_open_vswitch: {
    scope: 'host',
    argv: () => ['ovs-vsctl', '--format=json', 'list', 'Open_vSwitch'],
    about: 'OVSDB Open_vSwitch table',
    sos: {
      plugin: 'openvswitch',
      paths: [`${OVS}/ovs-vsctl_-t_5_list_Open_vSwitch`],
      format: 'text',
      note: 'sos runs it without --format=json',
    },
    container: {containers: OVS_CONTAINERS},
  },
  ovs_vsctl_list_bridge: {
    scope: 'host',
    argv: () => ['ovs-vsctl', '--format=json', 'list', 'Bridge'],
    about: 'OVSDB Bridge table',
    sos: {
      plugin: 'openvswitch',
      paths: [`${OVS}/ovs-vsctl_-t_5_list_bridge`],
      format: 'text',
      note: 'sos runs it without --format=json',
    },
    container: {containers: OVS_CONTAINERS},
  },
  ovs_vsctl_list_port: {
    scope: 'host',
    argv: () => ['ovs-vsctl', '--format=json', 'list', 'Port'],
    about: 'OVSDB Port table',
    sos: {
      plugin: 'openvswitch',
      paths: [`${OVS}/ovs-vsctl_-t_5_list_port`],
      format: 'text',
      note: 'not collected by sos 4.0 (Debian 12) nor by most versions; text format',
      optional: true,
    },
    container: {containers: OVS_CONTAINERS},
  },
  ovs_vsctl_list_interface: {
    scope: 'host',
    argv: () => ['ovs-vsctl', '--format=json', 'list', 'Interface'],
    about: 'OVSDB Interface table',
    sos: {
      plugin: 'openvswitch',
      paths: [`${OVS}/ovs-vsctl_-t_5_list_interface`],
      format: 'text',
      note: 'sos runs it without --format=json',
    },
    container: {containers: OVS_CONTAINERS},
  },
  ovs_ofctl_dump_flows: {
    scope: 'bridge',
    argv: (br) => ['ovs-ofctl', '--names', 'dump-flows', br!],
    about: 'OpenFlow table of one bridge',
    sos: {
      plugin: 'openvswitch',
      // sos runs the plain dump (what the live argv prints, less --names) and one per OpenFlow version the bridge
      // speaks; the plain one first, then the newest version (OF1.3+ spells goto_table, the rest is the same flows).
      paths: [
        `${OVS}/ovs-ofctl_dump-flows_{key}`,
        `${OVS}/ovs-ofctl_-O_OpenFlow15_dump-flows_{key}`,
        `${OVS}/ovs-ofctl_-O_OpenFlow14_dump-flows_{key}`,
        `${OVS}/ovs-ofctl_-O_OpenFlow13_dump-flows_{key}`,
        `${OVS}/ovs-ofctl_-O_OpenFlow10_dump-flows_{key}`,
      ],
      format: 'same',
      note: 'without --names: ports are numbers (the parser reads both)',
    },
    container: {containers: OVS_CONTAINERS},
  },
  ovs_ofctl_show: {
    scope: 'bridge',
    argv: (br) => ['ovs-ofctl', 'show', br!],
    about: 'OpenFlow port numbers of one bridge',
    sos: {
      plugin: 'openvswitch',
      paths: [
        `${OVS}/ovs-ofctl_show_{key}`,
        `${OVS}/ovs-ofctl_-O_OpenFlow13_show_{key}`,
        `${OVS}/ovs-ofctl_-O_OpenFlow10_show_{key}`,
      ],
      format: 'same',
    },
    container: {containers: OVS_CONTAINERS},
  },
  ip_link: {
    scope: 'host',
    argv: () => ['ip', '-j', '-d', 'link'],
    about: 'network devices (root namespace)',
    sos: {
      plugin: 'networking',
      paths: [`${NET}/ip_-s_-d_link`, `${NET}/ip_-d_link`],
      format: 'text',
      note: 'text, with statistics lines',
    },
  },
  ip_addr: {
    scope: 'host',
    argv: () => ['ip', '-j', 'addr'],
    about: 'addresses (root namespace)',
    sos: {plugin: 'networking', paths: [`${NET}/ip_-d_address`, `${NET}/ip_-o_addr`], format: 'text'},
  },
  ip_route: {
    scope: 'host',
    argv: () => ['ip', '-j', 'route', 'show', 'table', 'all'],
    about: 'routes of every table (root namespace)',
    sos: {
      plugin: 'networking',
      paths: [`${NET}/ip_route_show_table_all`],
      format: 'text',
      note: 'text (both families): converted to the JSON form line by line (src/sos/convert.ts)',
    },
  },
  ip_netns: {
    scope: 'host',
    argv: () => ['ip', 'netns', 'list'],
    about: 'network namespaces',
    sos: {plugin: 'networking', paths: [`${NET}/ip_netns`], format: 'same'},
  },
  netns_ip_link: {
    scope: 'netns',
    argv: (ns) => ['ip', '-n', ns!, '-j', '-d', 'link'],
    about: 'network devices inside a namespace',
    sos: {
      plugin: 'networking',
      // sos 4.0 (Debian 12): `ip netns exec NS ip address show` beside the other networking outputs; later sos
      // versions: `ip -d address show` under namespaces/NS/.
      paths: [
        `${NET}/ip_netns_exec_{key}_ip_address_show`,
        `${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_-d_address_show`,
        `${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_address_show`,
      ],
      format: 'text',
      note: 'sos has only `ip address show` per namespace: links and addresses together, text',
    },
  },
  netns_ip_addr: {
    scope: 'netns',
    argv: (ns) => ['ip', '-n', ns!, '-j', 'addr'],
    about: 'addresses inside a namespace',
    sos: {
      plugin: 'networking',
      paths: [
        `${NET}/ip_netns_exec_{key}_ip_address_show`,
        `${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_-d_address_show`,
        `${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_address_show`,
      ],
      format: 'text',
    },
  },
  netns_ip_route: {
    scope: 'netns',
    keys: ROUTER_NAMESPACES,
    argv: (ns) => ['ip', '-n', ns!, '-j', 'route', 'show', 'table', 'all'],
    about: 'routes of every table inside a router namespace (qrouter-, snat-, fip-)',
    sos: {
      plugin: 'networking',
      // As the namespace's addresses: beside the other outputs (sos 4.0), or under namespaces/NS/ (later versions).
      paths: [
        `${NET}/ip_netns_exec_{key}_ip_route_show_table_all`,
        `${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_route_show_table_all`,
      ],
      format: 'text',
      note: 'text: converted to the JSON form line by line (src/sos/convert.ts)',
    },
  },
  netns_iptables_save: {
    scope: 'netns',
    keys: ROUTER_NAMESPACES,
    argv: (ns) => ['ip', 'netns', 'exec', ns!, 'iptables-save'],
    about: 'iptables rules (nat, filter, mangle, raw) inside a router namespace (qrouter-, snat-, fip-)',
    sos: {
      plugin: 'networking',
      // sos 4.0 (Debian 12) runs it for every namespace beside the other networking outputs; later versions put a
      // namespace's outputs under namespaces/NS/.
      paths: [`${NET}/ip_netns_exec_{key}_iptables-save`, `${NET}/namespaces/{key}/ip_netns_exec_{key}_iptables-save`],
      format: 'same',
    },
  },
  netns_ip_rule: {
    scope: 'netns',
    keys: ROUTER_NAMESPACES,
    argv: (ns) => ['ip', '-n', ns!, '-j', 'rule'],
    about: 'routing policy rules inside a router namespace (DVR: the tables of floating IPs and subnets)',
    sos: {
      plugin: 'networking',
      paths: [
        `${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_-4_rule_list`,
        `${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_rule_list`,
      ],
      format: 'text',
      note: 'sos 4.0 collects no rules per namespace; later versions may, as text (not read yet)',
      optional: true,
    },
  },
  netns_ip_neigh: {
    scope: 'netns',
    keys: ROUTER_NAMESPACES,
    argv: (ns) => ['ip', '-n', ns!, '-j', 'neigh'],
    about: "neighbours (ARP) inside a router namespace: the next hop's MAC and whether it answered",
    sos: {
      plugin: 'networking',
      paths: [`${NET}/namespaces/{key}/ip_netns_exec_{key}_ip_-s_-s_neigh_show`],
      format: 'text',
      note: 'sos 4.0 collects no neighbours per namespace; later versions may, as text with statistics (not read yet)',
      optional: true,
    },
  },
  brctl_show: {
    scope: 'host',
    argv: () => ['brctl', 'show'],
    about: 'Linux bridges and their members',
    optional: true,
    sos: {plugin: 'networking', paths: [`${NET}/brctl_show`], format: 'same', note: 'older sos versions only'},
  },
  bridge_link: {
    scope: 'host',
    argv: () => ['bridge', '-j', 'link'],
    about: 'Linux bridge ports',
    optional: true,
    sos: {plugin: 'networking', paths: [`${NET}/bridge_-s_-s_-d_link_show`], format: 'text'},
  },
  ps: {
    scope: 'host',
    argv: () => ['ps', '-ww', '-eo', 'pid=,args='],
    about: 'processes (dnsmasq, agents)',
    sos: {
      plugin: 'process',
      paths: ['sos_commands/process/ps_auxwww', 'ps'],
      format: 'different',
      note: '`ps auxwww`: a header and eleven columns, the command line last',
    },
  },
  netns_of_pid: {
    scope: 'pid',
    argv: (pid) => ['ip', 'netns', 'identify', pid!],
    about: 'the namespace a process runs in',
  },
  neutron_dhcp_files: {
    scope: 'host',
    argv: () => ['find', '/var/lib/neutron/dhcp', '-maxdepth', '3', '-type', 'f'],
    about: 'DHCP agent state files',
    optional: true,
    sos: {
      plugin: 'openstack_neutron',
      paths: ['var/lib/neutron/dhcp'],
      format: 'different',
      note: 'the directory tree itself, not a listing',
    },
    container: {containers: DHCP_CONTAINERS},
  },
  neutron_config_files: {
    scope: 'host',
    argv: () => ['find', '/etc/neutron', '-maxdepth', '4', '-name', '*.ini', '-type', 'f'],
    about: 'which agent configuration files exist (drives the file spec)',
    optional: true,
    sos: {
      plugin: 'openstack_neutron',
      paths: ['etc/neutron', 'var/lib/config-data/puppet-generated/neutron/etc/neutron'],
      format: 'different',
      note: 'the directory tree itself, not a listing; TripleO keeps the configuration under var/lib/config-data',
    },
    container: {containers: OVS_AGENT_CONTAINERS},
  },
  neutron_ha_files: {
    scope: 'host',
    roles: ['network'],
    argv: () => ['find', '/var/lib/neutron/ha_confs', '-maxdepth', '2', '-type', 'f'],
    about: 'keepalived files of HA routers (drives the file spec: the state files)',
    optional: true,
    sos: {
      plugin: 'openstack_neutron',
      paths: ['var/lib/neutron/ha_confs'],
      format: 'different',
      note: 'the directory tree itself (sos copies /var/lib/neutron), not a listing',
    },
  },
  nova_instance_files: {
    scope: 'host',
    roles: ['compute'],
    argv: () => [
      'find',
      '/var/lib/nova/instances',
      '/etc/libvirt/qemu',
      '-maxdepth',
      '2',
      '-name',
      '*.xml',
      '-type',
      'f',
    ],
    about: 'libvirt domain definitions',
    optional: true,
    sos: {
      plugin: 'libvirt',
      paths: ['etc/libvirt/qemu', 'var/lib/nova/instances'],
      format: 'different',
      note: 'the directory tree itself, not a listing',
    },
    container: {containers: LIBVIRT_CONTAINERS},
  },
  file: {
    scope: 'file',
    argv: (path) => ['cat', '--', path!],
    about: 'a file: DHCP host/opts/leases, libvirt XML, agent configuration',
    sos: {plugin: 'files', paths: ['{key}'], format: 'same', note: 'the file at its own path under the archive root'},
  },
  ethtool_stats: {
    scope: 'device',
    argv: (dev) => ['ethtool', '-S', dev!],
    about: 'veth peer index',
    optional: true,
    sos: {plugin: 'networking', paths: [`${NET}/ethtool_-S_{key}`], format: 'same'},
  },
  // Security groups (iptables_hybrid): the filter and raw tables the agent writes, with counters; needs root.
  iptables_save: {
    scope: 'host',
    argv: () => ['iptables-save', '-c'],
    about: 'IPv4 firewall rules of every table, with packet counters (security groups)',
    optional: true,
    sos: {
      plugin: 'firewall_tables',
      paths: [`${FW}/iptables-save`, `${NET}/iptables-save`],
      format: 'same',
      note: 'without -c: no counters',
    },
  },
  ip6tables_save: {
    scope: 'host',
    argv: () => ['ip6tables-save', '-c'],
    about: 'IPv6 firewall rules of every table, with packet counters (security groups)',
    optional: true,
    sos: {
      plugin: 'firewall_tables',
      paths: [`${FW}/ip6tables-save`, `${NET}/ip6tables-save`],
      format: 'same',
      note: 'without -c: no counters',
    },
  },
  ipset_save: {
    scope: 'host',
    argv: () => ['ipset', 'save'],
    about: 'IP sets: the members of each security group (iptables_hybrid)',
    optional: true,
    sos: {plugin: 'firewall_tables', paths: [`${FW}/ipset_save`, `${NET}/ipset_save`], format: 'same'},
  },
  sysctl_bridge_nf: {
    scope: 'host',
    // -e: a key the kernel lacks (br_netfilter not loaded) prints nothing instead of failing.
    argv: () => ['sysctl', '-e', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'],
    about: 'whether bridged frames pass through iptables (br_netfilter), which iptables_hybrid needs',
    optional: true,
    sos: {plugin: 'kernel', paths: ['sos_commands/kernel/sysctl_-a'], format: 'same', note: 'every sysctl'},
  },
}

export type CatalogSpec = Spec<SpecId>

export const SPECS: CatalogSpec[] = (Object.keys(DEFINITIONS) as SpecId[]).map(
  (id) => ({id, ...DEFINITIONS[id]}) as CatalogSpec,
)

/** Look-up by an id read from data (a manifest): string keys. */
export const SPEC_BY_ID: ReadonlyMap<string, CatalogSpec> = new Map(SPECS.map((spec) => [spec.id, spec]))

/** Is this text (from a manifest on disk) a spec id this neutrace knows? */
export function isSpecId(id: unknown): id is SpecId {
  return typeof id === 'string' && SPEC_BY_ID.has(id)
}

/** A capture's spec id as a source of facts and problems: a spec this neutrace does not know is the collection's. */
export function sourceOf(id: string): SourceId {
  return isSpecId(id) ? id : 'collect'
}

/** The argv that runs a spec inside a container. */
export function containerArgv(runtime: ContainerRuntime, container: string, argv: string[]): string[] {
  return [runtime, 'exec', container, ...argv]
}
