// The wiring of each port and of each host's bridges: PORT_MISSING, LINK_BROKEN, UPLINK_MISSING, VIF_MISMATCH.

import {type DeviceRef, type Evidence, type HostModel, findDevice, findOvsInterface, linuxBridgeOf, vethPeer} from '../model/actual.js'
import {type PortView, devicesOf, isComputePort} from '../model/reference.js'
import {INTEGRATION_BRIDGE, type PhysLink, bridgeOf, ovsPortOf, physLinks, portsOnHost} from '../model/wiring.js'
import type {LinkDevice} from '../types.js'
import {type AnalysisContext, type Analyzer, confidenceOf, finding, impactOf} from './context.js'
import type {Finding} from './finding.js'

function devEvidence(host: HostModel, ref?: DeviceRef): Evidence {
  const spec = ref && ref.netns ? 'netns_ip_link' : 'ip_link'
  return {host: host.name, spec, text: ref ? `${ref.device.ifindex}: ${ref.device.name} state ${ref.device.operState ?? '?'}${ref.device.adminUp ? '' : ' (admin down)'}` : undefined}
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

function hybridChecks(ctx: AnalysisContext, host: HostModel, port: PortView): Finding[] {
  const out: Finding[] = []
  const d = devicesOf(port)
  const impact = impactOf(ctx, [port])
  const conf = confidenceOf(port.source)
  const vmHere = host.vms.some((vm) => vm.domain.interfaces.some((i) => i.mac?.toLowerCase() === port.mac || i.targetDev === d.tap))
  const missing = (element: string, message: string, remedy: string, evidence: Evidence[] = []) =>
    out.push(finding({code: 'PORT_MISSING', severity: 'error', host: host.name, element, message, impact, confidence: conf, remedy, evidence,
      expected: `${element} present`, actual: 'absent'}))

  const ovs = findOvsInterface(host, d.qvo)
  if (!ovs || ovs.bridge.name !== INTEGRATION_BRIDGE) {
    missing(d.qvo, ovs ? `${d.qvo} is on ${ovs.bridge.name}, not on br-int` : `${d.qvo} is not a port of br-int: ${port.id || d.qvo} is cut off from the integration bridge`,
      `ovs-vsctl --may-exist add-port br-int ${d.qvo} -- set Interface ${d.qvo} external-ids:iface-id=${port.id} external-ids:attached-mac=${port.mac ?? '<mac>'} external-ids:iface-status=active${port.deviceId ? ` external-ids:vm-uuid=${port.deviceId}` : ''}  (or hard-reboot the instance so Nova replugs it)`,
      [{host: host.name, spec: 'ovs_vsctl_show'}])
  } else if (ovs.iface.error || (ovs.iface.ofport !== undefined && ovs.iface.ofport < 0)) {
    missing(d.qvo, `OVS has port ${d.qvo} but cannot open its device: ${ovs.iface.error ?? 'ofport -1'}`,
      `recreate the veth pair ${d.qvb}/${d.qvo} (hard-reboot the instance) or remove the stale port`, [{host: host.name, spec: 'ovs_vsctl_list_interface', text: ovs.iface.error}])
  }
  if (host.linuxBridges) {
    const qbr = host.linuxBridges.find((b) => b.name === d.qbr)
    if (!qbr) {
      missing(d.qbr, `Linux bridge ${d.qbr} does not exist: ${d.tap} and ${d.qvb} have nothing joining them`, `hard-reboot the instance so Nova/os-vif recreates ${d.qbr}`,
        [{host: host.name, spec: 'brctl_show'}])
    } else {
      if (!qbr.interfaces.includes(d.qvb)) {
        const elsewhere = linuxBridgeOf(host, d.qvb)
        missing(d.qvb, `${d.qvb} is not attached to ${d.qbr}${elsewhere ? ` (it is on ${elsewhere.name})` : ''}: the VM's frames stop at the Linux bridge`,
          `brctl addif ${d.qbr} ${d.qvb}`, [{host: host.name, spec: 'brctl_show', text: `${d.qbr}: ${qbr.interfaces.join(' ') || '(no interfaces)'}`}])
      }
      // A stopped instance has no tap: only a port Neutron reports active must have one.
      if (vmHere && port.active !== false && !qbr.interfaces.includes(d.tap)) {
        missing(d.tap, `the VM's ${d.tap} is not attached to ${d.qbr}`, `brctl addif ${d.qbr} ${d.tap}  (or hard-reboot the instance)`,
          [{host: host.name, spec: 'brctl_show', text: `${d.qbr}: ${qbr.interfaces.join(' ') || '(no interfaces)'}`}])
      }
    }
  }
  // The qvb/qvo veth pair.
  if (host.devices.size) {
    const qvb = findDevice(host, d.qvb)
    const qvo = findDevice(host, d.qvo)
    if (!qvb && qvo) {
      out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: d.qvb, impact, confidence: conf,
        message: `${d.qvo} exists but its veth peer ${d.qvb} does not`, expected: `veth ${d.qvb} <-> ${d.qvo}`, actual: `${d.qvb} absent`,
        evidence: [devEvidence(host, qvo)], remedy: `recreate the veth pair: hard-reboot the instance so os-vif replugs it`}))
    } else if (qvb && qvo) {
      const peer = vethPeer(host, qvb)
      if (peer && peer.device.name !== d.qvo) {
        out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: d.qvb, impact, confidence: conf,
          message: `${d.qvb}'s veth peer is ${peer.device.name}, not ${d.qvo}`, expected: `veth ${d.qvb} <-> ${d.qvo}`, actual: `veth ${d.qvb} <-> ${peer.device.name}`,
          evidence: [devEvidence(host, qvb)], remedy: 'hard-reboot the instance so os-vif replugs it'}))
      }
      for (const end of downEnds([qvb, qvo])) {
        out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: end.device.name, impact, confidence: conf,
          message: `${end.device.name} is down (${end.device.adminUp ? `state ${end.device.operState}` : 'administratively'}): the veth between ${d.qbr} and br-int carries nothing`,
          expected: 'UP', actual: end.device.adminUp ? String(end.device.operState) : 'admin down', evidence: [devEvidence(host, end)],
          remedy: `ip link set ${end.device.name} up`}))
      }
    }
  }
  return out
}

function nativeChecks(ctx: AnalysisContext, host: HostModel, port: PortView): Finding[] {
  const ref = ovsPortOf(host, port)
  if (ref && ref.bridge.name === INTEGRATION_BRIDGE) return []
  const name = port.plug === 'vhostuser' ? `vhu${port.short}` : `tap${port.short}`
  return [finding({code: 'PORT_MISSING', severity: 'error', host: host.name, element: name, impact: impactOf(ctx, [port]), confidence: confidenceOf(port.source),
    message: `${name} (port ${port.id}) is not a port of br-int`, expected: `${name} on br-int with external_ids:iface-id=${port.id}`,
    actual: ref ? `on ${ref.bridge.name}` : 'absent', evidence: [{host: host.name, spec: 'ovs_vsctl_show'}],
    remedy: 'hard-reboot the instance so Nova replugs the VIF'})]
}

function portChecks(ctx: AnalysisContext, host: HostModel): Finding[] {
  const out: Finding[] = []
  if (!host.ovs) return out
  for (const port of portsOnHost(ctx.reference, host)) {
    // Instance ports only: DHCP ports are checked with their namespace, router ports (qr-/qg- in qrouter namespaces)
    // are wired by the L3 agent, which neutrace does not model yet.
    if (!isComputePort(port)) continue
    const moved = misboundTo(ctx, host, port)
    if (moved) {
      out.push(finding({code: 'VIF_MISMATCH', severity: 'error', host: host.name, element: port.id, impact: impactOf(ctx, [port]), confidence: 'high',
        message: `Neutron binds port ${port.id} to ${host.name}, but its VIF is plugged on ${moved.name}: the agent on ${moved.name} will not wire it and ${host.name} has nothing to wire`,
        expected: `binding:host_id=${moved.name} (where the VIF is)`, actual: `binding:host_id=${host.name}`,
        evidence: [{host: 'intent', spec: 'ports', text: `${port.id} binding:host_id=${host.name}`}],
        remedy: `openstack port set --host ${moved.name} ${port.id}  (or migrate the instance back)`}))
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

function linkChecks(ctx: AnalysisContext, host: HostModel, link: PhysLink): Finding[] {
  const out: Finding[] = []
  const ports = portsOnHost(ctx.reference, host).filter((p) => {
    const n = p.networkId ? ctx.reference.networks.get(p.networkId) : undefined
    return !n?.physnet || !link.physnet || n.physnet === link.physnet
  })
  const impact = impactOf(ctx, ports)
  const evidence: Evidence[] = host.config.evidence ? [{...host.config.evidence, text: `bridge_mappings = ${Object.entries(host.config.bridgeMappings ?? {}).map(([k, v]) => `${k}:${v}`).join(',')}`}] : []
  const br = bridgeOf(host, link.bridge)
  if (!br) {
    out.push(finding({code: 'UPLINK_MISSING', severity: 'error', host: host.name, element: link.bridge, impact, evidence,
      message: `bridge_mappings names ${link.bridge}${link.physnet ? ` for ${link.physnet}` : ''}, but ${host.name} has no such OVS bridge`,
      expected: `${link.bridge} with a physical NIC`, actual: 'no bridge', remedy: `ovs-vsctl add-br ${link.bridge} && ovs-vsctl add-port ${link.bridge} <nic>, then restart neutron-openvswitch-agent`}))
    return out
  }
  const nics = br.ports.filter((p) => p.name !== link.phyPort && p.name !== br.name &&
    p.interfaces.some((i) => i.type === '' || i.type === 'system' || i.type === 'dpdk'))
  if (!nics.length) {
    out.push(finding({code: 'UPLINK_MISSING', severity: 'error', host: host.name, element: link.bridge, impact, evidence: [{host: host.name, spec: 'ovs_vsctl_show', text: `Bridge ${br.name}: ${br.ports.map((p) => p.name).join(', ')}`}],
      message: `${link.bridge} has no physical NIC: frames for ${link.physnet ?? 'its physical network'} go nowhere`,
      expected: `a NIC port on ${link.bridge}`, actual: `ports: ${br.ports.map((p) => p.name).join(', ')}`, remedy: `ovs-vsctl add-port ${link.bridge} <nic>`}))
  }
  for (const nic of nics) {
    const dev = findDevice(host, nic.name, '')
    if (dev && isDown(dev.device)) {
      out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: nic.name, impact, evidence: [devEvidence(host, dev)],
        message: `uplink NIC ${nic.name} of ${link.bridge} is down`, expected: 'UP', actual: dev.device.adminUp ? String(dev.device.operState) : 'admin down',
        remedy: `ip link set ${nic.name} up; check the cable/switch port`}))
    }
  }
  // The int-/phy- link: patch ports or a veth pair.
  const intRef = findOvsInterface(host, link.intPort)
  const phyRef = findOvsInterface(host, link.phyPort)
  for (const [name, ref, bridge] of [[link.intPort, intRef, INTEGRATION_BRIDGE], [link.phyPort, phyRef, link.bridge]] as const) {
    if (!ref || ref.bridge.name !== bridge) {
      out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: name, impact, evidence: [{host: host.name, spec: 'ovs_vsctl_show'}],
        message: `${name} is missing from ${bridge}: br-int and ${link.bridge} are not connected`, expected: `${name} on ${bridge}`, actual: ref ? `on ${ref.bridge.name}` : 'absent',
        remedy: `restart neutron-openvswitch-agent on ${host.name}: it recreates the ${link.intPort}/${link.phyPort} link`}))
    }
  }
  if (!intRef || !phyRef) return out
  if (intRef.iface.type === 'patch' || phyRef.iface.type === 'patch') {
    for (const [a, b] of [[intRef, phyRef], [phyRef, intRef]] as const) {
      if (a.iface.options.peer !== b.iface.name) {
        out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: a.iface.name, impact,
          message: `patch port ${a.iface.name} points at peer ${a.iface.options.peer ?? '(none)'}, not ${b.iface.name}`, expected: `options:peer=${b.iface.name}`,
          actual: `options:peer=${a.iface.options.peer ?? ''}`, evidence: [{host: host.name, spec: 'ovs_vsctl_list_interface', text: `${a.iface.name} type=patch options:peer=${a.iface.options.peer ?? ''}`}],
          remedy: `ovs-vsctl set Interface ${a.iface.name} options:peer=${b.iface.name}`}))
      }
    }
    return out
  }
  if (!host.devices.size) return out
  const intDev = findDevice(host, link.intPort, '')
  const phyDev = findDevice(host, link.phyPort, '')
  if (intDev && phyDev) {
    const peer = vethPeer(host, intDev)
    if (peer && peer.device.name !== link.phyPort) {
      out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: link.intPort, impact, evidence: [devEvidence(host, intDev)],
        message: `${link.intPort}'s veth peer is ${peer.device.name}, not ${link.phyPort}`, expected: `veth ${link.intPort} <-> ${link.phyPort}`,
        actual: `veth ${link.intPort} <-> ${peer.device.name}`, remedy: `restart neutron-openvswitch-agent on ${host.name}`}))
    }
  }
  for (const dev of downEnds([intDev, phyDev])) {
    out.push(finding({code: 'LINK_BROKEN', severity: 'error', host: host.name, element: dev.device.name, impact, evidence: [devEvidence(host, dev)],
      message: `${dev.device.name} is down: the veth between br-int and ${link.bridge} carries nothing`, expected: 'UP',
      actual: dev.device.adminUp ? String(dev.device.operState) : 'admin down', remedy: `ip link set ${dev.device.name} up`}))
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
    if (!net?.physnet || !(net.type === undefined || net.type === 'vlan' || net.type === 'flat') || net.physnet in mappings) continue
    unmapped.set(net.physnet, [...(unmapped.get(net.physnet) ?? []), port])
  }
  const current = Object.entries(mappings).map(([k, v]) => `${k}:${v}`).join(',')
  return [...unmapped].map(([physnet, ports]) => {
    const elsewhere = ctx.actual.hosts.filter((h) => h !== host && h.config.bridgeMappings?.[physnet])
    const bridge = elsewhere[0]?.config.bridgeMappings?.[physnet]
    const nets = [...new Set(ports.map((p) => p.networkId!))].map((id) => ctx.reference.networks.get(id)?.name ?? id).sort()
    return finding({code: 'UPLINK_MISSING', severity: 'error', host: host.name, element: `bridge_mappings: ${physnet}`,
      impact: impactOf(ctx, ports), confidence: confidenceOf(...ports.map((p) => ctx.reference.networks.get(p.networkId!)?.source)),
      message: `bridge_mappings = ${current} on ${host.name} has no bridge for physical network ${physnet}, which ${nets.join(', ')} use${nets.length === 1 ? 's' : ''} here: the OVS agent cannot provision ${nets.length === 1 ? 'it' : 'them'} and installs no VLAN translation for ${nets.length === 1 ? 'it' : 'them'}`,
      expected: `bridge_mappings with ${physnet}:${bridge ?? '<bridge>'}${bridge ? ` (as on ${elsewhere.map((h) => h.name).join(', ')})` : ''}`, actual: `bridge_mappings = ${current}`,
      evidence: host.config.evidence ? [{...host.config.evidence, text: `bridge_mappings = ${current}`}] : [],
      remedy: `add ${physnet}:${bridge ?? '<bridge>'} to [ovs] bridge_mappings in openvswitch_agent.ini on ${host.name} and restart neutron-openvswitch-agent (its log says "no bridge for physical_network ${physnet}")`})
  })
}

export const portAnalyzer: Analyzer = (ctx) => ctx.actual.hosts.flatMap((h) => portChecks(ctx, h))

export const linkAnalyzer: Analyzer = (ctx) => ctx.actual.hosts.flatMap((host) => {
  if (!host.ovs || !bridgeOf(host, INTEGRATION_BRIDGE) || !needsPhysical(ctx, host)) return []
  return [...mappingChecks(ctx, host), ...physLinks(host).flatMap((link) => linkChecks(ctx, host, link))]
})
