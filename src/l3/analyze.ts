// The routers against what Neutron intends (issue 11): on the host that should hold each router, its namespace, its
// qr-/qg- ports (in the namespace, on br-int with the network's local VLAN, with their addresses), the default route,
// the NAT rules (SNAT per subnet, DNAT+SNAT per floating IP: evaluated, not searched for by text), the metadata
// redirect and proxy, the external network's bridge; across hosts, an HA router's keepalived state.

import {type AnalysisContext, type Analyzer, finding, ovsEvidence} from '../analyze/context.js'
import type {Finding} from '../analyze/finding.js'
import {type Evidence, type HostModel, findOvsInterface, hostByName, isMet} from '../model/actual.js'
import {DEAD_VLAN, type PortView} from '../model/reference.js'
import {bridgeOf, localVlanOf} from '../model/wiring.js'
import {inPrefix, prefix} from './ip.js'
import {type L3Packet, type Verdict, walkChain} from './iptables.js'
import type {RouterView} from './reference.js'
import {METADATA_IP, METADATA_PORT} from './trace.js'

/** Where an evaluated packet comes from when no address is known: it only has to be outside the router's subnets. */
const ANYWHERE = '198.18.0.1'

function label(r: RouterView): string {
  return r.name ?? r.id
}

function packet(p: Partial<L3Packet> & {src: string; dst: string}): L3Packet {
  return {proto: 'icmp', mark: 0, connmark: 0, dnat: false, ...p}
}

function nat(host: HostModel, ns: string, chain: string, p: L3Packet): Verdict | undefined {
  const ipt = host.l3.namespaces.get(ns)?.iptables
  return ipt ? walkChain(ipt.value, 'nat', chain, p).verdict : undefined
}

function natEvidence(host: HostModel, ns: string, v?: Verdict): Evidence[] {
  const ipt = host.l3.namespaces.get(ns)?.iptables
  if (!ipt) return []
  return [{...ipt.evidence, ...(v && 'rule' in v && v.rule ? {line: v.rule.line, text: v.rule.text} : {})}]
}

function routerImpact(ctx: AnalysisContext, r: RouterView, networks?: string[]): Partial<Finding['impact']> {
  const nets = networks ?? r.interfaces.map((i) => i.networkId)
  const ports: PortView[] = ctx.reference.ports.filter(
    (p) => p.networkId !== undefined && nets.includes(p.networkId) && p.owner?.startsWith('compute:'),
  )
  return {
    vms: ports.map((p) => p.vmName ?? p.deviceId ?? p.id),
    ports: ports.map((p) => p.id),
    networks: nets.map((id) => {
      const n = ctx.reference.networks.get(id)
      return n?.name ? `${n.name} (${id})` : id
    }),
  }
}

function devicesOf(host: HostModel, ns: string) {
  return host.devices.get(ns) ?? []
}

/** qr-/qg-: in the namespace, on br-int, with the local VLAN of its network and its address(es). */
function portChecks(
  ctx: AnalysisContext,
  host: HostModel,
  r: RouterView,
  dev: string,
  networkId: string,
  addresses: {address: string; prefixlen?: number}[],
  what: string,
): Finding[] {
  const out: Finding[] = []
  const ns = r.namespace
  const impact = routerImpact(ctx, r, what.startsWith('gateway') ? undefined : [networkId])
  const inNs = devicesOf(host, ns).find((d) => d.name === dev)
  const ovs = findOvsInterface(host, dev)
  if (!inNs && isMet(host, 'netns_ip_link')) {
    out.push(
      finding(
        'ROUTER_PORT_MISSING',
        'absent',
        {host: host.name, router: label(r), dev, namespace: ns, what},
        {host: host.name, element: `${ns} ${dev}`, expected: `${dev} in ${ns}`, actual: 'absent', impact},
      ),
    )
    return out
  }
  if (!ovs && host.ovs) {
    out.push(
      finding(
        'ROUTER_PORT_MISSING',
        'notOnBridge',
        {host: host.name, router: label(r), dev},
        {
          host: host.name,
          element: dev,
          expected: `${dev} on br-int`,
          actual: 'not in OVS',
          evidence: [ovsEvidence(host, 'port')],
          impact,
        },
      ),
    )
  } else if (ovs) {
    const net = ctx.reference.networks.get(networkId)
    const want = net ? localVlanOf(host, net, ctx.reference.ports).vlan : undefined
    const tag = ovs.port.tag
    // The dead VLAN is DEAD_VLAN's (src/analyze/vlans.ts reports it for every port, router ports included).
    const bad = tag !== DEAD_VLAN && (tag === undefined || (want !== undefined && tag !== want))
    if (bad) {
      const tagText = tag === undefined ? 'no tag (untagged)' : tag === DEAD_VLAN ? 'the dead VLAN 4095' : `tag ${tag}`
      const wantText = want !== undefined ? `local VLAN ${want}` : "its network's local VLAN"
      out.push(
        finding(
          'ROUTER_PORT_VLAN',
          'wrong',
          {host: host.name, dev, router: label(r), tag: tagText, want: wantText},
          {
            host: host.name,
            element: `br-int ${dev}`,
            expected: wantText,
            actual: tagText,
            evidence: [ovsEvidence(host, 'port', `${dev} tag ${tag ?? '[]'}`)],
            impact,
          },
        ),
      )
    }
  }
  if (inNs && isMet(host, 'netns_ip_addr')) {
    const have = inNs.addresses.filter((a) => a.family === 'inet')
    for (const a of addresses) {
      if (have.some((h) => h.address === a.address && (a.prefixlen === undefined || h.prefixlen === a.prefixlen)))
        continue
      out.push(
        finding(
          'ROUTER_PORT_ADDRESS',
          'missing',
          {
            host: host.name,
            dev,
            router: label(r),
            address: `${a.address}${a.prefixlen !== undefined ? `/${a.prefixlen}` : ''}`,
            have: have.map((h) => `${h.address}/${h.prefixlen}`).join(', ') || 'no IPv4 address',
          },
          {
            host: host.name,
            element: `${ns} ${dev}`,
            expected: a.address,
            actual: have.map((h) => h.address).join(', '),
            impact,
          },
        ),
      )
    }
  }
  return out
}

function routeChecks(ctx: AnalysisContext, host: HostModel, r: RouterView): Finding[] {
  const g = r.gateway
  const routes = host.l3.namespaces.get(r.namespace)?.routes
  if (!g?.nextHop || !g.dev || !routes) return []
  const impact = routerImpact(ctx, r)
  const def = routes.value.find((x) => x.family === 'inet' && x.table === 'main' && x.dst === 'default')
  if (!def)
    return [
      finding(
        'ROUTER_NO_DEFAULT_ROUTE',
        'absent',
        {host: host.name, router: label(r), namespace: r.namespace, nextHop: g.nextHop, dev: g.dev},
        {
          host: host.name,
          element: `${r.namespace} default route`,
          expected: `default via ${g.nextHop} dev ${g.dev}`,
          actual: 'none',
          evidence: [routes.evidence],
          impact,
        },
      ),
    ]
  const connected = devicesOf(host, r.namespace).flatMap((d) =>
    d.addresses.filter((a) => a.family === 'inet').map((a) => prefix(`${a.address}/${a.prefixlen}`)),
  )
  if (def.gateway && isMet(host, 'netns_ip_addr') && !connected.some((p) => p && inPrefix(def.gateway!, p)))
    return [
      finding(
        'ROUTER_NO_DEFAULT_ROUTE',
        'unreachable',
        {host: host.name, router: label(r), namespace: r.namespace, nextHop: def.gateway},
        {
          host: host.name,
          element: `${r.namespace} default route`,
          expected: `a next hop on one of its networks`,
          actual: `via ${def.gateway}`,
          evidence: [routes.evidence],
          impact,
        },
      ),
    ]
  return []
}

function natChecks(ctx: AnalysisContext, host: HostModel, r: RouterView): Finding[] {
  const out: Finding[] = []
  const ns = r.namespace
  const g = r.gateway
  if (!host.l3.namespaces.get(ns)?.iptables || !g?.dev) return out
  const outside = g.nextHop ?? ANYWHERE
  for (const f of r.floatingIps) {
    const impact = {...routerImpact(ctx, r), ...portImpact(ctx, f.portId)}
    const fipFinding = (
      kind: 'dnat' | 'snat' | 'stale',
      chain: 'PREROUTING' | 'POSTROUTING',
      v: Verdict | undefined,
      expected: string,
      other = '',
    ): Finding => {
      const facts = {host: host.name, fip: f.address, fixed: f.fixed, other, namespace: ns}
      return finding('FIP_NAT_MISSING', kind, facts, {
        host: host.name,
        element: `${ns} nat ${chain} ${chain === 'PREROUTING' ? f.address : f.fixed}`,
        expected,
        actual:
          v?.kind === 'dnat' || v?.kind === 'snat' ? `${v.kind.toUpperCase()} to ${v.to}` : `no ${kind.toUpperCase()}`,
        evidence: natEvidence(host, ns, v),
        impact,
      })
    }
    const d = nat(host, ns, 'PREROUTING', packet({src: outside, dst: f.address, inDev: g.dev, mark: 0x2}))
    if (d?.kind !== 'dnat')
      out.push(fipFinding('dnat', 'PREROUTING', d, `-d ${f.address}/32 -j DNAT --to-destination ${f.fixed}`))
    else if (d.to !== f.fixed) out.push(fipFinding('stale', 'PREROUTING', d, `DNAT to ${f.fixed}`, d.to))
    const s = nat(host, ns, 'POSTROUTING', packet({src: f.fixed, dst: outside, outDev: g.dev}))
    if (s?.kind !== 'snat' || s.to !== f.address)
      out.push(fipFinding('snat', 'POSTROUTING', s, `-s ${f.fixed}/32 -j SNAT --to-source ${f.address}`))
  }
  if (g.enableSnat && g.ip) {
    const fixed = new Set(r.floatingIps.map((f) => f.fixed))
    for (const i of r.interfaces) {
      if (fixed.has(i.ip)) continue
      const s = nat(host, ns, 'POSTROUTING', packet({src: i.ip, dst: outside, outDev: g.dev}))
      if (s?.kind === 'snat' && s.to === g.ip) continue
      out.push(
        finding(
          'SNAT_MISSING',
          'absent',
          {host: host.name, router: label(r), namespace: ns, gateway: g.ip, dev: g.dev},
          {
            host: host.name,
            element: `${ns} nat POSTROUTING ${i.cidr ?? i.ip}`,
            expected: `-o ${g.dev} -j SNAT --to-source ${g.ip}`,
            actual: s?.kind === 'snat' ? `SNAT to ${s.to}` : 'no SNAT',
            evidence: natEvidence(host, ns, s),
            impact: routerImpact(ctx, r, [i.networkId]),
          },
        ),
      )
      break
    }
  }
  return out
}

function portImpact(ctx: AnalysisContext, portId: string): Partial<Finding['impact']> {
  const p = ctx.reference.ports.find((x) => x.id === portId)
  return p ? {vms: [p.vmName ?? p.deviceId ?? p.id], ports: [p.id]} : {}
}

function metadataChecks(ctx: AnalysisContext, host: HostModel, r: RouterView): Finding[] {
  const out: Finding[] = []
  if (!r.interfaces.length) return out
  const impact = routerImpact(ctx, r)
  if (isMet(host, 'ps') && !host.l3.metadataProxies.has(r.id))
    out.push(
      finding(
        'METADATA_PROXY_DOWN',
        'notRunning',
        {host: host.name, router: label(r)},
        {
          host: host.name,
          element: `${r.namespace} haproxy`,
          expected: `haproxy -f …/ns-metadata-proxy/${r.id}.conf`,
          actual: 'not running',
          impact,
        },
      ),
    )
  const qr = r.interfaces[0]
  const v = nat(
    host,
    r.namespace,
    'PREROUTING',
    packet({src: qr.ip, dst: METADATA_IP, proto: 'tcp', sport: 40000, dport: 80, inDev: qr.dev}),
  )
  if (v && !(v.kind === 'redirect' && (v.port ?? 80) === METADATA_PORT))
    out.push(
      finding(
        'METADATA_PROXY_DOWN',
        'noRedirect',
        {host: host.name, namespace: r.namespace, port: METADATA_PORT},
        {
          host: host.name,
          element: `${r.namespace} nat PREROUTING ${METADATA_IP}`,
          expected: `REDIRECT --to-ports ${METADATA_PORT}`,
          actual: v.kind,
          evidence: natEvidence(host, r.namespace, v),
          impact,
        },
      ),
    )
  return out
}

function externalChecks(ctx: AnalysisContext, host: HostModel, r: RouterView): Finding[] {
  const g = r.gateway
  const net = g ? ctx.reference.networks.get(g.networkId) : undefined
  if (!net?.physnet || (net.type !== 'flat' && net.type !== 'vlan')) return []
  const mappings = host.config.bridgeMappings
  if (!mappings) return []
  const impact = routerImpact(ctx, r)
  const netName = net.name ?? net.id
  const bridge = mappings[net.physnet]
  if (!bridge)
    return [
      finding(
        'EXTERNAL_BRIDGE_UNWIRED',
        'noMapping',
        {host: host.name, physnet: net.physnet, network: netName},
        {
          host: host.name,
          element: `bridge_mappings ${net.physnet}`,
          expected: `${net.physnet}:<bridge>`,
          actual:
            Object.entries(mappings)
              .map(([k, v]) => `${k}:${v}`)
              .join(',') || 'none',
          evidence: host.config.evidence ? [host.config.evidence] : [],
          impact,
        },
      ),
    ]
  const br = bridgeOf(host, bridge)
  if (!br) return [] // UPLINK_MISSING names a mapped bridge that does not exist
  const nic = br.ports.some(
    (p) =>
      p.name !== br.name &&
      !p.name.startsWith('phy-') &&
      p.interfaces.some((i) => i.type === '' || i.type === 'system'),
  )
  if (nic) return []
  return [
    finding(
      'EXTERNAL_BRIDGE_UNWIRED',
      'noNic',
      {host: host.name, bridge, network: netName},
      {
        host: host.name,
        element: bridge,
        expected: 'a physical NIC',
        actual: br.ports.map((p) => p.name).join(', '),
        evidence: [ovsEvidence(host, 'bridge')],
        impact,
      },
    ),
  ]
}

/** HA: exactly one host whose keepalived says primary (master before Victoria). */
function haChecks(ctx: AnalysisContext, r: RouterView): Finding[] {
  const states = ctx.actual.hosts.flatMap((h) => {
    const s = h.l3.haStates.get(r.id)
    return s ? [{host: h.name, state: s.state, evidence: s.evidence}] : []
  })
  if (!states.length) return []
  const active = states.filter((s) => s.state === 'primary' || s.state === 'master')
  const text = states.map((s) => `${s.host}: ${s.state}`).join(', ')
  if (active.length === 1) return []
  return [
    finding(
      'HA_ROUTER_STATE',
      active.length > 1 ? 'split' : 'none',
      {router: label(r), hosts: active.length > 1 ? active.map((s) => s.host).join(', ') : text},
      {
        element: `router ${r.id}`,
        expected: 'primary on exactly one host',
        actual: text,
        evidence: states.map((s) => s.evidence),
        impact: routerImpact(ctx, r),
      },
    ),
  ]
}

export const l3Analyzer: Analyzer = (ctx) => {
  const out: Finding[] = []
  for (const r of ctx.reference.routers) {
    if (r.distributed || !r.adminUp) continue
    if (r.ha) {
      out.push(...haChecks(ctx, r))
      continue
    }
    const host = r.host ? hostByName(ctx.actual, r.host) : undefined
    if (!host) continue
    if (!host.namespaces.some((n) => n.name === r.namespace)) {
      if (isMet(host, 'ip_netns'))
        out.push(
          finding(
            'ROUTER_NAMESPACE_MISSING',
            'absent',
            {host: host.name, router: label(r), namespace: r.namespace},
            {
              host: host.name,
              element: r.namespace,
              expected: `namespace ${r.namespace}`,
              actual: 'absent',
              impact: routerImpact(ctx, r),
            },
          ),
        )
      continue
    }
    for (const i of r.interfaces)
      out.push(
        ...portChecks(
          ctx,
          host,
          r,
          i.dev,
          i.networkId,
          [{address: i.ip, prefixlen: i.prefixlen}],
          `interface on ${i.cidr ?? i.networkId}`,
        ),
      )
    if (r.gateway?.dev) {
      const addrs = [
        ...(r.gateway.ip ? [{address: r.gateway.ip, prefixlen: r.gateway.prefixlen}] : []),
        ...r.floatingIps.map((f) => ({address: f.address, prefixlen: 32})),
      ]
      out.push(...portChecks(ctx, host, r, r.gateway.dev, r.gateway.networkId, addrs, 'gateway'))
    }
    out.push(
      ...routeChecks(ctx, host, r),
      ...natChecks(ctx, host, r),
      ...metadataChecks(ctx, host, r),
      ...externalChecks(ctx, host, r),
    )
  }
  return out
}
