// End-to-end damage: one capture of a real snapshot damaged the way a collector or a disk damages it (its sha256 as
// the collector would have written it, so the damage is not given away), the whole analysis run, and the findings
// compared with the undamaged snapshot's.

import {join} from 'node:path'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, PACKAGE_ROOT} from '../../src/engine.js'
import {type Capture, readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
import {sourceOf} from '../../src/specs.js'

export const SNAPSHOTS = ['seed', 'lab-healthy', 'lab-egress', 'lab-patch', 'neutron-lab'].map((name) => ({
  name,
  dir: join(PACKAGE_ROOT, 'fixtures', 'snapshots', name),
}))

export async function loadSnapshot(dir: string): Promise<Snapshot> {
  return readSnapshot(dir)
}

export function key(f: Finding): string {
  return `${f.severity} ${f.host ?? ''} ${f.code} ${f.element}`
}

/** The snapshot with one capture's text replaced (undefined = the file deleted), as the reader would then see it. */
export function damaged(snapshot: Snapshot, capture: Capture, text: string | undefined): Snapshot {
  const copy: Snapshot = {
    ...snapshot,
    captures: snapshot.captures.map((c) => (c === capture ? {...c, text} : c)),
    problems: [...snapshot.problems],
  }
  if (text === undefined && capture.record.exitCode === 0) {
    copy.problems.push({
      host: capture.host,
      spec: sourceOf(capture.spec),
      file: capture.record.file,
      kind: 'missing',
      message: 'capture file missing from the snapshot',
    })
  }
  return copy
}

export interface Outcome {
  findings: Finding[]
  /** Error findings the healthy snapshot does not have. */
  newErrors: Finding[]
  /** Findings of the healthy snapshot that vanished or changed, other than by becoming unknown. */
  lost: Finding[]
  /** A DATA_MISSING or PARSE_ERROR names the damaged file. */
  named: boolean
}

export function outcome(baseline: Finding[], snapshot: Snapshot, capture: Capture): Outcome {
  const findings = diagnose(analysisOf(snapshot))
  const before = new Set(baseline.map(key))
  const after = new Set(findings.map(key))
  const file = capture.record.file
  const named = findings.some(
    (f) =>
      (f.code === 'DATA_MISSING' || f.code === 'PARSE_ERROR') &&
      f.host === capture.host &&
      f.evidence.some((e) => e.file === file),
  )
  return {
    findings,
    newErrors: findings.filter((f) => f.severity === 'error' && !before.has(key(f))),
    lost: baseline.filter((f) => !after.has(key(f))),
    named,
  }
}
