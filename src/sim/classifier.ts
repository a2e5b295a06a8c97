// A bridge's flow tables compiled once for every packet the simulator sends through it (OVS's classifier does the
// same with its subtables): ports by number and by name, port references resolved once, and per table the flows in
// lookup order (priority, highest first; dump order within a priority) split by the in_port they require. A lookup
// then tests only the flows that can match the packet's in_port, in order, and stops below the winning priority.
// Everything else a flow matches on is still tested by matchFlow, so any match the index does not know (ct_state,
// conj_id, registers ...) keeps working: the index only leaves out flows whose in_port cannot be the packet's.

import {RESERVED_PORTS, parseInteger, unquoteOvs} from '../openflow/index.js'
import type {Flow, PortRef} from '../types.js'
import type {SimBridge, SimPort} from './model.js'

interface Table {
  /** Flows that name no in_port (or name it in a way the index does not read): tested for every packet. */
  any: Flow[]
  /** Flows for packets that entered on one OpenFlow port. */
  byPort: Map<number, Flow[]>
  /** `byPort.get(p)` and `any` merged in lookup order, per port looked up. */
  merged: Map<number, Flow[]>
}

export class CompiledBridge {
  readonly byNumber = new Map<number, SimPort>()
  readonly byName = new Map<string, SimPort>()
  /** Where each flow stands in the dump: lookup order within a priority, and the order uncertainties are told in. */
  readonly position = new Map<Flow, number>()
  private readonly refs = new Map<PortRef, number | undefined>()
  private readonly tables = new Map<number, Table>()
  private readonly flowsOf = new Map<number, Flow[]>()
  readonly flowCount: number
  readonly portCount: number

  constructor(
    readonly flows: readonly Flow[],
    readonly ports: readonly SimPort[],
  ) {
    this.flowCount = flows.length
    this.portCount = ports.length
    for (const port of ports) {
      this.byNumber.set(port.ofport, port)
      this.byName.set(port.name, port)
    }
    flows.forEach((flow, i) => {
      this.position.set(flow, i)
      const list = this.flowsOf.get(flow.table)
      if (list) list.push(flow)
      else this.flowsOf.set(flow.table, [flow])
    })
  }

  /** A port as a flow names it (number, name, quoted name, reserved name) -> its OpenFlow number. */
  portNumberOf = (ref: PortRef): number | undefined => {
    if (typeof ref === 'number') return ref
    if (this.refs.has(ref)) return this.refs.get(ref)
    const name = unquoteOvs(ref)
    let n = /^\d+$/.test(name) ? parseInteger(name) : undefined
    if (n === undefined) {
      const upper = name.toUpperCase()
      n = Object.hasOwn(RESERVED_PORTS, upper) ? RESERVED_PORTS[upper] : this.byName.get(name)?.ofport
    }
    this.refs.set(ref, n)
    return n
  }

  /** The flows of `table` a packet that entered on `inPort` may match, in lookup order. */
  candidates(table: number, inPort: number): readonly Flow[] {
    const t = this.table(table)
    if (!t) return []
    const have = t.merged.get(inPort)
    if (have) return have
    const mine = t.byPort.get(inPort)
    const merged = !mine ? t.any : t.any.length === 0 ? mine : this.merge(mine, t.any)
    t.merged.set(inPort, merged)
    return merged
  }

  private table(number: number): Table | undefined {
    const have = this.tables.get(number)
    if (have) return have
    const flows = this.flowsOf.get(number)
    if (!flows) return undefined
    const t: Table = {any: [], byPort: new Map(), merged: new Map()}
    for (const flow of this.inLookupOrder(flows)) {
      const ref = flow.match.inPort
      if (ref === undefined || Object.keys(flow.match.fields).some((k) => k.toLowerCase() === 'in_port')) {
        t.any.push(flow)
        continue
      }
      const port = this.portNumberOf(ref)
      // A flow whose in_port names no port of the bridge matches no packet (matchFlow says the same).
      if (port === undefined) continue
      const list = t.byPort.get(port)
      if (list) list.push(flow)
      else t.byPort.set(port, [flow])
    }
    this.tables.set(number, t)
    return t
  }

  /** Highest priority first, dump order within a priority. */
  inLookupOrder(flows: readonly Flow[]): Flow[] {
    const at = (f: Flow) => this.position.get(f) ?? Number.MAX_SAFE_INTEGER
    return [...flows].sort((a, b) => b.priority - a.priority || at(a) - at(b))
  }

  private merge(a: Flow[], b: Flow[]): Flow[] {
    const out: Flow[] = []
    let i = 0
    let j = 0
    while (i < a.length && j < b.length) {
      const x = a[i]!
      const y = b[j]!
      const first =
        x.priority !== y.priority ? x.priority > y.priority : (this.position.get(x) ?? 0) < (this.position.get(y) ?? 0)
      out.push(first ? (i++, x) : (j++, y))
    }
    while (i < a.length) out.push(a[i++]!)
    while (j < b.length) out.push(b[j++]!)
    return out
  }
}

const compiled = new WeakMap<SimBridge, CompiledBridge>()

/**
 * The bridge compiled, once per SimBridge: the tracer keeps one SimBridge per host and bridge for a whole analysis,
 * so every trace and every analyzer probe after the first reuses it. Compiled again when the bridge's flows or ports
 * were replaced or grew (hand-built bridges in tests).
 */
export function compileBridge(bridge: SimBridge): CompiledBridge {
  const have = compiled.get(bridge)
  if (
    have &&
    have.flows === bridge.flows &&
    have.ports === bridge.ports &&
    have.flowCount === bridge.flows.length &&
    have.portCount === bridge.ports.length
  )
    return have
  const fresh = new CompiledBridge(bridge.flows, bridge.ports)
  compiled.set(bridge, fresh)
  return fresh
}
