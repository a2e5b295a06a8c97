// One packet through one Open vSwitch bridge, the way ovs-vswitchd translates it (ofproto-dpif-xlate.c): table lookup
// by priority, actions in order, resubmit/goto_table, VLAN push/pop/rewrite, output, NORMAL. What cannot be modelled
// (conntrack results, controllers, learn, unknown fields) is reported, never guessed.

import {RESERVED_PORTS, describeFlow, formatAction, normaliseAction} from '../openflow/index.js'
import type {Flow, FlowAction, PortRef} from '../types.js'
import {
  lookupField,
  parseFieldValue,
  parseSubField,
  readSubField,
  writeSubField,
  allOnes,
  type SubField,
} from './fields.js'
import type {Conntrack} from './conntrack.js'
import type {MacTable} from './mac-table.js'
import {installLearnt, learnFlow} from './learn.js'
import {matchFlow} from './match.js'
import {type CompiledBridge, compileBridge} from './classifier.js'
import {
  type BridgeResult,
  OFPP_LOCAL,
  type OutputVia,
  type SimBridge,
  type SimOptions,
  type SimOutput,
  type SimPort,
  type SimStep,
  type StepEvent,
  type BridgeVerdict,
} from './model.js'
import {normalSwitch, portLabel} from './normal.js'
import {type Packet, clonePacket, describeVlan, setVlanStack, vlanStack} from './packet.js'

export type {
  BridgeResult,
  OutputVia,
  SimBridge,
  SimOptions,
  SimOutput,
  SimPort,
  SimStep,
  StepEvent,
  BridgeVerdict,
} from './model.js'
export {OFPP_LOCAL} from './model.js'

/** OVS: MAX_DEPTH (resubmits to the same or an earlier table nest) and MAX_RESUBMITS = MAX_DEPTH². */
export const MAX_DEPTH = 64
export const MAX_RESUBMITS = MAX_DEPTH * MAX_DEPTH

interface Uncertainty {
  reason: string
  /** True when it can change this packet's forwarding. */
  decisive: boolean
}

interface DropCandidate {
  reason: string
  flow?: Flow
  explicit: boolean
}

const SPECIAL_PORTS = RESERVED_PORTS
/** No learned flows (read only). */
const NO_FLOWS: readonly Flow[] = []

const NO_EFFECT_ACTIONS = new Set([
  'note',
  'sample',
  'set_queue',
  'pop_queue',
  'meter',
  'dec_mpls_ttl',
  'fin_timeout',
  'debug_recirc',
])
const UNMODELLED_DECISIVE = new Set([
  'group',
  'clone',
  'bundle',
  'bundle_load',
  'multipath',
  'enqueue',
  'check_pkt_larger',
  'encap',
  'decap',
  'output_trunc',
  'recirc',
])

const CT_FIELDS = ['ct_state', 'ct_zone', 'ct_mark', 'ct_label'] as const
/** OVS's limit on recirculations of one packet (a ct(table=N) loop fails translation like a resubmit loop). */
const MAX_RECIRCULATIONS = 16

/** `conjunction(id,k/n)`: the flow is dimension k of n of conjunctive match `id` (it never matches by itself). */
function conjunctionOf(action: FlowAction): {id: number; k: number; n: number} | undefined {
  if (action.type !== 'other' || action.name.toLowerCase() !== 'conjunction') return undefined
  const m = /^conjunction\(\s*(\d+)\s*,\s*(\d+)\s*\/\s*(\d+)\s*\)$/i.exec(action.text)
  return m ? {id: Number(m[1]), k: Number(m[2]), n: Number(m[3])} : undefined
}
const conjunctions = new WeakMap<Flow, {id: number; k: number; n: number}[]>()
/** The conjunction() actions of a flow whose actions are all conjunction() (Neutron's firewall), else []. */
export function conjunctionsOf(flow: Flow): readonly {id: number; k: number; n: number}[] {
  // Most flows name no conjunction: a scan of their few actions costs less than the WeakMap lookup.
  if (!namesConjunction(flow)) return NO_CONJUNCTIONS
  let have = conjunctions.get(flow)
  if (!have) {
    const all = flow.actions.map(conjunctionOf)
    have = all.length > 0 && all.every((c) => c !== undefined) ? (all as {id: number; k: number; n: number}[]) : []
    conjunctions.set(flow, have)
  }
  return have
}
const withoutConjId = new WeakMap<Flow, Flow>()
/** The flow with its conj_id match left out (the classifier tests conj_id itself). */
function restOfConjFlow(flow: Flow): Flow {
  let rest = withoutConjId.get(flow)
  if (!rest) {
    const fields = Object.fromEntries(Object.entries(flow.match.fields).filter(([k]) => k.toLowerCase() !== 'conj_id'))
    rest = {...flow, match: {...flow.match, fields}}
    withoutConjId.set(flow, rest)
  }
  return rest
}
const conjIdOf = (flow: Flow): number | undefined => {
  const fields = flow.match.fields
  for (const k in fields) if (k.toLowerCase() === 'conj_id') return Number(fields[k].value)
  return undefined
}
const NO_CONJUNCTIONS: readonly {id: number; k: number; n: number}[] = []
/** Whether a flow has a conjunction() action, the only kind conjunctionsOf can find. */
function namesConjunction(flow: Flow): boolean {
  const actions = flow.actions
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!
    if (a.type === 'other' && a.name.toLowerCase() === 'conjunction') return true
  }
  return false
}

function actionsKey(actions: FlowAction[]): string {
  return JSON.stringify(actions, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
}

/** The comma-separated arguments of ct(...), nested parentheses (exec(...), nat(...)) kept whole. */
function splitCtArgs(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i <= text.length; i++) {
    const c = text[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if ((c === ',' && depth === 0) || i === text.length) {
      const part = text.slice(start, i).trim()
      if (part) out.push(part)
      start = i + 1
    }
  }
  return out
}

const CT_STATE_NAMES = ['new', 'est', 'rel', 'rpl', 'inv', 'trk', 'snat', 'dnat']
/** ct_state as ovs-ofctl prints it: `trk|new`, `trk|est|rpl`. */
export function formatCtState(state: number): string {
  const set = CT_STATE_NAMES.filter((_, i) => state & (1 << i))
  return set.length ? [...set.filter((n) => n === 'trk'), ...set.filter((n) => n !== 'trk')].join('|') : '0'
}

class XlateContext {
  readonly steps: SimStep[] = []
  readonly outputs: SimOutput[] = []
  readonly uncertain: Uncertainty[] = []
  readonly notes: string[] = []
  readonly drops: DropCandidate[] = []
  readonly tainted = new Set<string>()
  packet: Packet
  /** ct(table=N) forks: the packet goes on in table N with its conntrack state once this translation is done. */
  readonly recirculations: {table: number; packet: Packet; tainted: string[]; from: number}[] = []
  private readonly compiled: CompiledBridge
  private readonly byNumber: ReadonlyMap<number, SimPort>
  readonly portNumberOf: (ref: PortRef) => number | undefined
  private resubmits = 0
  private nesting = 0
  failure?: string
  private exited = false

  constructor(
    readonly bridge: SimBridge,
    private readonly entering: Packet,
    private readonly opts: Required<Pick<SimOptions, 'maxDepth' | 'maxResubmits' | 'learn'>> & {
      macTable?: MacTable
      learned?: Flow[]
      conntrack?: Conntrack
    },
  ) {
    this.packet = clonePacket(entering)
    this.compiled = compileBridge(bridge)
    this.byNumber = this.compiled.byNumber
    this.portNumberOf = this.compiled.portNumberOf
  }

  private portLabel(ofport: number): string {
    const port = this.byNumber.get(ofport)
    return port ? `${port.name} (port ${portLabel(port)})` : `port ${ofport}`
  }

  private uncertainty(reason: string, decisive: boolean): void {
    const known = this.uncertain.find((u) => u.reason === reason)
    if (!known) this.uncertain.push({reason, decisive})
    else known.decisive ||= decisive
  }

  private fail(message: string): void {
    this.failure ??= message
  }

  /** Looks the packet up in `table` and runs the winning flow's actions. Returns the step index. */
  lookup(table: number, lookupInPort: number, depth: number, parent?: number): number | undefined {
    if (this.failure || this.exited) return undefined
    const deepens = parent !== undefined && table <= (this.steps[parent]?.table ?? 0)
    if (parent !== undefined) {
      if (this.nesting >= this.opts.maxDepth) {
        this.fail(`over max translation depth ${this.opts.maxDepth}`)
        return undefined
      }
      if (this.resubmits >= this.opts.maxResubmits) {
        this.fail(`over ${this.opts.maxResubmits} resubmit actions`)
        return undefined
      }
      this.resubmits++
    }
    // The packet as the lookup sees it; itself when its in_port is the lookup's (choose only reads it).
    const probe: Packet = lookupInPort === this.packet.in_port ? this.packet : {...this.packet, in_port: lookupInPort}
    const step: SimStep = {
      bridge: this.bridge.name,
      table,
      depth,
      parent,
      lookupInPort,
      ambiguousWith: [],
      undecided: [],
      actions: [],
      events: [],
      notes: [],
      vlanBefore: this.packet.vlan ? {...this.packet.vlan} : undefined,
    }
    const index = this.steps.push(step) - 1
    this.choose(step, probe)
    if (!step.flow) {
      step.notes.push(`no flow in table ${table} matches: table miss, the packet is dropped here`)
      this.drops.push({reason: `table ${table}: no flow matched (table miss → drop)`, explicit: false})
      this.noteOnce(
        'A table miss drops the packet: OpenFlow 1.3 default, and Neutron runs its bridges fail_mode=secure with no table-miss controller.',
      )
    } else {
      if (deepens) this.nesting++
      this.execute(step, index, step.flow.actions)
      if (deepens) this.nesting--
    }
    step.vlanAfter = this.packet.vlan ? {...this.packet.vlan} : undefined
    return index
  }

  private noteOnce(note: string): void {
    if (!this.notes.includes(note)) this.notes.push(note)
  }

  /**
   * The highest-priority flow that matches (the first in dump order among equals), the others of its priority that
   * match too, and the flows above it whose match cannot be decided. The compiled table gives the flows in lookup
   * order, only those whose in_port can be the packet's: the scan stops below the winner's priority.
   */
  private choose(step: SimStep, probe: Packet): void {
    const learned = this.opts.learned?.length ? this.opts.learned.filter((f) => f.table === step.table) : NO_FLOWS
    const own = this.compiled.candidates(step.table, probe.in_port)
    const flows = learned.length ? this.compiled.inLookupOrder([...own, ...learned]) : own
    const matched: Flow[] = []
    const undecided: {flow: Flow; fields: string[]}[] = []
    let conj: Map<number, 'match' | 'undetermined'> | undefined
    // Indexed loops here and in namesConjunction: an iterator result per flow tested was a tenth of what the
    // simulation allocated while choose ran below the optimising compiler.
    for (let i = 0; i < flows.length; i++) {
      const flow = flows[i]!
      if (matched.length && flow.priority < matched[0]!.priority) break
      // A dimension of a conjunctive match, never a match by itself.
      if (conjunctionsOf(flow).length) continue
      const conjId = conjIdOf(flow)
      let outcome
      if (conjId === undefined) outcome = matchFlow(flow, probe, this.portNumberOf, this.tainted)
      else {
        conj ??= this.conjunctive(flows, probe)
        const whole = conj.get(conjId)
        if (!whole) continue
        outcome = matchFlow(restOfConjFlow(flow), probe, this.portNumberOf, this.tainted)
        if (whole === 'undetermined' && outcome.result === 'match')
          outcome = {result: 'undetermined' as const, unknownFields: [`conjunction(${conjId})`], unsupportedFields: []}
      }
      if (outcome.result === 'match') matched.push(flow)
      else if (outcome.result === 'undetermined')
        undecided.push({flow, fields: [...outcome.unknownFields, ...outcome.unsupportedFields]})
    }
    // Told in dump order, as a scan of the whole table would find them.
    if (undecided.length > 1) {
      const at = (f: Flow) => this.compiled.position.get(f) ?? this.compiled.flowCount + learned.indexOf(f)
      undecided.sort((a, b) => at(a.flow) - at(b.flow))
    }
    const best = matched[0]
    step.flow = best
    if (best) {
      step.ambiguousWith = matched.filter((f) => f !== best)
      if (step.ambiguousWith.some((f) => actionsKey(f.actions) !== actionsKey(best.actions))) {
        this.uncertainty(
          `table ${step.table}: ${step.ambiguousWith.length + 1} flows of priority ${best.priority} match with different actions; OVS picks one unpredictably`,
          true,
        )
      }
    }
    step.undecided = undecided.filter((u) => best === undefined || u.flow.priority > best.priority)
    for (const u of step.undecided) {
      this.uncertainty(
        `table ${step.table}: cannot tell whether ${describeFlow(u.flow)} matches (${u.fields.join(', ')} unknown for this packet)`,
        true,
      )
    }
  }

  /**
   * The conjunctive matches of a table the packet satisfies (ofproto's classifier): id → 'match' when, for every
   * dimension 1..n, a flow with conjunction(id,k/n) matches; 'undetermined' when some dimension can only be told
   * undetermined.
   */
  private conjunctive(flows: readonly Flow[], probe: Packet): Map<number, 'match' | 'undetermined'> {
    const dims = new Map<number, {n: number; seen: Map<number, 'match' | 'undetermined'>}>()
    for (const flow of flows) {
      const parts = conjunctionsOf(flow)
      if (!parts.length) continue
      const outcome = matchFlow(flow, probe, this.portNumberOf, this.tainted).result
      if (outcome === 'no-match') continue
      for (const {id, k, n} of parts) {
        const d = dims.get(id) ?? {n, seen: new Map()}
        dims.set(id, d)
        if (d.seen.get(k) !== 'match') d.seen.set(k, outcome)
      }
    }
    const out = new Map<number, 'match' | 'undetermined'>()
    for (const [id, d] of dims) {
      const all = Array.from({length: d.n}, (_, i) => d.seen.get(i + 1))
      if (all.every((x) => x === 'match')) out.set(id, 'match')
      else if (all.every((x) => x !== undefined)) out.set(id, 'undetermined')
    }
    return out
  }

  private execute(step: SimStep, index: number, actions: FlowAction[]): void {
    const flow = step.flow
    if (actions.length === 0 || (actions.length === 1 && actions[0]?.type === 'drop')) {
      this.drops.push({
        reason: `dropped by ${flow ? describeFlow(flow) : 'a flow'} (actions=drop)`,
        flow,
        explicit: true,
      })
    }
    for (const action of actions) {
      if (this.failure || this.exited) break
      const event: StepEvent = {action, notes: []}
      step.actions.push(action)
      step.events.push(event)
      this.apply(step, index, action, event)
    }
  }

  private emit(
    port: SimPort,
    via: OutputVia,
    step: number,
    flow: Flow | undefined,
    packet: Packet = this.packet,
    /** False when `packet` is already a copy of its own (NORMAL's, one per output port). */
    copy = true,
  ): void {
    this.outputs.push({port, packet: copy ? clonePacket(packet) : packet, via, flow, step})
  }

  /** output:N, the way xlate_output_action treats a plain port number. */
  private outputTo(ofport: number, event: StepEvent, step: SimStep, index: number, allowInPort: boolean): void {
    if (!allowInPort && ofport === this.packet.in_port) {
      event.notes.push('skipping output to input port')
      this.drops.push({
        reason: `output to ${this.portLabel(ofport)} skipped: it is the input port (use in_port to send back)`,
        flow: step.flow,
        explicit: false,
      })
      return
    }
    const port = this.byNumber.get(ofport)
    if (!port) {
      event.notes.push(`nonexistent output port ${ofport}`)
      this.drops.push({reason: `output to nonexistent port ${ofport}`, flow: step.flow, explicit: false})
      return
    }
    event.notes.push(`output to ${this.portLabel(ofport)}: ${describeVlan(this.packet.vlan)}`)
    this.emit(port, 'output', index, step.flow)
  }

  private flood(all: boolean, event: StepEvent, step: SimStep, index: number): void {
    let sent = 0
    for (const port of this.bridge.ports) {
      if (port.ofport === this.packet.in_port || port.ofport < 0) continue
      this.emit(port, 'flood', index, step.flow)
      sent++
    }
    event.notes.push(`${all ? 'ALL' : 'FLOOD'}: sent to ${sent} port(s) ${describeVlan(this.packet.vlan)}`)
    if (sent === 0)
      this.drops.push({reason: 'FLOOD found no port other than the input port', flow: step.flow, explicit: false})
  }

  private normal(event: StepEvent, step: SimStep, index: number): void {
    const result = normalSwitch({
      bridgeName: this.bridge.name,
      ports: this.bridge.ports,
      packet: this.packet,
      macTable: this.opts.macTable,
      learn: this.opts.learn,
    })
    event.notes.push(...result.notes)
    if (result.unknown) this.uncertainty(result.unknown, true)
    if (result.drop) this.drops.push({reason: `NORMAL: ${result.drop}`, flow: step.flow, explicit: false})
    else if (result.outputs.length === 0 && !result.unknown) {
      this.drops.push({
        reason: `NORMAL: no other port carries VLAN ${result.vlan ?? 0}`,
        flow: step.flow,
        explicit: false,
      })
    }
    for (const out of result.outputs) {
      const packet = clonePacket(this.packet)
      setVlanStack(packet, out.vlans)
      this.emit(out.port, 'normal', index, step.flow, packet, false)
      if (out.port.tag === 4095)
        this.noteOnce(`NORMAL delivered VLAN 4095 traffic to ${out.port.name}: 4095 is Neutron's dead VLAN`)
    }
  }

  private resubmit(
    port: PortRef | undefined,
    table: number | undefined,
    event: StepEvent,
    step: SimStep,
    index: number,
  ): void {
    let inPort = this.packet.in_port
    if (port !== undefined) {
      const resolved = this.portNumberOf(port)
      if (resolved === undefined) {
        event.notes.push(`unknown port ${String(port)}: resubmit ignored`)
        this.uncertainty(`resubmit to unknown port ${String(port)}`, true)
        return
      }
      if (resolved !== SPECIAL_PORTS.IN_PORT) inPort = resolved
    }
    event.next = this.lookup(table ?? step.table, inPort, step.depth + 1, index)
  }

  private gotoTable(table: number, event: StepEvent, step: SimStep, index: number): void {
    if (table <= step.table) {
      event.notes.push(`goto_table must go forward (from ${step.table} to ${table}); OVS refuses such a flow`)
      this.uncertainty(
        `flow ${step.flow ? describeFlow(step.flow) : ''} has goto_table:${table} backwards, which OVS would not install`,
        true,
      )
      return
    }
    event.next = this.lookup(table, this.packet.in_port, step.depth, index)
  }

  private setVlanVid(vid: number, event: StepEvent): void {
    const stack = vlanStack(this.packet)
    const before = describeVlan(stack[0])
    if (stack[0]) stack[0] = {vid: vid & 0xfff, pcp: stack[0].pcp}
    else stack.unshift({vid: vid & 0xfff, pcp: 0})
    setVlanStack(this.packet, stack)
    event.notes.push(`${before} → ${describeVlan(stack[0])}`)
  }

  private setVlanPcp(pcp: number, event: StepEvent): void {
    const stack = vlanStack(this.packet)
    if (stack[0]) stack[0] = {vid: stack[0].vid, pcp: pcp & 7}
    else stack.unshift({vid: 0, pcp: pcp & 7})
    setVlanStack(this.packet, stack)
    event.notes.push(`now ${describeVlan(stack[0])}`)
  }

  /** set_field / load onto a (sub)field; an unmodelled destination becomes an unknown. */
  private write(sub: SubField | undefined, dstText: string, value: bigint | undefined, event: StepEvent): void {
    if (!sub?.def?.set) {
      const name = sub?.text.replace(/\[.*$/, '') ?? dstText
      this.tainted.add(sub?.def?.name ?? name.toLowerCase())
      event.notes.push(`writes ${dstText}, which the simulator does not model`)
      this.uncertainty(`write to ${dstText} is not modelled; later matches on it cannot be decided`, false)
      return
    }
    if (value === undefined) {
      this.tainted.add(sub.def.name)
      event.notes.push(`value for ${dstText} unknown`)
      this.uncertainty(`value written to ${dstText} is not known to the simulator`, false)
      return
    }
    writeSubField(this.packet, sub, value)
    this.tainted.delete(sub.def.name)
  }

  private setField(field: string, valueText: string, event: StepEvent): void {
    const def = lookupField(field)
    if (!def?.set) {
      this.write(undefined, field, undefined, event)
      return
    }
    const [v, m] = valueText.split('/')
    const value = parseFieldValue(def, v ?? '')
    const mask = m === undefined ? allOnes(def.bits) : parseFieldValue(def, m)
    if (value === undefined || mask === undefined) {
      this.write({text: field, def, start: 0, bits: def.bits}, field, undefined, event)
      return
    }
    if (def.name === 'vlan_vid' && mask === allOnes(def.bits) && value & 0x1000n) {
      this.setVlanVid(Number(value & 0xfffn), event)
      return
    }
    const current = def.get(this.packet) ?? 0n
    def.set(this.packet, (current & ~mask) | (value & mask))
    this.tainted.delete(def.name)
    event.notes.push(`${def.name} = ${valueText}`)
  }

  private load(valueText: string, dst: string, event: StepEvent): void {
    const sub = parseSubField(dst)
    const value = /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(valueText) ? BigInt(valueText.trim()) : undefined
    if (value === undefined && sub?.def) {
      // load of a value written in the field's own syntax (e.g. a MAC)
      const parsed = parseFieldValue(sub.def, valueText)
      this.write(sub, dst, parsed, event)
    } else this.write(sub, dst, value, event)
    if (sub?.def?.set && !this.tainted.has(sub.def.name)) event.notes.push(`${sub.text} = ${valueText}`)
  }

  private move(src: string, dst: string, event: StepEvent): void {
    const from = parseSubField(src)
    const to = parseSubField(dst)
    const known = from?.def && !this.tainted.has(from.def.name) ? readSubField(this.packet, from) : undefined
    this.write(to, dst, known, event)
    if (known !== undefined && to?.def?.set) event.notes.push(`${to.text} = ${src} (0x${known.toString(16)})`)
  }

  private other(action: Extract<FlowAction, {type: 'other'}>, event: StepEvent, step: SimStep): void {
    const name = action.name.toLowerCase()
    if (name === 'exit') {
      event.notes.push('exit: no further actions run')
      this.exited = true
      return
    }
    if (name === 'ct_clear') {
      this.clearConntrack()
      return
    }
    if (name === 'dec_ttl') {
      const ttl = this.packet.nw_ttl
      if (ttl === undefined) event.notes.push('TTL not known; assumed above 1')
      else if (ttl <= 1) {
        event.notes.push('TTL expired: OVS sends the packet to the controller and stops')
        this.uncertainty(`dec_ttl on TTL ${ttl} sends the packet to the controller`, true)
        this.exited = true
      } else this.packet.nw_ttl = ttl - 1
      return
    }
    if (NO_EFFECT_ACTIONS.has(name)) return
    if (name === 'conjunction') {
      // In a flow that also does other things; alone it is a dimension of a conjunctive match (see choose()).
      event.notes.push('conjunction() beside other actions: not modelled')
      this.uncertainty(`${action.text} in ${step.flow ? describeFlow(step.flow) : 'a flow'} is not modelled`, true)
      return
    }
    if (UNMODELLED_DECISIVE.has(name)) {
      event.notes.push('not modelled')
      this.uncertainty(
        `${action.text || name} in ${step.flow ? describeFlow(step.flow) : 'a flow'} is not modelled`,
        true,
      )
      return
    }
    event.notes.push('not modelled; assumed not to change forwarding')
    this.uncertainty(`action ${action.text || name} is not modelled (assumed not to change forwarding)`, false)
  }

  private popVlan(event: StepEvent): void {
    const stack = vlanStack(this.packet)
    if (stack.length === 0) {
      event.notes.push('no VLAN header to pop')
      return
    }
    setVlanStack(this.packet, stack.slice(1))
    event.notes.push(`${describeVlan(stack[0])} removed, now ${describeVlan(this.packet.vlan)}`)
  }

  private apply(step: SimStep, index: number, action: FlowAction, event: StepEvent): void {
    switch (action.type) {
      case 'output': {
        const ofport = this.portNumberOf(action.port)
        if (ofport === undefined) {
          event.notes.push(`unknown port ${String(action.port)}`)
          this.uncertainty(`output to port ${String(action.port)}, which is not a port of ${this.bridge.name}`, true)
        } else if (ofport === SPECIAL_PORTS.NORMAL) this.normal(event, step, index)
        else if (ofport === SPECIAL_PORTS.FLOOD) this.flood(false, event, step, index)
        else if (ofport === SPECIAL_PORTS.ALL) this.flood(true, event, step, index)
        else if (ofport === SPECIAL_PORTS.IN_PORT) this.outputTo(this.packet.in_port, event, step, index, true)
        else if (ofport === SPECIAL_PORTS.CONTROLLER)
          this.apply(step, index, {type: 'controller', text: 'CONTROLLER'}, event)
        else if (ofport === SPECIAL_PORTS.NONE) event.notes.push('output to NONE: nothing sent')
        else if (ofport === SPECIAL_PORTS.TABLE) {
          event.notes.push('output:TABLE is only meaningful in packet-out messages')
          this.uncertainty('output:TABLE is not modelled', true)
        } else this.outputTo(ofport, event, step, index, false)
        return
      }
      case 'normal':
        return this.normal(event, step, index)
      case 'flood':
        return this.flood(false, event, step, index)
      case 'all':
        return this.flood(true, event, step, index)
      case 'in_port':
        return this.outputTo(this.packet.in_port, event, step, index, true)
      case 'local':
        return this.outputTo(OFPP_LOCAL, event, step, index, false)
      case 'controller':
        event.notes.push('sent to the OpenFlow controller (packet-in): what it does next is not modelled')
        this.uncertainty(
          `${formatAction(action)} in ${step.flow ? describeFlow(step.flow) : 'a flow'} hands the packet to the controller`,
          true,
        )
        return
      case 'drop':
        return
      case 'set_vlan_vid':
        return this.setVlanVid(action.vid, event)
      case 'pop_vlan':
        return this.popVlan(event)
      case 'push_vlan': {
        // OFPACT_PUSH_VLAN writes a fresh header with VID 0 and PCP 0 (later set_field fills it in).
        setVlanStack(this.packet, [{vid: 0, pcp: 0}, ...vlanStack(this.packet)])
        if (action.ethertype !== 0x8100) event.notes.push(`TPID 0x${action.ethertype.toString(16)} treated like 0x8100`)
        event.notes.push('new VLAN header (VID 0)')
        return
      }
      case 'set_vlan_pcp':
        return this.setVlanPcp(action.pcp, event)
      case 'resubmit':
        return this.resubmit(action.port, action.table, event, step, index)
      case 'goto_table':
        return this.gotoTable(action.table, event, step, index)
      case 'set_tunnel':
        this.packet.tun_id = action.id
        this.tainted.delete('tun_id')
        event.notes.push(`tun_id = 0x${action.id.toString(16)}`)
        return
      case 'set_field':
        return this.setField(action.field, action.value, event)
      case 'load':
        return this.load(action.value, action.dst, event)
      case 'move':
        return this.move(action.src, action.dst, event)
      case 'learn': {
        if (!this.opts.learned) {
          event.notes.push('learn() installs a flow for later packets; this packet is not affected')
          this.uncertainty(`${formatAction(action)} is not modelled (it only affects later packets)`, false)
          return
        }
        const learnt = learnFlow(action.text, this.packet, step.flow, action.spec)
        if (learnt.flow) {
          installLearnt(this.opts.learned, learnt.flow)
          event.notes.push(`learned into table ${learnt.flow.table}: ${describeFlow(learnt.flow)}`)
        } else {
          event.notes.push(learnt.problem ?? 'learn() not modelled')
          this.uncertainty(`${learnt.problem ?? 'learn() not modelled'} (later packets may go elsewhere)`, false)
        }
        return
      }
      case 'ct':
        return this.opts.conntrack
          ? this.trackConnection(this.opts.conntrack, action.text, event, step, index)
          : this.conntrack(action.text, event, step)
      case 'note':
        return
      case 'other': {
        // A spelling the action model knows (a hand-built flow may carry one as 'other'): run what it normalises to.
        const normalised = normaliseAction(action)
        return normalised.type === 'other'
          ? this.other(normalised, event, step)
          : this.apply(step, index, normalised, event)
      }
    }
  }

  private conntrack(text: string, event: StepEvent, step: SimStep): void {
    const table = /table=(\d+)/.exec(text)
    if (/\bnat\b/.test(text)) {
      for (const f of ['nw_src', 'nw_dst', 'tp_src', 'tp_dst']) this.tainted.add(f)
    }
    if (table) {
      for (const f of ['ct_state', 'ct_zone', 'ct_mark', 'ct_label']) this.tainted.add(f)
      event.notes.push(
        `conntrack, then the packet continues in table ${table[1]} with a ct_state the simulator cannot know`,
      )
      this.uncertainty(
        `ct(...,table=${table[1]}) in ${step.flow ? describeFlow(step.flow) : 'a flow'}: conntrack state is not modelled`,
        true,
      )
      return
    }
    event.notes.push('conntrack (commit/zone): does not change where this packet goes')
    this.uncertainty(`ct() in ${step.flow ? describeFlow(step.flow) : 'a flow'} is not modelled`, false)
  }

  /** ct_clear, and what every ct() leaves for the actions after it: an untracked packet (flow_clear_conntrack). */
  private clearConntrack(): void {
    this.packet.ct_state = 0
    this.packet.ct_zone = 0
    this.packet.ct_mark = 0
    for (const f of CT_FIELDS) this.tainted.delete(f)
  }

  /**
   * ct(commit,zone=Z,table=N,exec(set ct_mark)) with the trace's connection tracker: commit remembers the
   * connection (with its mark); table=N recirculates a copy with ct_state/ct_zone/ct_mark as the tracker says, once
   * this translation is done. nat, alg, and a state the tracker cannot tell leave the fields unknown.
   */
  private trackConnection(ct: Conntrack, text: string, event: StepEvent, step: SimStep, index: number): void {
    const where = step.flow ? describeFlow(step.flow) : 'a flow'
    const args = splitCtArgs(text)
    const table = args.find((a) => /^table=/.test(a))
    const zoneArg = args.find((a) => /^zone=/.test(a))?.slice(5)
    let zone: number | undefined = 0
    if (zoneArg !== undefined) {
      if (/^\d+$|^0x[0-9a-f]+$/i.test(zoneArg)) zone = Number(zoneArg)
      else {
        const sub = parseSubField(zoneArg)
        const v = sub?.def && !this.tainted.has(sub.def.name) ? readSubField(this.packet, sub) : undefined
        zone = v === undefined ? undefined : Number(v)
      }
    }
    const exec = args.find((a) => a.startsWith('exec('))
    const markLoad = exec
      ? /(?:load:|set_field:)(0x[0-9a-f]+|\d+)->(?:NXM_NX_CT_MARK\[\]|ct_mark)\)$/i.exec(exec)
      : null
    const unmodelled = args.filter((a) => /^(nat|alg=|force)/.test(a) || (a.startsWith('exec(') && !markLoad))
    const before = clonePacket(this.packet)
    let state: {state: number; mark: number} | undefined
    if (zone === undefined || unmodelled.length) {
      const why = zone === undefined ? `zone ${zoneArg} unknown` : `${unmodelled.join(', ')} not modelled`
      event.notes.push(`conntrack: ${why}`)
      this.uncertainty(`ct(${text}) in ${where}: ${why}`, table !== undefined)
    } else {
      state = table ? ct.lookup(zone, before) : undefined
      if (args.includes('commit')) {
        const committed = ct.commit(zone, before, markLoad ? Number(markLoad[1]) : undefined)
        event.notes.push(
          committed
            ? `conntrack: connection committed in zone ${zone}${markLoad ? ` with ct_mark ${markLoad[1]}` : ''}`
            : 'conntrack: commit of a packet the model does not track',
        )
      }
    }
    if (table) {
      const n = Number(table.slice(6))
      const packet = clonePacket(before)
      const tainted: string[] = []
      if (state && zone !== undefined) {
        packet.ct_state = state.state
        packet.ct_zone = zone
        packet.ct_mark = state.mark
        event.notes.push(`conntrack: ${formatCtState(state.state)} in zone ${zone}; recirculated to table ${n}`)
      } else {
        tainted.push(...CT_FIELDS)
        event.notes.push(`conntrack: state not known (not guessed); recirculated to table ${n}`)
        if (zone !== undefined && !unmodelled.length)
          this.uncertainty(`ct(${text}) in ${where}: the connection's state is not modelled for this packet`, false)
      }
      this.recirculations.push({table: n, packet, tainted, from: index})
    }
    this.clearConntrack()
  }

  /** Runs the recirculations ct(table=N) queued, in order (each may queue more), as OVS does after a translation. */
  recirculate(): void {
    for (let i = 0; i < this.recirculations.length && !this.failure; i++) {
      if (i >= MAX_RECIRCULATIONS) {
        this.fail(`over ${MAX_RECIRCULATIONS} recirculations`)
        return
      }
      const r = this.recirculations[i]!
      this.packet = r.packet
      this.tainted.clear()
      for (const f of r.tainted) this.tainted.add(f)
      this.exited = false
      const at = this.lookup(r.table, this.packet.in_port, 0)
      if (at !== undefined) this.steps[at]!.notes.unshift(`recirculated from step ${r.from + 1} (ct(table=${r.table}))`)
    }
  }

  result(): BridgeResult {
    // One literal per outcome, the keys always in the same order (bridge, packet, steps, unknownReasons, notes,
    // finalPacket, outputs, verdict, then the drop's): spreading a common base cost a tenth of a trace.
    const packet = clonePacket(this.entering)
    const unknownReasons = this.uncertain.map((u) => u.reason)
    // The run is over (result() is its last call): the working packet is handed out rather than copied.
    const finalPacket = this.packet
    const {steps, notes, outputs} = this
    const bridge = this.bridge.name
    if (this.failure) {
      // xlate_actions: a translation error replaces all datapath actions with a drop.
      const dropReason = `translation failed (${this.failure}), packet is dropped`
      return {bridge, packet, steps, unknownReasons, notes, finalPacket, outputs: [], verdict: 'dropped', dropReason}
    }
    const decisive = this.uncertain.some((u) => u.decisive)
    const verdict: BridgeVerdict = decisive ? 'unknown' : outputs.length > 0 ? 'forwarded' : 'dropped'
    if (outputs.length > 0) return {bridge, packet, steps, unknownReasons, notes, finalPacket, outputs, verdict}
    const chosen = this.drops.find((d) => d.explicit) ?? this.drops[this.drops.length - 1]
    const dropReason = chosen?.reason ?? 'the actions never output the packet'
    const dropFlow = chosen ? chosen.flow : this.lastFlow()
    return {bridge, packet, steps, unknownReasons, notes, finalPacket, outputs, verdict, dropReason, dropFlow}
  }

  private lastFlow(): Flow | undefined {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const flow = this.steps[i]?.flow
      if (flow) return flow
    }
    return undefined
  }
}

/**
 * Simulates `packet` entering `bridge` on `packet.in_port`: table 0 first, then wherever the flows lead. The result
 * lists every lookup (with the flow chosen and the actions run), every copy of the packet that leaves and on which
 * port with which VLAN, and a verdict. Output to a patch port is just an output here: follow it with the peer bridge.
 */
export function simulateBridge(bridge: SimBridge, packet: Packet, opts: SimOptions = {}): BridgeResult {
  const run = new XlateContext(bridge, packet, {
    maxDepth: opts.maxDepth ?? MAX_DEPTH,
    maxResubmits: opts.maxResubmits ?? MAX_RESUBMITS,
    learn: opts.learn ?? true,
    macTable: opts.macTable,
    learned: opts.learned,
    conntrack: opts.conntrack,
  })
  if (!bridge.ports.some((p) => p.ofport === packet.in_port)) {
    run.notes.push(`in_port ${packet.in_port} is not a port of ${bridge.name}`)
  }
  run.lookup(0, packet.in_port, 0)
  run.recirculate()
  return run.result()
}
