// FLOW_SHADOWED: a flow no packet can reach because a higher-priority flow in its table matches a superset.

import type {HostModel} from '../model/actual.js'
import {DEAD_VLAN} from '../model/reference.js'
import {isDropFlow, portNameOf} from '../model/wiring.js'
import {formatFlow, formatTci, matchTci, parseMaskedField, VLAN_FIELDS} from '../openflow/index.js'
import type {Flow, Masked} from '../types.js'
import {type Analyzer, finding, flowEvidence} from './context.js'
import type {Finding} from './finding.js'

interface Field {
  masked: Masked
  /** parseMaskedField's answer, once asked: null when it could not read the value. */
  bits?: {value: bigint; mask: bigint} | null
}

const normalisedOf = new WeakMap<Flow, Map<string, Field>>()

/** dl_vlan=N is vlan_tci=0x1000|N/0x1fff: all the VLAN fields are compared as one TCI field. Once per flow. */
function normalised(flow: Flow): Map<string, Field> {
  let out = normalisedOf.get(flow)
  if (out) return out
  out = new Map<string, Field>()
  const tci = matchTci(flow.match.fields)
  for (const [k, v] of Object.entries(flow.match.fields)) {
    if (!tci || !VLAN_FIELDS.has(k)) out.set(k, {masked: v})
  }
  if (tci) out.set('vlan_tci', {masked: formatTci(tci)})
  normalisedOf.set(flow, out)
  return out
}

function bitsOf(field: string, f: Field): {value: bigint; mask: bigint} | null {
  if (f.bits === undefined) f.bits = parseMaskedField(field, f.masked) ?? null
  return f.bits
}

/** Does `g` match every packet that `f` matches (ignoring priority)? Unknown spellings answer no. */
export function covers(host: HostModel, bridge: string, g: Flow, f: Flow): boolean {
  if (g.table !== f.table) return false
  if (g.match.inPort !== undefined) {
    if (f.match.inPort === undefined) return false
    const a = portNameOf(host, bridge, g.match.inPort) ?? String(g.match.inPort)
    const b = portNameOf(host, bridge, f.match.inPort) ?? String(f.match.inPort)
    if (a !== b) return false
  }
  return fieldsCover(g, f)
}

/** Does every field `g` matches on hold for every packet `f` matches? */
function fieldsCover(g: Flow, f: Flow): boolean {
  const ff = normalised(f)
  for (const [field, gn] of normalised(g)) {
    const fn = ff.get(field)
    if (!fn) return false
    const gb = bitsOf(field, gn)
    const fb = bitsOf(field, fn)
    if (!gb || !fb) {
      if (gn.masked.value !== fn.masked.value || gn.masked.mask !== fn.masked.mask) return false
      continue
    }
    // Every bit g looks at, f must fix to the same value.
    if ((gb.mask & fb.mask) !== gb.mask) return false
    if ((fb.value & gb.mask) !== gb.value) return false
  }
  return true
}

const MAX_BUCKET = 20_000

/** The OVS agent's `port_dead`: it tags the port 4095 and adds `priority=2,in_port=<port> actions=drop`, but leaves the
 * port's `priority=9 … resubmit(,25)` above it. That shadowed drop is the agent's normal state for a dead port (the
 * dead VLAN isolates it anyway), not a stale flow: a drop matching only the in_port of a port tagged 4095. */
function isDeadPortDrop(host: HostModel, bridge: string, flow: Flow): boolean {
  if (flow.match.inPort === undefined || Object.keys(flow.match.fields).length || !isDropFlow(flow)) return false
  const name = portNameOf(host, bridge, flow.match.inPort)
  const port = host.ovs?.bridges.find((b) => b.name === bridge)?.ports.find((p) => p.name === name)
  return port?.tag === DEAD_VLAN
}

/** A shadowed flow that would do exactly what its shadow does is redundant, not wrong: no frame goes elsewhere. */
function sameActions(f: Flow, g: Flow): boolean {
  return JSON.stringify(f.actions) === JSON.stringify(g.actions)
}

/** The first flow, in `sorted` order, of the indices in `a` or `b` (both ascending) above `f`'s priority that covers
 * it; the flows of `a` match any in_port, those of `b` the in_port of `f`. */
function firstCover(sorted: Flow[], a: number[], b: number[] | undefined, f: Flow): Flow | undefined {
  let i = 0
  let j = 0
  const bn = b?.length ?? 0
  while (i < a.length || j < bn) {
    const next = j >= bn || (i < a.length && a[i] < b![j]) ? a[i++] : b![j++]
    const g = sorted[next]
    if (g.priority <= f.priority) return undefined // and so is every later one: `sorted` is by priority, highest first
    if (fieldsCover(g, f)) return g
  }
  return undefined
}

/**
 * Generic shadowing over every table of every bridge (the expected-flow checks in vlans.ts say more about their own).
 */
function shadowFindings(hosts: HostModel[]): Finding[] {
  const out: Finding[] = []
  for (const host of hosts) {
    for (const [bridge, table] of host.flows) {
      const byTable = new Map<number, Flow[]>()
      for (const f of table.flows) {
        const list = byTable.get(f.table)
        if (list) list.push(f)
        else byTable.set(f.table, [f])
      }
      for (const [tableId, flows] of byTable) {
        if (flows.length > MAX_BUCKET) continue
        const sorted = [...flows].sort((a, b) => b.priority - a.priority)
        // covers() of a flow with an in_port holds only for a flow with the same port: each flow is compared with
        // the flows above it without an in_port and those with its own, in the same order as a scan of them all.
        const portOf = sorted.map((f) =>
          f.match.inPort === undefined
            ? undefined
            : (portNameOf(host, bridge, f.match.inPort) ?? String(f.match.inPort)),
        )
        const anyPort: number[] = []
        const byPort = new Map<string, number[]>()
        for (let i = 0; i < sorted.length; i++) {
          const f = sorted[i]
          const port = portOf[i]
          const own = port === undefined ? undefined : byPort.get(port)
          const g = firstCover(sorted, anyPort, own, f)
          if (port === undefined) anyPort.push(i)
          else if (own) own.push(i)
          else byPort.set(port, [i])
          if (!g || isDeadPortDrop(host, bridge, f) || sameActions(f, g)) continue
          out.push(
            finding(
              'FLOW_SHADOWED',
              'any',
              {bridge, table: tableId, priority: g.priority},
              {
                host: host.name,
                element: `${bridge} table ${tableId}: ${formatFlow(f)}`,
                expected: 'a flow that can match',
                actual: `shadowed by ${formatFlow(g)}`,
                evidence: [flowEvidence(host, bridge, f), flowEvidence(host, bridge, g)],
                confidence: 'high',
              },
            ),
          )
        }
      }
    }
  }
  return out
}

export const shadowAnalyzer: Analyzer = (ctx) => shadowFindings(ctx.actual.hosts)
