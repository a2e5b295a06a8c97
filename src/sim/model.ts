// What the simulator needs to know about a bridge: its ports (with their VLAN configuration) and its flows.

import type {Flow, VlanMode} from '../types.js'

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

export const OFPP_LOCAL = 65534
