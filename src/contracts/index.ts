// The JSON output's public shapes. The types come from schemas/*.schema.json (./generated/, `npm run contracts`), so
// the contract has one source; the functions here copy the engine's internal records into them field by field, so a
// field added inside the engine never leaks into the JSON (and additionalProperties:false) by accident.

import type {Finding as InternalFinding} from '../analyze/index.js'
import type {Hop as InternalHop, TraceResult} from '../trace/tracer.js'
import type {Evidence, Finding} from './generated/diagnose.js'
import type {DropFlow, Hop, Trace, TraceReply} from './generated/trace.js'

export type {DiagnoseReport, Evidence, Finding} from './generated/diagnose.js'
export type {TopologyReport, TopologyHost} from './generated/topology.js'
export type {
  DropFlow,
  Hop,
  HopKind,
  Trace,
  TraceDhcp,
  TraceReply,
  TraceReport,
  TraceVm,
  TraceVerdict,
} from './generated/trace.js'

/** The finding as the JSON report publishes it. */
export function publicFinding(f: InternalFinding): Finding {
  return {
    code: f.code,
    severity: f.severity,
    host: f.host,
    element: f.element,
    message: f.message,
    expected: f.expected,
    actual: f.actual,
    evidence: f.evidence.map((e): Evidence => ({host: e.host, spec: e.spec, file: e.file, line: e.line, text: e.text})),
    remedy: f.remedy,
    impact: {vms: [...f.impact.vms], ports: [...f.impact.ports], networks: [...f.impact.networks]},
    confidence: f.confidence,
  }
}

function publicHop(h: InternalHop): Hop {
  return {
    host: h.host,
    kind: h.kind,
    element: h.element,
    vlan: h.vlan,
    vni: h.vni,
    note: h.note,
    flows: h.flows?.map((f) => ({bridge: f.bridge, table: f.table, line: f.line, text: f.text})),
  }
}

function publicDropFlow(d: DropFlow | undefined): DropFlow | undefined {
  return d && {host: d.host, bridge: d.bridge, line: d.line, text: d.text}
}

function publicReply(r: NonNullable<TraceResult['reply']>): TraceReply {
  return {verdict: r.verdict, reason: r.reason, hops: r.hops.map(publicHop), dropFlow: publicDropFlow(r.dropFlow)}
}

/** One trace as `trace --format json` publishes it. */
export function publicTrace(r: TraceResult): Trace {
  const {vm, dhcp, reply} = r
  return {
    vm: {
      host: vm.host,
      name: vm.name,
      uuid: vm.uuid,
      mac: vm.mac,
      ip: vm.ip,
      portId: vm.portId,
      networkId: vm.networkId,
      tap: vm.tap,
    },
    target: r.target,
    verdict: r.verdict,
    reason: r.reason,
    hops: r.hops.map(publicHop),
    dropFlow: publicDropFlow(r.dropFlow),
    elsewhere: [...r.elsewhere],
    dhcp: dhcp && {
      host: dhcp.host,
      namespace: dhcp.namespace,
      device: dhcp.device,
      server: dhcp.server,
      knowsMac: dhcp.knowsMac,
      offers: dhcp.offers,
    },
    reply: reply && publicReply(reply),
    l3: r.l3 && {
      router: r.l3.router,
      host: r.l3.host,
      namespace: r.l3.namespace,
      sent: {src: r.l3.sent.src, dst: r.l3.sent.dst},
      seen: {src: r.l3.seen.src, dst: r.l3.seen.dst},
      decided: [...r.l3.decided],
    },
    unknowns: [...r.unknowns],
  }
}
