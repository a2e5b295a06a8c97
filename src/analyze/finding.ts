import type {Evidence} from '../model/actual.js'
import type {FindingCode, Severity} from './codes.js'

export interface Impact {
  vms: string[]
  ports: string[]
  networks: string[]
}

export interface Finding {
  code: FindingCode
  severity: Severity
  host?: string
  /** The element at fault, as the operator names it: `br-eth2`, `qvo53903a95-82`, `qdhcp-5f83…`, a flow. */
  element: string
  message: string
  expected?: string
  actual?: string
  evidence: Evidence[]
  remedy?: string
  impact: Impact
  /** low when the expectation was inferred rather than read from Neutron. */
  confidence: 'high' | 'low'
}

export function emptyImpact(): Impact {
  return {vms: [], ports: [], networks: []}
}

/** Stable order: severity, host, code, element. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank = {error: 0, warning: 1, info: 2}
  return [...findings].sort((a, b) => rank[a.severity] - rank[b.severity] || (a.host ?? '').localeCompare(b.host ?? '') ||
    a.code.localeCompare(b.code) || a.element.localeCompare(b.element) || a.message.localeCompare(b.message))
}
