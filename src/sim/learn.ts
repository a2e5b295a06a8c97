// The learn() action (ofp-actions.c learn_parse / learn_execute): from the packet being translated, build the flow
// learn() would install. Neutron's br-tun table 10 uses it to teach table 20 where a MAC lives:
//   learn(table=20,hard_timeout=300,priority=1,cookie=…,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],
//         load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[])
// The learnt flow (as OVS dumps it): table=20, hard_timeout=300, priority=1,vlan_tci=0x0001/0x0fff,
// dl_dst=fa:16:3e:11:22:33 actions=load:0->NXM_OF_VLAN_TCI[],load:0x3e9->NXM_NX_TUN_ID[],output:"vxlan-0a000002".

import {parseLearn} from '../openflow/actions.js'
import type {Flow, FlowAction, LearnSpec, Masked, SubFieldRef} from '../types.js'
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

/** A field of learn()'s spec bound to the simulator's packet accessors. */
function bound(ref: SubFieldRef): SubField | undefined {
  return parseSubField(ref.text)
}

/**
 * The flow `learn(<text>)` installs when `packet` (the packet as translated so far) executes it. The argument is read
 * by the one action model (src/openflow/actions.ts parseLearn); `spec` is what the parser already made of it.
 */
export function learnFlow(
  text: string,
  packet: Packet,
  source: Flow | undefined,
  spec: LearnSpec | undefined = parseLearn(text),
): Learnt {
  if (!spec) return {problem: `learn(${text}) could not be read`}
  const fields: Record<string, Masked> = {}
  const actions: FlowAction[] = []
  const unreadable = (what: string): Learnt => ({problem: `learn(): ${what}`})
  for (const m of spec.matches) {
    const dst = bound(m.dst)
    if (!dst?.def) return unreadable(`match field ${m.dst.text} is not modelled`)
    const src = m.src ? bound(m.src) : undefined
    const value = m.value !== undefined ? immediate(dst, m.value) : src?.def ? readSubField(packet, src) : undefined
    if (value === undefined)
      return unreadable(`no value for ${m.dst.text}${m.value !== undefined ? `=${m.value}` : ''} in this packet`)
    const [name, masked] = matchOf(dst, value)
    fields[name] = masked
  }
  for (const a of spec.actions) {
    if (a.type === 'output') {
      const src = bound(a.src)
      const v = src?.def ? readSubField(packet, src) : undefined
      if (v === undefined) return unreadable(`output port ${a.src.text} is not known for this packet`)
      actions.push({type: 'output', port: Number(v)})
      continue
    }
    if (!bound(a.dst)?.def) return unreadable(`load destination ${a.dst.text} is not modelled`)
    const src = a.src ? bound(a.src) : undefined
    if (src?.def) {
      const v = readSubField(packet, src)
      if (v === undefined) return unreadable(`${a.src!.text} is not carried by this packet`)
      actions.push({type: 'load', value: `0x${v.toString(16)}`, dst: a.dst.text})
    } else actions.push({type: 'load', value: a.value ?? a.src?.text ?? '', dst: a.dst.text})
  }
  const table = spec.table ?? 1
  const priority = spec.priority ?? 32768
  const match = Object.entries(fields)
    .map(([k, v]) => `${k}=${v.value}${v.mask ? `/${v.mask}` : ''}`)
    .join(',')
  const timeout = spec.hardTimeout !== undefined ? `hard_timeout=${spec.hardTimeout}, ` : ''
  const raw = `table=${table}, ${timeout}priority=${priority},${match} actions=(learnt)`
  const flow: Flow = {
    line: source?.line ?? 0,
    raw,
    table,
    priority,
    cookie: spec.cookie ?? '0x0',
    match: {fields},
    actions,
    hardAge: undefined,
  }
  return {flow}
}

/** Puts a learnt flow into `store`, replacing one of the same table, priority and match (OVS modifies it). */
export function installLearnt(store: Flow[], flow: Flow): void {
  const key = (f: Flow) => `${f.table}|${f.priority}|${JSON.stringify(Object.entries(f.match.fields).sort())}`
  const i = store.findIndex((f) => key(f) === key(flow))
  if (i >= 0) store[i] = flow
  else store.push(flow)
}
