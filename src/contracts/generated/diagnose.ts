// Generated from schemas/diagnose.schema.json by `npm run contracts`: do not edit, change the schema.

export interface DiagnoseReport {
  schemaVersion: 1
  tool: Tool
  snapshot: {
    /**
     * the snapshot directory read; for sosreports read directly, the sosreports given, joined by ', ' (listed in sosreports)
     */
    dir: string
    /**
     * the sosreports the snapshot was imported from, as given (only when they were read directly)
     */
    sosreports?: string[]
    createdAt?: string
    source?: string
    hosts: {
      name: string
      roles: ('control' | 'network' | 'compute')[]
      status: 'complete' | 'partial' | 'unreachable'
    }[]
  }
  intent: {
    known: boolean
    sources: string[]
  }
  summary: {
    error: number
    warning: number
    info: number
  }
  unknowns: string[]
  findings: Finding[]
}
/**
 * This interface was referenced by `DiagnoseReport`'s JSON-Schema
 * via the `definition` "tool".
 */
export interface Tool {
  name: 'neutrace'
  version: string
}
/**
 * This interface was referenced by `DiagnoseReport`'s JSON-Schema
 * via the `definition` "finding".
 */
export interface Finding {
  code:
    | 'FLOW_MISSING'
    | 'FLOW_SHADOWED'
    | 'SEGMENT_MISMATCH'
    | 'VLAN_TAG_MISMATCH'
    | 'DEAD_VLAN'
    | 'LOCAL_VLAN_CONFLICT'
    | 'PORT_MISSING'
    | 'LINK_BROKEN'
    | 'UPLINK_MISSING'
    | 'NAMESPACE_MISSING'
    | 'DHCP_SERVER_DOWN'
    | 'DHCP_HOST_MISSING'
    | 'DHCP_HOST_MISMATCH'
    | 'DHCP_INTERFACE_MISMATCH'
    | 'TUNNEL_ENDPOINT_MISSING'
    | 'TUNNEL_PORT_MISSING'
    | 'TUNNEL_PORT_STALE'
    | 'TUNNEL_FLOOD_MISSING'
    | 'TUNNEL_FDB_STALE'
    | 'ARP_RESPONDER_MISMATCH'
    | 'TUNNEL_MTU'
    | 'SG_RULE_NOT_ENFORCED'
    | 'SG_RULE_STALE'
    | 'SG_IPSET_MEMBER_MISSING'
    | 'BRIDGE_NF_OFF'
    | 'SG_ANTISPOOF_MISMATCH'
    | 'SG_PORT_SECURITY_MISMATCH'
    | 'VIF_MISMATCH'
    | 'ROUTER_NAMESPACE_MISSING'
    | 'ROUTER_PORT_MISSING'
    | 'ROUTER_PORT_VLAN'
    | 'ROUTER_PORT_ADDRESS'
    | 'ROUTER_NO_DEFAULT_ROUTE'
    | 'FIP_NAT_MISSING'
    | 'SNAT_MISSING'
    | 'HA_ROUTER_STATE'
    | 'METADATA_PROXY_DOWN'
    | 'EXTERNAL_BRIDGE_UNWIRED'
    | 'DATA_MISSING'
    | 'PARSE_ERROR'
  severity: 'error' | 'warning' | 'info'
  host?: string
  element: string
  message: string
  expected?: string
  actual?: string
  evidence: Evidence[]
  remedy?: string
  impact: {
    vms: string[]
    ports: string[]
    networks: string[]
  }
  confidence: 'high' | 'low'
}
/**
 * This interface was referenced by `DiagnoseReport`'s JSON-Schema
 * via the `definition` "evidence".
 */
export interface Evidence {
  host: string
  spec: string
  file?: string
  line?: number
  text?: string
}
