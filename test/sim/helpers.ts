// Test helpers: Flow objects by hand, a deliberately small flow-text reader for the oracle lab's own flow lines
// (used only until the real dump-flows parser exists), and a multi-bridge walk across patch ports.

import type {Flow, FlowAction, Masked, PortRef} from '../../src/types.js'
import type {BridgeResult, SimBridge, SimPort} from '../../src/sim/openflow.js'
import {simulateBridge} from '../../src/sim/openflow.js'
import type {MacTable} from '../../src/sim/mac-table.js'
import {clonePacket, type Packet, type VlanTag, vlanStack} from '../../src/sim/packet.js'

let nextLine = 1

export interface FlowSpec {
  table?: number
  priority?: number
  inPort?: PortRef
  match?: Record<string, string>
  actions: FlowAction[]
  cookie?: string
}

function toMasked(text: string): Masked {
  const i = text.indexOf('/')
  return i < 0 ? {value: text} : {value: text.slice(0, i), mask: text.slice(i + 1)}
}

export function flow(spec: FlowSpec): Flow {
  const fields: Record<string, Masked> = {}
  for (const [k, v] of Object.entries(spec.match ?? {})) fields[k] = toMasked(v)
  const line = nextLine++
  return {
    line,
    raw: `(test flow ${line})`,
    table: spec.table ?? 0,
    priority: spec.priority ?? 32768,
    cookie: spec.cookie ?? '0x0',
    match: {inPort: spec.inPort, fields},
    actions: spec.actions,
  }
}

export function port(ofport: number, name: string, extra: Partial<SimPort> = {}): SimPort {
  return {ofport, name, trunks: [], ...extra}
}

export function bridge(name: string, ports: SimPort[], flows: Flow[]): SimBridge {
  return {name, ports: [...ports, {ofport: 65534, name, trunks: [], type: 'internal'}], flows}
}

// ---------------------------------------------------------------------------------------------------------------------
// Flow text (only the vocabulary the oracle lab writes)

const SHORTHAND: Record<string, Record<string, string>> = {
  ip: {dl_type: '0x0800'},
  arp: {dl_type: '0x0806'},
  udp: {dl_type: '0x0800', nw_proto: '17'},
  tcp: {dl_type: '0x0800', nw_proto: '6'},
  icmp: {dl_type: '0x0800', nw_proto: '1'},
  ipv6: {dl_type: '0x86dd'},
  icmp6: {dl_type: '0x86dd', nw_proto: '58'},
}

function splitTop(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  if (cur.trim()) out.push(cur.trim())
  return out
}

function portOf(text: string): PortRef {
  return /^\d+$/.test(text) ? Number(text) : text.replace(/^"|"$/g, '')
}

function actionFromText(text: string): FlowAction {
  const [name = '', arg = ''] = text.includes(':')
    ? [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)]
    : [text, '']
  const upper = text.toUpperCase()
  if (upper === 'NORMAL') return {type: 'normal'}
  if (upper === 'FLOOD') return {type: 'flood'}
  if (upper === 'ALL') return {type: 'all'}
  if (upper === 'IN_PORT') return {type: 'in_port'}
  if (upper === 'LOCAL') return {type: 'local'}
  if (upper === 'DROP') return {type: 'drop'}
  if (name === 'output') return {type: 'output', port: portOf(arg)}
  if (name === 'mod_vlan_vid' || name === 'set_vlan_vid') return {type: 'set_vlan_vid', vid: Number(arg)}
  if (name === 'mod_vlan_pcp') return {type: 'set_vlan_pcp', pcp: Number(arg)}
  if (text === 'strip_vlan' || text === 'pop_vlan') return {type: 'pop_vlan'}
  if (name === 'push_vlan') return {type: 'push_vlan', ethertype: Number(arg)}
  if (name === 'goto_table') return {type: 'goto_table', table: Number(arg)}
  if (name === 'set_tunnel') return {type: 'set_tunnel', id: BigInt(arg)}
  if (name === 'set_field') {
    const [value = '', field = ''] = arg.split('->')
    if (field === 'vlan_vid' && Number(value) & 0x1000) return {type: 'set_vlan_vid', vid: Number(value) & 0xfff}
    return {type: 'set_field', field, value}
  }
  if (name === 'load') {
    const [value = '', dst = ''] = arg.split('->')
    return {type: 'load', value, dst}
  }
  if (name === 'move') {
    const [src = '', dst = ''] = arg.split('->')
    return {type: 'move', src, dst}
  }
  const resubmit = /^resubmit\(([^,]*),([^)]*)\)$/.exec(text)
  if (resubmit) {
    return {
      type: 'resubmit',
      port: resubmit[1] ? portOf(resubmit[1]) : undefined,
      table: resubmit[2] ? Number(resubmit[2]) : undefined,
    }
  }
  if (/^\d+$/.test(text)) return {type: 'output', port: Number(text)}
  return {type: 'other', name: name.replace(/\(.*$/, ''), text}
}

/** `table=0,priority=3,in_port=1,dl_vlan=1000 actions=mod_vlan_vid:1,NORMAL` → Flow. */
export function flowFromText(text: string): Flow {
  const at = text.indexOf('actions=')
  const matchText = text.slice(0, at).trim().replace(/,$/, '')
  const spec: FlowSpec = {match: {}, actions: splitTop(text.slice(at + 'actions='.length)).map(actionFromText)}
  for (const part of splitTop(matchText)) {
    const [k = '', v] = part.split('=')
    if (k === 'table') spec.table = Number(v)
    else if (k === 'priority') spec.priority = Number(v)
    else if (k === 'in_port') spec.inPort = portOf(v ?? '')
    else if (v === undefined && SHORTHAND[k]) Object.assign(spec.match as object, SHORTHAND[k])
    else if (k === 'dl_vlan' && v === '0xffff') (spec.match as Record<string, string>).vlan_tci = '0x0000/0x1fff'
    else (spec.match as Record<string, string>)[k] = v ?? ''
  }
  const f = flow(spec)
  return {...f, raw: text}
}

// ---------------------------------------------------------------------------------------------------------------------
// Several bridges joined by patch ports

export interface ChainOutput {
  bridge: string
  port: string
  vlans: VlanTag[]
  /** The tunnel id set on the copy (output to a tunnel port encapsulates with it). */
  tunId?: bigint
}

export interface ChainResult {
  passes: BridgeResult[]
  /** Where copies leave the set of bridges (any port that is not a patch port). */
  outputs: ChainOutput[]
  unknown: boolean
}

/**
 * Follows outputs into patch peers, as OVS does inline: the peer bridge sees the packet on the peer port, with
 * registers, metadata and tunnel id cleared (patch_port_output).
 */
export function simulateChain(
  bridges: SimBridge[],
  start: string,
  packet: Packet,
  macTables: Map<string, MacTable> = new Map(),
  learn = false,
): ChainResult {
  const passes: BridgeResult[] = []
  const outputs: ChainOutput[] = []
  let unknown = false
  const walk = (name: string, pkt: Packet, hops: number): void => {
    const br = bridges.find((b) => b.name === name)
    if (!br || hops > 8) return
    const result = simulateBridge(br, pkt, {macTable: macTables.get(name), learn})
    passes.push(result)
    if (result.verdict === 'unknown') unknown = true
    for (const out of result.outputs) {
      const peerName = out.port.type === 'patch' ? out.port.peer : undefined
      const peerBridge = peerName ? bridges.find((b) => b.ports.some((p) => p.name === peerName)) : undefined
      const peerPort = peerBridge?.ports.find((p) => p.name === peerName)
      if (peerBridge && peerPort) {
        const next = clonePacket(out.packet)
        next.in_port = peerPort.ofport
        delete next.regs
        delete next.metadata
        delete next.tun_id
        walk(peerBridge.name, next, hops + 1)
      } else if (out.port.type !== 'patch') {
        outputs.push({
          bridge: name,
          port: out.port.name,
          vlans: vlanStack(out.packet),
          ...(out.packet.tun_id !== undefined ? {tunId: out.packet.tun_id} : {}),
        })
      }
    }
  }
  walk(start, packet, 0)
  return {passes, outputs, unknown}
}

export function outputKey(o: {bridge: string; port: string; vlans: VlanTag[]}): string {
  const vlan =
    o.vlans.length === 0 ? 'untagged' : o.vlans.map((v) => `vlan${v.vid}${v.pcp ? `/pcp${v.pcp}` : ''}`).join('+')
  return `${o.bridge}:${o.port}:${vlan}`
}
