import type {ActualModel, Evidence, HostModel} from '../model/actual.js'
import type {PortView, ReferenceModel} from '../model/reference.js'
import type {Flow} from '../types.js'
import {type CaseOf, type FactsOf, type FindingCode, wordsOf} from './codes.js'
import {type Finding, type Impact, emptyImpact} from './finding.js'
import type {Check} from './known.js'

export interface AnalysisContext {
  actual: ActualModel
  reference: ReferenceModel
  /** The registered checks, so that DATA_MISSING/PARSE_ERROR can say which could not run. */
  checks?: Check[]
}

export type Analyzer = (ctx: AnalysisContext) => Finding[]

/** What an analyzer says besides the facts the catalog words: where, what was expected and seen, the evidence and who
 * suffers. Evidence, impact and confidence may be left out. */
export interface FindingFields {
  host?: string
  element: string
  expected?: string
  actual?: string
  evidence?: Evidence[]
  impact?: Partial<Impact>
  confidence?: Finding['confidence']
}

/**
 * A finding: the analyzer names the code, its case and the facts; severity, message and remedy come from the catalog.
 */
export function finding<C extends FindingCode, K extends CaseOf<C>>(
  code: C,
  kind: K,
  facts: FactsOf<C, K>,
  fields: FindingFields,
): Finding {
  const {severity, message, remedy} = wordsOf(code, kind, facts)
  const impact = {...emptyImpact(), ...fields.impact}
  const out: Finding = {
    code,
    severity,
    host: fields.host,
    element: fields.element,
    message,
    expected: fields.expected,
    actual: fields.actual,
    evidence: fields.evidence ?? [],
    remedy,
    impact: {vms: uniq(impact.vms), ports: uniq(impact.ports), networks: uniq(impact.networks)},
    confidence: fields.confidence ?? 'high',
  }
  for (const k of ['host', 'expected', 'actual', 'remedy'] as const) if (out[k] === undefined) delete out[k]
  return out
}

/** Evidence for a fact of OVS's configuration, citing the capture it was really read from: the JSON table
 * (ovs_vsctl_list_bridge|port|interface) when the model was built from them, else ovs_vsctl_show. */
export function ovsEvidence(host: HostModel, table: 'bridge' | 'port' | 'interface', text?: string): Evidence {
  const source = host.ovs?.sources?.[table]
  return {host: host.name, spec: source?.spec ?? 'ovs_vsctl_show', file: source?.file, text}
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs.filter(Boolean))].sort()
}

/** Who suffers when these ports are cut off. */
export function impactOf(ctx: AnalysisContext, ports: PortView[], networks: string[] = []): Impact {
  const vms: string[] = []
  const netNames: string[] = [...networks]
  for (const p of ports) {
    if (p.vmName || p.deviceId) {
      if (p.owner === undefined || p.owner.startsWith('compute:')) vms.push(p.vmName ?? p.deviceId!)
    }
    if (p.networkId) netNames.push(p.networkId)
  }
  const labels = netNames.map((id) => {
    const n = ctx.reference.networks.get(id)
    return n?.name ? `${n.name} (${id})` : id
  })
  return {vms, ports: ports.map((p) => p.id).filter(Boolean), networks: labels}
}

export function flowEvidence(host: HostModel, bridge: string, flow: Flow): Evidence {
  const table = host.flows.get(bridge)
  return {
    ...(table?.evidence ?? {host: host.name, spec: 'ovs_ofctl_dump_flows'}),
    line: flow.line,
    text: flow.raw.trim(),
  }
}

export function confidenceOf(...sources: ('intent' | 'inferred' | undefined)[]): 'high' | 'low' {
  return sources.every((s) => s === 'intent') ? 'high' : 'low'
}
