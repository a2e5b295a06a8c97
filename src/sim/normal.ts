// The NORMAL action: OVS's VLAN-aware learning switch, following ofproto-dpif-xlate.c (xlate_normal,
// input_vid_is_valid, xvlan_input_translate, xlate_normal_flood, output_normal, xvlan_output_translate) and the way
// ofproto-dpif.c bundle_set derives a port's VLAN and trunk set from its tag/trunks/vlan_mode columns.

import type {VlanMode} from '../types.js'
import type {MacTable} from './mac-table.js'
import type {SimPort} from './model.js'
import {
  type Packet,
  type VlanTag,
  describeVlan,
  isMulticastMac,
  isReservedMac,
  vlanStack,
  ETH_TYPE_VLAN,
} from './packet.js'

/** A port's VLAN behaviour as ovs-vswitchd computes it. */
export interface PortVlanConfig {
  mode: VlanMode
  /** The access/native VLAN; -1 for trunk ports. */
  vlan: number
  /** VLANs trunked: null = all. */
  trunks: Set<number> | null
  /** Native ports with an implicit "all VLANs" trunk set never trunk VLAN 0. */
  excludesVlan0: boolean
}

const configs = new WeakMap<
  SimPort,
  {tag: SimPort['tag']; vlanMode: SimPort['vlanMode']; trunks: string; cfg: PortVlanConfig}
>()

/** A port's VLAN behaviour, worked out once per port while its tag, vlan_mode and trunks stay the same (a flood asks
 * it of every port of the bridge). Read only. */
export function portVlanConfig(port: SimPort): Readonly<PortVlanConfig> {
  const trunks = port.trunks.join(',')
  const have = configs.get(port)
  if (have && have.tag === port.tag && have.vlanMode === port.vlanMode && have.trunks === trunks) return have.cfg
  const cfg = vlanConfigOf(port)
  configs.set(port, {tag: port.tag, vlanMode: port.vlanMode, trunks, cfg})
  return cfg
}

function vlanConfigOf(port: SimPort): PortVlanConfig {
  const tag = port.tag !== undefined && port.tag >= 0 && port.tag <= 4095 ? port.tag : undefined
  // bridge.c port_configure: without vlan_mode, a tag makes an access port (trunks then ignored), else a trunk.
  const mode: VlanMode = port.vlanMode ?? (tag !== undefined ? 'access' : 'trunk')
  const vlan = mode === 'trunk' ? -1 : (tag ?? 0)
  const listed = port.trunks.length > 0 ? new Set(port.trunks) : null
  if (mode === 'access') return {mode, vlan, trunks: null, excludesVlan0: false}
  if (mode === 'native-tagged' || mode === 'native-untagged') {
    // bundle_set: force trunking the native VLAN and prohibit trunking VLAN 0.
    if (vlan !== 0 && (!listed || !listed.has(vlan) || listed.has(0))) {
      if (!listed) return {mode, vlan, trunks: null, excludesVlan0: true}
      const trunks = new Set(listed)
      trunks.add(vlan)
      trunks.delete(0)
      return {mode, vlan, trunks, excludesVlan0: false}
    }
  }
  return {mode, vlan, trunks: listed, excludesVlan0: false}
}

/** xbundle_trunks_vlan */
function trunksVlan(cfg: PortVlanConfig, vid: number): boolean {
  if (cfg.mode === 'access') return false
  if (cfg.trunks === null) return !(cfg.excludesVlan0 && vid === 0)
  return cfg.trunks.has(vid)
}

/** xbundle_includes_vlan: would a packet in internal VLAN stack `xvlan` go out of this port? */
function includesVlan(cfg: PortVlanConfig, xvlan: VlanTag[]): boolean {
  const outer = xvlan[0]?.vid ?? 0
  switch (cfg.mode) {
    case 'access':
      return outer === cfg.vlan && (xvlan[1]?.vid ?? 0) === 0
    case 'trunk':
    case 'native-tagged':
    case 'native-untagged':
      return trunksVlan(cfg, outer)
    default:
      return false
  }
}

function describePortVlan(port: SimPort): string {
  const cfg = portVlanConfig(port)
  const list = (s: Set<number>): string => [...s].sort((a, b) => a - b).join(',')
  switch (cfg.mode) {
    case 'access':
      return `access port, VLAN ${cfg.vlan}${cfg.vlan === 4095 ? " (Neutron's dead VLAN)" : ''}`
    case 'trunk':
      return cfg.trunks ? `trunk port, VLANs ${list(cfg.trunks)}` : 'trunk port, all VLANs'
    default:
      return `${cfg.mode} port, native VLAN ${cfg.vlan}${cfg.trunks ? `, trunks ${list(cfg.trunks)}` : ''}`
  }
}

/** Drops zero (absent) levels the way xvlan_put does: a level with vid 0 and pcp 0 writes no header. */
function putVlans(xvlan: VlanTag[]): VlanTag[] {
  const out: VlanTag[] = []
  for (const tag of xvlan) {
    if (tag.vid === 0 && tag.pcp === 0) break
    out.push({...tag})
  }
  return out
}

/** xvlan_output_translate + xvlan_put: the VLAN headers a packet in `xvlan` leaves `port` with. */
export function outputVlans(port: SimPort, xvlan: VlanTag[]): VlanTag[] {
  const cfg = portVlanConfig(port)
  switch (cfg.mode) {
    case 'access':
      return []
    case 'native-untagged':
      return putVlans((xvlan[0]?.vid ?? 0) === cfg.vlan ? xvlan.slice(1) : xvlan)
    default:
      return putVlans(xvlan)
  }
}

export interface NormalInput {
  bridgeName: string
  ports: SimPort[]
  packet: Packet
  macTable?: MacTable
  /** Learn the source MAC (real traffic does; ofproto/trace does not). */
  learn: boolean
}

interface NormalOutput {
  port: SimPort
  /** VLAN headers on the wire, outermost first ([] = untagged). */
  vlans: VlanTag[]
}

export interface NormalResult {
  /** ofproto/trace-style lines: what NORMAL decided and why. */
  notes: string[]
  outputs: NormalOutput[]
  /** Set when NORMAL dropped the packet as a whole. */
  drop?: string
  /** Set when the outcome depends on something not modelled. */
  unknown?: string
  /** The internal VLAN NORMAL switched the packet in. */
  vlan?: number
  learned?: {vlan: number; mac: string; ofport: number}
}

/** Runs NORMAL for the packet as it is now (in_port, VLAN headers, MACs). */
export function normalSwitch(input: NormalInput): NormalResult {
  const {packet, ports} = input
  const notes: string[] = []
  const outputs: NormalOutput[] = []
  const dropWith = (message: string): NormalResult => {
    notes.push(message)
    return {notes, outputs, drop: message}
  }

  const inPort = ports.find((p) => p.ofport === packet.in_port)
  if (!inPort)
    return dropWith(`no input bundle (in_port ${packet.in_port} is not a port of ${input.bridgeName}), dropping`)
  if (packet.dl_type === ETH_TYPE_VLAN && !packet.vlan) return dropWith('partial VLAN tag, dropping')

  const inCfg = portVlanConfig(inPort)
  if (inCfg.mode === 'dot1q-tunnel') {
    notes.push(`input port ${inPort.name} is a dot1q-tunnel port: not modelled`)
    return {notes, outputs, unknown: `NORMAL on dot1q-tunnel port ${inPort.name} is not modelled`}
  }
  const inStack = vlanStack(packet)
  const vid = inStack[0]?.vid ?? 0
  const invalid = inputVidProblem(inCfg, vid, inPort.name)
  if (invalid) {
    notes.push(invalid)
    return dropWith('disallowed VLAN VID for this input port, dropping')
  }

  // xvlan_input_translate
  let xvlan: VlanTag[]
  const pcp = inStack[0]?.pcp ?? 0
  if (inCfg.mode === 'access') xvlan = [{vid: inCfg.vlan, pcp}]
  else if (inCfg.mode !== 'trunk' && vid === 0) xvlan = [{vid: inCfg.vlan, pcp}, ...inStack.slice(1)]
  else xvlan = inStack.map((t) => ({...t}))
  const vlan = xvlan[0]?.vid ?? 0

  if (isReservedMac(packet.dl_dst)) return {...dropWith('packet has reserved destination MAC, dropping'), vlan}

  let learned: NormalResult['learned']
  if (input.learn && input.macTable && !isMulticastMac(packet.dl_src)) {
    input.macTable.learn(input.bridgeName, vlan, packet.dl_src, inPort.ofport)
    learned = {vlan, mac: packet.dl_src, ofport: inPort.ofport}
    notes.push(`learned that ${packet.dl_src} is on port ${inPort.name} in VLAN ${vlan}`)
  }

  const emit = (port: SimPort): void => {
    const vlans = outputVlans(port, xvlan)
    outputs.push({port, vlans})
    const dead = portVlanConfig(port).vlan === 4095 ? " (tag 4095: Neutron's dead VLAN)" : ''
    notes.push(
      `output to ${port.name} (port ${portLabel(port)}, ${describePortVlan(port)}): ${describeVlan(vlans[0])}${dead}`,
    )
  }

  const learnedPort = isMulticastMac(packet.dl_dst)
    ? undefined
    : input.macTable?.lookup(input.bridgeName, vlan, packet.dl_dst)
  if (learnedPort !== undefined) {
    const out = ports.find((p) => p.ofport === learnedPort)
    if (!out) return {...dropWith('learned port is unknown, dropping'), vlan, learned}
    if (out.ofport === inPort.ofport) return {...dropWith('learned port is input port, dropping'), vlan, learned}
    notes.push('forwarding to learned port')
    emit(out)
    return {notes, outputs, vlan, learned}
  }

  notes.push('no learned MAC for destination, flooding')
  for (const port of ports) {
    if (port.ofport === inPort.ofport || port.ofport < 0) continue
    if (includesVlan(portVlanConfig(port), xvlan)) emit(port)
  }
  if (outputs.length === 0) notes.push(`no other port carries VLAN ${vlan}`)
  return {notes, outputs, vlan, learned}
}

/** input_vid_is_valid: the message OVS logs when a port may not receive this VID, or undefined when it may. */
function inputVidProblem(cfg: PortVlanConfig, vid: number, portName: string): string | undefined {
  if (cfg.mode === 'access') {
    return vid
      ? `dropping VLAN ${vid} tagged packet received on port ${portName} configured as VLAN ${cfg.vlan} access port`
      : undefined
  }
  // A native port always carries its native VLAN untagged; tagged packets, like on a trunk, must be in the trunk set.
  if ((cfg.mode === 'native-tagged' || cfg.mode === 'native-untagged') && !vid) return undefined
  return trunksVlan(cfg, vid)
    ? undefined
    : `dropping VLAN ${vid} packet received on port ${portName} not configured for trunking VLAN ${vid}`
}

export function portLabel(port: SimPort): string {
  return port.ofport === 65534 ? 'LOCAL' : String(port.ofport)
}
