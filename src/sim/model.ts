// What the simulator needs to know about a bridge: its ports (with their VLAN configuration) and its flows.

import type {Flow, FlowAction, VlanMode} from '../types.js'
import type {Conntrack} from './conntrack.js'
import type {MacTable} from './mac-table.js'
import type {Packet, VlanTag} from './packet.js'

export interface SimPort {
  ofport: number
  name: string
  /** Port `tag` column. */
  tag?: number
  /** Port `trunks` column; empty = all VLANs. */
  trunks: number[]
  /** Port `vlan_mode`; undefined = OVS's default (access when tagged, trunk otherwise). */
  vlanMode?: VlanMode
  /** Interface type: '' (system), internal, patch, vxlan ... */
  type?: string
  /** For patch ports: the peer interface's name (`options:peer`). */
  peer?: string
}

export interface SimBridge {
  name: string
  flows: Flow[]
  /** Every port, including the bridge's own internal port (OFPP_LOCAL, ofport 65534, named like the bridge). */
  ports: SimPort[]
}

export {OFPP_LOCAL} from '../openflow/actions.js'

export interface SimOptions {
  /** Learned MACs NORMAL forwards by (and, unless `learn` is false, learns into). */
  macTable?: MacTable
  /** Total table lookups reached through resubmit/goto_table before translation fails (OVS: 4096). */
  maxResubmits?: number
  /** Nesting of resubmits to the same or an earlier table before translation fails (OVS: 64). */
  maxDepth?: number
  /** NORMAL learns source MACs into `macTable` (default true; `ofproto/trace` itself does not learn). */
  learn?: boolean
  /** Flows learn() installed on this bridge earlier in the same trace: looked up with the bridge's own, and
   * learn() adds to them. Without it learn() is noted and has no effect. */
  learned?: Flow[]
  /** The connection tracker of this bridge's host for the trace (request, then reply): ct() looks packets up in it and
   * commits them, ct(table=N) recirculates with the state it gives. Without it ct() is noted and its state unknown. */
  conntrack?: Conntrack
}

export type OutputVia = 'output' | 'normal' | 'flood'

export interface SimOutput {
  port: SimPort
  /** The packet as it leaves through `port` (VLAN headers as on the wire). */
  packet: Packet
  via: OutputVia
  /** The flow whose action sent it. */
  flow?: Flow
  /** Index in `steps` of that flow's step. */
  step: number
}

export interface StepEvent {
  action: FlowAction
  /** What the action did, in words. */
  notes: string[]
  /** Index in `steps` of the table lookup this action led to (resubmit, goto_table). */
  next?: number
}

export interface SimStep {
  bridge: string
  table: number
  /** Nesting for display: resubmit nests, goto_table continues at the same level. */
  depth: number
  /** Index of the step whose resubmit/goto_table led here; undefined for the first lookup. */
  parent?: number
  /** The in_port the lookup used (resubmit(port,table) changes it for the lookup only). */
  lookupInPort: number
  /** The flow that matched; undefined = table miss. */
  flow?: Flow
  /** Other flows of the same, highest priority that match too: OVS would pick one of them, unpredictably. */
  ambiguousWith: Flow[]
  /** Flows of higher priority than the chosen one whose match cannot be decided for this packet. */
  undecided: {flow: Flow; fields: string[]}[]
  /** The actions executed, in order (the flow's actions up to where translation stopped). */
  actions: FlowAction[]
  events: StepEvent[]
  notes: string[]
  vlanBefore?: VlanTag
  /** The packet's outer VLAN when this step's actions were done. */
  vlanAfter?: VlanTag
}

export type BridgeVerdict = 'forwarded' | 'dropped' | 'unknown'

export interface BridgeResult {
  bridge: string
  /** The packet as it entered. */
  packet: Packet
  steps: SimStep[]
  outputs: SimOutput[]
  verdict: BridgeVerdict
  dropReason?: string
  dropFlow?: Flow
  /** Things not modelled. The verdict is 'unknown' only when one of them can change where this packet goes. */
  unknownReasons: string[]
  /** Assumptions and remarks worth showing (table-miss default, ambiguity, dead VLAN ...). */
  notes: string[]
  /** The packet after the last action (like ofproto/trace's "Final flow"). */
  finalPacket: Packet
}
