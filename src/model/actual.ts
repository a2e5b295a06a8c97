// The actual model: what each host really has, rebuilt from the raw captures of a snapshot.
// Every parse problem is recorded with host, spec, file and line; nothing here throws on bad data.

import type {Evidence as ContractEvidence} from '../contracts/generated/diagnose.js'
import {parseBrctlShow} from '../parsers/brctl-show.js'
import {incompleteCaptures} from '../parsers/complete.js'
import {parseBridgeLink} from '../parsers/bridge-link.js'
import {parseAddnHosts, parseDhcpHosts, parseDhcpLeases, parseDhcpOpts} from '../parsers/dhcp-files.js'
import {parseDnsmasqArgv} from '../parsers/dnsmasq.js'
import {parseEthtoolStats} from '../parsers/ethtool-stats.js'
import {bridgeMappings, networkVlanRanges, parseIni, type TunnelSettings, tunnelSettings} from '../parsers/ini.js'
import {parseIpAddr} from '../parsers/ip-addr.js'
import {parseIpLink} from '../parsers/ip-link.js'
import {parseIpNetns} from '../parsers/ip-netns.js'
import {parseHostname} from '../parsers/hostname.js'
import {parseIpRoute, type Route} from '../parsers/ip-route.js'
import {type IpRule, parseIpRule} from '../parsers/ip-rule.js'
import {type Neighbour, parseIpNeigh} from '../parsers/ip-neigh.js'
import {type IptablesSave, parseIptablesSave} from '../parsers/iptables-save.js'
import {type Ipset, parseIpsetSave} from '../parsers/ipset-save.js'
import {parseSysctl, type SysctlValue} from '../parsers/sysctl.js'
import {parseLibvirtXml} from '../parsers/libvirt-xml.js'
import {parseDumpFlows} from '../parsers/ovs-ofctl-dump-flows.js'
import {parseOfctlShow} from '../parsers/ovs-ofctl-show.js'
import {buildInterface, buildOvsConfig, parseOvsdbJson} from '../parsers/ovs-vsctl-json.js'
import {parseOvsVsctlShow} from '../parsers/ovs-vsctl-show.js'
import {parsePs} from '../parsers/ps.js'
import {NO_PROGRESS, type WorkProgress} from '../progress.js'
import type {Capture, Snapshot} from '../snapshot/read.js'
import {isSpecId, type Role, type SourceId, sourceOf, SPEC_BY_ID, type SpecId} from '../specs.js'
import type {
  DataProblem,
  DhcpHostEntry,
  DhcpLease,
  DhcpOptEntry,
  DnsmasqProcess,
  Flow,
  LinkDevice,
  LinuxBridge,
  NetnsEntry,
  OvsBridge,
  OvsConfig,
  OvsInterface,
  OvsPort,
  ParseProblem,
  ParseResult,
  VmDomain,
} from '../types.js'

/** Where a fact came from: enough to show the operator the line. */
/** Where a fact came from: the public contract's evidence (schemas/diagnose.schema.json), its spec a known source. */
export type Evidence = Omit<ContractEvidence, 'spec'> & {spec: SourceId}

export interface FlowTable {
  bridge: string
  flows: Flow[]
  evidence: Evidence
}

export interface DnsmasqInstance extends DnsmasqProcess {
  evidence: Evidence
}

export interface DhcpFiles {
  networkId: string
  dir: string
  hosts?: {entries: DhcpHostEntry[]; evidence: Evidence}
  opts?: {entries: DhcpOptEntry[]; evidence: Evidence}
  leases?: {entries: DhcpLease[]; evidence: Evidence}
  addnHosts?: {entries: {line: number; ip: string; names: string[]}[]; evidence: Evidence}
  /** Havana's `interface` file: the device name dnsmasq should serve. */
  interfaceName?: string
}

export interface VmRecord {
  domain: VmDomain
  evidence: Evidence
}

interface AgentConfig {
  bridgeMappings?: Record<string, string>
  vlanRanges?: Record<string, {min: number; max: number}[]>
  evidence?: Evidence
  /** The OVS agent's tunnel settings (local_ip, tunnel_types, l2_population ...), when a config file names any. */
  tunnel?: TunnelSettings & {evidence: Evidence}
  /** `[securitygroup] firewall_driver` (iptables_hybrid, openvswitch, noop …), as written. */
  firewallDriver?: {value: string; evidence: Evidence}
}

/** The host's firewall as captured (security groups): each part present only when its capture was read. */
interface HostFirewall {
  iptables?: {value: IptablesSave; evidence: Evidence}
  ip6tables?: {value: IptablesSave; evidence: Evidence}
  ipsets?: {value: Map<string, Ipset>; evidence: Evidence}
  /** `net.bridge.bridge-nf-call-iptables` and `-ip6tables`; a key absent: br_netfilter is not loaded. */
  sysctl?: {value: Map<string, SysctlValue>; evidence: Evidence}
}

/**
 * What became of one capture. `complete`: it ran, exited 0 and its parser read all of it. `problems`: it was read,
 * but some lines could not be (the rest is usable). `missing`: the snapshot has no such capture (never collected, or
 * its file is gone). `failed`: the command failed, timed out or the host was unreachable. `unparseable`: its parser
 * could read nothing of it. `damaged`: its file is not what the collector wrote (sha256 mismatch).
 */
type CaptureState = 'complete' | 'problems' | 'missing' | 'failed' | 'unparseable' | 'damaged'

export interface CaptureStatus {
  spec: SpecId
  key?: string
  state: CaptureState
  /** The capture's file, relative to the snapshot root, when there is one. */
  file?: string
  /** Why it is not complete: the command's error, the first parse problem, the mismatch. */
  reason?: string
  /** A DATA_MISSING or PARSE_ERROR names this capture: the checks that rest on it are unknown on its host. */
  reported?: true
}

/** What the L3 agent left on a host (issue 11): its namespaces' routes and iptables, HA states, metadata proxies. */
export interface HostL3 {
  /** By router namespace (qrouter-, snat-, fip-), each part present only when its capture was read. */
  namespaces: Map<
    string,
    {
      routes?: {value: Route[]; evidence: Evidence}
      iptables?: {value: IptablesSave; evidence: Evidence}
      rules?: {value: IpRule[]; evidence: Evidence}
      neighbours?: {value: Neighbour[]; evidence: Evidence}
    }
  >
  /** keepalived's state file per HA router id (primary, backup, master, fault …). */
  haStates: Map<string, {state: string; evidence: Evidence}>
  /** haproxy metadata proxies (`haproxy -f …/ns-metadata-proxy/<router id>.conf`) by router id. */
  metadataProxies: Map<string, {pid?: number; evidence: Evidence}>
}

export interface HostModel {
  /** The snapshot's label for the host (the inventory's name). */
  name: string
  /** The name the host gives itself (`hostname`), which Neutron's agents report as their host: it may differ from
   * the label. */
  hostname?: string
  roles: Role[]
  address?: string
  status: 'complete' | 'partial' | 'unreachable'
  /** Empty when neither `ovs-vsctl show` nor the OVSDB tables were captured: ask `isMet(host, OVS_NEED)`. */
  ovs: OvsConfig
  /** bridge -> port name -> OpenFlow port number */
  ofports: Map<string, Map<string, number>>
  flows: Map<string, FlowTable>
  /** namespace name -> devices; '' is the host's own (root) namespace. */
  devices: Map<string, LinkDevice[]>
  namespaces: NetnsEntry[]
  /** Routes of the root namespace, every table (`ip -j route show table all`). */
  routes: Route[]
  linuxBridges: LinuxBridge[]
  dnsmasq: DnsmasqInstance[]
  dhcp: Map<string, DhcpFiles>
  vms: VmRecord[]
  config: AgentConfig
  firewall: HostFirewall
  l3: HostL3
  /** What became of each capture, by `spec` or `spec@key`: ask with captureOf / isMet / unmet, not directly. */
  captures: Map<string, CaptureStatus>
}

export interface ActualModel {
  hosts: HostModel[]
  problems: DataProblem[]
}

const DHCP_FILE = /^\/var\/lib\/neutron\/dhcp\/(?:[^/]+\/)?([0-9a-f-]{36})\/([a-z_]+)$/

/** What a `file` capture holds, told by its path the way the model reads it: the agents' configuration, a libvirt
 * domain, a file of the DHCP agent. */
type FileKind = 'agent-config' | 'libvirt' | 'dhcp'

function fileKindOf(path: string | undefined): FileKind | undefined {
  if (path === undefined) return undefined
  if (DHCP_FILE.test(path)) return 'dhcp'
  if (path.endsWith('.xml')) return 'libvirt'
  if (path.endsWith('.ini')) return 'agent-config'
  return undefined
}

/** A snapshot's captures by host (in snapshot order) and by spec, grouped once: a filter of every capture per host
 * and spec was quadratic in the size of the cloud. */
interface HostCaptures {
  all: Capture[]
  bySpec: Map<string, Capture[]>
}
const grouped = new WeakMap<Snapshot, Map<string, HostCaptures>>()

function capturesOf(snapshot: Snapshot, host: string): HostCaptures {
  let byHost = grouped.get(snapshot)
  if (!byHost) {
    byHost = new Map()
    for (const c of snapshot.captures) {
      let mine = byHost.get(c.host)
      if (!mine) byHost.set(c.host, (mine = {all: [], bySpec: new Map()}))
      mine.all.push(c)
      const list = mine.bySpec.get(c.spec)
      if (list) list.push(c)
      else mine.bySpec.set(c.spec, [c])
    }
    grouped.set(snapshot, byHost)
  }
  return byHost.get(host) ?? {all: [], bySpec: new Map()}
}

class HostBuilder {
  readonly problems: DataProblem[] = []
  readonly host: HostModel

  constructor(
    readonly snapshot: Snapshot,
    name: string,
  ) {
    const record = snapshot.hosts.find((h) => h.name === name)!
    this.host = {
      name,
      roles: record.roles ?? [],
      address: record.address,
      status: record.status ?? 'complete',
      ovs: {bridges: []},
      ofports: new Map(),
      flows: new Map(),
      devices: new Map(),
      namespaces: [],
      routes: [],
      linuxBridges: [],
      dnsmasq: [],
      dhcp: new Map(),
      vms: [],
      config: {},
      firewall: {},
      l3: {namespaces: new Map(), haStates: new Map(), metadataProxies: new Map()},
      captures: new Map(),
    }
    for (const capture of capturesOf(snapshot, name).all) this.record(capture, initialState(capture))
  }

  /** Record what became of a capture; a usable capture of a host-scoped spec is not overwritten by a later copy. */
  record(capture: Capture, state: {state: CaptureState; reason?: string}): void {
    if (!isSpecId(capture.spec)) return
    const id = statusKey(capture.spec, capture.key)
    const have = this.host.captures.get(id)
    if (have && have.file !== capture.record.file && usable(have)) return
    this.host.captures.set(id, {
      spec: capture.spec,
      ...(capture.key === undefined ? {} : {key: capture.key}),
      ...state,
      ...(typeof capture.record.file === 'string' ? {file: capture.record.file} : {}),
    })
  }

  /**
   * After parsing: a complete capture whose parser met problems has `problems`, or is `unparseable` if nothing was
   * read.
   */
  parsed(capture: Capture, value: unknown, problems: readonly ParseProblem[]): void {
    if (!isSpecId(capture.spec)) return
    const status = this.host.captures.get(statusKey(capture.spec, capture.key))
    if (!status || status.file !== capture.record.file || status.state !== 'complete' || !problems.length) return
    const nothing = value === undefined || (Array.isArray(value) && value.length === 0)
    status.state = nothing ? 'unparseable' : 'problems'
    status.reason = `${problems[0].line ? `line ${problems[0].line}: ` : ''}${problems[0].message}`
  }

  captures(spec: SpecId): Capture[] {
    return [...(capturesOf(this.snapshot, this.host.name).bySpec.get(spec) ?? [])]
  }

  /** The text of a capture if it ran and produced output; otherwise a recorded problem and undefined. */
  text(capture: Capture): string | undefined {
    const {record} = capture
    const where = {host: capture.host, spec: sourceOf(capture.spec), file: record.file}
    const optional = SPEC_BY_ID.get(capture.spec)?.optional ?? false
    if (record.error || (record.exitCode !== 0 && record.exitCode !== undefined)) {
      if (!optional) {
        const reason = record.error ?? `exit code ${record.exitCode}`
        this.problems.push({
          ...where,
          kind: record.exitCode === null ? 'unreachable' : 'command-failed',
          message: `${record.argv.join(' ')}: ${reason}`,
        })
      }
      return undefined
    }
    if (capture.text === undefined) return undefined
    return capture.text
  }

  evidence(capture: Capture, line?: number, text?: string): Evidence {
    return {host: capture.host, spec: sourceOf(capture.spec), file: capture.record.file, line, text}
  }

  /** Run a parser on a capture, recording its problems against host, spec and file. */
  parse<T>(capture: Capture, parser: (text: string) => ParseResult<T>): T | undefined {
    const text = this.text(capture)
    if (text === undefined) return undefined
    let result: ParseResult<T>
    try {
      result = parser(text)
    } catch (error) {
      // A parser must not throw; if one does, the capture is lost but the analysis goes on.
      const message = `parser failed: ${(error as Error).message}`
      this.problems.push({
        host: capture.host,
        spec: sourceOf(capture.spec),
        file: capture.record.file,
        kind: 'parse',
        message,
      })
      this.parsed(capture, undefined, [{message}])
      return undefined
    }
    this.parsed(capture, result.value, result.problems)
    for (const p of result.problems) {
      this.problems.push({
        ...p,
        host: capture.host,
        spec: sourceOf(capture.spec),
        file: capture.record.file,
        kind: 'parse',
      })
    }
    return result.value
  }

  one<T>(spec: SpecId, parser: (text: string) => ParseResult<T>): {value: T; capture: Capture} | undefined {
    for (const capture of this.captures(spec)) {
      const value = this.parse(capture, parser)
      if (value !== undefined) return {value, capture}
    }
    return undefined
  }

  build(): HostModel {
    const hostname = this.one('hostname', parseHostname)?.value
    if (hostname !== undefined) this.host.hostname = hostname
    this.buildOvs()
    this.buildFlows()
    this.buildDevices()
    this.buildBridges()
    this.buildFiles()
    this.buildProcesses()
    this.buildFirewall()
    this.buildRouters()
    return this.host
  }

  buildFirewall(): void {
    const read = <T>(spec: SpecId, parser: (text: string) => ParseResult<T>) => {
      const got = this.one(spec, parser)
      return got && {value: got.value, evidence: this.evidence(got.capture)}
    }
    const fw = this.host.firewall
    const iptables = read('iptables_save', parseIptablesSave)
    if (iptables) fw.iptables = iptables
    const ip6tables = read('ip6tables_save', parseIptablesSave)
    if (ip6tables) fw.ip6tables = ip6tables
    const ipsets = read('ipset_save', parseIpsetSave)
    if (ipsets) fw.ipsets = ipsets
    const sysctl = read('sysctl_bridge_nf', parseSysctl)
    if (sysctl) fw.sysctl = sysctl
  }

  buildOvs(): void {
    const table = (spec: SpecId) => this.one(spec, parseOvsdbJson)
    const bridge = table('ovs_vsctl_list_bridge')
    const port = table('ovs_vsctl_list_port')
    const iface = table('ovs_vsctl_list_interface')
    const openVswitch = table('ovs_vsctl_list_open_vswitch')?.value
    let fromJson: OvsConfig | undefined
    if (bridge && port && iface) {
      const result = buildOvsConfig({openVswitch, bridge: bridge.value, port: port.value, iface: iface.value})
      for (const p of result.problems)
        this.problems.push({...p, host: this.host.name, spec: 'ovs_vsctl_list_bridge', kind: 'parse'})
      fromJson = result.value
      const source = (c: Capture) => ({spec: sourceOf(c.spec), file: c.record.file})
      fromJson.sources = {bridge: source(bridge.capture), port: source(port.capture), interface: source(iface.capture)}
    }
    const showCapture = this.one('ovs_vsctl_show', parseOvsVsctlShow)
    const show = showCapture?.value
    if (show && showCapture) {
      const source = {spec: sourceOf(showCapture.capture.spec), file: showCapture.capture.record.file}
      show.sources = {bridge: source, port: source, interface: source}
    }
    // Without the Port table (sosreports do not keep it) the Interface table still completes `ovs-vsctl show`: each
    // interface there takes its row's external_ids (iface-id, attached-mac, vm-uuid), ofport and MACs, by name.
    if (!fromJson && show && iface) {
      const problems: ParseProblem[] = []
      const rows = new Map(iface.value.rows.map((r) => buildInterface(r, problems)).map((i) => [i.name, i]))
      for (const p of problems)
        this.problems.push({...p, host: this.host.name, spec: 'ovs_vsctl_list_interface', kind: 'parse'})
      for (const br of show.bridges)
        for (const p of br.ports)
          p.interfaces = p.interfaces.map((i) => {
            const row = rows.get(i.name)
            return row ? {...row, type: i.type || row.type, options: {...row.options, ...i.options}} : i
          })
      show.sources = {
        ...show.sources!,
        interface: {spec: sourceOf(iface.capture.spec), file: iface.capture.record.file},
      }
    }
    this.host.ovs = fromJson ?? show ?? {bridges: []}
    if (fromJson && show && !fromJson.ovsVersion) fromJson.ovsVersion = show.ovsVersion
    for (const br of this.host.ovs.bridges) {
      const ports = new Map<string, number>()
      for (const p of br.ports)
        for (const i of p.interfaces) if (i.ofport !== undefined && i.ofport >= 0) ports.set(i.name, i.ofport)
      this.host.ofports.set(br.name, ports)
    }
    for (const capture of this.captures('ovs_ofctl_show')) {
      const value = this.parse(capture, parseOfctlShow)
      if (!value || !capture.key) continue
      const ports = this.host.ofports.get(capture.key) ?? new Map<string, number>()
      for (const p of value.ports) if (typeof p.ofport === 'number' && !ports.has(p.name)) ports.set(p.name, p.ofport)
      this.host.ofports.set(capture.key, ports)
    }
  }

  buildFlows(): void {
    for (const capture of this.captures('ovs_ofctl_dump_flows')) {
      if (!capture.key) continue
      const flows = this.parse(capture, parseDumpFlows)
      if (flows) this.host.flows.set(capture.key, {bridge: capture.key, flows, evidence: this.evidence(capture)})
    }
  }

  buildDevices(): void {
    const merge = (ns: string, links?: LinkDevice[], addrs?: LinkDevice[]) => {
      const out = new Map<string, LinkDevice>()
      for (const d of links ?? []) out.set(d.name, {...d, addresses: [...d.addresses]})
      for (const d of addrs ?? []) {
        const have = out.get(d.name)
        if (have) {
          if (d.addresses.length) have.addresses = d.addresses
          have.mac ??= d.mac
          have.mtu ??= d.mtu
          have.operState ??= d.operState
        } else out.set(d.name, d)
      }
      if (out.size || links || addrs) this.host.devices.set(ns, [...out.values()])
    }
    merge('', this.one('ip_link', parseIpLink)?.value, this.one('ip_addr', parseIpAddr)?.value)
    const byNs = new Map<string, {links?: LinkDevice[]; addrs?: LinkDevice[]}>()
    for (const c of this.captures('netns_ip_link'))
      if (c.key) byNs.set(c.key, {...byNs.get(c.key), links: this.parse(c, parseIpLink)})
    for (const c of this.captures('netns_ip_addr'))
      if (c.key) byNs.set(c.key, {...byNs.get(c.key), addrs: this.parse(c, parseIpAddr)})
    for (const [ns, v] of byNs) merge(ns, v.links, v.addrs)
    const ns = this.one('ip_netns', parseIpNetns)
    if (ns) this.host.namespaces = ns.value
    this.host.routes = this.one('ip_route', parseIpRoute)?.value ?? []
    // ethtool -S peer_ifindex completes veth peers the link listing did not show (the seed's case).
    for (const c of this.captures('ethtool_stats')) {
      const stats = c.key ? this.parse(c, parseEthtoolStats) : undefined
      if (!stats?.peerIfindex || !c.key) continue
      const dev = this.findDevice(c.key)
      if (dev) dev.peerIfindex ??= stats.peerIfindex
      else {
        const root = this.host.devices.get('') ?? []
        root.push({
          ifindex: -1,
          name: c.key,
          kind: 'veth',
          flags: [],
          adminUp: true,
          peerIfindex: stats.peerIfindex,
          addresses: [],
        })
        this.host.devices.set('', root)
      }
    }
  }

  findDevice(name: string): LinkDevice | undefined {
    for (const list of this.host.devices.values()) {
      const d = list.find((x) => x.name === name)
      if (d) return d
    }
    return undefined
  }

  buildBridges(): void {
    const brctl = this.one('brctl_show', parseBrctlShow)
    if (brctl) this.host.linuxBridges = brctl.value
    const blink = this.one('bridge_link', parseBridgeLink)
    if (blink && !brctl) {
      const bridges = new Map<string, LinuxBridge>()
      for (const l of blink.value) {
        if (!l.master) continue
        const br = bridges.get(l.master) ?? {name: l.master, interfaces: []}
        br.interfaces.push(l.ifname)
        bridges.set(l.master, br)
      }
      this.host.linuxBridges = [...bridges.values()]
    }
    // Without brctl/bridge captures, the `master` attribute of ip link still tells membership.
    if (!brctl && !blink && this.host.devices.has('')) {
      const root = this.host.devices.get('')!
      const bridges = root
        .filter((d) => d.kind === 'bridge')
        .map((d) => ({name: d.name, interfaces: root.filter((m) => m.master === d.name).map((m) => m.name)}))
      if (root.some((d) => d.kind !== undefined)) this.host.linuxBridges = bridges
    }
  }

  buildFiles(): void {
    for (const capture of this.captures('file')) {
      const path = capture.key ?? ''
      const kind = fileKindOf(path)
      if (kind === 'dhcp') {
        const [, networkId, name] = DHCP_FILE.exec(path)!
        this.dhcpFile(capture, networkId, name, path)
      } else if (kind === 'libvirt') {
        const domain = this.parse(capture, parseLibvirtXml)
        if (domain) this.host.vms.push({domain, evidence: this.evidence(capture)})
      } else if (kind === 'agent-config') {
        const ini = this.parse(capture, parseIni)
        if (!ini) continue
        const mappings = bridgeMappings(ini)
        const ranges = networkVlanRanges(ini)
        const tunnel = tunnelSettings(ini)
        for (const p of [...mappings.problems, ...ranges.problems, ...tunnel.problems]) {
          this.problems.push({...p, host: this.host.name, spec: 'file', file: capture.record.file, kind: 'parse'})
        }
        if (Object.keys(mappings.value).length) {
          this.host.config.bridgeMappings = {...this.host.config.bridgeMappings, ...mappings.value}
          this.host.config.evidence = this.evidence(capture)
        }
        if (Object.keys(ranges.value).length)
          this.host.config.vlanRanges = {...this.host.config.vlanRanges, ...ranges.value}
        const driver = ini.securitygroup?.firewall_driver
        if (driver !== undefined && driver !== '')
          this.host.config.firewallDriver = {value: driver, evidence: this.evidence(capture)}
        if (Object.keys(tunnel.value).length) {
          this.host.config.tunnel = {
            ...this.host.config.tunnel,
            ...tunnel.value,
            evidence: this.host.config.tunnel?.evidence ?? this.evidence(capture),
          }
        }
      }
    }
  }

  dhcpFile(capture: Capture, networkId: string, kind: string, path: string): void {
    const dir = path.slice(0, path.lastIndexOf('/'))
    const files = this.host.dhcp.get(networkId) ?? {networkId, dir}
    this.host.dhcp.set(networkId, files)
    const evidence = this.evidence(capture)
    switch (kind) {
      case 'host': {
        const entries = this.parse(capture, parseDhcpHosts)
        if (entries) files.hosts = {entries, evidence}
        break
      }
      case 'opts': {
        const entries = this.parse(capture, parseDhcpOpts)
        if (entries) files.opts = {entries, evidence}
        break
      }
      case 'leases': {
        const entries = this.parse(capture, parseDhcpLeases)
        if (entries) files.leases = {entries, evidence}
        break
      }
      case 'addn_hosts': {
        const entries = this.parse(capture, parseAddnHosts)
        if (entries) files.addnHosts = {entries, evidence}
        break
      }
      case 'interface': {
        const text = this.text(capture)
        if (text !== undefined && text.trim()) files.interfaceName = text.trim()
        break
      }
      default:
        this.text(capture)
    }
  }

  buildProcesses(): void {
    const ps = this.one('ps', parsePs)
    if (!ps) return
    const netnsOfPid = new Map<string, string>()
    for (const c of this.captures('netns_of_pid')) {
      const text = c.key ? this.text(c) : undefined
      if (text?.trim()) netnsOfPid.set(c.key!, text.trim().split(/\s+/)[0])
    }
    for (const proc of ps.value) {
      const dnsmasq = parseDnsmasqArgv(proc.argv)
      if (!dnsmasq) continue
      dnsmasq.pid ??= proc.pid
      if (!dnsmasq.netns && proc.pid !== undefined) dnsmasq.netns = netnsOfPid.get(String(proc.pid))
      this.host.dnsmasq.push({...dnsmasq, evidence: this.evidence(ps.capture, proc.line, proc.argv.join(' '))})
    }
    for (const proc of ps.value) {
      const routerId = metadataProxyRouter(proc.argv)
      if (routerId)
        this.host.l3.metadataProxies.set(routerId, {
          ...(proc.pid !== undefined ? {pid: proc.pid} : {}),
          evidence: this.evidence(ps.capture, proc.line, proc.argv.join(' ')),
        })
    }
  }

  /** The router namespaces' routes, iptables, rules and neighbours; keepalived's state files. */
  buildRouters(): void {
    const l3 = this.host.l3
    type Part = HostL3['namespaces'] extends Map<string, infer E> ? E : never
    const each = <K extends keyof Part>(
      spec: SpecId,
      parser: (text: string) => ParseResult<NonNullable<Part[K]>['value']>,
      part: K,
    ) => {
      for (const c of this.captures(spec)) {
        const value = c.key ? this.parse(c, parser) : undefined
        if (!value) continue
        const have = l3.namespaces.get(c.key!) ?? {}
        have[part] = {value, evidence: this.evidence(c)} as Part[K]
        l3.namespaces.set(c.key!, have)
      }
    }
    each('netns_ip_route', parseIpRoute, 'routes')
    each('netns_iptables_save', parseIptablesSave, 'iptables')
    each('netns_ip_rule', parseIpRule, 'rules')
    each('netns_ip_neigh', parseIpNeigh, 'neighbours')
    for (const c of this.captures('file')) {
      const ha = HA_STATE_FILE.exec(c.key ?? '')
      if (!ha) continue
      const text = this.text(c)
      const state = text?.trim()
      if (state) l3.haStates.set(ha[1], {state, evidence: this.evidence(c, 1, state)})
    }
  }
}

const HA_STATE_FILE = /^\/var\/lib\/neutron\/ha_confs\/([0-9a-f-]{36})\/state$/
const METADATA_CONF = /\/ns-metadata-proxy\/([0-9a-f-]{36})\.conf$/

/** `haproxy -f <state_path>/ns-metadata-proxy/<router id>.conf`: the router it serves (DHCP's are network ids). */
function metadataProxyRouter(argv: string[]): string | undefined {
  if (!argv[0] || !/(^|\/)haproxy$/.test(argv[0])) return undefined
  const conf = argv[argv.indexOf('-f') + 1]
  return argv.includes('-f') && conf ? METADATA_CONF.exec(conf)?.[1] : undefined
}

function statusKey(spec: SpecId, key?: string): string {
  return key === undefined ? spec : `${spec}@${key}`
}

/** What the snapshot says of a capture before any parser saw it. */
function initialState(capture: Capture): {state: CaptureState; reason?: string} {
  const {record} = capture
  if (record.error || (record.exitCode !== 0 && record.exitCode !== undefined)) {
    return {state: 'failed', reason: record.error ?? `exit code ${record.exitCode}`}
  }
  if (capture.text === undefined) return {state: 'missing', reason: 'capture file missing from the snapshot'}
  if (capture.damage) return {state: 'damaged', reason: capture.damage}
  return {state: 'complete'}
}

export function buildActualModel(snapshot: Snapshot, progress: WorkProgress = NO_PROGRESS): ActualModel {
  const problems: DataProblem[] = [...snapshot.problems]
  const hosts: HostModel[] = []
  progress.stage('parsing hosts', snapshot.hosts.length)
  for (const record of snapshot.hosts) {
    progress.tick()
    if (record.status === 'unreachable') {
      problems.push({
        host: record.name,
        spec: 'ssh',
        kind: 'unreachable',
        message: record.error ?? 'host could not be reached',
      })
    }
    problems.push(...incompleteCaptures(capturesOf(snapshot, record.name).all))
    const builder = new HostBuilder(snapshot, record.name)
    hosts.push(builder.build())
    problems.push(...builder.problems)
  }
  const byName = new Map(hosts.map((h) => [h.name, h]))
  for (const p of problems) {
    const host = byName.get(p.host)
    if (host) report(host, p)
  }
  return {hosts, problems}
}

/** The capture a problem is about: by its file, else by spec and key. Undefined for what is not a capture (the host as
 * a whole, intent). */
export function captureOfProblem(host: HostModel, p: DataProblem): CaptureStatus | undefined {
  if (!isSpecId(p.spec)) return undefined
  const spec = p.spec
  if (p.file !== undefined) {
    for (const c of host.captures.values()) if (c.spec === spec && c.file === p.file) return c
  }
  return host.captures.get(statusKey(spec, p.key))
}

/** Mark the capture a problem names as reported, and as not complete; a capture the snapshot does not list (a file
 * the listing names but nobody captured) gets a status of its own. */
function report(host: HostModel, p: DataProblem): void {
  if (!isSpecId(p.spec)) return
  let status = captureOfProblem(host, p)
  if (!status) {
    status = {spec: p.spec, ...(p.key === undefined ? {} : {key: p.key}), state: 'missing', reason: p.message}
    if (p.file !== undefined) status.file = p.file
    host.captures.set(statusKey(p.spec, p.key ?? p.file), status)
  }
  status.reported = true
  if (status.state === 'complete') {
    status.state = p.kind === 'damaged' ? 'damaged' : 'problems'
    status.reason = `${p.line ? `line ${p.line}: ` : ''}${p.message}`
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// What was captured: the one way to ask. A check declares the captures it rests on as a Need (`needs` in
// src/analyze/index.ts). Around the check, the analysis withholds its findings on every host where a capture of the
// need is damaged (`damaged`: unknown, never a fault); inside it, the check asks isMet (or unmet, for the reasons)
// where an absent capture changes what it can say.

/** A capture a check rests on: a spec (any key of a scoped spec), one key of it, the `file` captures of one kind, or a
 * combination. */
export type Need =
  SpecId | {spec: SpecId; key?: string} | {file: FileKind} | {anyOf: readonly Need[]} | {allOf: readonly Need[]}

/** How strict to be: `usable` accepts a capture with unreadable lines or a checksum mismatch (what was read is used);
 * `complete` accepts only a capture read whole. */
export type Strictness = 'usable' | 'complete'

/** The Open vSwitch configuration: `ovs-vsctl show`, or the three OVSDB tables together. */
export const OVS_NEED: Need = {
  anyOf: ['ovs_vsctl_show', {allOf: ['ovs_vsctl_list_bridge', 'ovs_vsctl_list_port', 'ovs_vsctl_list_interface']}],
}
/** The devices of the root namespace. */
export const DEVICES_NEED: Need = {anyOf: ['ip_link', 'ip_addr']}
/** Linux bridge membership: brctl, bridge link, or the `master` of `ip -d link`. */
export const LINUX_BRIDGES_NEED: Need = {anyOf: ['brctl_show', 'bridge_link', 'ip_link']}
/** The OpenFlow tables of the bridges and their port numbers. */
export const FLOWS_NEED: Need = {allOf: ['ovs_ofctl_dump_flows', 'ovs_ofctl_show']}

export function usable(status: CaptureStatus, strictness: Strictness = 'usable'): boolean {
  if (strictness === 'complete') return status.state === 'complete'
  return status.state === 'complete' || status.state === 'problems' || status.state === 'damaged'
}

function notInSnapshot(spec: SpecId): CaptureStatus {
  return {spec, state: 'missing', reason: 'not in the snapshot'}
}

/** The best of several captures: complete, else usable, else the first. */
function best(statuses: CaptureStatus[]): CaptureStatus | undefined {
  return statuses.find((c) => usable(c, 'complete')) ?? statuses.find((c) => usable(c)) ?? statuses[0]
}

/** Was spec X (key K) captured, and how completely? Without a key, a scoped spec's best capture. */
export function captureOf(host: HostModel, spec: SpecId, key?: string): CaptureStatus {
  const exact = host.captures.get(statusKey(spec, key))
  if (exact || key !== undefined) return exact ?? {...notInSnapshot(spec), key}
  return best([...host.captures.values()].filter((c) => c.spec === spec)) ?? notInSnapshot(spec)
}

/** The captures behind a need that are not there (or not complete enough); empty when the need is met. For anyOf,
 * the reasons of every alternative. */
export function unmet(host: HostModel, need: Need, strictness: Strictness = 'usable'): CaptureStatus[] {
  if (typeof need === 'string') need = {spec: need}
  if ('spec' in need) {
    const status = captureOf(host, need.spec, need.key)
    return usable(status, strictness) ? [] : [status]
  }
  if ('file' in need) {
    const kind = need.file
    const files = [...host.captures.values()].filter((c) => c.spec === 'file' && fileKindOf(c.key) === kind)
    const status = best(files) ?? notInSnapshot('file')
    return usable(status, strictness) ? [] : [status]
  }
  if ('allOf' in need) return need.allOf.flatMap((n) => unmet(host, n, strictness))
  const each = need.anyOf.map((n) => unmet(host, n, strictness))
  return each.some((u) => u.length === 0) ? [] : each.flat()
}

export function isMet(host: HostModel, need: Need, strictness: Strictness = 'usable'): boolean {
  return unmet(host, need, strictness).length === 0
}

/** Does the need name this capture? Every alternative counts (a finding may rest on any of them), and a `file`
 * capture of no known kind counts for every kind. */
export function needsCapture(need: Need, status: CaptureStatus): boolean {
  if (typeof need === 'string') return status.spec === need
  if ('spec' in need) return status.spec === need.spec && (need.key === undefined || status.key === need.key)
  if ('file' in need) {
    const kind = fileKindOf(status.key)
    return status.spec === 'file' && (kind === undefined || kind === need.file)
  }
  return ('allOf' in need ? need.allOf : need.anyOf).some((n) => needsCapture(n, status))
}

/** The captures behind a need that a DATA_MISSING or PARSE_ERROR names on this host: where there is one, a check
 * resting on the need is unknown there. On a host that could not be reached, everything is. A capture the snapshot
 * never had is not damage (an optional command absent on the host, a spec an older collector did not know): the
 * check judges what is there and asks isMet where absence matters. */
export function damaged(host: HostModel, need: Need): CaptureStatus[] {
  if (host.status === 'unreachable') return [{...notInSnapshot('hostname'), state: 'failed', reason: 'unreachable'}]
  const out: CaptureStatus[] = []
  for (const s of host.captures.values()) if (s.reported && needsCapture(need, s)) out.push(s)
  return out
}

// ---------------------------------------------------------------------------------------------------------------------
// Look-ups used by the analyzers and the tracer.

export interface OvsPortRef {
  bridge: OvsBridge
  port: OvsPort
  iface: OvsInterface
}

/** A host's OVS interfaces by name and by iface-id (the first of each, in bridge and port order), built once per
 * configuration and built again when ports were added: analyzers and the tracer ask for every port of every host. */
interface OvsIndex {
  ports: number
  byName: Map<string, OvsPortRef>
  byIfaceId: Map<string, OvsPortRef>
}
const ovsIndexes = new WeakMap<OvsConfig, OvsIndex>()

function ovsIndex(ovs: OvsConfig): OvsIndex {
  const ports = ovs.bridges.reduce((n, b) => n + b.ports.length, 0)
  const have = ovsIndexes.get(ovs)
  if (have?.ports === ports) return have
  const index: OvsIndex = {ports, byName: new Map(), byIfaceId: new Map()}
  for (const bridge of ovs.bridges)
    for (const port of bridge.ports)
      for (const iface of port.interfaces) {
        if (!index.byName.has(iface.name)) index.byName.set(iface.name, {bridge, port, iface})
        const id = iface.externalIds['iface-id']
        if (id !== undefined && !index.byIfaceId.has(id)) index.byIfaceId.set(id, {bridge, port, iface})
      }
  ovsIndexes.set(ovs, index)
  return index
}

export function findOvsInterface(host: HostModel, name: string): OvsPortRef | undefined {
  if (!host.ovs) return undefined
  const ref = ovsIndex(host.ovs).byName.get(name)
  return ref && {...ref}
}

/** The OVS interface whose external_ids:iface-id is `id`. */
export function findOvsInterfaceById(host: HostModel, id: string): OvsPortRef | undefined {
  if (!host.ovs) return undefined
  const ref = ovsIndex(host.ovs).byIfaceId.get(id)
  return ref && {...ref}
}

export interface DeviceRef {
  netns: string
  device: LinkDevice
}

/** A host's devices by name: the first in any namespace (in namespace order), and per namespace. Built once per
 * devices map and again when a namespace's list changed length. */
interface DeviceIndex {
  lengths: number[]
  any: Map<string, DeviceRef>
  byNs: Map<string, Map<string, LinkDevice>>
}
const deviceIndexes = new WeakMap<Map<string, LinkDevice[]>, DeviceIndex>()

function deviceIndex(devices: Map<string, LinkDevice[]>, check = false): DeviceIndex {
  const have = deviceIndexes.get(devices)
  if (have && have.lengths.length === devices.size && !check) return have
  const lengths = [...devices.values()].map((l) => l.length)
  if (have && have.lengths.length === lengths.length && have.lengths.every((n, i) => n === lengths[i])) return have
  const index: DeviceIndex = {lengths, any: new Map(), byNs: new Map()}
  for (const [ns, list] of devices) {
    const mine = new Map<string, LinkDevice>()
    for (const device of list) {
      if (mine.has(device.name)) continue
      mine.set(device.name, device)
      if (!index.any.has(device.name)) index.any.set(device.name, {netns: ns, device})
    }
    index.byNs.set(ns, mine)
  }
  deviceIndexes.set(devices, index)
  return index
}

export function findDevice(host: HostModel, name: string, netns?: string): DeviceRef | undefined {
  // A hit is trusted; a miss checks first that no namespace's list has grown since the index was built.
  for (const check of [false, true]) {
    const index = deviceIndex(host.devices, check)
    if (netns === undefined) {
      const ref = index.any.get(name)
      if (ref) return {...ref}
    } else {
      const device = index.byNs.get(netns)?.get(name)
      if (device) return {netns, device}
    }
  }
  return undefined
}

/** The other end of a veth: by name in the same namespace, else by ifindex in the namespace its link-netnsid names.
 * Returns undefined when the peer is outside what was captured (another host's or an unlisted namespace). */
export function vethPeer(host: HostModel, ref: DeviceRef): DeviceRef | undefined {
  const {device} = ref
  if (device.peerName) {
    const same = findDevice(host, device.peerName, ref.netns)
    if (same) return same
  }
  if (device.peerIfindex === undefined) return reversePeer(host, ref)
  let where: string[]
  if (device.peerNetns !== undefined) where = [device.peerNetns]
  else if (device.peerNetnsId !== undefined) {
    if (ref.netns === '') {
      const ns = host.namespaces?.find((n) => n.id === device.peerNetnsId)
      if (!ns) return undefined
      where = [ns.name]
    } else where = ['']
  } else where = [ref.netns]
  const candidates: DeviceRef[] = []
  for (const ns of where) {
    for (const d of host.devices.get(ns) ?? [])
      if (d.ifindex === device.peerIfindex && d !== device) candidates.push({netns: ns, device: d})
  }
  // Prefer a device that points back at us (ifindexes repeat across namespaces).
  return (
    candidates.find((c) => c.device.peerIfindex === device.ifindex || c.device.peerName === device.name) ??
    candidates[0]
  )
}

/** A device that names this one as its peer (the seed's `ethtool -S int-br-eth2` knows phy-br-eth2; not vice versa). */
function reversePeer(host: HostModel, ref: DeviceRef): DeviceRef | undefined {
  if (ref.device.ifindex < 0) return undefined
  for (const [ns, list] of host.devices) {
    if (ns !== ref.netns && ref.netns !== '' && ns !== '') continue
    const d = list.find(
      (x) =>
        x !== ref.device &&
        ((x.peerName === ref.device.name && ns === ref.netns) ||
          (x.peerIfindex === ref.device.ifindex &&
            (ns === ref.netns ? x.peerNetnsId === undefined && x.peerNetns === undefined : true))),
    )
    if (d) return {netns: ns, device: d}
  }
  return undefined
}

/** Does this dnsmasq serve the network: by its NEUTRON_NETWORK_ID, its qdhcp namespace, or its files under
 * /var/lib/neutron/dhcp/<network id>/? */
export function dnsmasqServes(d: DnsmasqInstance, networkId: string): boolean {
  return (
    d.networkId === networkId ||
    d.netns === `qdhcp-${networkId}` ||
    [d.hostsFile, d.pidFile, d.optsFile].some((f) => f?.includes(`/${networkId}/`))
  )
}

/** Does the host show that it serves DHCP for the network: its files, its qdhcp namespace or a dnsmasq for it? */
export function showsDhcpFor(host: HostModel, networkId: string): boolean {
  return (
    host.dhcp.has(networkId) ||
    Boolean(host.namespaces?.some((n) => n.name === `qdhcp-${networkId}`)) ||
    host.dnsmasq.some((d) => dnsmasqServes(d, networkId))
  )
}

export function linuxBridgeOf(host: HostModel, device: string): LinuxBridge | undefined {
  return host.linuxBridges?.find((b) => b.interfaces.includes(device))
}

export function hostByName(model: ActualModel, name: string): HostModel | undefined {
  return model.hosts.find((h) => h.name === name)
}

/**
 * The host OpenStack names (binding:host_id, a server's host): the host with that label, else the one whose
 * `hostname` is that name — DNS names compare without case, and an FQDN matches its short name when only one host
 * does. Undefined when no host, or more than one, answers to it.
 */
export function hostNamed(model: ActualModel, name: string): HostModel | undefined {
  const label = hostByName(model, name)
  if (label) return label
  const wanted = name.toLowerCase().replace(/\.$/, '')
  const short = (n: string) => n.split('.', 1)[0]
  const exact = model.hosts.filter((h) => h.hostname?.toLowerCase() === wanted)
  if (exact.length) return exact.length === 1 ? exact[0] : undefined
  const byShort = model.hosts.filter(
    (h) =>
      h.hostname !== undefined &&
      wanted.includes('.') !== h.hostname.includes('.') &&
      short(h.hostname.toLowerCase()) === short(wanted),
  )
  return byShort.length === 1 ? byShort[0] : undefined
}

/** Is this OVS interface a VIF in Neutron's sense (iface-id and attached-mac)? */
export function isVif(iface: OvsInterface): boolean {
  return Boolean(iface.externalIds['iface-id'] && iface.externalIds['attached-mac'])
}
