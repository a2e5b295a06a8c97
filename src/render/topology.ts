// topology output: an indented picture per host (OVS bridges and ports with tags and peers, Linux bridges, namespaces,
// dnsmasq, VMs), JSON, and DOT.

import {type ActualModel, type HostModel, findOvsInterface, vethPeer, findDevice} from '../model/actual.js'
import {dotId} from './table.js'

export const TOPOLOGY_SCHEMA_VERSION = 1

export interface TopologyHost {
  name: string
  roles: string[]
  ovsBridges: {name: string; ports: {name: string; ofport?: number; tag?: number; trunks: number[]; type: string; peer?: string; error?: string; ifaceId?: string; namespace?: string}[]; flows: number}[]
  linuxBridges: {name: string; interfaces: string[]}[]
  namespaces: {name: string; devices: {name: string; addresses: string[]; up: boolean}[]}[]
  dnsmasq: {pid?: number; networkId?: string; namespace?: string; interface?: string}[]
  vms: {uuid?: string; name?: string; interfaces: {mac?: string; bridge?: string; dev?: string; type: string}[]}[]
}

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

export function topologyJson(model: ActualModel, hostFilter: string | undefined, version: string): unknown {
  return {schemaVersion: TOPOLOGY_SCHEMA_VERSION, tool: {name: 'neutrace', version},
    hosts: model.hosts.filter((h) => !hostFilter || h.name === hostFilter).map(topologyOf)}
}

export function renderTopologyText(t: TopologyHost): string {
  const out: string[] = [`${t.name} [${t.roles.join(', ')}]`]
  for (const vm of t.vms) {
    out.push(`  VM ${vm.name ?? '?'} ${vm.uuid ?? ''}`.trimEnd())
    for (const i of vm.interfaces) out.push(`    nic ${i.mac ?? '?'} ${i.type}${i.bridge ? ` bridge=${i.bridge}` : ''}${i.dev ? ` dev=${i.dev}` : ''}`)
  }
  for (const b of t.linuxBridges) out.push(`  Linux bridge ${b.name}: ${b.interfaces.join(', ') || '(no interfaces)'}`)
  for (const b of t.ovsBridges) {
    out.push(`  OVS bridge ${b.name} (${b.flows} flows)`)
    for (const p of b.ports) {
      const attrs = [p.ofport !== undefined ? `ofport ${p.ofport}` : '', p.type !== 'system' ? p.type : '', p.tag !== undefined ? `tag ${p.tag}` : '',
        p.trunks.length ? `trunks [${p.trunks.join(',')}]` : '', p.peer ? `peer ${p.peer}` : '', p.namespace ? `in ${p.namespace}` : '',
        p.error ? `ERROR ${p.error}` : ''].filter(Boolean)
      out.push(`    ${p.name}${attrs.length ? `  ${attrs.join(', ')}` : ''}`)
    }
  }
  for (const n of t.namespaces) {
    out.push(`  netns ${n.name}`)
    for (const d of n.devices) if (d.name !== 'lo') out.push(`    ${d.name}${d.up ? '' : ' (down)'} ${d.addresses.join(' ')}`.trimEnd())
  }
  for (const d of t.dnsmasq) out.push(`  dnsmasq pid ${d.pid ?? '?'} network ${d.networkId ?? '?'}${d.namespace ? ` in ${d.namespace}` : ''}${d.interface ? ` on ${d.interface}` : ''}`)
  return out.join('\n')
}

export function renderTopologyDot(model: ActualModel, hostFilter?: string): string {
  const out = ['graph neutrace_topology {', '  compound=true;', '  node [shape=box, fontname="monospace"];']
  const id = (host: string, name: string) => dotId(`${host}/${name}`)
  const edges = new Set<string>()
  for (const host of model.hosts.filter((h) => !hostFilter || h.name === hostFilter)) {
    const t = topologyOf(host)
    out.push(`  subgraph ${dotId(`cluster_${host.name}`)} {`, `    label=${dotId(host.name)};`)
    for (const b of t.ovsBridges) {
      out.push(`    ${id(host.name, b.name)} [shape=component, label=${dotId(b.name)}];`)
      for (const p of b.ports) {
        if (p.name === b.name) continue
        out.push(`    ${id(host.name, p.name)} [label=${dotId(`${p.name}${p.tag !== undefined ? `\ntag ${p.tag}` : ''}`)}];`)
        edges.add(`  ${id(host.name, b.name)} -- ${id(host.name, p.name)};`)
        if (p.peer) {
          const peer = p.peer.split('@')[0]
          const key = [p.name, peer].sort().join('|')
          edges.add(`  ${id(host.name, key.split('|')[0])} -- ${id(host.name, key.split('|')[1])} [style=dashed];`)
        }
      }
    }
    for (const b of t.linuxBridges) {
      out.push(`    ${id(host.name, b.name)} [shape=component, label=${dotId(b.name)}];`)
      for (const i of b.interfaces) {
        out.push(`    ${id(host.name, i)} [label=${dotId(i)}];`)
        edges.add(`  ${id(host.name, b.name)} -- ${id(host.name, i)};`)
        const dev = findDevice(host, i, '')
        const peer = dev ? vethPeer(host, dev) : undefined
        if (peer && findOvsInterface(host, peer.device.name)) {
          const key = [i, peer.device.name].sort()
          edges.add(`  ${id(host.name, key[0])} -- ${id(host.name, key[1])} [style=dashed];`)
        }
      }
    }
    for (const vm of t.vms) {
      out.push(`    ${id(host.name, `vm:${vm.uuid ?? vm.name}`)} [shape=box3d, label=${dotId(vm.name ?? vm.uuid ?? 'VM')}];`)
      for (const i of vm.interfaces) if (i.dev) edges.add(`  ${id(host.name, `vm:${vm.uuid ?? vm.name}`)} -- ${id(host.name, i.dev)};`)
    }
    for (const n of t.namespaces) out.push(`    ${id(host.name, `ns:${n.name}`)} [shape=folder, label=${dotId(n.name)}];`)
    for (const b of t.ovsBridges) for (const p of b.ports) if (p.namespace) edges.add(`  ${id(host.name, p.name)} -- ${id(host.name, `ns:${p.namespace}`)};`)
    out.push('  }')
  }
  out.push(...edges, '}')
  return out.join('\n')
}
