// Text the lab writes: the node's init script, daemon configs, Neutron/Nova state files, the agent's flows, the intent
// bodies and the inventory. Pure functions of the plan, so tests (and faults) can say what "correct" looks like.

import {createHash} from 'node:crypto'
import YAML from 'yaml'
import type {LabPlan, PlanNetwork, PlanNode, PlanPort, PlanVm} from './topology.js'

/** Paths inside a node (the same on every node: each node bind-mounts its own copy). */
export const NODE_PATHS = {
  ovsRun: '/var/run/openvswitch',
  ovsEtc: '/etc/openvswitch',
  ovsLog: '/var/log/openvswitch',
  neutronLib: '/var/lib/neutron',
  novaLib: '/var/lib/nova',
  neutronEtc: '/etc/neutron',
  sshRun: '/run/sshd',
  sshEtc: '/etc/ssh',
  // Each host has its own home: root's real ~/.bashrc (pyenv init, rehash locks) must not run in every SSH session.
  home: '/root',
} as const

export type NodeDirKey = keyof typeof NODE_PATHS

export const AGENT_INI = '/etc/neutron/plugins/ml2/openvswitch_agent.ini'
export const ML2_INI = '/etc/neutron/plugins/ml2/ml2_conf.ini'
export const DHCP_AGENT_INI = '/etc/neutron/dhcp_agent.ini'

export function dhcpDir(networkId: string): string {
  return `/var/lib/neutron/dhcp/${networkId}`
}

export function libvirtXmlPath(vm: PlanVm): string {
  return `/var/lib/nova/instances/${vm.uuid}/libvirt.xml`
}

/**
 * PID 1 of a node. It makes the node's mounts private, gives it its own /run/netns, its own Neutron/Nova/OVS/ssh
 * directories and a /sys seen from its network namespace, starts OVS, then only reaps orphans: bash's wait reaps any
 * child, and orphans of the PID namespace are re-parented to it. SIGTERM & co are ignored (an init does not die of
 * them); only SIGKILL from outside ends the node, and with it every process in its PID namespace.
 */
export function nodeInitScript(): string {
  return `#!/bin/bash
# neutrace lab node init. Args: NODE_DIR HOSTNAME WITH_OVS(0|1); NODE_DIR/binds lists SRC=DST bind mounts.
set -eu
node_dir=$1 name=$2 with_ovs=$3
exec </dev/null
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run/netns
if [ -f "$node_dir/binds" ]; then
  while IFS= read -r pair; do
    [ -n "$pair" ] && mount --bind "\${pair%%=*}" "\${pair#*=}"
  done < "$node_dir/binds"
fi
mount -t sysfs sysfs /sys
hostname "$name"
ip link set lo up
if [ "$with_ovs" = 1 ]; then
  ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server /etc/openvswitch/conf.db --remote=punix:/var/run/openvswitch/db.sock \\
    --pidfile=/var/run/openvswitch/ovsdb-server.pid --detach --log-file=/var/log/openvswitch/ovsdb-server.log
  ovs-vsctl --no-wait init
  ovs-vswitchd unix:/var/run/openvswitch/db.sock --pidfile=/var/run/openvswitch/ovs-vswitchd.pid --detach \\
    --log-file=/var/log/openvswitch/ovs-vswitchd.log
fi
echo ready > "$node_dir/ready"
set +e
trap '' TERM INT HUP QUIT USR1 USR2 PIPE
while :; do
  sleep 3600 &
  wait $!
done
`
}

export function sshdConfig(address: string): string {
  return [
    "# neutrace lab: this node's own sshd",
    `ListenAddress ${address}`,
    'Port 22',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'AuthorizedKeysFile /etc/ssh/authorized_keys',
    'PidFile /run/sshd/sshd.pid',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n')
}

function firewallDriver(plan: LabPlan): string {
  return plan.options.plug === 'hybrid'
    ? 'neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver'
    : 'neutron.agent.firewall.NoopFirewallDriver'
}

function vlanRange(plan: LabPlan): string {
  const segs = plan.networks.filter((n) => n.segmentationId !== null).map((n) => n.segmentationId!)
  const lo = Math.min(1000, ...segs)
  const hi = Math.max(1999, ...segs)
  return `${plan.options.physnet}:${lo}:${hi}`
}

export function agentIni(plan: LabPlan): string {
  return [
    '[ovs]',
    'integration_bridge = br-int',
    `bridge_mappings = ${plan.options.physnet}:${plan.options.physicalBridge}`,
    'tenant_network_type = vlan',
    `network_vlan_ranges = ${vlanRange(plan)}`,
    `use_veth_interconnection = ${plan.options.intPhyLink === 'veth' ? 'True' : 'False'}`,
    '',
    '[agent]',
    'polling_interval = 2',
    'root_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf',
    '',
    '[securitygroup]',
    `firewall_driver = ${firewallDriver(plan)}`,
    '',
  ].join('\n')
}

export function ml2Ini(plan: LabPlan): string {
  return [
    '[ml2]',
    'type_drivers = flat,vlan',
    'tenant_network_types = vlan',
    'mechanism_drivers = openvswitch',
    '',
    '[ml2_type_flat]',
    `flat_networks = ${plan.options.physnet}`,
    '',
    '[ml2_type_vlan]',
    `network_vlan_ranges = ${vlanRange(plan)}`,
    '',
    '[securitygroup]',
    `firewall_driver = ${firewallDriver(plan)}`,
    'enable_security_group = True',
    '',
  ].join('\n')
}

export function dhcpAgentIni(): string {
  return [
    '[DEFAULT]',
    'interface_driver = neutron.agent.linux.interface.OVSInterfaceDriver',
    'dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq',
    'use_namespaces = True',
    'ovs_use_veth = False',
    'dhcp_domain = openstacklocal',
    '',
  ].join('\n')
}

export function dhcpHostname(ip: string): string {
  return `host-${ip.replace(/[.:]/g, '-')}`
}

/** Ports of a network in Neutron's order for the DHCP files: the DHCP port, then the VMs. */
export function networkPorts(plan: LabPlan, net: PlanNetwork): PlanPort[] {
  return [net.dhcpPort, ...plan.vms.filter((v) => v.networkId === net.id).map((v) => v.port)]
}

/** The Havana/Icehouse `host` file line of one port. */
export function dhcpHostLine(port: PlanPort): string {
  return `${port.mac},${dhcpHostname(port.ip)}.openstacklocal,${port.ip}`
}

export function dhcpHostFile(ports: PlanPort[]): string {
  return ports.map((p) => `${dhcpHostLine(p)}\n`).join('')
}

export function dhcpAddnHosts(ports: PlanPort[]): string {
  return ports.map((p) => `${p.ip}\t${dhcpHostname(p.ip)}.openstacklocal ${dhcpHostname(p.ip)}\n`).join('')
}

export function dhcpOpts(net: PlanNetwork): string {
  return `tag:tag0,option:router,${net.gateway}\n`
}

/** dnsmasq's argv exactly as the Icehouse DHCP agent builds it (run under `ip netns exec … env …`). */
export function dnsmasqArgv(net: PlanNetwork): string[] {
  const dir = dhcpDir(net.id)
  return [
    'dnsmasq',
    '--no-hosts',
    '--no-resolv',
    '--strict-order',
    '--bind-interfaces',
    `--interface=${net.dhcpPort.tap}`,
    '--except-interface=lo',
    `--pid-file=${dir}/pid`,
    `--dhcp-hostsfile=${dir}/host`,
    `--addn-hosts=${dir}/addn_hosts`,
    `--dhcp-optsfile=${dir}/opts`,
    `--dhcp-leasefile=${dir}/leases`,
    `--dhcp-range=set:tag0,${net.networkAddress},static,86400s`,
    '--dhcp-lease-max=256',
    '--conf-file=',
    '--domain=openstacklocal',
  ]
}

export function dnsmasqCommand(net: PlanNetwork): string[] {
  return ['ip', 'netns', 'exec', net.netns, 'env', `NEUTRON_NETWORK_ID=${net.id}`, ...dnsmasqArgv(net)]
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** The domain XML Nova (Havana) wrote to /var/lib/nova/instances/<uuid>/libvirt.xml. */
export function libvirtXml(plan: LabPlan, vm: PlanVm): string {
  const dir = `/var/lib/nova/instances/${vm.uuid}`
  const iface =
    plan.options.plug === 'hybrid'
      ? [
          '    <interface type="bridge">',
          `      <mac address="${vm.port.mac}"/>`,
          '      <model type="virtio"/>',
          `      <source bridge="${vm.qbr}"/>`,
          `      <target dev="${vm.tap}"/>`,
          '    </interface>',
        ]
      : [
          '    <interface type="bridge">',
          `      <mac address="${vm.port.mac}"/>`,
          '      <model type="virtio"/>',
          '      <source bridge="br-int"/>',
          `      <target dev="${vm.tap}"/>`,
          '      <virtualport type="openvswitch">',
          `        <parameters interfaceid="${vm.port.id}"/>`,
          '      </virtualport>',
          '    </interface>',
        ]
  return [
    '<domain type="kvm">',
    `  <uuid>${vm.uuid}</uuid>`,
    `  <name>${xmlEscape(vm.instanceName)}</name>`,
    '  <memory>524288</memory>',
    '  <vcpu>1</vcpu>',
    '  <sysinfo type="smbios">',
    '    <system>',
    '      <entry name="manufacturer">Red Hat Inc.</entry>',
    '      <entry name="product">OpenStack Nova</entry>',
    '      <entry name="version">2013.2</entry>',
    `      <entry name="serial">${vm.uuid}</entry>`,
    `      <entry name="uuid">${vm.uuid}</entry>`,
    '    </system>',
    '  </sysinfo>',
    '  <os>',
    '    <type>hvm</type>',
    '    <boot dev="hd"/>',
    '    <smbios mode="sysinfo"/>',
    '  </os>',
    '  <features>',
    '    <acpi/>',
    '    <apic/>',
    '  </features>',
    '  <clock offset="utc">',
    '    <timer name="pit" tickpolicy="delay"/>',
    '    <timer name="rtc" tickpolicy="catchup"/>',
    '  </clock>',
    '  <cpu mode="host-model" match="exact"/>',
    '  <devices>',
    '    <disk type="file" device="disk">',
    '      <driver name="qemu" type="qcow2" cache="none"/>',
    `      <source file="${dir}/disk"/>`,
    '      <target bus="virtio" dev="vda"/>',
    '    </disk>',
    ...iface,
    '    <serial type="file">',
    `      <source path="${dir}/console.log"/>`,
    '    </serial>',
    '    <serial type="pty"/>',
    '    <input type="tablet" bus="usb"/>',
    '    <graphics type="vnc" autoport="yes" keymap="en-us" listen="127.0.0.1"/>',
    '    <video>',
    '      <model type="cirrus"/>',
    '    </video>',
    '  </devices>',
    '</domain>',
    '',
  ].join('\n')
}

// ---------------------------------------------------------------------------------------------------------------------
// Flows, as the Havana/Icehouse agent adds them (single table, ovs-ofctl add-flow syntax; NORMAL spelled as dumps
// print it, so `expected` in a fault reads like the dump line it should match).

export interface AgentFlow {
  bridge: string
  /** What a strict del-flows/mod-flows matches on. */
  match: string
  actions: string
  priority: number
}

export function flowText(f: AgentFlow): string {
  return `${f.match} actions=${f.actions}`
}

export interface Ofports {
  int: number
  phy: number
}

/** Flows set up once per bridge when the agent starts. */
export function baseFlows(plan: LabPlan, of: Ofports): AgentFlow[] {
  const phys = plan.options.physicalBridge
  return [
    {bridge: 'br-int', priority: 1, match: 'priority=1', actions: 'NORMAL'},
    {bridge: phys, priority: 1, match: 'priority=1', actions: 'NORMAL'},
    {bridge: 'br-int', priority: 2, match: `priority=2,in_port=${of.int}`, actions: 'drop'},
    {bridge: phys, priority: 2, match: `priority=2,in_port=${of.phy}`, actions: 'drop'},
  ]
}

/** The egress (physical bridge, local → segment) flow of a network on a host with local VLAN `lvid`. */
export function egressFlow(
  plan: LabPlan,
  net: PlanNetwork,
  lvid: number,
  of: Ofports,
  segOverride?: number,
): AgentFlow {
  const seg = segOverride ?? net.segmentationId
  return {
    bridge: plan.options.physicalBridge,
    priority: 4,
    match: `priority=4,in_port=${of.phy},dl_vlan=${lvid}`,
    actions: seg === null ? 'strip_vlan,NORMAL' : `mod_vlan_vid:${seg},NORMAL`,
  }
}

/** The ingress (br-int, segment → local) flow. Flat networks match untagged frames (dl_vlan=0xffff). */
export function ingressFlow(net: PlanNetwork, lvid: number, of: Ofports): AgentFlow {
  const vlan = net.segmentationId === null ? '0xffff' : String(net.segmentationId)
  return {
    bridge: 'br-int',
    priority: 3,
    match: `priority=3,in_port=${of.int},dl_vlan=${vlan}`,
    actions: `mod_vlan_vid:${lvid},NORMAL`,
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Intent: what Neutron's and Nova's APIs would answer.

const CREATED = '2013-11-20T10:00:00Z'

export function networksBody(plan: LabPlan): unknown {
  return {
    networks: plan.networks.map((n) => ({
      id: n.id,
      name: n.name,
      tenant_id: plan.tenantId,
      admin_state_up: true,
      status: 'ACTIVE',
      shared: false,
      subnets: [n.subnetId],
      'router:external': false,
      'provider:network_type': n.type,
      'provider:physical_network': plan.options.physnet,
      'provider:segmentation_id': n.segmentationId,
    })),
  }
}

export function subnetsBody(plan: LabPlan): unknown {
  return {
    subnets: plan.networks.map((n) => ({
      id: n.subnetId,
      name: '',
      tenant_id: plan.tenantId,
      network_id: n.id,
      ip_version: 4,
      cidr: n.cidr,
      gateway_ip: n.gateway,
      enable_dhcp: true,
      allocation_pools: [{start: n.poolStart, end: n.poolEnd}],
      dns_nameservers: [],
      host_routes: [],
    })),
  }
}

function portBody(plan: LabPlan, port: PlanPort): Record<string, unknown> {
  const net = plan.networks.find((n) => n.id === port.networkId)!
  return {
    id: port.id,
    name: '',
    network_id: port.networkId,
    tenant_id: plan.tenantId,
    mac_address: port.mac,
    admin_state_up: true,
    status: 'ACTIVE',
    fixed_ips: [{subnet_id: net.subnetId, ip_address: port.ip}],
    device_owner: port.deviceOwner,
    device_id: port.deviceId,
    'binding:host_id': port.host,
    'binding:vif_type': 'ovs',
    'binding:vif_details': {
      port_filter: plan.options.plug === 'hybrid',
      ovs_hybrid_plug: plan.options.plug === 'hybrid',
    },
    'binding:vnic_type': 'normal',
    'binding:profile': {},
    security_groups: port.deviceOwner === 'compute:nova' ? [securityGroupId(plan)] : [],
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
  }
}

function securityGroupId(plan: LabPlan): string {
  return uuidLike(createHash('sha256').update(`${plan.options.seed}/secgroup/default`).digest('hex'))
}

function uuidLike(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export function portsBody(plan: LabPlan): unknown {
  return {
    ports: [...plan.networks.map((n) => n.dhcpPort), ...plan.vms.map((v) => v.port)].map((p) => portBody(plan, p)),
  }
}

export function serversBody(plan: LabPlan): unknown {
  return {
    servers: plan.vms.map((vm) => ({
      id: vm.uuid,
      name: vm.name,
      status: 'ACTIVE',
      tenant_id: plan.tenantId,
      user_id: 'b2a3c4d5e6f748a9b0c1d2e3f4a5b6c7',
      hostId: createHash('sha224')
        .update(plan.tenantId + vm.host)
        .digest('hex'),
      created: CREATED,
      updated: CREATED,
      image: {id: '1e9b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b'},
      flavor: {id: '1'},
      key_name: null,
      metadata: {},
      security_groups: [{name: 'default'}],
      accessIPv4: '',
      accessIPv6: '',
      addresses: {
        [vm.network]: [
          {version: 4, addr: vm.port.ip, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': vm.port.mac},
        ],
      },
      'OS-EXT-SRV-ATTR:host': vm.host,
      'OS-EXT-SRV-ATTR:hypervisor_hostname': vm.host,
      'OS-EXT-SRV-ATTR:instance_name': vm.instanceName,
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:power_state': 1,
      'OS-EXT-STS:task_state': null,
      'OS-EXT-AZ:availability_zone': 'nova',
    })),
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Access: inventory and known_hosts.

export function inventoryYaml(plan: LabPlan, identityFile: string, knownHostsFile: string): string {
  const doc = new YAML.Document({
    defaults: {user: 'root', identityFile, knownHostsFile},
    hosts: Object.fromEntries(
      plan.nodes.map((n: PlanNode) => [n.name, {address: n.address, port: 22, roles: n.roles}]),
    ),
  })
  YAML.visit(doc, {
    Seq(_, node) {
      node.flow = true
    },
  })
  return `# neutrace lab inventory (slot ${plan.slot})\n${doc.toString()}`
}

export function knownHostsLine(address: string, hostPublicKey: string): string {
  const [type, key] = hostPublicKey.trim().split(/\s+/)
  return `${address} ${type} ${key}\n`
}

/** udhcpc script that only prints the lease (tests). */
export const UDHCPC_PRINT_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew) echo "lease ip=$ip mask=$mask router=$router serverid=$serverid hostname=$hostname domain=$domain" ;;
esac
exit 0
`

/** udhcpc script that configures the lease on the guest's NIC (the VM "boots"). */
export const UDHCPC_APPLY_SCRIPT = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    echo "lease ip=$ip mask=$mask"
    ;;
esac
exit 0
`

/** Stand-in for a command that never answers (the `hang` fault). */
export const HANG_SCRIPT = `#!/bin/sh
exec sleep infinity
`
