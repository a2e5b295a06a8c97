// The catalog of finding codes: the words live here, and only here. Per code: one severity, one sentence of
// documentation (the README's table), and for each case an analyzer can report, a message template and a remedy
// template that the analyzer fills with facts (names, VLANs, hosts). Analyzers never write prose or pick a severity.
// Codes are a stable contract (JSON output, exit codes, runbooks): add new ones, never rename.
//
// Remedies are for pasting: every name goes through `sh` (src/render/shell.ts), which quotes it as one shell word or,
// when it fails validation, prints no command and says why.

import {sh} from '../render/shell.js'

export type Severity = 'error' | 'warning' | 'info'

/** One way a code fires: its message and remedy, from the facts the analyzer supplies. */
export interface Case<F> {
  message: (facts: F) => string
  remedy?: (facts: F) => string
}

/** A case: its facts are those its message and its remedy read. */
function when<M, R = unknown>(message: (facts: M) => string, remedy?: (facts: R) => string): Case<M & R> {
  return {message, remedy}
}

interface Entry<C> {
  severity: Severity
  /** One sentence: what the code means (README's table of codes, word for word). */
  about: string
  cases: C
}

function code<C extends Record<string, Case<never>>>(severity: Severity, about: string, cases: C): Entry<C> {
  return {severity, about, cases}
}

const restartOvsAgent = (host: string) => `restart neutron-openvswitch-agent on ${host}`
const restartDhcpAgent = (host: string) => `restart neutron-dhcp-agent on ${host}`
const restartL3Agent = (host: string) => `restart neutron-l3-agent on ${host}`
const hardReboot = 'hard-reboot the instance so Nova/os-vif replugs it'
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many)

export const CATALOG = {
  FLOW_MISSING: code(
    'error',
    'A flow the agent should have installed is absent (a VLAN translation on the physical bridge or br-int, a VNI translation or flood entry on br-tun, or the default flow a table needs), so the frames are dropped.',
    {
      egress: when(
        (f: {host: string; bridge: string; vlan: number; network: string; segment: string; dropped: boolean}) =>
          `${f.bridge} has no flow translating local VLAN ${f.vlan} of ${f.network} to ${f.segment}: frames from ${f.host}'s ports ${f.dropped ? 'are dropped' : 'leave untranslated'}`,
        (f: {host: string; bridge: string; flow: string}) =>
          `${restartOvsAgent(f.host)} to reinstall its flows, or: ${sh`ovs-ofctl add-flow ${f.bridge} ${f.flow}`}`,
      ),
      ingress: when(
        (f: {
          host: string
          bridge: string
          port: string
          vlan: number
          network: string
          segment: string
          dropped: boolean
        }) =>
          `${f.bridge} has no flow translating ${f.segment} from ${f.port} to local VLAN ${f.vlan} of ${f.network}: frames from the physical network ${f.dropped ? 'are dropped' : 'are not delivered to its ports'}`,
        (f: {host: string; bridge: string; flow: string}) =>
          `${restartOvsAgent(f.host)} to reinstall its flows, or: ${sh`ovs-ofctl add-flow ${f.bridge} ${f.flow}`}`,
      ),
      tunnelInbound: when(
        (f: {bridge: string; type: string; vni: number; network: string; vlan: number}) =>
          `${f.bridge} has no flow giving ${f.type} id ${f.vni} (${f.network}) its local VLAN ${f.vlan}: frames of ${f.network} from other hosts are dropped`,
        (f: {host: string; bridge: string; flow: string}) =>
          `${restartOvsAgent(f.host)} to reinstall its flows, or: ${sh`ovs-ofctl add-flow ${f.bridge} ${f.flow}`}`,
      ),
      tunnelFlood: when(
        (f: {bridge: string; vlan: number; network: string; peers: string[]}) =>
          `${f.bridge} has no flood entry for local VLAN ${f.vlan} (${f.network}): broadcasts (DHCP, ARP) from its ports never reach ${f.peers.join(', ')}`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to reinstall its flows`,
      ),
      tableMiss: when(
        (f: {host: string; bridge: string; table: number; port: string; vlan: string; what: string}) =>
          `no flow in table ${f.table} of ${f.bridge} takes ${f.what} from ${f.port} (${f.vlan}): they miss the table and are dropped`,
        (f: {host: string; bridge: string; flow?: string}) =>
          `${restartOvsAgent(f.host)} to reinstall its flows${f.flow ? `, or: ${sh`ovs-ofctl add-flow ${f.bridge} ${f.flow}`}` : ''}`,
      ),
    },
  ),
  // One severity, error: a flow that can never match is a table that does not do what whoever installed the flow meant.
  // For the agent's own flows that is frames dropped or misdirected — the tracer says DROPPED — so diagnose must fail
  // too (exit 1), not pass with a warning. What is harmless is not reported at all: a shadowed flow that would do
  // what its shadow does, and the agent's drop under a dead port's resubmit (shadow.ts).
  FLOW_SHADOWED: code(
    'error',
    'A flow can never match because a higher-priority flow in the same table matches everything it matches.',
    {
      egress: when(
        (f: {bridge: string; vlan: number; priority: number}) =>
          `the egress translation for local VLAN ${f.vlan} on ${f.bridge} never matches: a priority ${f.priority} flow takes its frames first`,
        (f: {bridge: string; shadowing: string}) =>
          `remove the shadowing flow: ${sh`ovs-ofctl --strict del-flows ${f.bridge} ${f.shadowing}`}`,
      ),
      ingress: when(
        (f: {bridge: string; segment: string; priority: number}) =>
          `the ingress translation of ${f.segment} on ${f.bridge} never matches: a priority ${f.priority} flow takes its frames first`,
        (f: {bridge: string; shadowing: string}) =>
          `remove the shadowing flow: ${sh`ovs-ofctl --strict del-flows ${f.bridge} ${f.shadowing}`}`,
      ),
      any: when(
        (f: {bridge: string; table: number; priority: number}) =>
          `this flow never matches: the priority ${f.priority} flow above it in table ${f.table} of ${f.bridge} matches everything it does`,
        () => 'remove the stale flow or the over-broad one; if the agent installed both, restart it to resync',
      ),
    },
  ),
  SEGMENT_MISMATCH: code(
    'error',
    "A translation flow maps the network's local VLAN to a segment other than Neutron's segmentation id (or hosts disagree).",
    {
      egress: when(
        (f: {bridge: string; vlan: number; network: string; sentAs: string; segment: string}) =>
          `${f.bridge} sends local VLAN ${f.vlan} of ${f.network} out as ${f.sentAs}, but Neutron's segment is ${f.segment}`,
        (f: {host: string; bridge: string}) =>
          `${restartOvsAgent(f.host)} so it reprograms ${f.bridge} from the server's segmentation id`,
      ),
      ingress: when(
        (f: {bridge: string; from: string; vlan: number; network: string; segment: string}) =>
          `${f.bridge} maps ${f.from} to local VLAN ${f.vlan} of ${f.network}, but Neutron's segment is ${f.segment}`,
        (f: {host: string; bridge: string}) =>
          `${restartOvsAgent(f.host)} so it reprograms ${f.bridge} from the server's segmentation id`,
      ),
      tunnelInbound: when(
        (f: {bridge: string; vlan: number; network: string; type: string; got: number; vni: number}) =>
          `${f.bridge} gives local VLAN ${f.vlan} of ${f.network} to ${f.type} id ${f.got}, but Neutron's segmentation id is ${f.vni}: frames of ${f.network} from other hosts are dropped`,
        (f: {host: string; bridge: string}) =>
          `${restartOvsAgent(f.host)} so it reprograms ${f.bridge} from the server's segmentation id (and check the other hosts agree)`,
      ),
      tunnelFlood: when(
        (f: {bridge: string; vlan: number; network: string; type: string; got: number; vni: number}) =>
          `${f.bridge} floods local VLAN ${f.vlan} of ${f.network} with ${f.type} id ${f.got}, but Neutron's segmentation id is ${f.vni}: other hosts drop it`,
        (f: {host: string; bridge: string}) =>
          `${restartOvsAgent(f.host)} so it reprograms ${f.bridge} from the server's segmentation id`,
      ),
      hosts: when(
        (f: {host: string; network: string; segment: number; majority: number}) =>
          `${f.host} puts ${f.network} on VLAN ${f.segment} while the other hosts use VLAN ${f.majority}`,
        (f: {host: string; networkId: string}) =>
          `compare with ${sh`openstack network show ${f.networkId} -c provider:segmentation_id`}; ${restartOvsAgent(f.host)}`,
      ),
    },
  ),
  VLAN_TAG_MISMATCH: code(
    'error',
    'A port on br-int carries a VLAN tag other than the local VLAN of its network on that host (or no tag at all).',
    {
      untagged: when(
        (f: {host: string; port: string; bridge: string}) =>
          `${f.port} on ${f.bridge} has no VLAN tag: the OVS agent never wired it, so its frames are switched untagged`,
        (f: {host: string}) =>
          `check that neutron-openvswitch-agent on ${f.host} runs; it tags the port when it processes it`,
      ),
      otherTag: when(
        (f: {host: string; port: string; tag: number; network: string; vlan: number; from: string}) =>
          `${f.port} carries tag ${f.tag}, but ${f.network} uses local VLAN ${f.vlan} on ${f.host} (${f.from})`,
        (f: {host: string; port: string; vlan: number}) =>
          `${sh`ovs-vsctl set Port ${f.port} tag=${f.vlan}`}  (or ${restartOvsAgent(f.host)} to resync)`,
      ),
    },
  ),
  // A port Neutron holds down (not ACTIVE) belongs in 4095: that is not reported at all, so the code has one severity.
  DEAD_VLAN: code(
    'error',
    'A port that should be in service sits in the dead VLAN 4095: the agent marked it dead or never bound it.',
    {
      dead: when(
        (f: {port: string; bridge: string; vlan: number}) =>
          `${f.port} on ${f.bridge} is in the dead VLAN ${f.vlan}: the OVS agent marked it dead or has not bound it, so it drops all its traffic`,
        (f: {host: string; portId: string}) =>
          `check the port's status and binding (${sh`openstack port show ${f.portId}`}); check that neutron-openvswitch-agent on ${f.host} runs and is alive, then let it resync (restart the agent)`,
      ),
    },
  ),
  LOCAL_VLAN_CONFLICT: code(
    'error',
    'Two networks share one local VLAN on the same host: their traffic is not isolated.',
    {
      shared: when(
        (f: {host: string; vlan: number; networks: string[]}) =>
          `networks ${f.networks.join(' and ')} share local VLAN ${f.vlan} on ${f.host}: their traffic mixes`,
        (f: {host: string}) => `${restartOvsAgent(f.host)}: it reallocates local VLANs`,
      ),
    },
  ),
  PORT_MISSING: code(
    'error',
    'A device or OVS port the wiring requires (tap, qbr, qvb, qvo, DHCP tap) is absent or not attached where it belongs.',
    {
      qvoElsewhere: when(
        (f: {qvo: string; bridge: string}) => `${f.qvo} is on ${f.bridge}, not on br-int`,
        (f: {qvo: string; portId: string; mac?: string; vmId?: string}) => plugQvo(f),
      ),
      qvoAbsent: when(
        (f: {qvo: string; portId: string}) =>
          `${f.qvo} is not a port of br-int: ${f.portId} is cut off from the integration bridge`,
        (f: {qvo: string; portId: string; mac?: string; vmId?: string}) => plugQvo(f),
      ),
      qvoBroken: when(
        (f: {qvo: string; error: string}) => `OVS has port ${f.qvo} but cannot open its device: ${f.error}`,
        (f: {qvb: string; qvo: string}) =>
          `recreate the veth pair ${f.qvb}/${f.qvo} (hard-reboot the instance) or remove the stale port`,
      ),
      qbrAbsent: when(
        (f: {qbr: string; tap: string; qvb: string}) =>
          `Linux bridge ${f.qbr} does not exist: ${f.tap} and ${f.qvb} have nothing joining them`,
        (f: {qbr: string}) => `hard-reboot the instance so Nova/os-vif recreates ${f.qbr}`,
      ),
      qvbDetached: when(
        (f: {qvb: string; qbr: string; elsewhere?: string}) =>
          `${f.qvb} is not attached to ${f.qbr}${f.elsewhere ? ` (it is on ${f.elsewhere})` : ''}: the VM's frames stop at the Linux bridge`,
        (f: {qbr: string; qvb: string}) => sh`brctl addif ${f.qbr} ${f.qvb}`,
      ),
      tapDetached: when(
        (f: {tap: string; qbr: string}) => `the VM's ${f.tap} is not attached to ${f.qbr}`,
        (f: {tap: string; qbr: string}) => `${sh`brctl addif ${f.qbr} ${f.tap}`}  (or hard-reboot the instance)`,
      ),
      notOnIntegration: when(
        (f: {device: string; portId: string}) => `${f.device} (port ${f.portId}) is not a port of br-int`,
        () => 'hard-reboot the instance so Nova replugs the VIF',
      ),
      dhcpDevice: when(
        (f: {device: string; namespace: string; ovsHasIt: boolean}) =>
          `the DHCP port device ${f.device} is not in ${f.namespace}${f.ovsHasIt ? ' (OVS still has the port)' : ''}`,
        (f: {host: string}) => restartDhcpAgent(f.host),
      ),
    },
  ),
  LINK_BROKEN: code(
    'error',
    'A link between two elements is broken: a veth or patch peer missing or mismatched, or an end administratively down.',
    {
      peerAbsent: when(
        (f: {present: string; absent: string}) => `${f.present} exists but its veth peer ${f.absent} does not`,
        () => `recreate the veth pair: ${hardReboot}`,
      ),
      vifPeerOther: when(
        (f: {device: string; peer: string; expected: string}) =>
          `${f.device}'s veth peer is ${f.peer}, not ${f.expected}`,
        () => hardReboot,
      ),
      vifEndDown: when(
        (f: {device: string; how: string; qbr: string}) =>
          `${f.device} is down (${f.how}): the veth between ${f.qbr} and br-int carries nothing`,
        (f: {device: string}) => sh`ip link set ${f.device} up`,
      ),
      uplinkDown: when(
        (f: {nic: string; bridge: string}) => `uplink NIC ${f.nic} of ${f.bridge} is down`,
        (f: {nic: string}) => `${sh`ip link set ${f.nic} up`}; check the cable/switch port`,
      ),
      bridgePortAbsent: when(
        (f: {port: string; bridge: string; physBridge: string}) =>
          `${f.port} is missing from ${f.bridge}: br-int and ${f.physBridge} are not connected`,
        (f: {host: string; intPort: string; phyPort: string}) =>
          `${restartOvsAgent(f.host)}: it recreates the ${f.intPort}/${f.phyPort} link`,
      ),
      patchPeerOther: when(
        (f: {port: string; peer?: string; expected: string}) =>
          `patch port ${f.port} points at peer ${f.peer ?? '(none)'}, not ${f.expected}`,
        (f: {port: string; expected: string}) => sh`ovs-vsctl set Interface ${f.port} options:peer=${f.expected}`,
      ),
      bridgePeerOther: when(
        (f: {port: string; peer: string; expected: string}) => `${f.port}'s veth peer is ${f.peer}, not ${f.expected}`,
        (f: {host: string}) => restartOvsAgent(f.host),
      ),
      bridgeEndDown: when(
        (f: {device: string; bridge: string}) =>
          `${f.device} is down: the veth between br-int and ${f.bridge} carries nothing`,
        (f: {device: string}) => sh`ip link set ${f.device} up`,
      ),
    },
  ),
  UPLINK_MISSING: code(
    'error',
    'The physical bridge named in bridge_mappings is missing or has no physical NIC, or bridge_mappings names no bridge for a physical network the host needs.',
    {
      noBridge: when(
        (f: {host: string; bridge: string; physnet?: string}) =>
          `bridge_mappings names ${f.bridge}${f.physnet ? ` for ${f.physnet}` : ''}, but ${f.host} has no such OVS bridge`,
        (f: {host: string; bridge: string; nic?: string}) =>
          f.nic
            ? `${sh`ovs-vsctl add-br ${f.bridge} -- add-port ${f.bridge} ${f.nic}`}, then ${restartOvsAgent(f.host)}`
            : `create ${f.bridge} and add the host's physical NIC for it (ovs-vsctl add-br, ovs-vsctl add-port), then ${restartOvsAgent(f.host)}`,
      ),
      noNic: when(
        (f: {bridge: string; physnet?: string; nic?: string; nicFrom?: string}) =>
          `${f.bridge} has no physical NIC: frames for ${f.physnet ?? 'its physical network'} go nowhere${f.nic ? ` (${f.nic}, ${f.nicFrom}, is not on it)` : ''}`,
        (f: {bridge: string; nic?: string}) =>
          f.nic
            ? sh`ovs-vsctl add-port ${f.bridge} ${f.nic}`
            : `add the host's physical NIC for ${f.bridge} to it with ovs-vsctl add-port (which NIC it is could not be told from the captures)`,
      ),
      unmapped: when(
        (f: {host: string; physnet: string; current: string; networks: string[]}) => {
          const n = f.networks.length
          return `bridge_mappings = ${f.current} on ${f.host} has no bridge for physical network ${f.physnet}, which ${f.networks.join(', ')} ${plural(n, 'uses', 'use')} here: the OVS agent cannot provision ${plural(n, 'it', 'them')} and installs no VLAN translation for ${plural(n, 'it', 'them')}`
        },
        (f: {host: string; physnet: string; bridge?: string}) =>
          `add ${f.physnet}:${f.bridge ?? '<bridge>'} to [ovs] bridge_mappings in openvswitch_agent.ini on ${f.host} and restart neutron-openvswitch-agent (its log says "no bridge for physical_network ${f.physnet}")`,
      ),
    },
  ),
  NAMESPACE_MISSING: code(
    'error',
    'The qdhcp namespace of a DHCP-enabled network is absent on the host that should serve it.',
    {
      absent: when(
        (f: {host: string; network: string; namespace: string}) =>
          `${f.host} should serve DHCP for ${f.network} but has no namespace ${f.namespace}`,
        (f: {host: string; namespace: string}) =>
          `${restartDhcpAgent(f.host)}; it recreates ${f.namespace} and dnsmasq`,
      ),
    },
  ),
  DHCP_SERVER_DOWN: code('error', 'No dnsmasq serves a network whose DHCP namespace or files exist.', {
    noProcess: when(
      (f: {host: string; network: string}) => `no dnsmasq runs for ${f.network} on ${f.host}: VMs on it get no address`,
      (f: {host: string}) => `${restartDhcpAgent(f.host)}; if it keeps dying, look for "dnsmasq" in its log`,
    ),
  }),
  DHCP_HOST_MISSING: code(
    'error',
    "A port's MAC address is not in its network's dnsmasq host file: the VM gets no lease.",
    {
      noEntry: when(
        (f: {network: string; mac: string; vm?: string}) =>
          `dnsmasq for ${f.network} does not know ${f.mac}${f.vm ? ` (${f.vm})` : ''}: its DHCP requests get no answer`,
        (f: {host: string; file: string}) =>
          `${restartDhcpAgent(f.host)} (or: neutron-dhcp-agent resync); check the agent's log for errors reloading ${f.file}`,
      ),
    },
  ),
  DHCP_HOST_MISMATCH: code(
    'error',
    "A port's MAC is in the host file with an address other than the one Neutron assigned.",
    {
      otherAddress: when(
        (f: {network: string; offered: string; mac: string; assigned: string[]}) =>
          `dnsmasq for ${f.network} offers ${f.offered} to ${f.mac}, but Neutron assigned ${f.assigned.join(', ')}`,
        (f: {host: string; file: string}) => `${restartDhcpAgent(f.host)} to rewrite ${f.file}`,
      ),
    },
  ),
  DHCP_INTERFACE_MISMATCH: code(
    'error',
    'dnsmasq is bound to an interface that does not exist in its namespace or is not the DHCP port.',
    {
      otherNamespace: when(
        (f: {network: string; netns: string; namespace: string}) =>
          `dnsmasq for ${f.network} runs in namespace ${f.netns}, not ${f.namespace}`,
        (f: {host: string; pid?: number}) =>
          `${f.pid !== undefined ? sh`kill ${f.pid}` : 'stop that dnsmasq'} and ${restartDhcpAgent(f.host)}`,
      ),
      otherInterface: when(
        (f: {network: string; iface: string; absentFrom?: string; device?: string}) =>
          `dnsmasq for ${f.network} listens on ${f.iface}${f.absentFrom ? `, which does not exist in ${f.absentFrom}` : ''}${f.device ? `; the DHCP port's device is ${f.device}` : ''}`,
        (f: {host: string}) => `${restartDhcpAgent(f.host)} so it respawns dnsmasq on the right device`,
      ),
    },
  ),
  TUNNEL_ENDPOINT_MISSING: code(
    'error',
    "The OVS agent's tunnel endpoint (local_ip) is held by no interface of the host, or, with the userspace datapath, not by an OVS internal port: its tunnels cannot send or receive.",
    {
      unheld: when(
        (f: {host: string; localIp: string; types: string}) =>
          `no interface of ${f.host} holds its tunnel endpoint local_ip ${f.localIp}: its ${f.types} tunnels can neither send nor receive`,
        (f: {host: string; localIp: string}) =>
          `give the underlay interface of ${f.host} the address ${f.localIp}, or set [ovs] local_ip to the address it has and ${restartOvsAgent(f.host)}`,
      ),
      notOvsInternal: when(
        (f: {host: string; localIp: string; device: string}) =>
          `${f.host}'s tunnel endpoint ${f.localIp} is on ${f.device}, not on an OVS bridge's internal port: the userspace datapath cannot route or ARP for its tunnels`,
        (f: {localIp: string}) =>
          `move ${f.localIp} to the internal port of an OVS bridge (datapath_type=netdev) that holds the underlay NIC`,
      ),
    },
  ),
  TUNNEL_PORT_MISSING: code(
    'error',
    'br-tun has no tunnel port to a host that has ports on one of its tunnel networks: nothing reaches that host from here.',
    {
      toPeer: when(
        (f: {host: string; bridge: string; type: string; peer: string; ip: string; networks: string[]}) =>
          `${f.bridge} on ${f.host} has no ${f.type} port to ${f.peer} (${f.ip}), which has ports on ${f.networks.join(', ')}: nothing reaches it from ${f.host}`,
        (f: {host: string; bridge: string; port: string; type: string; ip: string; localIp: string}) =>
          `${restartOvsAgent(f.host)} (it rebuilds its tunnels on resync), or: ${sh`ovs-vsctl add-port ${f.bridge} ${f.port} -- set Interface ${f.port} type=${f.type} options:remote_ip=${f.ip} options:local_ip=${f.localIp} options:in_key=flow options:out_key=flow`}`,
      ),
    },
  ),
  TUNNEL_PORT_STALE: code(
    'warning',
    'A tunnel port leads to an address no host in the snapshot uses as its endpoint (a host that left, or an old local_ip).',
    {
      unknownEndpoint: when(
        (f: {host: string; port: string; ip: string}) =>
          `${f.port} on ${f.host} leads to ${f.ip}, which no host in this snapshot uses as its tunnel endpoint (a host that left, or an old local_ip)`,
        (f: {host: string; bridge: string; port: string; ip: string}) =>
          `if ${f.ip} is gone: delete its dead agent (openstack network agent list), then ${restartOvsAgent(f.host)}; or ${sh`ovs-vsctl del-port ${f.bridge} ${f.port}`}`,
      ),
    },
  ),
  TUNNEL_FLOOD_MISSING: code(
    'error',
    "A tunnel network's flood entry (br-tun table 22) leaves out the tunnel to a host with ports on it: broadcasts (DHCP, ARP) never reach that host.",
    {
      peerLeftOut: when(
        (f: {host: string; network: string; port: string; peer: string}) =>
          `the flood entry of ${f.network} on ${f.host} leaves out ${f.port} to ${f.peer}, which has ports on ${f.network}: broadcasts (DHCP, ARP) from ${f.host} never reach it`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} (l2population re-sends the flooding entries on resync)`,
      ),
    },
  ),
  TUNNEL_FDB_STALE: code(
    'error',
    'An l2population unicast entry (br-tun table 20) sends a MAC through the tunnel to a host where that port no longer is.',
    {
      wrongHost: when(
        (f: {
          host: string
          bridge: string
          mac: string
          portId: string
          network: string
          sentTo: string
          port: string
          at: string
        }) =>
          `${f.bridge} on ${f.host} sends ${f.mac} (port ${f.portId} of ${f.network}) to ${f.sentTo} through ${f.port}, but the port is on ${f.at}: unicast to it is lost`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to get a fresh forwarding table from l2population`,
      ),
    },
  ),
  ARP_RESPONDER_MISMATCH: code(
    'error',
    "An ARP responder entry (br-tun table 21) answers an IP with a MAC other than its port's.",
    {
      wrongMac: when(
        (f: {host: string; ip: string; network: string; answered: string; portId: string; mac: string}) =>
          `the ARP responder on ${f.host} answers ${f.ip} (${f.network}) with ${f.answered}, but that address is port ${f.portId}'s, MAC ${f.mac}: traffic to ${f.ip} from ${f.host} goes to the wrong MAC`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to get fresh ARP responder entries from l2population`,
      ),
    },
  ),
  TUNNEL_MTU: code(
    'error',
    "A tunnel network's MTU plus the encapsulation overhead exceeds the underlay MTU: small packets and DHCP pass, full-size packets are dropped.",
    {
      underlay: when(
        (f: {
          host: string
          network: string
          mtu: number
          overhead: number
          type: string
          need: number
          nic: string
          underlayMtu: number
        }) =>
          `${f.network} has MTU ${f.mtu}; with ${f.overhead} bytes of ${f.type} overhead its full-size packets need ${f.need} bytes on the underlay, but ${f.nic} on ${f.host} carries ${f.underlayMtu}: DHCP and small packets still pass, full-size packets are dropped`,
        (f: {host: string; nic: string; need: number; network: string; fits: number}) =>
          `raise the MTU of ${f.nic} on ${f.host} (and of the switches on the path) to ${f.need}, or lower global_physnet_mtu/path_mtu so Neutron gives ${f.network} an MTU of ${f.fits}`,
      ),
    },
  ),
  SG_RULE_NOT_ENFORCED: code(
    'error',
    "A security-group rule Neutron has is not in the host's firewall (iptables_hybrid): the agent is out of sync and the traffic the rule allows is dropped.",
    {
      missing: when(
        (f: {host: string; port: string; rule: string; group: string}) =>
          `${f.host} does not enforce ${f.rule} (group ${f.group}) for port ${f.port}: that traffic is dropped`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to resync its firewall`,
      ),
    },
  ),
  SG_RULE_STALE: code(
    'warning',
    "The host's firewall enforces a rule no security group of the port has any more (iptables_hybrid): traffic Neutron no longer allows still passes.",
    {
      extra: when(
        (f: {host: string; port: string; text: string; chain: string}) =>
          `${f.chain} on ${f.host} still allows what no security group of port ${f.port} has: ${f.text}`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to resync its firewall`,
      ),
    },
  ),
  SG_IPSET_MEMBER_MISSING: code(
    'error',
    "The ipset of a security group lacks a member port's address: traffic a remote-group rule allows from that address is dropped.",
    {
      missing: when(
        (f: {host: string; set: string; ip: string; group: string}) =>
          `ipset ${f.set} on ${f.host} lacks ${f.ip}, a member of ${f.group}: rules allowing members of ${f.group} drop it`,
        (f: {host: string; set: string; ip: string}) =>
          `${restartOvsAgent(f.host)}, or: ${sh`ipset add ${f.set} ${f.ip}`}`,
      ),
    },
  ),
  BRIDGE_NF_OFF: code(
    'error',
    'Bridged frames do not pass through iptables (net.bridge.bridge-nf-call-iptables is not 1 or br_netfilter is not loaded) on a host whose firewall driver is iptables_hybrid: no security group is enforced there.',
    {
      off: when(
        (f: {host: string; value?: string}) =>
          `net.bridge.bridge-nf-call-iptables is ${f.value === undefined ? 'absent (br_netfilter not loaded)' : f.value} on ${f.host}: its security groups filter nothing`,
        () =>
          'modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1',
      ),
    },
  ),
  SG_ANTISPOOF_MISMATCH: code(
    'error',
    "A port's anti-spoofing rules (iptables_hybrid's s chain) do not match its fixed IPs and MAC or its allowed address pairs: its own traffic is dropped, or spoofed traffic passes.",
    {
      missing: when(
        (f: {host: string; port: string; pair: string}) =>
          `${f.host} drops traffic port ${f.port} sends from ${f.pair}: its anti-spoofing rules lack that IP/MAC pair`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to resync its firewall`,
      ),
      extra: when(
        (f: {host: string; port: string; text: string}) =>
          `${f.host} lets port ${f.port} send from a pair Neutron does not give it: ${f.text}`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to resync its firewall`,
      ),
    },
  ),
  SG_PORT_SECURITY_MISMATCH: code(
    'error',
    "A port's firewall contradicts its port_security_enabled: disabled but still filtered (its traffic is dropped), or enabled with no firewall chains on its host (nothing is filtered).",
    {
      disabledButFiltered: when(
        (f: {host: string; port: string; chains: string}) =>
          `port ${f.port} has port security disabled, but ${f.host} still filters it (${f.chains})`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to resync its firewall`,
      ),
      enabledButUnfiltered: when(
        (f: {host: string; port: string}) =>
          `port ${f.port} has port security and security groups, but ${f.host} has no firewall chains for it: nothing is filtered`,
        (f: {host: string}) => `${restartOvsAgent(f.host)} to resync its firewall`,
      ),
    },
  ),
  VIF_MISMATCH: code(
    'error',
    'The VM definition, the OVS port and Neutron disagree about a VIF (MAC, bridge, port id or host).',
    {
      bindingHost: when(
        (f: {portId: string; host: string; pluggedOn: string}) =>
          `Neutron binds port ${f.portId} to ${f.host}, but its VIF is plugged on ${f.pluggedOn}: the agent on ${f.pluggedOn} will not wire it and ${f.host} has nothing to wire`,
        (f: {portId: string; pluggedOn: string}) =>
          `${sh`openstack port set --host ${f.pluggedOn} ${f.portId}`}  (or migrate the instance back)`,
      ),
      otherPortsBridge: when(
        (f: {vm: string; tap: string; bridge: string}) =>
          `${f.vm}'s ${f.tap} is defined on bridge ${f.bridge}, which belongs to another port`,
        () => 'hard-reboot the instance so Nova regenerates its definition',
      ),
      devicesOfOtherPort: when(
        (f: {vm: string; mac: string; portId: string; plugged: string}) =>
          `${f.vm}'s NIC ${f.mac} is Neutron port ${f.portId}, but it is plugged as ${f.plugged}`,
        () => 'hard-reboot the instance so Nova replugs it with the right port',
      ),
      interfaceId: when(
        (f: {vm: string; interfaceId: string; portId: string; mac: string}) =>
          `${f.vm}'s virtualport interfaceid ${f.interfaceId} is not Neutron's port ${f.portId} for ${f.mac}`,
        () => 'hard-reboot the instance so Nova regenerates its definition',
      ),
      attachedMac: when(
        (f: {ovsPort: string; attached: string; vm: string; mac: string}) =>
          `OVS port ${f.ovsPort} says attached-mac ${f.attached}, but ${f.vm}'s NIC has ${f.mac}`,
        (f: {ovsPort: string; mac: string}) =>
          `${sh`ovs-vsctl set Interface ${f.ovsPort} external-ids:attached-mac=${f.mac}`}  (or hard-reboot the instance)`,
      ),
      ifaceId: when(
        (f: {ovsPort: string; ifaceId: string; mac: string; portId: string}) =>
          `OVS port ${f.ovsPort} says iface-id ${f.ifaceId}, but Neutron's port for ${f.mac} is ${f.portId}: the agent wires the wrong port`,
        (f: {ovsPort: string; portId: string}) =>
          sh`ovs-vsctl set Interface ${f.ovsPort} external-ids:iface-id=${f.portId}`,
      ),
    },
  ),
  ROUTER_NAMESPACE_MISSING: code(
    'error',
    "A router's qrouter namespace is absent on the host that should hold it: its subnets have no gateway.",
    {
      absent: when(
        (f: {host: string; router: string; namespace: string}) =>
          `${f.host} should hold router ${f.router} but has no namespace ${f.namespace}: its subnets have no way out`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it recreates the namespace, its ports and rules`,
      ),
    },
  ),
  ROUTER_PORT_MISSING: code(
    'error',
    "A router interface (qr-) or gateway port (qg-) is absent from the router's namespace or from the integration bridge.",
    {
      absent: when(
        (f: {host: string; router: string; dev: string; namespace: string; what: string}) =>
          `router ${f.router} has no ${f.dev} (${f.what}) in ${f.namespace} on ${f.host}`,
        (f: {host: string}) => `${restartL3Agent(f.host)} to replug the router's ports`,
      ),
      notOnBridge: when(
        (f: {host: string; router: string; dev: string}) =>
          `${f.dev} of router ${f.router} is not a port of br-int on ${f.host}: its frames go nowhere`,
        (f: {host: string}) => `${restartL3Agent(f.host)} to replug the router's ports`,
      ),
    },
  ),
  ROUTER_PORT_VLAN: code(
    'error',
    "A router port on br-int is untagged or tagged with a VLAN other than its network's local VLAN (the dead VLAN 4095 is DEAD_VLAN's).",
    {
      wrong: when(
        (f: {host: string; dev: string; router: string; tag: string; want: string}) =>
          `${f.dev} of router ${f.router} on ${f.host} carries ${f.tag}, not ${f.want}: the router is cut off from that network`,
        (f: {host: string}) =>
          `${restartOvsAgent(f.host)} so it binds the port again (and check the port's binding in Neutron)`,
      ),
    },
  ),
  ROUTER_PORT_ADDRESS: code(
    'error',
    'A router port lacks the address Neutron assigned to it (the subnet gateway on qr-, the gateway or a floating IP on qg-).',
    {
      missing: when(
        (f: {host: string; dev: string; router: string; address: string; have: string}) =>
          `${f.dev} of router ${f.router} on ${f.host} does not hold ${f.address} (it has ${f.have})`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it re-adds the addresses`,
      ),
    },
  ),
  ROUTER_NO_DEFAULT_ROUTE: code(
    'error',
    'A router with a gateway has no default route, or its next hop is on none of its networks.',
    {
      absent: when(
        (f: {host: string; router: string; namespace: string; nextHop: string; dev: string}) =>
          `${f.namespace} on ${f.host} has no default route (expected via ${f.nextHop} dev ${f.dev}): router ${f.router} reaches only its own subnets`,
        (f: {namespace: string; nextHop: string; dev: string; host: string}) =>
          `${sh`ip netns exec ${f.namespace} ip route replace default via ${f.nextHop} dev ${f.dev}`} on ${f.host} (or ${restartL3Agent(f.host)})`,
      ),
      unreachable: when(
        (f: {host: string; router: string; namespace: string; nextHop: string}) =>
          `the default route of ${f.namespace} on ${f.host} goes via ${f.nextHop}, which is on none of router ${f.router}'s networks`,
        (f: {host: string}) => `check the external subnet's gateway_ip; ${restartL3Agent(f.host)}`,
      ),
    },
  ),
  FIP_NAT_MISSING: code(
    'error',
    "A floating IP lacks its DNAT or SNAT rule in the router namespace, or a rule translates it to a fixed IP other than its port's.",
    {
      dnat: when(
        (f: {host: string; fip: string; fixed: string; namespace: string}) =>
          `no DNAT of ${f.fip} to ${f.fixed} in ${f.namespace} on ${f.host}: the floating IP does not answer from outside`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it rewrites the NAT rules`,
      ),
      snat: when(
        (f: {host: string; fip: string; fixed: string; namespace: string}) =>
          `no SNAT of ${f.fixed} to ${f.fip} in ${f.namespace} on ${f.host}: the VM goes out under another address`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it rewrites the NAT rules`,
      ),
      stale: when(
        (f: {host: string; fip: string; fixed: string; other: string; namespace: string}) =>
          `${f.namespace} on ${f.host} translates ${f.fip} to ${f.other}, but Neutron associates it with ${f.fixed}`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it rewrites the NAT rules`,
      ),
    },
  ),
  SNAT_MISSING: code(
    'error',
    "A router with SNAT enabled has no source NAT to its gateway address: its subnets' VMs without a floating IP cannot reach outside.",
    {
      absent: when(
        (f: {host: string; router: string; namespace: string; gateway: string; dev: string}) =>
          `${f.namespace} on ${f.host} has no SNAT to ${f.gateway} out of ${f.dev}: VMs behind router ${f.router} leave with their private addresses`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it rewrites the NAT rules`,
      ),
    },
  ),
  HA_ROUTER_STATE: code('error', 'An HA router is active (primary) on more than one host, or on none.', {
    split: when(
      (f: {router: string; hosts: string}) =>
        `HA router ${f.router} is primary on ${f.hosts}: both answer for its addresses (split brain)`,
      () => 'check the HA network between the L3 agents (VRRP adverts); restart keepalived of one side',
    ),
    none: when(
      (f: {router: string; hosts: string}) => `HA router ${f.router} is primary nowhere (states: ${f.hosts})`,
      () => 'check keepalived and neutron-keepalived-state-change on the L3 agents; restart the L3 agents',
    ),
  }),
  METADATA_PROXY_DOWN: code(
    'error',
    'The metadata path of a router is broken: no haproxy proxy runs for it, or the redirect of 169.254.169.254 is missing.',
    {
      notRunning: when(
        (f: {host: string; router: string}) =>
          `no metadata proxy (haproxy) runs for router ${f.router} on ${f.host}: instances behind it get no metadata`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it respawns the proxy`,
      ),
      noRedirect: when(
        (f: {host: string; namespace: string; port: number}) =>
          `${f.namespace} on ${f.host} does not redirect 169.254.169.254:80 to the proxy on port ${f.port}`,
        (f: {host: string}) => `${restartL3Agent(f.host)}; it rewrites the NAT rules`,
      ),
    },
  ),
  EXTERNAL_BRIDGE_UNWIRED: code(
    'error',
    'The external network of a router cannot leave its host: its physical network is in no bridge_mappings, or the bridge has no NIC.',
    {
      noMapping: when(
        (f: {host: string; physnet: string; network: string}) =>
          `${f.host} has no bridge for physical network ${f.physnet} of external network ${f.network}: the routers' gateways go nowhere`,
        (f: {host: string; physnet: string}) =>
          `add ${f.physnet}:<bridge> to bridge_mappings in the OVS agent's configuration on ${f.host}, then ${restartOvsAgent(f.host)}`,
      ),
      noNic: when(
        (f: {host: string; bridge: string; network: string}) =>
          `${f.bridge} on ${f.host} (external network ${f.network}) has no physical NIC: the routers' gateways go nowhere`,
        (f: {bridge: string}) => `${sh`ovs-vsctl add-port ${f.bridge} NIC`} with the NIC of the external network`,
      ),
    },
  ),
  DATA_MISSING: code('warning', 'Something could not be collected; what depends on it is unknown, not faulty.', {
    notCollected: when(
      (f: {where: string; why: string; host: string; unknown?: string}) =>
        `${f.where}: ${f.why}; what depends on it is unknown${f.unknown ? ` (on ${f.host}: ${f.unknown})` : ''}`,
      (f: {host: string; unreachable: boolean}) =>
        f.unreachable
          ? `check that ${f.host} is up and reachable over SSH, then collect again`
          : 'check that the command exists and may run (sudo), then collect again',
    ),
    damaged: when(
      (f: {where: string; why: string}) => `${f.where}: ${f.why}; what was read from it may be wrong`,
      () => 'collect again; do not edit captures by hand',
    ),
  }),
  PARSE_ERROR: code('warning', 'Part of a capture could not be read; the rest was analysed.', {
    unreadable: when(
      (f: {where: string; why: string; host: string; unknown?: string}) =>
        `${f.where}: ${f.why}${f.unknown ? `; unknown on ${f.host}, not checked: ${f.unknown}` : ''}`,
      () => 'the rest of the capture was analysed; re-collect, or report the line if the command output is genuine',
    ),
  }),
}

/**
 * The command that puts a qvo back on br-int with the external_ids the agent keys on; prose when the MAC is unknown.
 */
function plugQvo(f: {qvo: string; portId: string; mac?: string; vmId?: string}): string {
  if (!f.mac)
    return `${sh`ovs-vsctl --may-exist add-port br-int ${f.qvo}`} with the external-ids iface-id, attached-mac and vm-uuid of port ${f.portId} (or ${hardReboot})`
  const cmd = f.vmId
    ? sh`ovs-vsctl --may-exist add-port br-int ${f.qvo} -- set Interface ${f.qvo} external-ids:iface-id=${f.portId} external-ids:attached-mac=${f.mac} external-ids:iface-status=active external-ids:vm-uuid=${f.vmId}`
    : sh`ovs-vsctl --may-exist add-port br-int ${f.qvo} -- set Interface ${f.qvo} external-ids:iface-id=${f.portId} external-ids:attached-mac=${f.mac} external-ids:iface-status=active`
  return `${cmd}  (or hard-reboot the instance so Nova replugs it)`
}

type Catalog = typeof CATALOG
export type FindingCode = keyof Catalog
/** The cases of a code: FLOW_MISSING → 'egress' | 'ingress' | 'tableMiss'. */
export type CaseOf<C extends FindingCode> = keyof Catalog[C]['cases'] & string
/** The facts a case needs: those its message and its remedy read. */
export type FactsOf<C extends FindingCode, K extends CaseOf<C>> =
  Catalog[C]['cases'][K] extends Case<infer F> ? F : never

/** Code → its sentence of documentation (the README's table). */
export const FINDING_CODES = Object.fromEntries(Object.entries(CATALOG).map(([c, e]) => [c, e.about])) as Record<
  FindingCode,
  string
>

export const SEVERITY_RANK: Record<Severity, number> = {info: 0, warning: 1, error: 2}

/** A code's severity, its message and its remedy for one case, filled with the facts. */
export function wordsOf<C extends FindingCode, K extends CaseOf<C>>(
  code: C,
  kind: K,
  facts: FactsOf<C, K>,
): {severity: Severity; message: string; remedy?: string} {
  const entry = CATALOG[code]
  const c = (entry.cases as Record<string, Case<FactsOf<C, K>>>)[kind]
  return {severity: entry.severity, message: c.message(facts), remedy: c.remedy?.(facts)}
}
