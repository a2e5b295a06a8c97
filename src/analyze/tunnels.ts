// Tunnel networks (vxlan, gre, geneve) against what the OVS agent builds for them (neutron-wiring-2.md §8):
// TUNNEL_ENDPOINT_MISSING (local_ip held by nothing, or not by an OVS internal port with the userspace datapath),
// TUNNEL_PORT_MISSING / TUNNEL_PORT_STALE (the mesh), FLOW_MISSING / SEGMENT_MISMATCH (VNI ↔ local VLAN in br-tun
// tables 3/4/6 and the flood entry in table 22), TUNNEL_FLOOD_MISSING (a flood entry without a needed tunnel),
// TUNNEL_FDB_STALE (an l2pop unicast entry to the wrong host), ARP_RESPONDER_MISMATCH, TUNNEL_MTU.

import type {HostModel} from '../model/actual.js'
import type {NetworkView, PortView} from '../model/reference.js'
import {
  type Endpoint,
  ENCAP_OVERHEAD,
  endpointOf,
  hostOfEndpoint,
  isTunnelType,
  type TunnelPort,
  tunnelPortName,
  tunnelPorts,
  type TunnelType,
} from '../model/tunnels.js'
import {flowVlan, flowVlanRewrite, localVlanOf, portNameOf, portsOnHost} from '../model/wiring.js'
import type {Flow} from '../types.js'
import {
  type AnalysisContext,
  type Analyzer,
  confidenceOf,
  finding,
  flowEvidence,
  impactOf,
  ovsEvidence,
} from './context.js'
import {formatFlow} from '../openflow/format.js'
import type {Finding} from './finding.js'

/**
 * br-tun table where frames of each tunnel type get their local VLAN (GRE_TUN_TO_LV, VXLAN_TUN_TO_LV,
 * GENEVE_TUN_TO_LV).
 */
const TUN_TO_LV: Record<TunnelType, number> = {gre: 3, vxlan: 4, geneve: 6}
const UCAST_TO_TUN = 20
const ARP_RESPONDER = 21
const FLOOD_TO_TUN = 22

interface Site {
  host: HostModel
  ep: Endpoint
  net: NetworkView
  type: TunnelType
  vni: number
  vlan?: number
  ports: PortView[]
}

function hex(n: number): string {
  return `0x${n.toString(16)}`
}

/** The tunnel id a flow matches on, when it does. */
function matchTunId(flow: Flow): number | undefined {
  const f = flow.match.fields.tun_id
  if (!f) return undefined
  const v = Number(f.value)
  return Number.isFinite(v) ? v : undefined
}

/** The tunnel id a flow's actions set (set_tunnel, set_field:…->tun_id, load:…->NXM_NX_TUN_ID[]). */
function setTunId(flow: Flow): number | undefined {
  let out: number | undefined
  for (const a of flow.actions) {
    if (a.type === 'set_tunnel') out = Number(a.id)
    else if (a.type === 'set_field' && /^tun_id$|^tunnel_id$/i.test(a.field)) out = Number(a.value)
    else if (a.type === 'load' && /^(NXM_NX_TUN_ID|OXM_OF_TUNNEL_ID|tun_id)\b/i.test(a.dst)) out = Number(a.value)
  }
  return out !== undefined && Number.isFinite(out) ? out : undefined
}

function outputs(host: HostModel, bridge: string, flow: Flow): string[] {
  return flow.actions.flatMap((a) => (a.type === 'output' ? [portNameOf(host, bridge, a.port) ?? String(a.port)] : []))
}

function flowsOf(host: HostModel, bridge: string, table: number): Flow[] {
  return host.flows.get(bridge)?.flows.filter((f) => f.table === table) ?? []
}

function sites(ctx: AnalysisContext): Site[] {
  const out: Site[] = []
  for (const host of ctx.actual.hosts) {
    const ep = endpointOf(host)
    if (!ep) continue
    const onHost = portsOnHost(ctx.reference, host)
    for (const net of ctx.reference.networks.values()) {
      if (!isTunnelType(net.type) || typeof net.segmentationId !== 'number') continue
      const ports = onHost.filter((p) => p.networkId === net.id)
      if (!ports.length) continue
      out.push({
        host,
        ep,
        net,
        type: net.type,
        vni: net.segmentationId,
        vlan: localVlanOf(host, net, ports).vlan,
        ports,
      })
    }
  }
  return out
}

function netLabel(net: NetworkView): string {
  return net.name ?? net.id
}

function endpointChecks(ctx: AnalysisContext): Finding[] {
  const out: Finding[] = []
  for (const host of ctx.actual.hosts) {
    const ep = endpointOf(host)
    if (!ep?.localIp || !ep.types.length) continue
    const evidence = ep.evidence ? [{...ep.evidence, text: `local_ip = ${ep.localIp}`}] : []
    const tunnelled = portsOnHost(ctx.reference, host).filter((p) =>
      isTunnelType(ctx.reference.networks.get(p.networkId ?? '')?.type),
    )
    const impact = impactOf(ctx, tunnelled)
    if (!host.devices.has('')) continue
    if (!ep.holder) {
      out.push(
        finding(
          'TUNNEL_ENDPOINT_MISSING',
          'unheld',
          {host: host.name, localIp: ep.localIp, types: ep.types.join('/')},
          {
            host: host.name,
            element: `local_ip ${ep.localIp}`,
            expected: `${ep.localIp} on an interface (with the userspace datapath: on an OVS bridge's internal port)`,
            actual: 'held by no interface',
            evidence,
            impact,
          },
        ),
      )
      continue
    }
    const userspace = host.ovs?.bridges.find((b) => b.name === ep.tunnelBridge)?.datapathType === 'netdev'
    if (userspace && !ep.holderBridge) {
      out.push(
        finding(
          'TUNNEL_ENDPOINT_MISSING',
          'notOvsInternal',
          {host: host.name, localIp: ep.localIp, device: ep.holder.name},
          {
            host: host.name,
            element: `local_ip ${ep.localIp}`,
            expected: `${ep.localIp} on an OVS internal port (e.g. br-tunnel holding the underlay NIC)`,
            actual: `on ${ep.holder.name}`,
            evidence,
            impact,
          },
        ),
      )
    }
  }
  return out
}

/** The hosts a host's tunnels must reach for a network: every other host with an endpoint and ports on it. */
function peersOf(all: Site[], site: Site): Site[] {
  return all.filter((s) => s.net.id === site.net.id && s.host !== site.host && s.ep.localIp && s.ep.holder)
}

function meshChecks(ctx: AnalysisContext, all: Site[]): Finding[] {
  const out: Finding[] = []
  const missing = new Set<string>()
  for (const site of all) {
    const mine = tunnelPorts(site.host)
    for (const peer of peersOf(all, site)) {
      const ip = peer.ep.localIp!
      if (mine.some((p) => p.type === site.type && p.remoteIp === ip)) continue
      const name = tunnelPortName(site.type, ip) ?? `${site.type} port to ${ip}`
      const key = `${site.host.name}|${name}`
      if (missing.has(key)) continue
      missing.add(key)
      const nets = all.filter(
        (s) => s.host === site.host && s.type === site.type && peersOf(all, s).some((p) => p.host === peer.host),
      )
      out.push(
        finding(
          'TUNNEL_PORT_MISSING',
          'toPeer',
          {
            host: site.host.name,
            bridge: site.ep.tunnelBridge,
            type: site.type,
            peer: peer.host.name,
            ip,
            networks: nets.map((s) => netLabel(s.net)),
            port: name,
            localIp: site.ep.localIp ?? '?',
          },
          {
            host: site.host.name,
            element: `${site.ep.tunnelBridge}: ${name}`,
            expected: `${name} with remote_ip ${ip}`,
            actual: 'no such port',
            evidence: [ovsEvidence(site.host, 'interface', `no ${site.type} Interface with options:remote_ip="${ip}"`)],
            impact: impactOf(
              ctx,
              [...site.ports, ...peer.ports],
              nets.map((s) => s.net.id),
            ),
            confidence: confidenceOf(site.net.source),
          },
        ),
      )
    }
  }
  // A tunnel to an address that no captured host uses as its endpoint: a host that left, or an old local_ip.
  const everyEndpointKnown = ctx.actual.hosts.every((h) => h.status === 'complete')
  for (const host of ctx.actual.hosts) {
    for (const p of tunnelPorts(host)) {
      if (!p.remoteIp || p.remoteIp === 'flow' || hostOfEndpoint(ctx.actual, p.remoteIp)) continue
      if (!everyEndpointKnown) continue
      out.push(
        finding(
          'TUNNEL_PORT_STALE',
          'unknownEndpoint',
          {host: host.name, bridge: p.bridge, port: p.name, ip: p.remoteIp},
          {
            host: host.name,
            element: `${p.bridge}: ${p.name}`,
            expected: 'tunnels only to the endpoints of hosts in the cloud',
            actual: `remote_ip ${p.remoteIp}`,
            confidence: 'low',
            evidence: [ovsEvidence(host, 'interface', `Interface ${p.name} options:remote_ip="${p.remoteIp}"`)],
          },
        ),
      )
    }
  }
  return out
}

function flowChecks(ctx: AnalysisContext, all: Site[]): Finding[] {
  const out: Finding[] = []
  for (const site of all) {
    const {host, ep, net, type, vni, vlan} = site
    const br = ep.tunnelBridge
    if (!host.flows.has(br) || vlan === undefined) continue
    const impact = impactOf(ctx, site.ports, [net.id])
    const confidence = confidenceOf(net.source)
    // Inbound: tun_id=VNI → the local VLAN.
    const table = TUN_TO_LV[type]
    const inbound = flowsOf(host, br, table)
    const right = inbound.filter((f) => matchTunId(f) === vni)
    const elsewhere = inbound.filter(
      (f) => matchTunId(f) !== undefined && matchTunId(f) !== vni && flowVlanRewrite(f) === vlan,
    )
    if (!right.length) {
      if (elsewhere.length) {
        for (const f of elsewhere) {
          out.push(
            finding(
              'SEGMENT_MISMATCH',
              'tunnelInbound',
              {host: host.name, bridge: br, vlan, network: netLabel(net), type, got: matchTunId(f)!, vni},
              {
                host: host.name,
                element: `${br} table ${table}: ${formatFlow(f)}`,
                expected: `tun_id=${hex(vni)} → local VLAN ${vlan}`,
                actual: `tun_id=${hex(matchTunId(f)!)} → local VLAN ${vlan}`,
                evidence: [flowEvidence(host, br, f)],
                impact,
                confidence,
              },
            ),
          )
        }
      } else {
        const flow = `table=${table},priority=1,tun_id=${hex(vni)} actions=mod_vlan_vid:${vlan},resubmit(,10)`
        out.push(
          finding(
            'FLOW_MISSING',
            'tunnelInbound',
            {host: host.name, bridge: br, type, vni, network: netLabel(net), vlan, flow},
            {
              host: host.name,
              element: `${br} table ${table}: tun_id=${hex(vni)}`,
              expected: flow,
              actual: 'no such flow',
              evidence: [
                {...host.flows.get(br)!.evidence, text: `no flow matching tun_id=${hex(vni)} in table ${table}`},
              ],
              impact,
              confidence,
            },
          ),
        )
      }
    }
    // Outbound flooding: dl_vlan=local → tun_id=VNI, out of the tunnel to every host with ports on the network.
    const flood = flowsOf(host, br, FLOOD_TO_TUN).filter((f) => flowVlan(f) === vlan)
    const peers = peersOf(all, site)
    if (!flood.length) {
      if (peers.length) {
        out.push(
          finding(
            'FLOW_MISSING',
            'tunnelFlood',
            {host: host.name, bridge: br, vlan, network: netLabel(net), peers: peers.map((p) => p.host.name)},
            {
              host: host.name,
              element: `${br} table ${FLOOD_TO_TUN}: dl_vlan=${vlan}`,
              expected: `table=${FLOOD_TO_TUN} priority=1,dl_vlan=${vlan} actions=strip_vlan,load:${hex(vni)}->NXM_NX_TUN_ID[],output:<tunnel ports>`,
              actual: 'no such flow',
              evidence: [
                {...host.flows.get(br)!.evidence, text: `no flow matching dl_vlan=${vlan} in table ${FLOOD_TO_TUN}`},
              ],
              impact,
              confidence,
            },
          ),
        )
      }
      continue
    }
    for (const f of flood) {
      const set = setTunId(f)
      if (set !== undefined && set !== vni) {
        out.push(
          finding(
            'SEGMENT_MISMATCH',
            'tunnelFlood',
            {host: host.name, bridge: br, vlan, network: netLabel(net), type, got: set, vni},
            {
              host: host.name,
              element: `${br} table ${FLOOD_TO_TUN}: ${formatFlow(f)}`,
              expected: `tun_id=${hex(vni)}`,
              actual: `tun_id=${hex(set)}`,
              evidence: [flowEvidence(host, br, f)],
              impact,
              confidence,
            },
          ),
        )
        continue
      }
      const outs = outputs(host, br, f)
      const mine = tunnelPorts(host)
      for (const peer of peers) {
        const port = mine.find((p) => p.type === type && p.remoteIp === peer.ep.localIp)
        if (!port || outs.includes(port.name)) continue
        out.push(
          finding(
            'TUNNEL_FLOOD_MISSING',
            'peerLeftOut',
            {host: host.name, network: netLabel(net), port: port.name, peer: peer.host.name},
            {
              host: host.name,
              element: `${br} table ${FLOOD_TO_TUN}: ${formatFlow(f)}`,
              expected: `output:${port.name} among the outputs`,
              actual: outs.length ? `outputs ${outs.join(', ')}` : 'no output',
              evidence: [flowEvidence(host, br, f)],
              impact: impactOf(ctx, [...site.ports, ...peer.ports], [net.id]),
              confidence,
            },
          ),
        )
      }
    }
    out.push(...fdbChecks(ctx, site, all))
  }
  return out
}

/** l2pop unicast entries (table 20 priority 2) and ARP responder entries (table 21) for the network's local VLAN. */
function fdbChecks(ctx: AnalysisContext, site: Site, all: Site[]): Finding[] {
  const out: Finding[] = []
  const {host, ep, net, vlan} = site
  const br = ep.tunnelBridge
  if (!ep.l2Population || vlan === undefined) return out
  const mine = tunnelPorts(host)
  const byMac = new Map(
    ctx.reference.ports.filter((p) => p.networkId === net.id && p.mac).map((p) => [p.mac!.toLowerCase(), p]),
  )
  const confidence = confidenceOf(net.source)
  for (const f of flowsOf(host, br, UCAST_TO_TUN)) {
    if (f.priority !== 2 || flowVlan(f) !== vlan || !f.match.fields.dl_dst) continue
    const mac = f.match.fields.dl_dst.value.toLowerCase()
    const port = byMac.get(mac)
    const tunnel = outputs(host, br, f)
      .map((name) => mine.find((p) => p.name === name))
      .find((p): p is TunnelPort => Boolean(p))
    if (!port || !tunnel) continue
    const at = all.find((s) => s.net.id === net.id && s.ports.includes(port))
    if (!at || at.host === host || at.ep.localIp === tunnel.remoteIp) continue
    // Only an entry to another host that is really there: a tunnel to no known endpoint is TUNNEL_PORT_STALE's.
    const sentTo = tunnel.remoteIp ? hostOfEndpoint(ctx.actual, tunnel.remoteIp)?.name : undefined
    if (!sentTo || sentTo === at.host.name) continue
    out.push(
      finding(
        'TUNNEL_FDB_STALE',
        'wrongHost',
        {
          host: host.name,
          bridge: br,
          mac,
          portId: port.id,
          network: netLabel(net),
          sentTo,
          port: tunnel.name,
          at: at.host.name,
        },
        {
          host: host.name,
          element: `${br} table ${UCAST_TO_TUN}: ${formatFlow(f)}`,
          expected: `output to the tunnel to ${at.host.name} (${at.ep.localIp})`,
          actual: `output:${tunnel.name} (${tunnel.remoteIp})`,
          evidence: [flowEvidence(host, br, f)],
          impact: impactOf(ctx, [port], [net.id]),
          confidence,
        },
      ),
    )
  }
  if (!ep.arpResponder) return out
  for (const f of flowsOf(host, br, ARP_RESPONDER)) {
    if (flowVlan(f) !== vlan || !f.match.fields.arp_tpa) continue
    const ip = f.match.fields.arp_tpa.value
    const answered = answeredMac(f)
    if (!answered) continue
    const owner = ctx.reference.ports.find((p) => p.networkId === net.id && p.ips.includes(ip))
    if (!owner?.mac || owner.mac.toLowerCase() === answered) continue
    out.push(
      finding(
        'ARP_RESPONDER_MISMATCH',
        'wrongMac',
        {host: host.name, ip, network: netLabel(net), answered, portId: owner.id, mac: owner.mac},
        {
          host: host.name,
          element: `${br} table ${ARP_RESPONDER}: ${formatFlow(f)}`,
          expected: `arp_sha ${owner.mac}`,
          actual: `arp_sha ${answered}`,
          evidence: [flowEvidence(host, br, f)],
          impact: impactOf(ctx, [owner], [net.id]),
          confidence,
        },
      ),
    )
  }
  return out
}

/** The MAC an ARP responder flow answers with: set_field:MAC->arp_sha, or load:0xMAC->NXM_NX_ARP_SHA[]. */
function answeredMac(flow: Flow): string | undefined {
  for (const a of flow.actions) {
    if (a.type === 'set_field' && /^arp_sha$/i.test(a.field)) return a.value.toLowerCase()
    if (a.type === 'load' && /^NXM_NX_ARP_SHA\[/i.test(a.dst)) {
      const n = BigInt(a.value)
      return n
        .toString(16)
        .padStart(12, '0')
        .replace(/(..)(?!$)/g, '$1:')
    }
  }
  return undefined
}

/** The network's MTU plus the encapsulation overhead must fit the underlay MTU of every host with ports on it. */
function mtuChecks(ctx: AnalysisContext, all: Site[]): Finding[] {
  const out: Finding[] = []
  const seen = new Set<string>()
  for (const site of all) {
    const {host, ep, net, type} = site
    if (net.mtu === undefined || ep.underlayMtu === undefined) continue
    const need = net.mtu + ENCAP_OVERHEAD[type]
    if (need <= ep.underlayMtu) continue
    const nic = ep.underlay.find((d) => d.mtu === ep.underlayMtu) ?? ep.holder
    const key = `${host.name}|${nic?.name}|${net.id}`
    if (seen.has(key)) continue
    seen.add(key)
    const nicName = nic?.name ?? 'the underlay'
    out.push(
      finding(
        'TUNNEL_MTU',
        'underlay',
        {
          host: host.name,
          network: netLabel(net),
          mtu: net.mtu,
          overhead: ENCAP_OVERHEAD[type],
          type,
          need,
          nic: nicName,
          underlayMtu: ep.underlayMtu,
          fits: ep.underlayMtu - ENCAP_OVERHEAD[type],
        },
        {
          host: host.name,
          element: nic?.name ?? `local_ip ${ep.localIp}`,
          expected: `underlay MTU ≥ ${need}`,
          actual: `MTU ${ep.underlayMtu}`,
          evidence: [{host: host.name, spec: 'ip_link', text: `${nicName} mtu ${ep.underlayMtu}`}],
          impact: impactOf(ctx, site.ports, [net.id]),
          confidence: confidenceOf(net.source),
        },
      ),
    )
  }
  return out
}

export const tunnelAnalyzer: Analyzer = (ctx) => {
  const all = sites(ctx)
  return [...endpointChecks(ctx), ...meshChecks(ctx, all), ...flowChecks(ctx, all), ...mtuChecks(ctx, all)]
}
