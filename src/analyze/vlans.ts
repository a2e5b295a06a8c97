// Local VLANs, port tags and the VLAN translation flows: FLOW_MISSING, FLOW_SHADOWED (for expected flows),
// SEGMENT_MISMATCH, VLAN_TAG_MISMATCH, DEAD_VLAN, LOCAL_VLAN_CONFLICT.

import {type HostModel, isMet, OVS_NEED} from '../model/actual.js'
import {DEAD_VLAN, type NetworkView, type PortView, isDhcpPort} from '../model/reference.js'
import {
  INTEGRATION_BRIDGE,
  type LocalVlan,
  type PhysLink,
  flowInPort,
  flowVlan,
  isDropFlow,
  localVlanOf,
  portsOnHost,
  tableZero,
  translations,
} from '../model/wiring.js'
import type {Flow} from '../types.js'
import {formatFlow, formatMatch} from '../openflow/format.js'
import {
  type AnalysisContext,
  type Analyzer,
  confidenceOf,
  finding,
  flowEvidence,
  impactOf,
  ovsEvidence,
} from './context.js'
import type {Finding} from './finding.js'
import {covers} from './shadow.js'

interface NetOnHost {
  net: NetworkView
  local: LocalVlan
  ports: PortView[]
}

function networksOnHost(ctx: AnalysisContext, host: HostModel): NetOnHost[] {
  const ports = portsOnHost(ctx.reference, host)
  const out: NetOnHost[] = []
  for (const net of ctx.reference.networks.values()) {
    const mine = ports.filter((p) => p.networkId === net.id)
    if (!mine.length) continue
    out.push({net, local: localVlanOf(host, net, mine), ports: mine})
  }
  return out
}

/** Is the network switched through a physical bridge (VLAN or flat), as far as we know? */
function isPhysical(net: NetworkView): boolean {
  return net.type === undefined || net.type === 'vlan' || net.type === 'flat'
}

function segmentLabel(net: NetworkView): string {
  if (net.type === 'flat') return 'untagged (flat)'
  return net.segmentationId === undefined || net.segmentationId === null ? 'unknown' : `VLAN ${net.segmentationId}`
}

function tagChecks(ctx: AnalysisContext, host: HostModel, n: NetOnHost): Finding[] {
  const out: Finding[] = []
  const {local, net} = n
  for (const {port, ovs} of local.ports) {
    const tag = ovs.port.tag
    const evidence = [ovsEvidence(host, 'port', `Port ${ovs.port.name} tag=${tag ?? '[]'}`)]
    const impact = impactOf(ctx, [port])
    const at = {host: host.name, element: ovs.port.name, evidence, impact}
    if (tag === DEAD_VLAN) {
      // The agent parks ports it has not bound, and ports Neutron holds down, in 4095 (DHCP/L3 ports until bound,
      // Rocky+): that is their expected state. A port Neutron says is in service must not be there.
      if (port.active === false) continue
      out.push(
        finding(
          'DEAD_VLAN',
          'dead',
          {port: ovs.port.name, bridge: ovs.bridge.name, vlan: DEAD_VLAN, host: host.name, portId: port.id},
          {
            ...at,
            expected:
              local.vlan !== undefined ? `tag ${local.vlan} (local VLAN of ${net.name ?? net.id})` : 'a local VLAN',
            actual: `tag ${DEAD_VLAN}`,
            confidence: confidenceOf(port.source),
          },
        ),
      )
    } else if (tag === undefined) {
      out.push(
        finding(
          'VLAN_TAG_MISMATCH',
          'untagged',
          {host: host.name, port: ovs.port.name, bridge: ovs.bridge.name},
          {
            ...at,
            expected: local.vlan !== undefined ? `tag ${local.vlan}` : 'a local VLAN',
            actual: 'no tag',
            confidence: confidenceOf(port.source),
          },
        ),
      )
    } else if (local.vlan !== undefined && tag !== local.vlan) {
      out.push(
        finding(
          'VLAN_TAG_MISMATCH',
          'otherTag',
          {
            host: host.name,
            port: ovs.port.name,
            tag,
            network: net.name ?? net.id,
            vlan: local.vlan,
            from: local.from.replace('-', ' '),
          },
          {
            ...at,
            expected: `tag ${local.vlan}`,
            actual: `tag ${tag}`,
            confidence: confidenceOf(port.source, net.source),
          },
        ),
      )
    }
  }
  return out
}

/** The flow that would handle a frame from `inPort` with `vlan` in table 0, and whether it is a translation. */
function winner(host: HostModel, bridge: string, inPort: string, vlan: number | 'untagged'): Flow | undefined {
  const matching = tableZero(host.flows.get(bridge)).filter((f) => {
    const p = flowInPort(host, bridge, f)
    if (f.match.inPort !== undefined && p !== inPort) return false
    const v = flowVlan(f)
    if (v === undefined) return Object.keys(f.match.fields).every((k) => k === 'dl_vlan' || k === 'vlan_tci')
    if (v === 'any-tagged') return vlan !== 'untagged'
    return v === vlan
  })
  return matching.sort((a, b) => b.priority - a.priority)[0]
}

function flowChecks(ctx: AnalysisContext, host: HostModel, n: NetOnHost, link: PhysLink): Finding[] {
  const out: Finding[] = []
  const {net, local} = n
  if (local.vlan === undefined || !host.flows.has(link.bridge) || !host.flows.has(INTEGRATION_BRIDGE)) return out
  const L = local.vlan
  const flat = net.type === 'flat'
  const seg = flat ? 'pop' : (net.segmentationId ?? undefined)
  const impact = impactOf(ctx, n.ports)
  const conf = confidenceOf(net.source)

  // Egress: physical bridge, from phy-<br> with the local VLAN.
  const egress = translations(host, link.bridge, link.phyPort, {from: L})
  const egressWant = flat ? `strip_vlan` : `mod_vlan_vid:${seg ?? '<segment>'}`
  const egressExpected = `priority=4,in_port=${link.phyPort},dl_vlan=${L} actions=${egressWant},NORMAL`
  const network = net.name ?? net.id
  if (!egress.length) {
    const hit = winner(host, link.bridge, link.phyPort, L)
    out.push(
      finding(
        'FLOW_MISSING',
        'egress',
        {
          host: host.name,
          bridge: link.bridge,
          vlan: L,
          network,
          segment: segmentLabel(net),
          dropped: Boolean(hit && isDropFlow(hit)),
          flow: egressExpected,
        },
        {
          host: host.name,
          element: `${link.bridge} table 0: in_port=${link.phyPort},dl_vlan=${L}`,
          expected: egressExpected,
          actual: hit ? `falls to: ${formatFlow(hit)}` : 'no matching flow',
          impact,
          confidence: conf,
          evidence: hit ? [flowEvidence(host, link.bridge, hit)] : [host.flows.get(link.bridge)!.evidence],
        },
      ),
    )
  } else {
    const t = egress.sort((a, b) => b.flow.priority - a.flow.priority)[0]
    const shadow = tableZero(host.flows.get(link.bridge)).find(
      (g) => g !== t.flow && g.priority > t.flow.priority && covers(host, link.bridge, g, t.flow),
    )
    if (shadow) {
      out.push(
        finding(
          'FLOW_SHADOWED',
          'egress',
          {bridge: link.bridge, vlan: L, priority: shadow.priority, shadowing: matchOf(shadow)},
          {
            host: host.name,
            element: `${link.bridge} table 0: ${formatFlow(t.flow)}`,
            expected: formatFlow(t.flow),
            actual: `shadowed by ${formatFlow(shadow)}`,
            impact,
            confidence: conf,
            evidence: [flowEvidence(host, link.bridge, t.flow), flowEvidence(host, link.bridge, shadow)],
          },
        ),
      )
    } else if (seg !== undefined && t.to !== seg) {
      out.push(
        finding(
          'SEGMENT_MISMATCH',
          'egress',
          {
            host: host.name,
            bridge: link.bridge,
            vlan: L,
            network,
            sentAs: t.to === 'pop' ? 'untagged' : `VLAN ${t.to}`,
            segment: segmentLabel(net),
          },
          {
            host: host.name,
            element: `${link.bridge} table 0: ${formatFlow(t.flow)}`,
            expected: egressExpected,
            actual: formatFlow(t.flow),
            impact,
            confidence: conf,
            evidence: [flowEvidence(host, link.bridge, t.flow)],
          },
        ),
      )
    }
  }

  // Ingress: br-int, from int-<br> with the segment.
  if (seg === undefined) return out
  const from = flat ? 'untagged' : (seg as number)
  const ingress = translations(host, INTEGRATION_BRIDGE, link.intPort, {from})
  const ingressMatch = flat ? 'vlan_tci=0x0000/0x1fff' : `dl_vlan=${seg}`
  const ingressExpected = `priority=3,in_port=${link.intPort},${ingressMatch} actions=mod_vlan_vid:${L},NORMAL`
  if (!ingress.length) {
    const hit = winner(host, INTEGRATION_BRIDGE, link.intPort, from)
    const mapsElsewhere = translations(host, INTEGRATION_BRIDGE, link.intPort, {to: L})[0]
    if (mapsElsewhere) {
      out.push(
        finding(
          'SEGMENT_MISMATCH',
          'ingress',
          {
            host: host.name,
            bridge: INTEGRATION_BRIDGE,
            from: mapsElsewhere.from === 'untagged' ? 'untagged frames' : `VLAN ${mapsElsewhere.from}`,
            vlan: L,
            network,
            segment: segmentLabel(net),
          },
          {
            host: host.name,
            element: `${INTEGRATION_BRIDGE} table 0: ${formatFlow(mapsElsewhere.flow)}`,
            expected: ingressExpected,
            actual: formatFlow(mapsElsewhere.flow),
            impact,
            confidence: conf,
            evidence: [flowEvidence(host, INTEGRATION_BRIDGE, mapsElsewhere.flow)],
          },
        ),
      )
    } else {
      out.push(
        finding(
          'FLOW_MISSING',
          'ingress',
          {
            host: host.name,
            bridge: INTEGRATION_BRIDGE,
            port: link.intPort,
            vlan: L,
            network,
            segment: segmentLabel(net),
            dropped: Boolean(hit && isDropFlow(hit)),
            flow: ingressExpected,
          },
          {
            host: host.name,
            element: `${INTEGRATION_BRIDGE} table 0: in_port=${link.intPort},${ingressMatch}`,
            expected: ingressExpected,
            actual: hit ? `falls to: ${formatFlow(hit)}` : 'no matching flow',
            impact,
            confidence: conf,
            evidence: hit
              ? [flowEvidence(host, INTEGRATION_BRIDGE, hit)]
              : [host.flows.get(INTEGRATION_BRIDGE)!.evidence],
          },
        ),
      )
    }
  } else {
    const t = ingress.sort((a, b) => b.flow.priority - a.flow.priority)[0]
    const shadow = tableZero(host.flows.get(INTEGRATION_BRIDGE)).find(
      (g) => g !== t.flow && g.priority > t.flow.priority && covers(host, INTEGRATION_BRIDGE, g, t.flow),
    )
    if (shadow) {
      out.push(
        finding(
          'FLOW_SHADOWED',
          'ingress',
          {
            bridge: INTEGRATION_BRIDGE,
            segment: segmentLabel(net),
            priority: shadow.priority,
            shadowing: matchOf(shadow),
          },
          {
            host: host.name,
            element: `${INTEGRATION_BRIDGE} table 0: ${formatFlow(t.flow)}`,
            expected: formatFlow(t.flow),
            actual: `shadowed by ${formatFlow(shadow)}`,
            impact,
            confidence: conf,
            evidence: [flowEvidence(host, INTEGRATION_BRIDGE, t.flow), flowEvidence(host, INTEGRATION_BRIDGE, shadow)],
          },
        ),
      )
    }
  }
  return out
}

/** A flow as ovs-ofctl --strict del-flows finds it: its table, priority and match, comma-separated. Its cookie only
 * when it has one, masked (`cookie=V/-1`: unmasked, del-flows would read a new cookie, not a match); `cookie=0x0` is
 * no identity (every flow the agent did not tag has it) and is left out. */
function matchOf(flow: Flow): string {
  const parts = flow.table >= 0 ? [`table=${flow.table}`] : []
  parts.push(`priority=${flow.priority}`)
  if (flow.cookie && !/^0x0*$/i.test(flow.cookie)) parts.push(`cookie=${flow.cookie}/-1`)
  const match = formatMatch(flow.match)
  if (match) parts.push(match)
  return parts.join(',')
}

/** Without a known segment, the hosts must at least agree with each other on where a network's VLAN goes. */
function crossHostSegments(ctx: AnalysisContext, perHost: Map<HostModel, NetOnHost[]>): Finding[] {
  const out: Finding[] = []
  for (const net of ctx.reference.networks.values()) {
    if (net.segmentationId !== undefined || net.type === 'flat') continue
    const seen: {host: HostModel; seg: number; flow: Flow; bridge: string}[] = []
    for (const [host, nets] of perHost) {
      const n = nets.find((x) => x.net.id === net.id)
      if (!n?.local.link || n.local.vlan === undefined) continue
      const t = translations(host, n.local.link.bridge, n.local.link.phyPort).find(
        (x) => x.from === n.local.vlan && typeof x.to === 'number',
      )
      if (t) seen.push({host, seg: t.to as number, flow: t.flow, bridge: n.local.link.bridge})
    }
    const counts = new Map<number, number>()
    for (const s of seen) counts.set(s.seg, (counts.get(s.seg) ?? 0) + 1)
    if (counts.size < 2) continue
    const majority = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0]
    for (const s of seen.filter((x) => x.seg !== majority)) {
      out.push(
        finding(
          'SEGMENT_MISMATCH',
          'hosts',
          {host: s.host.name, network: net.name ?? net.id, segment: s.seg, majority, networkId: net.id},
          {
            host: s.host.name,
            element: `${s.bridge} table 0: ${formatFlow(s.flow)}`,
            expected: `VLAN ${majority} (as on the other hosts)`,
            actual: `VLAN ${s.seg}`,
            confidence: 'low',
            evidence: [flowEvidence(s.host, s.bridge, s.flow)],
            impact: impactOf(
              ctx,
              ctx.reference.ports.filter((p) => p.networkId === net.id && p.host === s.host.name),
            ),
          },
        ),
      )
    }
  }
  return out
}

function conflicts(ctx: AnalysisContext, host: HostModel, nets: NetOnHost[]): Finding[] {
  const byVlan = new Map<number, NetOnHost[]>()
  for (const n of nets)
    if (n.local.vlan !== undefined) byVlan.set(n.local.vlan, [...(byVlan.get(n.local.vlan) ?? []), n])
  const out: Finding[] = []
  for (const [vlan, list] of byVlan) {
    if (list.length < 2) continue
    const names = list.map((n) => n.net.name ?? n.net.id)
    out.push(
      finding(
        'LOCAL_VLAN_CONFLICT',
        'shared',
        {host: host.name, vlan, networks: names},
        {
          host: host.name,
          element: `br-int local VLAN ${vlan}`,
          expected: 'one local VLAN per network per host',
          actual: `VLAN ${vlan}: ${names.join(', ')}`,
          impact: impactOf(
            ctx,
            list.flatMap((n) => n.ports),
          ),
          confidence: confidenceOf(...list.map((n) => n.net.source)),
          evidence: list.flatMap((n) =>
            n.local.ports.map(({ovs}) => ovsEvidence(host, 'port', `Port ${ovs.port.name} tag=${ovs.port.tag}`)),
          ),
        },
      ),
    )
  }
  return out
}

export const vlanAnalyzer: Analyzer = (ctx) => {
  const out: Finding[] = []
  const perHost = new Map<HostModel, NetOnHost[]>()
  for (const host of ctx.actual.hosts) {
    if (!isMet(host, OVS_NEED)) continue
    const nets = networksOnHost(ctx, host)
    perHost.set(host, nets)
    for (const n of nets) {
      out.push(...tagChecks(ctx, host, n))
      // DHCP-only hosts still need the translation flows for their DHCP ports.
      if (!isPhysical(n.net) || !n.local.link) continue
      if (n.ports.every((p) => isDhcpPort(p)) && n.local.ports.length === 0) continue
      out.push(...flowChecks(ctx, host, n, n.local.link))
    }
    out.push(...conflicts(ctx, host, nets))
  }
  out.push(...crossHostSegments(ctx, perHost))
  return out
}
