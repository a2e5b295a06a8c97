import type {ActualModel, Evidence, HostModel} from '../model/actual.js'
import type {PortView, ReferenceModel} from '../model/reference.js'
import {formatFlow} from '../openflow/format.js'
import type {Flow} from '../types.js'
import {type Finding, type Impact, emptyImpact} from './finding.js'

export interface AnalysisContext {
  actual: ActualModel
  reference: ReferenceModel
}

export type Analyzer = (ctx: AnalysisContext) => Finding[]

/** A finding as an analyzer states it: evidence, impact and confidence may be left out. */
export type FindingInput = Omit<Finding, 'evidence' | 'impact' | 'confidence'> & {
  evidence?: Evidence[]
  impact?: Partial<Impact>
  confidence?: Finding['confidence']
}

export function finding(input: FindingInput): Finding {
  const impact = {...emptyImpact(), ...input.impact}
  return {
    ...input,
    evidence: input.evidence ?? [],
    impact: {vms: uniq(impact.vms), ports: uniq(impact.ports), networks: uniq(impact.networks)},
    confidence: input.confidence ?? 'high',
  }
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
  return {...(table?.evidence ?? {host: host.name, spec: 'ovs_ofctl_dump_flows'}), line: flow.line, text: flow.raw.trim()}
}

export function describeFlow(flow: Flow): string {
  return formatFlow(flow)
}

export function confidenceOf(...sources: ('intent' | 'inferred' | undefined)[]): 'high' | 'low' {
  return sources.every((s) => s === 'intent') ? 'high' : 'low'
}
