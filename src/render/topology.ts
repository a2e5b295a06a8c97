// topology output: an indented picture per host (OVS bridges and ports with tags and peers, Linux bridges, namespaces,
// dnsmasq, VMs), JSON, and DOT. Names are escaped for each medium where they are written (./escape.ts).

import type {TopologyHost, TopologyReport} from '../contracts/index.js'
import {type ActualModel, type HostModel, findOvsInterface, vethPeer, findDevice} from '../model/actual.js'
import {dotLabel, dotString, escapeTerminal as t} from './escape.js'

export const TOPOLOGY_SCHEMA_VERSION: TopologyReport['schemaVersion'] = 1

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
      ports: b.ports.flatMap((p) => p.interfaces.map((i) => ({
        name: i.name, ofport: i.ofport ?? host.ofports.get(b.name)?.get(i.name), tag: p.tag, trunks: p.trunks, type: i.type || 'system',
        peer: peerOf(host, i.name, i.type, i.options), error: i.error, ifaceId: i.externalIds['iface-id'],
        namespace: findDevice(host, i.name)?.netns || undefined,
      }))),
    })),
    linuxBridges: (host.linuxBridges ?? []).map((b) => ({name: b.name, interfaces: b.interfaces})),
    namespaces: (host.namespaces ?? []).map((n) => ({name: n.name, devices: (host.devices.get(n.name) ?? []).map((d) => ({
      name: d.name, addresses: d.addresses.map((a) => `${a.address}/${a.prefixlen}`), up: d.adminUp}))})),
    dnsmasq: host.dnsmasq.map((d) => ({pid: d.pid, networkId: d.networkId, namespace: d.netns, interface: d.interface})),
    vms: host.vms.map((v) => ({uuid: v.domain.uuid, name: v.domain.novaName ?? v.domain.name,
      interfaces: v.domain.interfaces.map((i) => ({mac: i.mac, bridge: i.sourceBridge, dev: i.targetDev, type: i.type}))})),
  }
}

export function topologyJson(model: ActualModel, hostFilter: string | undefined, version: string): TopologyReport {
  return {schemaVersion: TOPOLOGY_SCHEMA_VERSION, tool: {name: 'neutrace', version},
    hosts: model.hosts.filter((h) => !hostFilter || h.name === hostFilter).map(topologyOf)}
}

export function renderTopologyText(topo: TopologyHost): string {
  const out: string[] = [`${t(topo.name)} [${topo.roles.map(t).join(', ')}]`]
  for (const vm of topo.vms) {
    out.push(`  VM ${t(vm.name ?? '?')} ${t(vm.uuid ?? '')}`.trimEnd())
    for (const i of vm.interfaces) out.push(`    nic ${t(i.mac ?? '?')} ${t(i.type)}${i.bridge ? ` bridge=${t(i.bridge)}` : ''}${i.dev ? ` dev=${t(i.dev)}` : ''}`)
  }
  for (const b of topo.linuxBridges) out.push(`  Linux bridge ${t(b.name)}: ${b.interfaces.map(t).join(', ') || '(no interfaces)'}`)
  for (const b of topo.ovsBridges) {
    out.push(`  OVS bridge ${t(b.name)} (${b.flows} flows)`)
    for (const p of b.ports) {
      const attrs = [p.ofport !== undefined ? `ofport ${p.ofport}` : '', p.type !== 'system' ? t(p.type) : '', p.tag !== undefined ? `tag ${p.tag}` : '',
        p.trunks.length ? `trunks [${p.trunks.join(',')}]` : '', p.peer ? `peer ${t(p.peer)}` : '', p.namespace ? `in ${t(p.namespace)}` : '',
        p.error ? `ERROR ${t(p.error)}` : ''].filter(Boolean)
      out.push(`    ${t(p.name)}${attrs.length ? `  ${attrs.join(', ')}` : ''}`)
    }
  }
  for (const n of topo.namespaces) {
    out.push(`  netns ${t(n.name)}`)
    for (const d of n.devices) if (d.name !== 'lo') out.push(`    ${t(d.name)}${d.up ? '' : ' (down)'} ${d.addresses.map(t).join(' ')}`.trimEnd())
  }
  for (const d of topo.dnsmasq) {
    out.push(`  dnsmasq pid ${d.pid ?? '?'} network ${t(d.networkId ?? '?')}${d.namespace ? ` in ${t(d.namespace)}` : ''}${d.interface ? ` on ${t(d.interface)}` : ''}`)
  }
  return out.join('\n')
}

export function renderTopologyDot(model: ActualModel, hostFilter?: string): string {
  const out = ['graph neutrace_topology {', '  compound=true;', '  node [shape=box, fontname="monospace"];']
  const id = (host: string, name: string) => dotString(`${host}/${name}`)
  const edges = new Set<string>()
  for (const host of model.hosts.filter((h) => !hostFilter || h.name === hostFilter)) {
    const topo = topologyOf(host)
    out.push(`  subgraph ${dotString(`cluster_${host.name}`)} {`, `    label=${dotString(host.name)};`)
    for (const b of topo.ovsBridges) {
      out.push(`    ${id(host.name, b.name)} [shape=component, label=${dotString(b.name)}];`)
      for (const p of b.ports) {
        if (p.name === b.name) continue
        out.push(`    ${id(host.name, p.name)} [label=${p.tag !== undefined ? dotLabel(p.name, `tag ${p.tag}`) : dotString(p.name)}];`)
        edges.add(`  ${id(host.name, b.name)} -- ${id(host.name, p.name)};`)
        if (p.peer) {
          const peer = p.peer.split('@')[0]
          const key = [p.name, peer].sort().join('|')
          edges.add(`  ${id(host.name, key.split('|')[0])} -- ${id(host.name, key.split('|')[1])} [style=dashed];`)
        }
      }
    }
    for (const b of topo.linuxBridges) {
      out.push(`    ${id(host.name, b.name)} [shape=component, label=${dotString(b.name)}];`)
      for (const i of b.interfaces) {
        out.push(`    ${id(host.name, i)} [label=${dotString(i)}];`)
        edges.add(`  ${id(host.name, b.name)} -- ${id(host.name, i)};`)
        const dev = findDevice(host, i, '')
        const peer = dev ? vethPeer(host, dev) : undefined
        if (peer && findOvsInterface(host, peer.device.name)) {
          const key = [i, peer.device.name].sort()
          edges.add(`  ${id(host.name, key[0])} -- ${id(host.name, key[1])} [style=dashed];`)
        }
      }
    }
    for (const vm of topo.vms) {
      out.push(`    ${id(host.name, `vm:${vm.uuid ?? vm.name}`)} [shape=box3d, label=${dotString(vm.name ?? vm.uuid ?? 'VM')}];`)
      for (const i of vm.interfaces) if (i.dev) edges.add(`  ${id(host.name, `vm:${vm.uuid ?? vm.name}`)} -- ${id(host.name, i.dev)};`)
    }
    for (const n of topo.namespaces) out.push(`    ${id(host.name, `ns:${n.name}`)} [shape=folder, label=${dotString(n.name)}];`)
    for (const b of topo.ovsBridges) for (const p of b.ports) if (p.namespace) edges.add(`  ${id(host.name, p.name)} -- ${id(host.name, `ns:${p.namespace}`)};`)
    out.push('  }')
  }
  out.push(...edges, '}')
  return out.join('\n')
}
