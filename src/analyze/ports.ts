// The wiring of each port and of each host's bridges: PORT_MISSING, LINK_BROKEN, UPLINK_MISSING, VIF_MISMATCH.

import {
  type DeviceRef,
  DEVICES_NEED,
  type Evidence,
  findDevice,
  findOvsInterface,
  type HostModel,
  isMet,
  LINUX_BRIDGES_NEED,
  linuxBridgeOf,
  OVS_NEED,
  vethPeer,
} from '../model/actual.js'
import {type PortView, devicesOf, isComputePort} from '../model/reference.js'
import {INTEGRATION_BRIDGE, type PhysLink, bridgeOf, ovsPortOf, physLinks, portsOnHost} from '../model/wiring.js'
import type {LinkDevice, OvsBridge, OvsPort} from '../types.js'
import {
  type AnalysisContext,
  type Analyzer,
  type FindingFields,
  confidenceOf,
  finding,
  impactOf,
  ovsEvidence,
} from './context.js'
import type {Finding} from './finding.js'

function devEvidence(host: HostModel, ref?: DeviceRef): Evidence {
  const spec = ref && ref.netns ? 'netns_ip_link' : 'ip_link'
  return {
    host: host.name,
    spec,
    text: ref
      ? `${ref.device.ifindex}: ${ref.device.name} state ${ref.device.operState ?? '?'}${ref.device.adminUp ? '' : ' (admin down)'}`
      : undefined,
  }
}

function isDown(d: LinkDevice): boolean {
  return !d.adminUp || d.operState === 'DOWN' || d.operState === 'LOWERLAYERDOWN'
}

/** The ends of a veth pair to blame: those set down by hand; else, when the link is down anyway, the first end. A
 * peer that is only down because its partner is admin-down is not blamed twice. */
function downEnds(ends: (DeviceRef | undefined)[]): DeviceRef[] {
  const present = ends.filter((e): e is DeviceRef => Boolean(e))
  const admin = present.filter((e) => !e.device.adminUp)
  if (admin.length) return admin
  const down = present.filter((e) => isDown(e.device))
  return down.slice(0, 1)
}

/** Where the port moved: the host its VIF really is on, when that is not its binding host. */
function misboundTo(ctx: AnalysisContext, host: HostModel, port: PortView): HostModel | undefined {
  if (port.host !== host.name || ovsPortOf(host, port)) return undefined
  return ctx.actual.hosts.find((h) => h !== host && ovsPortOf(h, port))
}

interface VmInterfaces {
  length: number
  macs: Set<string | undefined>
  devs: Set<string | undefined>
}
const vmInterfaces = new WeakMap<HostModel['vms'], VmInterfaces>()

/** The MACs (lower case) and target devices of every interface of the host's VMs, once per host; undefined is in a set
 * when an interface lacks it (a port without the same then matches, as comparing them one by one does). */
function vmInterfacesOf(host: HostModel): VmInterfaces {
  let have = vmInterfaces.get(host.vms)
  if (have?.length !== host.vms.length) {
    have = {length: host.vms.length, macs: new Set(), devs: new Set()}
    for (const vm of host.vms) {
      for (const i of vm.domain.interfaces) {
        have.macs.add(i.mac?.toLowerCase())
        have.devs.add(i.targetDev)
      }
    }
    vmInterfaces.set(host.vms, have)
  }
  return have
}

function hybridChecks(ctx: AnalysisContext, host: HostModel, port: PortView): Finding[] {
  const out: Finding[] = []
  const d = devicesOf(port)
  const impact = impactOf(ctx, [port])
  const conf = confidenceOf(port.source)
  const here = vmInterfacesOf(host)
  const vmHere = here.macs.has(port.mac) || here.devs.has(d.tap)
  const absent = (element: string, evidence: Evidence[]): FindingFields => ({
    host: host.name,
    element,
    impact,
    confidence: conf,
    evidence,
    expected: `${element} present`,
    actual: 'absent',
  })
  const plug = {qvo: d.qvo, portId: port.id || d.qvo, mac: port.mac, vmId: port.deviceId}

  const ovs = findOvsInterface(host, d.qvo)
  if (!ovs || ovs.bridge.name !== INTEGRATION_BRIDGE) {
    const evidence = [ovsEvidence(host, 'port')]
    out.push(
      ovs
        ? finding('PORT_MISSING', 'qvoElsewhere', {...plug, bridge: ovs.bridge.name}, absent(d.qvo, evidence))
        : finding('PORT_MISSING', 'qvoAbsent', plug, absent(d.qvo, evidence)),
    )
  } else if (ovs.iface.error || (ovs.iface.ofport !== undefined && ovs.iface.ofport < 0)) {
    out.push(
      finding(
        'PORT_MISSING',
        'qvoBroken',
        {qvo: d.qvo, qvb: d.qvb, error: ovs.iface.error ?? 'ofport -1'},
        absent(d.qvo, [ovsEvidence(host, 'interface', ovs.iface.error)]),
      ),
    )
  }
  if (isMet(host, LINUX_BRIDGES_NEED)) {
    const qbr = host.linuxBridges.find((b) => b.name === d.qbr)
    if (!qbr) {
      out.push(
        finding(
          'PORT_MISSING',
          'qbrAbsent',
          {qbr: d.qbr, tap: d.tap, qvb: d.qvb},
          absent(d.qbr, [{host: host.name, spec: 'brctl_show'}]),
        ),
      )
    } else {
      const members = [
        {
          host: host.name,
          spec: 'brctl_show' as const,
          text: `${d.qbr}: ${qbr.interfaces.join(' ') || '(no interfaces)'}`,
        },
      ]
      if (!qbr.interfaces.includes(d.qvb)) {
        out.push(
          finding(
            'PORT_MISSING',
            'qvbDetached',
            {qvb: d.qvb, qbr: d.qbr, elsewhere: linuxBridgeOf(host, d.qvb)?.name},
            absent(d.qvb, members),
          ),
        )
      }
      // A stopped instance has no tap: only a port Neutron reports active must have one.
      if (vmHere && port.active !== false && !qbr.interfaces.includes(d.tap)) {
        out.push(finding('PORT_MISSING', 'tapDetached', {tap: d.tap, qbr: d.qbr}, absent(d.tap, members)))
      }
    }
  }
  // The qvb/qvo veth pair.
  if (isMet(host, DEVICES_NEED)) {
    const qvb = findDevice(host, d.qvb)
    const qvo = findDevice(host, d.qvo)
    if (!qvb && qvo) {
      out.push(
        finding(
          'LINK_BROKEN',
          'peerAbsent',
          {present: d.qvo, absent: d.qvb},
          {
            host: host.name,
            element: d.qvb,
            impact,
            confidence: conf,
            expected: `veth ${d.qvb} <-> ${d.qvo}`,
            actual: `${d.qvb} absent`,
            evidence: [devEvidence(host, qvo)],
          },
        ),
      )
    } else if (qvb && qvo) {
      const peer = vethPeer(host, qvb)
      if (peer && peer.device.name !== d.qvo) {
        out.push(
          finding(
            'LINK_BROKEN',
            'vifPeerOther',
            {device: d.qvb, peer: peer.device.name, expected: d.qvo},
            {
              host: host.name,
              element: d.qvb,
              impact,
              confidence: conf,
              expected: `veth ${d.qvb} <-> ${d.qvo}`,
              actual: `veth ${d.qvb} <-> ${peer.device.name}`,
              evidence: [devEvidence(host, qvb)],
            },
          ),
        )
      }
      for (const end of downEnds([qvb, qvo])) {
        out.push(
          finding(
            'LINK_BROKEN',
            'vifEndDown',
            {
              device: end.device.name,
              how: end.device.adminUp ? `state ${end.device.operState}` : 'administratively',
              qbr: d.qbr,
            },
            {
              host: host.name,
              element: end.device.name,
              impact,
              confidence: conf,
              expected: 'UP',
              actual: end.device.adminUp ? String(end.device.operState) : 'admin down',
              evidence: [devEvidence(host, end)],
            },
          ),
        )
      }
    }
  }
  return out
}

function nativeChecks(ctx: AnalysisContext, host: HostModel, port: PortView): Finding[] {
  const ref = ovsPortOf(host, port)
  if (ref && ref.bridge.name === INTEGRATION_BRIDGE) return []
  const name = port.plug === 'vhostuser' ? `vhu${port.short}` : `tap${port.short}`
  return [
    finding(
      'PORT_MISSING',
      'notOnIntegration',
      {device: name, portId: port.id},
      {
        host: host.name,
        element: name,
        impact: impactOf(ctx, [port]),
        confidence: confidenceOf(port.source),
        expected: `${name} on br-int with external_ids:iface-id=${port.id}`,
        actual: ref ? `on ${ref.bridge.name}` : 'absent',
        evidence: [ovsEvidence(host, 'port')],
      },
    ),
  ]
}

function portChecks(ctx: AnalysisContext, host: HostModel): Finding[] {
  const out: Finding[] = []
  if (!isMet(host, OVS_NEED)) return out
  for (const port of portsOnHost(ctx.reference, host)) {
    // Instance ports only: DHCP ports are checked with their namespace, router ports (qr-/qg- in qrouter namespaces)
    // are wired by the L3 agent, which neutrace does not model yet.
    if (!isComputePort(port)) continue
    const moved = misboundTo(ctx, host, port)
    if (moved) {
      out.push(
        finding(
          'VIF_MISMATCH',
          'bindingHost',
          {portId: port.id, host: host.name, pluggedOn: moved.name},
          {
            host: host.name,
            element: port.id,
            impact: impactOf(ctx, [port]),
            confidence: 'high',
            expected: `binding:host_id=${moved.name} (where the VIF is)`,
            actual: `binding:host_id=${host.name}`,
            evidence: [{host: 'intent', spec: 'intent', text: `${port.id} binding:host_id=${host.name}`}],
          },
        ),
      )
      continue
    }
    if (!port.short) continue
    if (port.plug === 'hybrid') out.push(...hybridChecks(ctx, host, port))
    else if (port.plug === 'native' || port.plug === 'vhostuser') out.push(...nativeChecks(ctx, host, port))
    else if (!ovsPortOf(host, port) && port.source === 'intent' && host.vms.length) {
      out.push(...nativeChecks(ctx, host, port))
    }
  }
  return out
}

/** Does this host need its physical bridges? Yes when any port of a VLAN/flat network is on it. */
function needsPhysical(ctx: AnalysisContext, host: HostModel): boolean {
  return portsOnHost(ctx.reference, host).some((p) => {
    const n = p.networkId ? ctx.reference.networks.get(p.networkId) : undefined
    return !n || n.type === undefined || n.type === 'vlan' || n.type === 'flat'
  })
}

/** The NIC ports of a physical bridge: system (or DPDK) ports other than the bridge's own and its phy- link. */
function nicPorts(br: OvsBridge, link: PhysLink): OvsPort[] {
  return br.ports.filter(
    (p) =>
      p.name !== link.phyPort &&
      p.name !== br.name &&
      p.interfaces.some((i) => i.type === '' || i.type === 'system' || i.type === 'dpdk'),
  )
}

const NOT_A_NIC = new Set([
  'veth',
  'bridge',
  'openvswitch',
  'tun',
  'tap',
  'vxlan',
  'geneve',
  'gretap',
  'ip6gretap',
  'dummy',
  'loopback',
  'macvtap',
])

/** A device of the host's own namespace that could be an uplink and is nobody's: not virtual, not a port of OVS or of
 * a Linux bridge, not a bond's slave. */
function isFreeNic(host: HostModel, name: string): boolean {
  const ref = findDevice(host, name, '')
  if (!ref) return false
  const d = ref.device
  if (d.name === 'lo' || (d.kind && NOT_A_NIC.has(d.kind)) || d.peerName || d.peerIfindex !== undefined) return false
  if (findOvsInterface(host, name) || linuxBridgeOf(host, name) || host.linuxBridges?.some((b) => b.name === name))
    return false
  if (host.ovs?.bridges.some((b) => b.name === name) || name === 'ovs-system') return false
  return !d.master || d.master === 'ovs-system'
}

/**
 * The NIC that should be on `link`'s bridge, when the host shows one: the NIC the other hosts' bridges use for the same
 * physical network, present and free here; else the host's only free physical device without an IPv4 address. */
function nicFor(ctx: AnalysisContext, host: HostModel, link: PhysLink): {nic: string; from: string} | undefined {
  const used = new Map<string, string[]>()
  for (const other of ctx.actual.hosts) {
    if (other === host) continue
    for (const l of physLinks(other)) {
      if (link.physnet && l.physnet ? l.physnet !== link.physnet : l.bridge !== link.bridge) continue
      const br = bridgeOf(other, l.bridge)
      for (const p of br ? nicPorts(br, l) : []) used.set(p.name, [...(used.get(p.name) ?? []), other.name])
    }
  }
  const shared = [...used].filter(([name]) => isFreeNic(host, name))
  if (shared.length === 1)
    return {nic: shared[0][0], from: `the NIC of ${link.physnet ?? link.bridge} on ${shared[0][1].join(', ')}`}
  if (shared.length) return undefined
  const free = (host.devices.get('') ?? []).filter(
    (d) => isFreeNic(host, d.name) && !d.addresses.some((a) => a.family === 'inet'),
  )
  return free.length === 1
    ? {nic: free[0].name, from: `the only physical device of ${host.name} in no bridge`}
    : undefined
}

function linkChecks(ctx: AnalysisContext, host: HostModel, link: PhysLink): Finding[] {
  const out: Finding[] = []
  const ports = portsOnHost(ctx.reference, host).filter((p) => {
    const n = p.networkId ? ctx.reference.networks.get(p.networkId) : undefined
    return !n?.physnet || !link.physnet || n.physnet === link.physnet
  })
  const impact = impactOf(ctx, ports)
  const evidence: Evidence[] = host.config.evidence
    ? [
        {
          ...host.config.evidence,
          text: `bridge_mappings = ${Object.entries(host.config.bridgeMappings ?? {})
            .map(([k, v]) => `${k}:${v}`)
            .join(',')}`,
        },
      ]
    : []
  const br = bridgeOf(host, link.bridge)
  if (!br) {
    const nic = nicFor(ctx, host, link)
    out.push(
      finding(
        'UPLINK_MISSING',
        'noBridge',
        {host: host.name, bridge: link.bridge, physnet: link.physnet, nic: nic?.nic},
        {
          host: host.name,
          element: link.bridge,
          impact,
          evidence,
          expected: `${link.bridge} with a physical NIC${nic ? ` (${nic.nic}, ${nic.from})` : ''}`,
          actual: 'no bridge',
        },
      ),
    )
    return out
  }
  const nics = nicPorts(br, link)
  if (!nics.length) {
    const nic = nicFor(ctx, host, link)
    out.push(
      finding(
        'UPLINK_MISSING',
        'noNic',
        {bridge: link.bridge, physnet: link.physnet, nic: nic?.nic, nicFrom: nic?.from},
        {
          host: host.name,
          element: link.bridge,
          impact,
          evidence: [ovsEvidence(host, 'bridge', `Bridge ${br.name}: ${br.ports.map((p) => p.name).join(', ')}`)],
          expected: nic ? `${nic.nic} on ${link.bridge} (${nic.from})` : `a NIC port on ${link.bridge}`,
          actual: `ports: ${br.ports.map((p) => p.name).join(', ')}`,
        },
      ),
    )
  }
  for (const nic of nics) {
    const dev = findDevice(host, nic.name, '')
    if (dev && isDown(dev.device)) {
      out.push(
        finding(
          'LINK_BROKEN',
          'uplinkDown',
          {nic: nic.name, bridge: link.bridge},
          {
            host: host.name,
            element: nic.name,
            impact,
            evidence: [devEvidence(host, dev)],
            expected: 'UP',
            actual: dev.device.adminUp ? String(dev.device.operState) : 'admin down',
          },
        ),
      )
    }
  }
  // The int-/phy- link: patch ports or a veth pair.
  const intRef = findOvsInterface(host, link.intPort)
  const phyRef = findOvsInterface(host, link.phyPort)
  for (const [name, ref, bridge] of [
    [link.intPort, intRef, INTEGRATION_BRIDGE],
    [link.phyPort, phyRef, link.bridge],
  ] as const) {
    if (!ref || ref.bridge.name !== bridge) {
      out.push(
        finding(
          'LINK_BROKEN',
          'bridgePortAbsent',
          {port: name, bridge, physBridge: link.bridge, host: host.name, intPort: link.intPort, phyPort: link.phyPort},
          {
            host: host.name,
            element: name,
            impact,
            evidence: [ovsEvidence(host, 'port')],
            expected: `${name} on ${bridge}`,
            actual: ref ? `on ${ref.bridge.name}` : 'absent',
          },
        ),
      )
    }
  }
  if (!intRef || !phyRef) return out
  if (intRef.iface.type === 'patch' || phyRef.iface.type === 'patch') {
    for (const [a, b] of [
      [intRef, phyRef],
      [phyRef, intRef],
    ] as const) {
      if (a.iface.options.peer !== b.iface.name) {
        out.push(
          finding(
            'LINK_BROKEN',
            'patchPeerOther',
            {port: a.iface.name, peer: a.iface.options.peer, expected: b.iface.name},
            {
              host: host.name,
              element: a.iface.name,
              impact,
              expected: `options:peer=${b.iface.name}`,
              actual: `options:peer=${a.iface.options.peer ?? ''}`,
              evidence: [
                ovsEvidence(host, 'interface', `${a.iface.name} type=patch options:peer=${a.iface.options.peer ?? ''}`),
              ],
            },
          ),
        )
      }
    }
    return out
  }
  if (!isMet(host, DEVICES_NEED)) return out
  const intDev = findDevice(host, link.intPort, '')
  const phyDev = findDevice(host, link.phyPort, '')
  if (intDev && phyDev) {
    const peer = vethPeer(host, intDev)
    if (peer && peer.device.name !== link.phyPort) {
      out.push(
        finding(
          'LINK_BROKEN',
          'bridgePeerOther',
          {port: link.intPort, peer: peer.device.name, expected: link.phyPort, host: host.name},
          {
            host: host.name,
            element: link.intPort,
            impact,
            evidence: [devEvidence(host, intDev)],
            expected: `veth ${link.intPort} <-> ${link.phyPort}`,
            actual: `veth ${link.intPort} <-> ${peer.device.name}`,
          },
        ),
      )
    }
  }
  for (const dev of downEnds([intDev, phyDev])) {
    out.push(
      finding(
        'LINK_BROKEN',
        'bridgeEndDown',
        {device: dev.device.name, bridge: link.bridge},
        {
          host: host.name,
          element: dev.device.name,
          impact,
          evidence: [devEvidence(host, dev)],
          expected: 'UP',
          actual: dev.device.adminUp ? String(dev.device.operState) : 'admin down',
        },
      ),
    )
  }
  return out
}

/** A physical network this host's ports need but its bridge_mappings leave out: the agent cannot provision it ("Cannot
 * provision VLAN network … no bridge for physical_network …") and drops the translation flows it had for it. */
function mappingChecks(ctx: AnalysisContext, host: HostModel): Finding[] {
  const mappings = host.config.bridgeMappings
  if (!mappings || !Object.keys(mappings).length) return []
  const unmapped = new Map<string, PortView[]>()
  for (const port of portsOnHost(ctx.reference, host)) {
    const net = port.networkId ? ctx.reference.networks.get(port.networkId) : undefined
    if (
      !net?.physnet ||
      !(net.type === undefined || net.type === 'vlan' || net.type === 'flat') ||
      net.physnet in mappings
    )
      continue
    unmapped.set(net.physnet, [...(unmapped.get(net.physnet) ?? []), port])
  }
  const current = Object.entries(mappings)
    .map(([k, v]) => `${k}:${v}`)
    .join(',')
  return [...unmapped].map(([physnet, ports]) => {
    const elsewhere = ctx.actual.hosts.filter((h) => h !== host && h.config.bridgeMappings?.[physnet])
    const bridge = elsewhere[0]?.config.bridgeMappings?.[physnet]
    const nets = [...new Set(ports.map((p) => p.networkId!))]
      .map((id) => ctx.reference.networks.get(id)?.name ?? id)
      .sort()
    return finding(
      'UPLINK_MISSING',
      'unmapped',
      {host: host.name, physnet, current, networks: nets, bridge},
      {
        host: host.name,
        element: `bridge_mappings: ${physnet}`,
        impact: impactOf(ctx, ports),
        confidence: confidenceOf(...ports.map((p) => ctx.reference.networks.get(p.networkId!)?.source)),
        expected: `bridge_mappings with ${physnet}:${bridge ?? '<bridge>'}${bridge ? ` (as on ${elsewhere.map((h) => h.name).join(', ')})` : ''}`,
        actual: `bridge_mappings = ${current}`,
        evidence: host.config.evidence ? [{...host.config.evidence, text: `bridge_mappings = ${current}`}] : [],
      },
    )
  })
}

export const portAnalyzer: Analyzer = (ctx) => ctx.actual.hosts.flatMap((h) => portChecks(ctx, h))

export const linkAnalyzer: Analyzer = (ctx) =>
  ctx.actual.hosts.flatMap((host) => {
    if (!isMet(host, OVS_NEED) || !bridgeOf(host, INTEGRATION_BRIDGE) || !needsPhysical(ctx, host)) return []
    return [...mappingChecks(ctx, host), ...physLinks(host).flatMap((link) => linkChecks(ctx, host, link))]
  })
