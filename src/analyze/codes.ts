// The catalog of finding codes: one place, one sentence each. Codes are a stable contract (JSON output, exit codes,
// runbooks); add new ones, never rename.

export type Severity = 'error' | 'warning' | 'info'

export const FINDING_CODES = {
  FLOW_MISSING: 'A VLAN translation flow the agent should have installed (physical bridge egress or br-int ingress) is absent, so the frames are dropped.',
  FLOW_SHADOWED: 'A flow can never match because a higher-priority flow in the same table matches everything it matches.',
  SEGMENT_MISMATCH: "A translation flow maps the network's local VLAN to a segment other than Neutron's segmentation id (or hosts disagree).",
  VLAN_TAG_MISMATCH: 'A port on br-int carries a VLAN tag other than the local VLAN of its network on that host (or no tag at all).',
  DEAD_VLAN: 'A port that should be in service sits in the dead VLAN 4095: the agent marked it dead or never bound it.',
  LOCAL_VLAN_CONFLICT: 'Two networks share one local VLAN on the same host: their traffic is not isolated.',
  PORT_MISSING: 'A device or OVS port the wiring requires (tap, qbr, qvb, qvo, DHCP tap) is absent or not attached where it belongs.',
  LINK_BROKEN: 'A link between two elements is broken: a veth or patch peer missing or mismatched, or an end administratively down.',
  UPLINK_MISSING: 'The physical bridge named in bridge_mappings is missing or has no physical NIC, or bridge_mappings names no bridge for a physical network the host needs.',
  NAMESPACE_MISSING: 'The qdhcp namespace of a DHCP-enabled network is absent on the host that should serve it.',
  DHCP_SERVER_DOWN: 'No dnsmasq serves a network whose DHCP namespace or files exist.',
  DHCP_HOST_MISSING: "A port's MAC address is not in its network's dnsmasq host file: the VM gets no lease.",
  DHCP_HOST_MISMATCH: "A port's MAC is in the host file with an address other than the one Neutron assigned.",
  DHCP_INTERFACE_MISMATCH: 'dnsmasq is bound to an interface that does not exist in its namespace or is not the DHCP port.',
  VIF_MISMATCH: 'The VM definition, the OVS port and Neutron disagree about a VIF (MAC, bridge, port id or host).',
  DATA_MISSING: 'Something could not be collected; what depends on it is unknown, not faulty.',
  PARSE_ERROR: 'Part of a capture could not be read; the rest was analysed.',
} as const

export type FindingCode = keyof typeof FINDING_CODES

export const SEVERITY_RANK: Record<Severity, number> = {info: 0, warning: 1, error: 2}
