// topology output: an indented picture per host (OVS bridges and ports with tags and peers, Linux bridges, namespaces,
// dnsmasq, VMs), JSON, and DOT. Names are escaped for each medium where they are written (./escape.ts).

import type {TopologyHost, TopologyReport} from '../contracts/index.js'
import {type ActualModel, type HostModel, findOvsInterface, vethPeer, findDevice} from '../model/actual.js'
import type {Finding} from '../analyze/index.js'
import {physLinks} from '../model/wiring.js'
import {dotLabel, dotString, escapeTerminal as t} from './escape.js'
import {findingsAt, wrapLabel} from './trace.js'

const TOPOLOGY_SCHEMA_VERSION: TopologyReport['schemaVersion'] = 1

export type {TopologyHost}

function peerOf(host: HostModel, name: string, type: string, options: Record<string, string>): string | undefined {
  if (type === 'patch') return options.peer
  const dev = findDevice(host, name, '')
  const peer = dev ? vethPeer(host, dev) : undefined
  return peer ? `${peer.device.name}${peer.netns ? `@${peer.netns}` : ''}` : undefined
}

export function topologyOf(host: HostModel): TopologyHost {
  return {
    name: host.name,
    roles: host.roles,
    ovsBridges: (host.ovs?.bridges ?? []).map((b) => ({
      name: b.name,
      flows: host.flows.get(b.name)?.flows.length ?? 0,
      ports: b.ports.flatMap((p) =>
        p.interfaces.map((i) => ({
          name: i.name,
          ofport: i.ofport ?? host.ofports.get(b.name)?.get(i.name),
          tag: p.tag,
          trunks: p.trunks,
          type: i.type || 'system',
          peer: peerOf(host, i.name, i.type, i.options),
          error: i.error,
          ifaceId: i.externalIds['iface-id'],
          namespace: findDevice(host, i.name)?.netns || undefined,
        })),
      ),
    })),
    linuxBridges: (host.linuxBridges ?? []).map((b) => ({name: b.name, interfaces: b.interfaces})),
    namespaces: (host.namespaces ?? []).map((n) => ({
      name: n.name,
      devices: (host.devices.get(n.name) ?? []).map((d) => ({
        name: d.name,
        addresses: d.addresses.map((a) => `${a.address}/${a.prefixlen}`),
        up: d.adminUp,
      })),
    })),
    dnsmasq: host.dnsmasq.map((d) => ({
      pid: d.pid,
      networkId: d.networkId,
      namespace: d.netns,
      interface: d.interface,
    })),
    vms: host.vms.map((v) => ({
      uuid: v.domain.uuid,
      name: v.domain.novaName ?? v.domain.name,
      interfaces: v.domain.interfaces.map((i) => ({
        mac: i.mac,
        bridge: i.sourceBridge,
        dev: i.targetDev,
        type: i.type,
      })),
    })),
  }
}

export function topologyJson(model: ActualModel, hostFilter: string | undefined, version: string): TopologyReport {
  return {
    schemaVersion: TOPOLOGY_SCHEMA_VERSION,
    tool: {name: 'neutrace', version},
    hosts: model.hosts.filter((h) => !hostFilter || h.name === hostFilter).map(topologyOf),
  }
}

export function renderTopologyText(topo: TopologyHost): string {
  const out: string[] = [`${t(topo.name)} [${topo.roles.map(t).join(', ')}]`]
  for (const vm of topo.vms) {
    out.push(`  VM ${t(vm.name ?? '?')} ${t(vm.uuid ?? '')}`.trimEnd())
    for (const i of vm.interfaces)
      out.push(
        `    nic ${t(i.mac ?? '?')} ${t(i.type)}${i.bridge ? ` bridge=${t(i.bridge)}` : ''}${i.dev ? ` dev=${t(i.dev)}` : ''}`,
      )
  }
  for (const b of topo.linuxBridges)
    out.push(`  Linux bridge ${t(b.name)}: ${b.interfaces.map(t).join(', ') || '(no interfaces)'}`)
  for (const b of topo.ovsBridges) {
    out.push(`  OVS bridge ${t(b.name)} (${b.flows} flows)`)
    for (const p of b.ports) {
      const attrs = [
        p.ofport !== undefined ? `ofport ${p.ofport}` : '',
        p.type !== 'system' ? t(p.type) : '',
        p.tag !== undefined ? `tag ${p.tag}` : '',
        p.trunks.length ? `trunks [${p.trunks.join(',')}]` : '',
        p.peer ? `peer ${t(p.peer)}` : '',
        p.namespace ? `in ${t(p.namespace)}` : '',
        p.error ? `ERROR ${t(p.error)}` : '',
      ].filter(Boolean)
      out.push(`    ${t(p.name)}${attrs.length ? `  ${attrs.join(', ')}` : ''}`)
    }
  }
  for (const n of topo.namespaces) {
    out.push(`  netns ${t(n.name)}`)
    for (const d of n.devices)
      if (d.name !== 'lo')
        out.push(`    ${t(d.name)}${d.up ? '' : ' (down)'} ${d.addresses.map(t).join(' ')}`.trimEnd())
  }
  for (const d of topo.dnsmasq) {
    out.push(
      `  dnsmasq pid ${d.pid ?? '?'} network ${t(d.networkId ?? '?')}${d.namespace ? ` in ${t(d.namespace)}` : ''}${d.interface ? ` on ${t(d.interface)}` : ''}`,
    )
  }
  return out.join('\n')
}

const RED = '#c62828'

/**
 * Each host drawn the way the seed draws a node: VMs on top, then taps and qbr Linux bridges, the qvb/qvo veth, br-int
 * with the DHCP namespaces beside its ports, the int-/phy- links, the physical bridges, their NICs at the bottom; with
 * several hosts, the physical networks join the NICs underneath. Elements a finding names are red.
 */
export function renderTopologyDot(model: ActualModel, hostFilter?: string, findings: readonly Finding[] = []): string {
  const out = [
    'graph neutrace_topology {',
    '  rankdir=TB; newrank=true; nodesep=0.3; ranksep=0.35;',
    '  graph [fontname="Courier", fontsize=13, labeljust=l];',
    '  node [shape=box, style=filled, fillcolor=white, fontname="Courier", fontsize=11, margin="0.1,0.04"];',
    '  edge [color="#555555"];',
  ]
  const id = (host: string, name: string) => dotString(`${host}/${name}`)
  const edges = new Set<string>()
  const hosts = model.hosts.filter((h) => !hostFilter || h.name === hostFilter)
  const uplinks: {host: string; nic: string; physnet: string}[] = []
  for (const host of hosts) {
    const topo = topologyOf(host)
    const red = (name: string) => findingsAt(findings, host.name, name).length > 0
    const node = (name: string, lines: string[], attrs: string, key = name) => {
      const faulty = red(name)
      const redStyle = faulty ? `, color="${RED}", fontcolor="${RED}", penwidth=2.5, fillcolor="#fdecea"` : ''
      const text = faulty
        ? [
            ...lines,
            findingsAt(findings, host.name, name)
              .map((f) => f.code)
              .join(', '),
          ]
        : lines
      return `    ${id(host.name, key)} [label=${dotLabel(...text)}${attrs ? `, ${attrs}` : ''}${redStyle}];`
    }
    const faultyHost = findings.some((f) => f.host === host.name && f.severity === 'error')
    out.push(
      `  subgraph ${dotString(`cluster_${host.name}`)} {`,
      `    label=${dotString(`${host.name} [${topo.roles.join(', ')}]`)}; style="rounded"; color="${faultyHost ? RED : '#777777'}";`,
    )
    const bridgeNames = new Set(topo.ovsBridges.map((b) => b.name))
    const portBridge = new Map(topo.ovsBridges.flatMap((b) => b.ports.map((p) => [p.name, b.name] as const)))
    const vmDevs = new Set(
      topo.vms.flatMap((v) => v.interfaces.map((i) => i.dev).filter((d): d is string => Boolean(d))),
    )
    const links = physLinks(host)
    for (const b of topo.ovsBridges) {
      const integration = b.name === 'br-int'
      out.push(node(b.name, [b.name, `OVS bridge, ${b.flows} flows`], 'shape=component, fillcolor="#dcecfb"'))
      for (const p of b.ports) {
        if (p.name === b.name) continue
        const peer = p.peer?.split('@')[0]
        const toBridge = peer !== undefined && portBridge.has(peer) && portBridge.get(peer) !== b.name
        const nic = !integration && !toBridge && p.type === 'system'
        const attrs = [
          p.tag !== undefined ? `tag ${p.tag}` : '',
          p.type !== 'system' && p.type !== 'internal' ? p.type : '',
          p.error ? `error: ${p.error}` : '',
        ]
          .filter(Boolean)
          .join(', ')
        out.push(node(p.name, attrs ? [p.name, attrs] : [p.name], nic ? 'fillcolor="#eeeeee", penwidth=2' : ''))
        // VIFs and namespace ports sit above br-int; links to other bridges below it; above a physical bridge, NICs
        // below.
        const above = integration ? !toBridge : toBridge
        edges.add(
          above
            ? `  ${id(host.name, p.name)} -- ${id(host.name, b.name)};`
            : `  ${id(host.name, b.name)} -- ${id(host.name, p.name)};`,
        )
        if (peer && toBridge && integration)
          edges.add(`  ${id(host.name, p.name)} -- ${id(host.name, peer)} [style=dashed];`)
        if (nic) {
          const link = links.find((l) => l.bridge === b.name)
          uplinks.push({host: host.name, nic: p.name, physnet: link?.physnet ?? 'physical network'})
        }
      }
    }
    for (const b of topo.linuxBridges) {
      out.push(node(b.name, [b.name, 'Linux bridge'], 'fillcolor="#fff4d6"'))
      for (const i of b.interfaces) {
        if (!portBridge.has(i)) out.push(node(i, [i], ''))
        edges.add(
          vmDevs.has(i)
            ? `  ${id(host.name, i)} -- ${id(host.name, b.name)};`
            : `  ${id(host.name, b.name)} -- ${id(host.name, i)};`,
        )
        const dev = findDevice(host, i, '')
        const peer = dev ? vethPeer(host, dev) : undefined
        if (peer && findOvsInterface(host, peer.device.name))
          edges.add(`  ${id(host.name, i)} -- ${id(host.name, peer.device.name)} [style=dashed];`)
      }
    }
    for (const vm of topo.vms) {
      const vmId = `vm:${vm.uuid ?? vm.name}`
      out.push(node(vmId, [vm.name ?? vm.uuid ?? 'VM', 'VM'], 'shape=box3d, fillcolor="#e3f2e1"'))
      for (const i of vm.interfaces) {
        if (!i.dev) continue
        if (!portBridge.has(i.dev) && !topo.linuxBridges.some((b) => b.interfaces.includes(i.dev!)))
          out.push(node(i.dev, [i.dev, 'missing'], ''))
        edges.add(`  ${id(host.name, vmId)} -- ${id(host.name, i.dev)};`)
      }
    }
    for (const n of topo.namespaces) {
      const servers = topo.dnsmasq.filter((d) => d.namespace === n.name).map((d) => `dnsmasq pid ${d.pid ?? '?'}`)
      out.push(
        node(
          n.name,
          [...wrapLabel(n.name, 48).split('\n'), ...(servers.length ? [servers.join(', ')] : [])],
          'shape=folder, fillcolor="#efe6f7"',
          `ns:${n.name}`,
        ),
      )
    }
    for (const b of topo.ovsBridges)
      for (const p of b.ports)
        if (p.namespace) edges.add(`  ${id(host.name, `ns:${p.namespace}`)} -- ${id(host.name, p.name)};`)
    void bridgeNames
    out.push('  }')
  }
  // The physical networks under the hosts, joined to each NIC that carries them.
  if (hosts.length > 1) {
    for (const physnet of [...new Set(uplinks.map((u) => u.physnet))]) {
      const net = dotString(`physnet:${physnet}`)
      out.push(
        `  ${net} [label=${dotLabel('physical network', physnet)}, shape=ellipse, fillcolor="#f4f4f4", penwidth=2];`,
      )
      for (const u of uplinks.filter((x) => x.physnet === physnet))
        edges.add(`  ${id(u.host, u.nic)} -- ${net} [penwidth=2];`)
    }
  }
  out.push(...edges, '}')
  return out.join('\n')
}
