// Local VLANs, port tags and the VLAN translation flows: FLOW_MISSING, FLOW_SHADOWED (for expected flows),
// SEGMENT_MISMATCH, VLAN_TAG_MISMATCH, DEAD_VLAN, LOCAL_VLAN_CONFLICT.

import type {HostModel} from '../model/actual.js'
import {DEAD_VLAN, type NetworkView, type PortView, isDhcpPort} from '../model/reference.js'
import {
  INTEGRATION_BRIDGE, type LocalVlan, type PhysLink, flowInPort, flowVlan, isDropFlow, localVlanOf, portsOnHost,
  tableZero, translations,
} from '../model/wiring.js'
import type {Flow} from '../types.js'
import {type AnalysisContext, type Analyzer, confidenceOf, describeFlow, finding, flowEvidence, impactOf} from './context.js'
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
    const evidence = [{host: host.name, spec: 'ovs_vsctl_list_port', text: `Port ${ovs.port.name} tag=${tag ?? '[]'}`}]
    const impact = impactOf(ctx, [port])
    if (tag === DEAD_VLAN) {
      // DHCP/L3 ports sit in 4095 until bound (Rocky+); a VIF Neutron says is ACTIVE must not.
      const expectedUp = port.active !== false
      out.push(finding({code: 'DEAD_VLAN', severity: expectedUp ? 'error' : 'warning', host: host.name, element: ovs.port.name,
        message: `${ovs.port.name} on ${ovs.bridge.name} is in the dead VLAN ${DEAD_VLAN}: the OVS agent marked it dead or has not bound it, so it drops all its traffic`,
        expected: local.vlan !== undefined ? `tag ${local.vlan} (local VLAN of ${net.name ?? net.id})` : 'a local VLAN', actual: `tag ${DEAD_VLAN}`,
        evidence, impact, confidence: confidenceOf(port.source),
        remedy: `check the port's status and binding (openstack port show ${port.id}); check that neutron-openvswitch-agent on ${host.name} runs and is alive, then let it resync (restart the agent)`}))
    } else if (tag === undefined) {
      out.push(finding({code: 'VLAN_TAG_MISMATCH', severity: 'error', host: host.name, element: ovs.port.name,
        message: `${ovs.port.name} on ${ovs.bridge.name} has no VLAN tag: the OVS agent never wired it, so its frames are switched untagged`,
        expected: local.vlan !== undefined ? `tag ${local.vlan}` : 'a local VLAN', actual: 'no tag', evidence, impact,
        confidence: confidenceOf(port.source),
        remedy: `check that neutron-openvswitch-agent on ${host.name} runs; it tags the port when it processes it`}))
    } else if (local.vlan !== undefined && tag !== local.vlan) {
      out.push(finding({code: 'VLAN_TAG_MISMATCH', severity: 'error', host: host.name, element: ovs.port.name,
        message: `${ovs.port.name} carries tag ${tag}, but ${net.name ?? net.id} uses local VLAN ${local.vlan} on ${host.name} (${local.from.replace('-', ' ')})`,
        expected: `tag ${local.vlan}`, actual: `tag ${tag}`, evidence, impact, confidence: confidenceOf(port.source, net.source),
        remedy: `ovs-vsctl set Port ${ovs.port.name} tag=${local.vlan}  (or restart neutron-openvswitch-agent on ${host.name} to resync)`}))
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
  const seg = flat ? 'pop' : net.segmentationId ?? undefined
  const impact = impactOf(ctx, n.ports)
  const conf = confidenceOf(net.source)

  // Egress: physical bridge, from phy-<br> with the local VLAN.
  const egress = translations(host, link.bridge, link.phyPort).filter((t) => t.from === L)
  const egressWant = flat ? `strip_vlan` : `mod_vlan_vid:${seg ?? '<segment>'}`
  const egressExpected = `priority=4,in_port=${link.phyPort},dl_vlan=${L} actions=${egressWant},NORMAL`
  if (!egress.length) {
    const hit = winner(host, link.bridge, link.phyPort, L)
    out.push(finding({code: 'FLOW_MISSING', severity: 'error', host: host.name, element: `${link.bridge} table 0: in_port=${link.phyPort},dl_vlan=${L}`,
      message: `${link.bridge} has no flow translating local VLAN ${L} of ${net.name ?? net.id} to ${segmentLabel(net)}: frames from ${host.name}'s ports ${hit && isDropFlow(hit) ? 'are dropped' : 'leave untranslated'}`,
      expected: egressExpected, actual: hit ? `falls to: ${describeFlow(hit)}` : 'no matching flow', impact, confidence: conf,
      evidence: hit ? [flowEvidence(host, link.bridge, hit)] : [host.flows.get(link.bridge)!.evidence],
      remedy: `restart neutron-openvswitch-agent on ${host.name} to reinstall its flows, or: ovs-ofctl add-flow ${link.bridge} "${egressExpected}"`}))
  } else {
    const t = egress.sort((a, b) => b.flow.priority - a.flow.priority)[0]
    const shadow = tableZero(host.flows.get(link.bridge)).find((g) => g !== t.flow && g.priority > t.flow.priority && covers(host, link.bridge, g, t.flow))
    if (shadow) {
      out.push(finding({code: 'FLOW_SHADOWED', severity: 'error', host: host.name, element: `${link.bridge} table 0: ${describeFlow(t.flow)}`,
        message: `the egress translation for local VLAN ${L} on ${link.bridge} never matches: a priority ${shadow.priority} flow takes its frames first`,
        expected: describeFlow(t.flow), actual: `shadowed by ${describeFlow(shadow)}`, impact, confidence: conf,
        evidence: [flowEvidence(host, link.bridge, t.flow), flowEvidence(host, link.bridge, shadow)],
        remedy: `remove the shadowing flow: ovs-ofctl del-flows ${link.bridge} --strict "${describeFlow(shadow).replace(/ actions=.*$/, '')}"`}))
    } else if (seg !== undefined && t.to !== seg) {
      out.push(finding({code: 'SEGMENT_MISMATCH', severity: 'error', host: host.name, element: `${link.bridge} table 0: ${describeFlow(t.flow)}`,
        message: `${link.bridge} sends local VLAN ${L} of ${net.name ?? net.id} out as ${t.to === 'pop' ? 'untagged' : `VLAN ${t.to}`}, but Neutron's segment is ${segmentLabel(net)}`,
        expected: egressExpected, actual: describeFlow(t.flow), impact, confidence: conf,
        evidence: [flowEvidence(host, link.bridge, t.flow)],
        remedy: `restart neutron-openvswitch-agent on ${host.name} so it reprograms ${link.bridge} from the server's segmentation id`}))
    }
  }

  // Ingress: br-int, from int-<br> with the segment.
  if (seg === undefined) return out
  const from = flat ? 'untagged' : seg as number
  const ingress = translations(host, INTEGRATION_BRIDGE, link.intPort).filter((t) => t.from === from)
  const ingressMatch = flat ? 'vlan_tci=0x0000/0x1fff' : `dl_vlan=${seg}`
  const ingressExpected = `priority=3,in_port=${link.intPort},${ingressMatch} actions=mod_vlan_vid:${L},NORMAL`
  if (!ingress.length) {
    const hit = winner(host, INTEGRATION_BRIDGE, link.intPort, from)
    const mapsElsewhere = translations(host, INTEGRATION_BRIDGE, link.intPort).find((t) => t.to === L)
    if (mapsElsewhere) {
      out.push(finding({code: 'SEGMENT_MISMATCH', severity: 'error', host: host.name, element: `${INTEGRATION_BRIDGE} table 0: ${describeFlow(mapsElsewhere.flow)}`,
        message: `br-int maps ${mapsElsewhere.from === 'untagged' ? 'untagged frames' : `VLAN ${mapsElsewhere.from}`} to local VLAN ${L} of ${net.name ?? net.id}, but Neutron's segment is ${segmentLabel(net)}`,
        expected: ingressExpected, actual: describeFlow(mapsElsewhere.flow), impact, confidence: conf,
        evidence: [flowEvidence(host, INTEGRATION_BRIDGE, mapsElsewhere.flow)],
        remedy: `restart neutron-openvswitch-agent on ${host.name} so it reprograms br-int from the server's segmentation id`}))
    } else {
      out.push(finding({code: 'FLOW_MISSING', severity: 'error', host: host.name, element: `${INTEGRATION_BRIDGE} table 0: in_port=${link.intPort},${ingressMatch}`,
        message: `br-int has no flow translating ${segmentLabel(net)} from ${link.intPort} to local VLAN ${L} of ${net.name ?? net.id}: frames from the physical network ${hit && isDropFlow(hit) ? 'are dropped' : 'are not delivered to its ports'}`,
        expected: ingressExpected, actual: hit ? `falls to: ${describeFlow(hit)}` : 'no matching flow', impact, confidence: conf,
        evidence: hit ? [flowEvidence(host, INTEGRATION_BRIDGE, hit)] : [host.flows.get(INTEGRATION_BRIDGE)!.evidence],
        remedy: `restart neutron-openvswitch-agent on ${host.name} to reinstall its flows, or: ovs-ofctl add-flow br-int "${ingressExpected}"`}))
    }
  } else {
    const t = ingress.sort((a, b) => b.flow.priority - a.flow.priority)[0]
    const shadow = tableZero(host.flows.get(INTEGRATION_BRIDGE)).find((g) => g !== t.flow && g.priority > t.flow.priority && covers(host, INTEGRATION_BRIDGE, g, t.flow))
    if (shadow) {
      out.push(finding({code: 'FLOW_SHADOWED', severity: 'error', host: host.name, element: `${INTEGRATION_BRIDGE} table 0: ${describeFlow(t.flow)}`,
        message: `the ingress translation of ${segmentLabel(net)} on br-int never matches: a priority ${shadow.priority} flow takes its frames first`,
        expected: describeFlow(t.flow), actual: `shadowed by ${describeFlow(shadow)}`, impact, confidence: conf,
        evidence: [flowEvidence(host, INTEGRATION_BRIDGE, t.flow), flowEvidence(host, INTEGRATION_BRIDGE, shadow)],
        remedy: `remove the shadowing flow: ovs-ofctl del-flows br-int --strict "${describeFlow(shadow).replace(/ actions=.*$/, '')}"`}))
    }
  }
  return out
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
      const t = translations(host, n.local.link.bridge, n.local.link.phyPort).find((x) => x.from === n.local.vlan && typeof x.to === 'number')
      if (t) seen.push({host, seg: t.to as number, flow: t.flow, bridge: n.local.link.bridge})
    }
    const counts = new Map<number, number>()
    for (const s of seen) counts.set(s.seg, (counts.get(s.seg) ?? 0) + 1)
    if (counts.size < 2) continue
    const majority = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0]
    for (const s of seen.filter((x) => x.seg !== majority)) {
      out.push(finding({code: 'SEGMENT_MISMATCH', severity: 'error', host: s.host.name, element: `${s.bridge} table 0: ${describeFlow(s.flow)}`,
        message: `${s.host.name} puts ${net.name ?? net.id} on VLAN ${s.seg} while the other hosts use VLAN ${majority}`,
        expected: `VLAN ${majority} (as on the other hosts)`, actual: `VLAN ${s.seg}`, confidence: 'low',
        evidence: [flowEvidence(s.host, s.bridge, s.flow)], impact: impactOf(ctx, ctx.reference.ports.filter((p) => p.networkId === net.id && p.host === s.host.name)),
        remedy: `compare with openstack network show ${net.id} -c provider:segmentation_id; restart neutron-openvswitch-agent on ${s.host.name}`}))
    }
  }
  return out
}

function conflicts(ctx: AnalysisContext, host: HostModel, nets: NetOnHost[]): Finding[] {
  const byVlan = new Map<number, NetOnHost[]>()
  for (const n of nets) if (n.local.vlan !== undefined) byVlan.set(n.local.vlan, [...(byVlan.get(n.local.vlan) ?? []), n])
  const out: Finding[] = []
  for (const [vlan, list] of byVlan) {
    if (list.length < 2) continue
    const names = list.map((n) => n.net.name ?? n.net.id)
    out.push(finding({code: 'LOCAL_VLAN_CONFLICT', severity: 'error', host: host.name, element: `br-int local VLAN ${vlan}`,
      message: `networks ${names.join(' and ')} share local VLAN ${vlan} on ${host.name}: their traffic mixes`,
      expected: 'one local VLAN per network per host', actual: `VLAN ${vlan}: ${names.join(', ')}`,
      impact: impactOf(ctx, list.flatMap((n) => n.ports)), confidence: confidenceOf(...list.map((n) => n.net.source)),
      evidence: list.flatMap((n) => n.local.ports.map(({ovs}) => ({host: host.name, spec: 'ovs_vsctl_list_port', text: `Port ${ovs.port.name} tag=${ovs.port.tag}`}))),
      remedy: `restart neutron-openvswitch-agent on ${host.name}: it reallocates local VLANs`}))
  }
  return out
}

export const vlanAnalyzer: Analyzer = (ctx) => {
  const out: Finding[] = []
  const perHost = new Map<HostModel, NetOnHost[]>()
  for (const host of ctx.actual.hosts) {
    if (!host.ovs) continue
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
