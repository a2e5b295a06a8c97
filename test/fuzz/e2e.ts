// End-to-end damage: one capture of a real snapshot damaged the way a collector or a disk damages it (its sha256 as
// the collector would have written it, so the damage is not given away), the whole analysis run, and the findings
// compared with the undamaged snapshot's.

import {join} from 'node:path'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, PACKAGE_ROOT} from '../../src/engine.js'
import type {IntentDocument} from '../../src/intent/load.js'
import {type Capture, missingIntent, readSnapshot, type Snapshot} from '../../src/snapshot/read.js'
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

/** The snapshot with one intent document's text replaced (undefined = the file deleted), as the reader would see it. */
export function damagedIntent(snapshot: Snapshot, doc: IntentDocument, text: string | undefined): Snapshot {
  const intentFiles =
    text === undefined
      ? snapshot.intentFiles.filter((d) => d !== doc)
      : snapshot.intentFiles.map((d) => (d === doc ? {...d, text} : d))
  return {
    ...snapshot,
    intentFiles,
    problems: [...snapshot.problems, ...missingIntent(snapshot.manifest, intentFiles, snapshot.problems)],
  }
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

/** `damaged` is a capture, or an intent document (host `intent`). */
export function outcome(baseline: Finding[], snapshot: Snapshot, damaged: Capture | IntentDocument): Outcome {
  const findings = diagnose(analysisOf(snapshot))
  const before = new Set(baseline.map(key))
  const after = new Set(findings.map(key))
  const [host, file] = 'record' in damaged ? [damaged.host, damaged.record.file] : ['intent', damaged.file]
  const named = findings.some(
    (f) =>
      (f.code === 'DATA_MISSING' || f.code === 'PARSE_ERROR') &&
      f.host === host &&
      f.evidence.some((e) => e.file === file),
  )
  return {
    findings,
    newErrors: findings.filter((f) => f.severity === 'error' && !before.has(key(f))),
    lost: baseline.filter((f) => !after.has(key(f))),
    named,
  }
}
