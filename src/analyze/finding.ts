import type {Finding as PublicFinding} from '../contracts/generated/diagnose.js'
import type {FindingCode} from './codes.js'

/** A finding is the public contract's (schemas/diagnose.schema.json → src/contracts/generated/diagnose.ts), with its
 * code typed by the catalog; test/cli/contracts.test.ts checks the schema's enum is the catalog's. */
export interface Finding extends PublicFinding {
  code: FindingCode
}

export type Impact = Finding['impact']

export function emptyImpact(): Impact {
  return {vms: [], ports: [], networks: []}
}

/** Stable order: severity, host, code, element. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank = {error: 0, warning: 1, info: 2}
  return [...findings].sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      (a.host ?? '').localeCompare(b.host ?? '') ||
      a.code.localeCompare(b.code) ||
      a.element.localeCompare(b.element) ||
      a.message.localeCompare(b.message),
  )
}
