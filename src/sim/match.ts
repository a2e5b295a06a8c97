// Does a flow's match cover a packet? Three answers: yes, no, or "cannot tell" (the flow tests a field the packet
// does not carry, a field the simulator lost track of, or a field it does not model).

import {parseInteger, shorthand, unquoteOvs, vlanFieldTci} from '../openflow/index.js'
import type {Flow, Masked, PortRef} from '../types.js'
import {type FieldDef, lookupField, parseMasked} from './fields.js'
import {type Packet, vlanTci} from './packet.js'

export interface MatchOutcome {
  result: 'match' | 'no-match' | 'undetermined'
  /** Fields the packet does not carry or whose value was lost (e.g. after ct()), when the rest matched. */
  unknownFields: string[]
  /** Match fields the simulator does not model. */
  unsupportedFields: string[]
}

type FieldTest = 'match' | 'no-match' | 'unknown' | 'unsupported'

/** The OF1.0 VLAN fields are shorthands for vlan_tci value/mask pairs (as ovs-ofctl documents them). */
function vlanFieldTest(name: string, masked: Masked, packet: Packet): FieldTest | undefined {
  if (name !== 'dl_vlan' && name !== 'dl_vlan_pcp' && name !== 'vlan_pcp') return undefined
  const tci = vlanTciOf(name, masked)
  if (!tci) return 'unsupported'
  return (vlanTci(packet) & tci.mask) === tci.value ? 'match' : 'no-match'
}

/** The TCI a flow's OF1.0 VLAN field tests, read once per flow field (its mask is ignored, as OVS does). */
const vlanTcis = new WeakMap<Masked, {name: string; value: string; tci: ReturnType<typeof vlanFieldTci>}>()

function vlanTciOf(name: string, masked: Masked): ReturnType<typeof vlanFieldTci> {
  const have = vlanTcis.get(masked)
  if (have && have.name === name && have.value === masked.value) return have.tci
  const tci = vlanFieldTci(name, {value: masked.value.split('/')[0] ?? ''})
  vlanTcis.set(masked, {name, value: masked.value, tci})
  return tci
}

function fragTest(masked: Masked): FieldTest {
  // The simulator's packets are never fragments.
  const v = masked.value.trim()
  if (v === 'no' || v === 'not_later') return 'match'
  if (v === 'yes' || v === 'first' || v === 'later') return 'no-match'
  return 'unsupported'
}

/** A flow's value and mask, read once per flow field (flows do not change once parsed). */
const parsed = new WeakMap<
  Masked,
  {def: FieldDef; value: string; mask?: string; want: ReturnType<typeof parseMasked>}
>()

function wanted(def: FieldDef, masked: Masked): ReturnType<typeof parseMasked> {
  const have = parsed.get(masked)
  if (have && have.def === def && have.value === masked.value && have.mask === masked.mask) return have.want
  const want = parseMasked(def, masked)
  parsed.set(masked, {def, value: masked.value, mask: masked.mask, want})
  return want
}

function testField(name: string, masked: Masked, packet: Packet, tainted: ReadonlySet<string>): FieldTest {
  const key = name.trim().toLowerCase()
  const vlan = vlanFieldTest(key, masked, packet)
  if (vlan) return vlan
  if (key === 'nw_frag' || key === 'ip_frag') return fragTest(masked)
  // Protocol shorthands, in case a match still carries them unexpanded.
  const proto = shorthand(key)
  if (proto) {
    if (packet.dl_type !== proto.dlType) return 'no-match'
    if (proto.nwProto === undefined) return 'match'
    if (packet.nw_proto === undefined) return 'unknown'
    return packet.nw_proto === proto.nwProto ? 'match' : 'no-match'
  }
  const def = lookupField(key)
  if (!def) return 'unsupported'
  const want = wanted(def, masked)
  if (!want) return 'unsupported'
  if (want.mask === 0n) return 'match'
  if (tainted.has(def.name)) return 'unknown'
  const have = def.get(packet)
  if (have === undefined) return 'unknown'
  return (have & want.mask) === want.value ? 'match' : 'no-match'
}

/**
 * Evaluates `flow`'s match against `packet`. `portNumberOf` turns a port reference (number or name) into the
 * bridge's OpenFlow port number; `tainted` names fields whose value the simulator no longer knows.
 */
export function matchFlow(
  flow: Flow,
  packet: Packet,
  portNumberOf: (ref: PortRef) => number | undefined,
  tainted: ReadonlySet<string> = new Set(),
): MatchOutcome {
  if (flow.match.inPort !== undefined) {
    const port = portNumberOf(flow.match.inPort)
    if (port === undefined || port !== packet.in_port) return noMatch()
  }
  // The lists only when a field needs one: most flows a lookup tests match or not outright.
  let unknownFields: string[] | undefined
  let unsupportedFields: string[] | undefined
  const fields = flow.match.fields
  for (const name in fields) {
    const masked = fields[name]
    if (name.toLowerCase() === 'in_port') {
      const ref = parseInteger(masked.value.trim()) ?? unquoteOvs(masked.value)
      if (portNumberOf(ref) !== packet.in_port) return noMatch()
      continue
    }
    const outcome = testField(name, masked, packet, tainted)
    if (outcome === 'no-match') return noMatch()
    if (outcome === 'unknown') (unknownFields ??= []).push(name)
    if (outcome === 'unsupported') (unsupportedFields ??= []).push(name)
  }
  if (unknownFields === undefined && unsupportedFields === undefined) return MATCH
  return {result: 'undetermined', unknownFields: unknownFields ?? [], unsupportedFields: unsupportedFields ?? []}
}

// The outcomes without lists, one object each (a lookup tests many flows; callers only read them), frozen.
const NONE = Object.freeze([]) as unknown as string[]
const MATCH: MatchOutcome = Object.freeze({result: 'match', unknownFields: NONE, unsupportedFields: NONE})
const NO_MATCH: MatchOutcome = Object.freeze({result: 'no-match', unknownFields: NONE, unsupportedFields: NONE})
const noMatch = (): MatchOutcome => NO_MATCH
