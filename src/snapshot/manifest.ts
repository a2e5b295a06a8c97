// The snapshot on disk: a directory with manifest.json, one raw output file per capture, and optionally intent/.
//
//   manifest.json
//   hosts/<host>/<spec>.out                 host-scoped capture
//   hosts/<host>/<spec>@<key>.out           scoped capture (bridge, namespace, file path, pid); key made file-safe
//   hosts/<host>/<spec>@<key>.err           stderr, when there was any
//   intent/*.json                           Neutron/Nova bodies or `openstack ... -f json` output (optional)

import * as crypto from 'node:crypto'
import type {Role} from '../specs.js'

export const SNAPSHOT_FORMAT = 'neutrace-snapshot'
export const SNAPSHOT_FORMAT_VERSION = 1

export interface CaptureRecord {
  spec: string
  /** Bridge, namespace, file path or pid for scoped specs. */
  key?: string
  argv: string[]
  /** Path of the raw stdout, relative to the snapshot root. */
  file: string
  stderrFile?: string
  /** null when the command never ran to an exit (timeout, connection lost). */
  exitCode: number | null
  durationMs: number
  startedAt: string
  sha256: string
  /** Why the capture is missing or incomplete (timeout, command not found, ...). */
  error?: string
}

export interface HostRecord {
  name: string
  roles: Role[]
  address?: string
  /** complete: every capture ran; partial: some failed; unreachable: none could run. */
  status: 'complete' | 'partial' | 'unreachable'
  error?: string
  captures: CaptureRecord[]
}

export interface Manifest {
  format: typeof SNAPSHOT_FORMAT
  formatVersion: number
  toolVersion: string
  createdAt: string
  /** How it was made: ssh, local, fixture (hand-transcribed), lab. */
  source: string
  description?: string
  hosts: HostRecord[]
  /** Files under intent/, relative to the snapshot root. */
  intent?: string[]
  /** Names a host returned that the collector refused to use (hostile, malformed) and fan-outs it cut short. */
  problems?: ManifestProblem[]
}

export interface ManifestProblem {
  host: string
  spec: string
  kind: 'rejected' | 'truncated'
  line?: number
  text?: string
  message: string
}

/** A file-safe rendering of a capture key: the path separators and anything unusual become `_`, plus a short hash
 * when the rendering lost information, so two different keys never share a file. */
export function keyToFileName(key: string): string {
  const safe = key
    .replace(/^\/+/, '')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 120)
  if (safe === key) return safe
  let h = 0x811c9dc5
  for (const ch of key) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0
  return `${safe}~${h.toString(16).padStart(8, '0')}`
}

export function captureFileName(host: string, spec: string, key?: string): string {
  const base = key === undefined ? spec : `${spec}@${keyToFileName(key)}`
  return `hosts/${keyToFileName(host)}/${base}.out`
}

/** crypto.hash (Node 20.12+): one call per capture, without a Hash object made, fed and finished for each of the
 * 27,500 files of a 500-host snapshot; createHash on older Node. */
const oneShot = (crypto as {hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string}).hash

/** A capture's sha256 as the manifest records it (lower-case hex): written by collect and by sos import, checked
 * when a snapshot is read. */
export function captureSha256(data: Buffer): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex')
}
