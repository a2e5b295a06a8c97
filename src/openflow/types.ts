// The OpenFlow data model every part of neutrace shares: a flow as `ovs-ofctl dump-flows` prints it, normalised.

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
 * nw_proto. `dl_vlan=0xffff` is normalised to vlan_tci=0x0000/0x1fff. See `fields.ts` for every spelling.
 */
export interface FlowMatch {
  inPort?: PortRef
  fields: Record<string, Masked>
}

/**
 * A (sub-)field as load, move and learn() name it: `NXM_NX_REG0[0..15]`, `NXM_OF_VLAN_TCI[0..11]`, `reg1[]`,
 * `OXM_OF_IN_PORT[]`, `tun_id[5]`.
 */
export interface SubFieldRef {
  /** As written. */
  text: string
  /**
   * The canonical field name (`vlan_tci`, `tun_id`, `reg0`), or the name as written when it is not one neutrace knows.
   */
  field: string
  known: boolean
  /** First bit. */
  start: number
  /** Bits written or read; undefined = the whole field (`[]` or no brackets). */
  bits?: number
}

/** `learn(...)`: the flow it installs, lexed (neutrace does not execute it yet). */
export interface LearnSpec {
  table?: number
  priority?: number
  idleTimeout?: number
  hardTimeout?: number
  finIdleTimeout?: number
  finHardTimeout?: number
  cookie?: string
  /** Other keyword arguments and flags (`send_flow_rem`, `delete_learned`, `limit=10`, ...). */
  options: Record<string, string>
  /** What the learned flow matches: its field `dst` equal to this packet's `src`, or to an immediate `value`. */
  matches: {dst: SubFieldRef; src?: SubFieldRef; value?: string}[]
  /** What the learned flow does: `load:src->dst` (or an immediate value), `output:src`. */
  actions: ({type: 'load'; dst: SubFieldRef; src?: SubFieldRef; value?: string} | {type: 'output'; src: SubFieldRef})[]
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
  /** set_field:V->F, mod_dl_src:V ..., write_metadata:V/M (field metadata); `value` may carry a `/mask`. */
  | {type: 'set_field'; field: string; value: string}
  | {type: 'load'; value: string; dst: string}
  | {type: 'move'; src: string; dst: string}
  /** `text` is the argument as printed; `spec` the same lexed, when it could be. */
  | {type: 'learn'; text: string; spec?: LearnSpec}
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
