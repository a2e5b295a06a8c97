// The offline pipeline in one place: snapshot -> actual model; intent -> reference model; analyzers; tracer.
// Commands call these; so do the live collect-and-analyse paths.

import {join} from 'node:path'
import {analyze, type Finding} from './analyze/index.js'
import {type IntentDocument, IntentFolderError, intentOf, readIntentDocuments} from './intent/index.js'
import {type ActualModel, buildActualModel} from './model/actual.js'
import {buildReferenceModel, type ReferenceModel} from './model/reference.js'
import {readSnapshot, type Snapshot, SnapshotError} from './snapshot/read.js'
import {PACKAGE_ROOT} from './package-root.js'
import {NO_PROGRESS, type WorkProgress} from './progress.js'
import {findVm, trace, TraceError, type TraceResult, type TraceTarget, type TraceVm} from './trace/tracer.js'
import {inPrefix, ipv4} from './l3/ip.js'
import {type L3TraceOptions, routerOfVm, traceToFip, traceToIp} from './l3/trace.js'
import type {IntentDocumentName} from './specs.js'
import {packetTarget, type PacketQuery, type PacketTraceResult, tracePacket} from './trace/packet.js'
import type {Intent} from './types.js'

export {PACKAGE_ROOT}

/** The snapshot shipped with neutrace: the seed document's deployment. */
export const SEED_SNAPSHOT = join(PACKAGE_ROOT, 'fixtures', 'snapshots', 'seed')

export interface Analysis {
  snapshot: Snapshot
  actual: ActualModel
  intent?: Intent
  reference: ReferenceModel
}

/** The intent of an analysis: the snapshot's documents, then those of --intent (which come last and so fill gaps). */
function readIntent(documents: readonly IntentDocument[]): Intent | undefined {
  return intentOf(documents)
}

export async function loadAnalysis(
  snapshotDir: string,
  opts: {intentDir?: string; progress?: WorkProgress} = {},
): Promise<Analysis> {
  const progress = opts.progress ?? NO_PROGRESS
  const snapshot = await readSnapshot(snapshotDir, {progress})
  if (opts.intentDir === undefined) return analysisOf(snapshot, [], progress)
  let extra: Awaited<ReturnType<typeof readIntentDocuments>>
  try {
    extra = await readIntentDocuments(opts.intentDir, {required: true})
  } catch (error) {
    if (error instanceof IntentFolderError) throw new SnapshotError(`--intent ${opts.intentDir}: ${error.message}`)
    throw error
  }
  const analysis = analysisOf(snapshot, extra.documents, progress)
  analysis.actual.problems.push(...extra.problems)
  return analysis
}

/** The models of a snapshot already in memory (tests mutate captures and call this). */
export function analysisOf(
  snapshot: Snapshot,
  extraIntent: {name: IntentDocumentName; text: string; file?: string}[] = [],
  progress: WorkProgress = NO_PROGRESS,
): Analysis {
  const intent = readIntent([...snapshot.intentFiles, ...extraIntent.map((d) => ({...d, file: d.file ?? d.name}))])
  const actual = buildActualModel(snapshot, progress)
  if (intent) actual.problems.push(...intent.problems)
  const reference = buildReferenceModel(actual, intent)
  return {snapshot, actual, intent, reference}
}

export function diagnose(analysis: Analysis, progress: WorkProgress = NO_PROGRESS): Finding[] {
  return analyze(analysis.actual, analysis.reference, undefined, progress)
}

export function traceVm(analysis: Analysis, query: string, target: TraceTarget): TraceResult[] {
  return findVmOrThrow(analysis, query).map((vm) => trace(analysis.actual, analysis.reference, vm, target))
}

function findVmOrThrow(analysis: Analysis, query: string): TraceVm[] {
  const vms = findVm(analysis.actual, analysis.reference, query)
  if (!vms.length) {
    const known = analysis.actual.hosts
      .flatMap((h) => h.vms.map((v) => v.domain.novaName ?? v.domain.name ?? v.domain.uuid))
      .filter(Boolean)
    throw new TraceError(
      `no VM matches "${query}"${known.length ? `; known VMs: ${known.join(', ')}` : ''} (use a uuid, name, MAC, port id, port name or IP)`,
    )
  }
  return vms
}

/** A VM's packet to an address beyond its router (issue 11): `trace --vm VM --to IP`. */
export function traceVmToIp(analysis: Analysis, query: string, ip: string, opts: L3TraceOptions = {}): TraceResult[] {
  if (ipv4(ip) === undefined) throw new TraceError(`--to ${ip}: expected uplink, dhcp or an IPv4 address`)
  return findVmOrThrow(analysis, query).map((vm) => traceToIp(analysis.actual, analysis.reference, vm, ip, opts))
}

/** From the external network to a floating IP (issue 11): `trace --to-fip FIP --from-outside`. */
export function traceFromOutside(analysis: Analysis, fip: string, opts: L3TraceOptions = {}): TraceResult[] {
  if (ipv4(fip) === undefined) throw new TraceError(`--to-fip ${fip}: not an IPv4 address`)
  return [traceToFip(analysis.actual, analysis.reference, fip, opts)]
}

/**
 * Whether `trace --from VM --to TARGET` leaves the VM's subnet through its router (the L3 trace) rather than staying on
 * its network (the packet trace through the security groups): TARGET is an IPv4 address outside the subnet of the
 * router interface serving the VM. Without such a router the packet trace answers (it names what has the address).
 */
export function goesThroughRouter(analysis: Analysis, from: string, to: string): boolean {
  if (ipv4(to) === undefined) return false
  const vms = findVm(analysis.actual, analysis.reference, from)
  if (vms.length !== 1) return false
  const found = routerOfVm(analysis.reference, vms[0])
  return found?.qr.cidr !== undefined && !inPrefix(to, found.qr.cidr)
}

/** `trace --from VM --to VM|IP`: one packet, through the security groups, and its reply when asked. */
export function tracePacketBetween(
  analysis: Analysis,
  from: string,
  to: string,
  query: PacketQuery,
): PacketTraceResult {
  const senders = findVm(analysis.actual, analysis.reference, from)
  if (senders.length !== 1)
    throw new TraceError(
      senders.length ? `--from ${from} matches ${senders.length} VMs; name one` : `no VM matches "${from}"`,
    )
  const target = packetTarget(analysis, to, (q) => findVm(analysis.actual, analysis.reference, q))
  return tracePacket(analysis, senders[0], target, query)
}

export {SnapshotError, TraceError}
