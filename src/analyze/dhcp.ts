// DHCP: the qdhcp namespace, dnsmasq, its interface and its host file. NAMESPACE_MISSING, DHCP_SERVER_DOWN,
// DHCP_INTERFACE_MISMATCH, DHCP_HOST_MISSING, DHCP_HOST_MISMATCH, and PORT_MISSING for the DHCP port's device.

import {
  type DhcpFiles,
  type Evidence,
  type HostModel,
  dnsmasqServes,
  findDevice,
  isMet,
  showsDhcpFor,
} from '../model/actual.js'
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

function hostFileChecks(
  ctx: AnalysisContext,
  host: HostModel,
  net: NetworkView,
  files: DhcpFiles | undefined,
): Finding[] {
  const out: Finding[] = []
  const clients = ctx.reference.ports.filter((p) => p.networkId === net.id && !isDhcpPort(p) && p.mac)
  if (!files?.hosts) return out
  const file = `${files.dir}/host`
  const byMac = new Map(files.hosts.entries.map((e) => [e.mac.toLowerCase(), e]))
  for (const port of clients) {
    const entry = byMac.get(port.mac!)
    const evidence: Evidence[] = [
      {
        ...files.hosts.evidence,
        line: entry?.line,
        text: entry ? `${entry.mac},${entry.hostname ?? ''},${entry.ip}` : undefined,
      },
    ]
    const impact = impactOf(ctx, [port])
    if (!entry) {
      // Without intent we only know the clients the hosts reveal; a MAC nobody assigned an IP is not a DHCP client yet.
      if (port.source !== 'intent' && !port.ips.length && !port.vmName) continue
      out.push(
        finding(
          'DHCP_HOST_MISSING',
          'noEntry',
          {network: net.name ?? net.id, mac: port.mac!, vm: port.vmName, host: host.name, file},
          {
            host: host.name,
            element: file,
            impact,
            evidence,
            confidence: confidenceOf(port.source),
            expected: `${port.mac},host-${(port.ips[0] ?? 'x').replace(/[.:]/g, '-')}.openstacklocal,${port.ips[0] ?? '<ip>'}`,
            actual: 'no entry',
          },
        ),
      )
    } else if (port.source === 'intent' && port.ips.length && !port.ips.some((ip) => sameIp(ip, entry.ip))) {
      out.push(
        finding(
          'DHCP_HOST_MISMATCH',
          'otherAddress',
          {network: net.name ?? net.id, offered: entry.ip, mac: port.mac!, assigned: port.ips, host: host.name, file},
          {
            host: host.name,
            element: file,
            impact,
            evidence,
            expected: port.ips.join(', '),
            actual: entry.ip,
          },
        ),
      )
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
  const network = net.name ?? net.id
  for (const {host, port} of servingHosts(ctx, net)) {
    const files = host.dhcp.get(net.id)
    if (isMet(host, 'ip_netns') && !host.namespaces.some((n) => n.name === ns)) {
      out.push(
        finding(
          'NAMESPACE_MISSING',
          'absent',
          {host: host.name, network, namespace: ns},
          {
            host: host.name,
            element: ns,
            impact,
            confidence: confidenceOf(net.source, port?.source),
            expected: ns,
            actual: 'absent',
            evidence: [
              {host: host.name, spec: 'ip_netns', text: host.namespaces.map((n) => n.name).join(' ') || '(none)'},
            ],
          },
        ),
      )
      continue
    }
    const servers = host.dnsmasq.filter((d) => dnsmasqServes(d, net.id))
    if (isMet(host, 'ps') && !servers.length) {
      out.push(
        finding(
          'DHCP_SERVER_DOWN',
          'noProcess',
          {host: host.name, network},
          {
            host: host.name,
            element: `dnsmasq ${ns}`,
            impact,
            confidence: confidenceOf(net.source, port?.source),
            expected: `dnsmasq in ${ns}`,
            actual: 'no process',
            evidence: [{host: host.name, spec: 'ps'}, ...(files?.hosts ? [files.hosts.evidence] : [])],
          },
        ),
      )
    }
    const nsDevices = host.devices.get(ns)
    const expectedDev = port?.short ? dhcpDeviceOf(port) : files?.interfaceName
    if (
      nsDevices &&
      expectedDev &&
      !nsDevices.some((d) => d.name === expectedDev) &&
      !findDevice(host, expectedDev, ns)
    ) {
      const ovs = host.ovs?.bridges.flatMap((b) => b.ports).find((p) => p.name === expectedDev)
      out.push(
        finding(
          'PORT_MISSING',
          'dhcpDevice',
          {device: expectedDev, namespace: ns, ovsHasIt: Boolean(ovs), host: host.name},
          {
            host: host.name,
            element: expectedDev,
            impact,
            expected: `${expectedDev} in ${ns}`,
            actual: nsDevices.map((d) => d.name).join(', ') || '(no devices)',
            evidence: [{host: host.name, spec: 'netns_ip_link', text: nsDevices.map((d) => d.name).join(' ')}],
          },
        ),
      )
    }
    for (const d of servers) {
      if (d.netns && d.netns !== ns) {
        out.push(
          finding(
            'DHCP_INTERFACE_MISMATCH',
            'otherNamespace',
            {network, netns: d.netns, namespace: ns, host: host.name, pid: d.pid},
            {
              host: host.name,
              element: `dnsmasq pid ${d.pid ?? '?'}`,
              impact,
              evidence: [d.evidence],
              expected: ns,
              actual: d.netns,
            },
          ),
        )
        continue
      }
      if (!d.interface) continue
      const wrongName = expectedDev && d.interface !== expectedDev
      const absent = nsDevices && !nsDevices.some((x) => x.name === d.interface)
      if (wrongName || absent) {
        out.push(
          finding(
            'DHCP_INTERFACE_MISMATCH',
            'otherInterface',
            {
              network,
              iface: d.interface,
              absentFrom: absent ? ns : undefined,
              device: wrongName ? expectedDev : undefined,
              host: host.name,
            },
            {
              host: host.name,
              element: `dnsmasq --interface=${d.interface}`,
              impact,
              evidence: [d.evidence],
              expected: `--interface=${expectedDev ?? '<DHCP tap in ' + ns + '>'}`,
              actual: `--interface=${d.interface}`,
            },
          ),
        )
      }
    }
    out.push(...hostFileChecks(ctx, host, net, files))
  }
  return out
}

export const dhcpAnalyzer: Analyzer = (ctx) =>
  [...ctx.reference.networks.values()].flatMap((net) => networkChecks(ctx, net))
