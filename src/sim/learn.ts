// The learn() action (ofp-actions.c learn_parse / learn_execute): from the packet being translated, build the flow
// learn() would install. Neutron's br-tun table 10 uses it to teach table 20 where a MAC lives:
//   learn(table=20,hard_timeout=300,priority=1,cookie=…,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],
//         load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[])
// The learnt flow (as OVS dumps it): table=20, hard_timeout=300, priority=1,vlan_tci=0x0001/0x0fff,
// dl_dst=fa:16:3e:11:22:33 actions=load:0->NXM_OF_VLAN_TCI[],load:0x3e9->NXM_NX_TUN_ID[],output:"vxlan-0a000002".

import {splitTopLevel} from '../openflow/lexer.js'
import type {Flow, FlowAction, Masked} from '../types.js'
import {type FieldDef, type SubField, allOnes, parseFieldValue, parseSubField, readSubField} from './fields.js'
import {type Packet, bigIntToIpv4, bigIntToMac} from './packet.js'

export interface Learnt {
  flow?: Flow
  /** Why no flow could be built (a field the simulator does not model, a value the packet does not carry). */
  problem?: string
}

function valueText(def: FieldDef, value: bigint): string {
  if (def.kind === 'mac') return bigIntToMac(value)
  if (def.kind === 'ipv4') return bigIntToIpv4(value)
  return `0x${value.toString(16)}`
}

/** A sub-field's value as a match: the whole field, or the bits of a slice with their mask. */
function matchOf(sub: SubField, value: bigint): [string, Masked] {
  const def = sub.def!
  if (sub.start === 0 && sub.bits === def.bits) return [def.name, {value: valueText(def, value)}]
  const mask = allOnes(sub.bits) << BigInt(sub.start)
  return [def.name, {value: `0x${((value << BigInt(sub.start)) & mask).toString(16)}`, mask: `0x${mask.toString(16)}`}]
}

function immediate(sub: SubField, text: string): bigint | undefined {
  if (!sub.def) return undefined
  return parseFieldValue(sub.def, text)
}

/** The flow `learn(<text>)` installs when `packet` (the packet as translated so far) executes it. */
export function learnFlow(text: string, packet: Packet, source: Flow | undefined): Learnt {
  const items = splitTopLevel(text, ',')
  if (!items) return {problem: `learn(${text}) could not be read`}
  const fields: Record<string, Masked> = {}
  const actions: FlowAction[] = []
  let table = 1
  let priority = 32768
  let cookie = '0x0'
  let hardTimeout: number | undefined
  const unreadable = (what: string): Learnt => ({problem: `learn(): ${what}`})
  for (const raw of items) {
    const item = raw.trim()
    if (!item) continue
    const kv = /^(table|priority|cookie|hard_timeout|idle_timeout|fin_idle_timeout|fin_hard_timeout|limit|result_dst)=(.*)$/.exec(item)
    if (kv) {
      if (kv[1] === 'table') table = Number(kv[2])
      else if (kv[1] === 'priority') priority = Number(kv[2])
      else if (kv[1] === 'cookie') cookie = kv[2]!.toLowerCase()
      else if (kv[1] === 'hard_timeout') hardTimeout = Number(kv[2])
      continue
    }
    if (item === 'send_flow_rem' || item === 'delete_learned') continue
    const load = /^load:(.+)->(.+)$/.exec(item)
    if (load) {
      const dst = parseSubField(load[2]!)
      const src = parseSubField(load[1]!)
      if (!dst?.def) return unreadable(`load destination ${load[2]} is not modelled`)
      if (src?.def) {
        const v = readSubField(packet, src)
        if (v === undefined) return unreadable(`${load[1]} is not carried by this packet`)
        actions.push({type: 'load', value: `0x${v.toString(16)}`, dst: load[2]!})
      } else actions.push({type: 'load', value: load[1]!, dst: load[2]!})
      continue
    }
    const output = /^output:(.+)$/.exec(item)
    if (output) {
      const src = parseSubField(output[1]!)
      const v = src?.def ? readSubField(packet, src) : undefined
      if (v === undefined) return unreadable(`output port ${output[1]} is not known for this packet`)
      actions.push({type: 'output', port: Number(v)})
      continue
    }
    const eq = /^([^=]+)=(.+)$/.exec(item)
    const dst = parseSubField(eq ? eq[1]! : item)
    if (!dst?.def) return unreadable(`match field ${eq ? eq[1] : item} is not modelled`)
    let value: bigint | undefined
    if (eq) {
      const src = parseSubField(eq[2]!)
      value = src?.def ? readSubField(packet, src) : immediate(dst, eq[2]!)
    } else value = readSubField(packet, dst)
    if (value === undefined) return unreadable(`no value for ${item} in this packet`)
    const [name, masked] = matchOf(dst, value)
    fields[name] = masked
  }
  const match = Object.entries(fields).map(([k, v]) => `${k}=${v.value}${v.mask ? `/${v.mask}` : ''}`).join(',')
  const raw = `table=${table}, ${hardTimeout !== undefined ? `hard_timeout=${hardTimeout}, ` : ''}priority=${priority},${match} actions=(learnt)`
  const flow: Flow = {line: source?.line ?? 0, raw, table, priority, cookie, match: {fields}, actions, hardAge: undefined}
  return {flow}
}

/** Puts a learnt flow into `store`, replacing one of the same table, priority and match (OVS modifies it). */
export function installLearnt(store: Flow[], flow: Flow): void {
  const key = (f: Flow) => `${f.table}|${f.priority}|${JSON.stringify(Object.entries(f.match.fields).sort())}`
  const i = store.findIndex((f) => key(f) === key(flow))
  if (i >= 0) store[i] = flow
  else store.push(flow)
}
