// DHCP: the qdhcp namespace, dnsmasq, its interface and its host file. NAMESPACE_MISSING, DHCP_SERVER_DOWN,
// DHCP_INTERFACE_MISMATCH, DHCP_HOST_MISSING, DHCP_HOST_MISMATCH, and PORT_MISSING for the DHCP port's device.

import {type DhcpFiles, type Evidence, type HostModel, dnsmasqServes, findDevice, showsDhcpFor} from '../model/actual.js'
import {type NetworkView, type PortView, dhcpDeviceOf, isDhcpPort} from '../model/reference.js'
import {type AnalysisContext, type Analyzer, confidenceOf, finding, impactOf} from './context.js'
import type {Finding} from './finding.js'

/** The hosts that should serve DHCP for a network: where Neutron bound its DHCP port, else where its traces are. */
function servingHosts(ctx: AnalysisContext, net: NetworkView): {host: HostModel; port?: PortView}[] {
  const dhcpPorts = ctx.reference.ports.filter((p) => p.networkId === net.id && isDhcpPort(p))
  const out: {host: HostModel; port?: PortView}[] = []
  for (const host of ctx.actual.hosts) {
    const port = dhcpPorts.find((p) => p.host === host.name)
    if (port || showsDhcpFor(host, net.id)) out.push({host, port})
  }
  return out
}

function hostFileChecks(ctx: AnalysisContext, host: HostModel, net: NetworkView, files: DhcpFiles | undefined): Finding[] {
  const out: Finding[] = []
  const clients = ctx.reference.ports.filter((p) => p.networkId === net.id && !isDhcpPort(p) && p.mac)
  if (!files?.hosts) return out
  const file = `${files.dir}/host`
  const byMac = new Map(files.hosts.entries.map((e) => [e.mac.toLowerCase(), e]))
  for (const port of clients) {
    const entry = byMac.get(port.mac!)
    const evidence: Evidence[] = [{...files.hosts.evidence, line: entry?.line, text: entry ? `${entry.mac},${entry.hostname ?? ''},${entry.ip}` : undefined}]
    const impact = impactOf(ctx, [port])
    if (!entry) {
      // Without intent we only know the clients the hosts reveal; a MAC nobody assigned an IP is not a DHCP client yet.
      if (port.source !== 'intent' && !port.ips.length && !port.vmName) continue
      out.push(finding({code: 'DHCP_HOST_MISSING', severity: 'error', host: host.name, element: file, impact, evidence, confidence: confidenceOf(port.source),
        message: `dnsmasq for ${net.name ?? net.id} does not know ${port.mac}${port.vmName ? ` (${port.vmName})` : ''}: its DHCP requests get no answer`,
        expected: `${port.mac},host-${(port.ips[0] ?? 'x').replace(/[.:]/g, '-')}.openstacklocal,${port.ips[0] ?? '<ip>'}`, actual: 'no entry',
        remedy: `restart neutron-dhcp-agent on ${host.name} (or: neutron-dhcp-agent resync); check the agent's log for errors reloading ${file}`}))
    } else if (port.source === 'intent' && port.ips.length && !port.ips.some((ip) => sameIp(ip, entry.ip))) {
      out.push(finding({code: 'DHCP_HOST_MISMATCH', severity: 'error', host: host.name, element: file, impact, evidence,
        message: `dnsmasq for ${net.name ?? net.id} offers ${entry.ip} to ${port.mac}, but Neutron assigned ${port.ips.join(', ')}`,
        expected: port.ips.join(', '), actual: entry.ip, remedy: `restart neutron-dhcp-agent on ${host.name} to rewrite ${file}`}))
    }
  }
  return out
}

function sameIp(a: string, b: string): boolean {
  return a.replace(/^\[|\]$/g, '').toLowerCase() === b.replace(/^\[|\]$/g, '').toLowerCase()
}

function networkChecks(ctx: AnalysisContext, net: NetworkView): Finding[] {
  const out: Finding[] = []
  if (net.dhcp === false) return out
  const ns = `qdhcp-${net.id}`
  const netPorts = ctx.reference.ports.filter((p) => p.networkId === net.id && !isDhcpPort(p))
  const impact = impactOf(ctx, netPorts, [net.id])
  for (const {host, port} of servingHosts(ctx, net)) {
    const files = host.dhcp.get(net.id)
    if (host.namespaces && !host.namespaces.some((n) => n.name === ns)) {
      out.push(finding({code: 'NAMESPACE_MISSING', severity: 'error', host: host.name, element: ns, impact, confidence: confidenceOf(net.source, port?.source),
        message: `${host.name} should serve DHCP for ${net.name ?? net.id} but has no namespace ${ns}`, expected: ns, actual: 'absent',
        evidence: [{host: host.name, spec: 'ip_netns', text: host.namespaces.map((n) => n.name).join(' ') || '(none)'}],
        remedy: `restart neutron-dhcp-agent on ${host.name}; it recreates ${ns} and dnsmasq`}))
      continue
    }
    const servers = host.dnsmasq.filter((d) => dnsmasqServes(d, net.id))
    if (host.psCaptured && !servers.length) {
      out.push(finding({code: 'DHCP_SERVER_DOWN', severity: 'error', host: host.name, element: `dnsmasq ${ns}`, impact, confidence: confidenceOf(net.source, port?.source),
        message: `no dnsmasq runs for ${net.name ?? net.id} on ${host.name}: VMs on it get no address`, expected: `dnsmasq in ${ns}`, actual: 'no process',
        evidence: [{host: host.name, spec: 'ps'}, ...(files?.hosts ? [files.hosts.evidence] : [])],
        remedy: `restart neutron-dhcp-agent on ${host.name}; if it keeps dying, look for "dnsmasq" in its log`}))
    }
    const nsDevices = host.devices.get(ns)
    const expectedDev = port?.short ? dhcpDeviceOf(port) : files?.interfaceName
    if (nsDevices && expectedDev && !nsDevices.some((d) => d.name === expectedDev) && !findDevice(host, expectedDev, ns)) {
      const ovs = host.ovs?.bridges.flatMap((b) => b.ports).find((p) => p.name === expectedDev)
      out.push(finding({code: 'PORT_MISSING', severity: 'error', host: host.name, element: expectedDev, impact,
        message: `the DHCP port device ${expectedDev} is not in ${ns}${ovs ? ' (OVS still has the port)' : ''}`, expected: `${expectedDev} in ${ns}`,
        actual: nsDevices.map((d) => d.name).join(', ') || '(no devices)', evidence: [{host: host.name, spec: 'netns_ip_link', text: nsDevices.map((d) => d.name).join(' ')}],
        remedy: `restart neutron-dhcp-agent on ${host.name}`}))
    }
    for (const d of servers) {
      if (d.netns && d.netns !== ns) {
        out.push(finding({code: 'DHCP_INTERFACE_MISMATCH', severity: 'error', host: host.name, element: `dnsmasq pid ${d.pid ?? '?'}`, impact, evidence: [d.evidence],
          message: `dnsmasq for ${net.name ?? net.id} runs in namespace ${d.netns}, not ${ns}`, expected: ns, actual: d.netns,
          remedy: `kill ${d.pid ?? '<pid>'} and restart neutron-dhcp-agent on ${host.name}`}))
        continue
      }
      if (!d.interface) continue
      const wrongName = expectedDev && d.interface !== expectedDev
      const absent = nsDevices && !nsDevices.some((x) => x.name === d.interface)
      if (wrongName || absent) {
        out.push(finding({code: 'DHCP_INTERFACE_MISMATCH', severity: 'error', host: host.name, element: `dnsmasq --interface=${d.interface}`, impact, evidence: [d.evidence],
          message: `dnsmasq for ${net.name ?? net.id} listens on ${d.interface}${absent ? `, which does not exist in ${ns}` : ''}${wrongName ? `; the DHCP port's device is ${expectedDev}` : ''}`,
          expected: `--interface=${expectedDev ?? '<DHCP tap in ' + ns + '>'}`, actual: `--interface=${d.interface}`,
          remedy: `restart neutron-dhcp-agent on ${host.name} so it respawns dnsmasq on the right device`}))
      }
    }
    out.push(...hostFileChecks(ctx, host, net, files))
  }
  return out
}

export const dhcpAnalyzer: Analyzer = (ctx) => [...ctx.reference.networks.values()].flatMap((net) => networkChecks(ctx, net))
