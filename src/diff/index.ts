// What changed between two snapshots of the same cloud: OVS bridges, ports and their tags, flows (by table, priority,
// match and actions; counters, durations, the cookies the agent regenerates and the flows that expire, learned from
// traffic, are ignored), namespaces, dnsmasq host entries and port bindings, devices set up or down, dnsmasq and the
// Neutron agents started or stopped — grouped by host and by network — and the findings that appeared and disappeared.

import type {Finding} from '../analyze/index.js'
import {diagnose, type Analysis} from '../engine.js'
import type {HostModel} from '../model/actual.js'
import {formatAction, formatMatch} from '../openflow/format.js'
import type {FlowAction, FlowMatch, PortRef} from '../openflow/types.js'
import {parsePs} from '../parsers/ps.js'
import {type Snapshot, snapshotOrigin} from '../snapshot/read.js'

const DIFF_SCHEMA_VERSION = 1

type ChangeKind = 'added' | 'removed' | 'changed'
type Category =
  'host' | 'bridge' | 'port' | 'tag' | 'flow' | 'namespace' | 'dhcp-host' | 'binding' | 'link' | 'dhcp-server' | 'agent'

interface Change {
  host: string
  category: Category
  change: ChangeKind
  /** What changed, as the operator names it: `br-int/qvo…`, `br-eth2 table 0 priority=4 in_port=2,dl_vlan=3`. */
  element: string
  before?: string
  after?: string
  /** The Neutron network the change belongs to, when known. */
  network?: string
}

interface FindingRef {
  code: string
  severity: string
  host?: string
  element: string
  message: string
}

export interface DiffReport {
  schemaVersion: typeof DIFF_SCHEMA_VERSION
  tool: {name: 'neutrace'; version: string}
  old: {dir: string; sosreports?: string[]; createdAt?: string}
  new: {dir: string; sosreports?: string[]; createdAt?: string}
  summary: {changes: number; appeared: number; disappeared: number}
  hosts: {name: string; changes: Change[]}[]
  networks: {id: string; name?: string; changes: Change[]}[]
  findings: {appeared: FindingRef[]; disappeared: FindingRef[]}
}

/** Flows that expire (`hard_timeout`/`idle_timeout`): what a learn() action makes from traffic (br-tun's table 20
 * learns each remote MAC), coming and going with the traffic, not the configuration. */
const EXPIRES = /\b(?:hard|idle)_timeout=[1-9]/

/** A flow's ports by name where the bridge's port table (`ovs-ofctl show`, the Interface table) names their number:
 * a dump with `--names` (the SSH collector) and one without (sos) then read alike, and a port renumbered under the
 * same name is no change of flow (its port change is reported as such). */
function portsByName(host: HostModel, bridge: string): (p: PortRef) => PortRef {
  const names = new Map<number, string>()
  for (const [name, ofport] of host.ofports.get(bridge) ?? []) names.set(ofport, name)
  return (p) => (typeof p === 'number' ? (names.get(p) ?? p) : p)
}

function namedMatch(match: FlowMatch, name: (p: PortRef) => PortRef): FlowMatch {
  // Read field by field: a parsed match may decode on first use (dump-flows' LazyMatch), its fields no own property.
  const inPort = match.inPort
  return inPort === undefined ? match : {fields: match.fields, inPort: name(inPort)}
}

function namedAction(action: FlowAction, name: (p: PortRef) => PortRef): FlowAction {
  if (action.type === 'output') return {...action, port: name(action.port)}
  if (action.type === 'resubmit' && action.port !== undefined) return {...action, port: name(action.port)}
  return action
}

/** A flow's identity (table, priority, match) and its behaviour (actions), ports by name, without what the agent
 * regenerates and without the flows traffic teaches. */
function flowEntries(host: HostModel): Map<string, string> {
  const out = new Map<string, string>()
  for (const [bridge, table] of host.flows) {
    const name = portsByName(host, bridge)
    for (const f of table.flows) {
      if (EXPIRES.test(f.raw)) continue
      const match = formatMatch(namedMatch(f.match, name))
      const key = `${bridge} table ${f.table} priority=${f.priority}${match ? ` ${match}` : ''}`
      const actions = f.actions.map((a) => formatAction(namedAction(a, name))).join(',') || 'drop'
      out.set(key, out.has(key) ? `${out.get(key)} | ${actions}` : actions)
    }
  }
  return out
}

interface PortFacts {
  bridge: string
  tag?: number
  ifaceId?: string
}

function ports(host: HostModel): Map<string, PortFacts> {
  const out = new Map<string, PortFacts>()
  for (const b of host.ovs?.bridges ?? []) {
    for (const p of b.ports)
      out.set(p.name, {
        bridge: b.name,
        tag: p.tag,
        ifaceId: p.interfaces.find((i) => i.externalIds['iface-id'])?.externalIds['iface-id'],
      })
  }
  return out
}

function dhcpHosts(host: HostModel): Map<string, {network: string; entry: string}> {
  const out = new Map<string, {network: string; entry: string}>()
  for (const [network, files] of host.dhcp) {
    for (const e of files.hosts?.entries ?? [])
      out.set(`${network}/${e.mac}`, {network, entry: [e.ip, e.hostname].filter(Boolean).join(' ')})
  }
  return out
}

/** Each device's admin state (`ip link set DEV up|down`), root namespace first, then `NAMESPACE:DEV`. */
function linkStates(host: HostModel): Map<string, string> {
  const out = new Map<string, string>()
  for (const [ns, devices] of host.devices)
    for (const d of devices) out.set(ns ? `${ns}:${d.name}` : d.name, d.adminUp ? 'up' : 'down')
  return out
}

/** The dnsmasq serving each network (by its pid: a restart is a change too). */
function dhcpServers(host: HostModel): Map<string, string> {
  const out = new Map<string, string>()
  for (const d of host.dnsmasq) if (d.networkId) out.set(d.networkId, d.pid === undefined ? 'running' : `pid ${d.pid}`)
  return out
}

const AGENT = /^neutron-[a-z0-9-]+-agent$/

/** The Neutron agents running on the host (`neutron-*-agent` in `ps`), by pid: stopped, started or restarted. */
function agents(snapshot: Snapshot, host: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const c of snapshot.captures) {
    if (c.host !== host || c.spec !== 'ps' || c.text === undefined) continue
    for (const e of parsePs(c.text).value) {
      const name = e.argv
        .slice(0, 2)
        .map((a) => a.slice(a.lastIndexOf('/') + 1))
        .find((a) => AGENT.test(a))
      // The first process of that name: the agent itself (it forks helpers with the same command line).
      if (name && !out.has(name)) out.set(name, e.pid === undefined ? 'running' : `pid ${e.pid}`)
    }
  }
  return out
}

function compare<T>(
  before: Map<string, T>,
  after: Map<string, T>,
  same: (a: T, b: T) => boolean,
  emit: (key: string, change: ChangeKind, a?: T, b?: T) => void,
): void {
  for (const [k, a] of before) {
    const b = after.get(k)
    if (b === undefined) emit(k, 'removed', a)
    else if (!same(a, b)) emit(k, 'changed', a, b)
  }
  for (const [k, b] of after) if (!before.has(k)) emit(k, 'added', undefined, b)
}

function hostChanges(
  name: string,
  a: HostModel | undefined,
  b: HostModel | undefined,
  networkOfPort: (ifaceId: string | undefined, name: string) => string | undefined,
  processes: {before: Map<string, string>; after: Map<string, string>},
): Change[] {
  if (!a || !b) return [{host: name, category: 'host', change: a ? 'removed' : 'added', element: name}]
  const out: Change[] = []
  // Devices that come and go come with their ports and namespaces: only a device set up or down is a change here.
  compare(
    linkStates(a),
    linkStates(b),
    (x, y) => x === y,
    (k, change, x, y) => {
      if (change === 'changed')
        out.push({
          host: name,
          category: 'link',
          change,
          element: k,
          before: x,
          after: y,
          network: networkOfPort(undefined, k),
        })
    },
  )
  compare(
    dhcpServers(a),
    dhcpServers(b),
    (x, y) => x === y,
    (k, change, x, y) =>
      out.push({
        host: name,
        category: 'dhcp-server',
        change,
        element: `dnsmasq of ${k}`,
        before: x,
        after: y,
        network: k,
      }),
  )
  compare(
    processes.before,
    processes.after,
    (x, y) => x === y,
    (k, change, x, y) => out.push({host: name, category: 'agent', change, element: k, before: x, after: y}),
  )
  const bridges = (h: HostModel) => new Map((h.ovs?.bridges ?? []).map((x) => [x.name, x.name]))
  compare(
    bridges(a),
    bridges(b),
    () => true,
    (k, change) => out.push({host: name, category: 'bridge', change, element: k}),
  )
  const pa = ports(a)
  const pb = ports(b)
  compare(
    pa,
    pb,
    (x, y) => x.bridge === y.bridge && x.tag === y.tag,
    (k, change, x, y) => {
      const network = networkOfPort((x ?? y)!.ifaceId, k)
      if (change === 'changed' && x!.bridge === y!.bridge) {
        out.push({
          host: name,
          category: 'tag',
          change,
          element: `${x!.bridge}/${k}`,
          before: x!.tag === undefined ? 'no tag' : `tag ${x!.tag}`,
          after: y!.tag === undefined ? 'no tag' : `tag ${y!.tag}`,
          network,
        })
      } else {
        out.push({
          host: name,
          category: 'port',
          change,
          element: k,
          before: x ? `on ${x.bridge}` : undefined,
          after: y ? `on ${y.bridge}` : undefined,
          network,
        })
      }
    },
  )
  compare(
    flowEntries(a),
    flowEntries(b),
    (x, y) => x === y,
    (k, change, x, y) =>
      out.push({
        host: name,
        category: 'flow',
        change,
        element: k,
        before: x === undefined ? undefined : `actions=${x}`,
        after: y === undefined ? undefined : `actions=${y}`,
      }),
  )
  const ns = (h: HostModel) => new Map((h.namespaces ?? []).map((n) => [n.name, n.name]))
  compare(
    ns(a),
    ns(b),
    () => true,
    (k, change) =>
      out.push({
        host: name,
        category: 'namespace',
        change,
        element: k,
        network: k.startsWith('qdhcp-') ? k.slice('qdhcp-'.length) : undefined,
      }),
  )
  compare(
    dhcpHosts(a),
    dhcpHosts(b),
    (x, y) => x.entry === y.entry,
    (k, change, x, y) =>
      out.push({
        host: name,
        category: 'dhcp-host',
        change,
        element: `dnsmasq host ${k.split('/')[1]}`,
        before: x?.entry,
        after: y?.entry,
        network: (x ?? y)!.network,
      }),
  )
  return out
}

function findingRef(f: Finding): FindingRef {
  return {code: f.code, severity: f.severity, host: f.host, element: f.element, message: f.message}
}

/** The changes from OLD to NEW and the findings that appeared and disappeared. */
export function diffAnalyses(before: Analysis, after: Analysis, version: string): DiffReport {
  const names = [...new Set([...before.actual.hosts, ...after.actual.hosts].map((h) => h.name))]
  const portNetwork = new Map<string, string>()
  for (const a of [before, after])
    for (const p of a.reference.ports) if (p.networkId && p.id.length === 36) portNetwork.set(p.id, p.networkId)
  // By iface-id, else by the device naming convention (qvo/tap/qvb + the port's 11-character prefix), as the seed era
  // shows.
  const byShort = new Map<string, string>()
  for (const a of [before, after])
    for (const p of a.reference.ports) if (p.networkId && p.short) byShort.set(p.short, p.networkId)
  const networkOfPort = (id: string | undefined, name: string) =>
    (id ? portNetwork.get(id) : undefined) ?? byShort.get(name.slice(3))
  const changes: Change[] = []
  for (const n of names) {
    changes.push(
      ...hostChanges(
        n,
        before.actual.hosts.find((h) => h.name === n),
        after.actual.hosts.find((h) => h.name === n),
        networkOfPort,
        {before: agents(before.snapshot, n), after: agents(after.snapshot, n)},
      ),
    )
  }
  // Bindings: where Neutron binds each port (binding:host_id), and where its OVS interface is.
  const bindings = (a: Analysis) => new Map(a.reference.ports.filter((p) => p.host).map((p) => [p.id, p.host!]))
  compare(
    bindings(before),
    bindings(after),
    (x, y) => x === y,
    (id, change, x, y) =>
      changes.push({
        host: (y ?? x)!,
        category: 'binding',
        change,
        element: `port ${id}`,
        before: x && `bound to ${x}`,
        after: y && `bound to ${y}`,
        network: portNetwork.get(id),
      }),
  )
  const key = (f: Finding) => `${f.code}|${f.host ?? ''}|${f.element}`
  const fb = diagnose(before).filter((f) => f.severity !== 'info')
  const fa = diagnose(after).filter((f) => f.severity !== 'info')
  const appeared = fa.filter((f) => !fb.some((g) => key(g) === key(f))).map(findingRef)
  const disappeared = fb.filter((f) => !fa.some((g) => key(g) === key(f))).map(findingRef)
  const networkIds = [...new Set(changes.map((c) => c.network).filter((x): x is string => Boolean(x)))].sort()
  const netName = (id: string) => after.reference.networks.get(id)?.name ?? before.reference.networks.get(id)?.name
  return {
    schemaVersion: DIFF_SCHEMA_VERSION,
    tool: {name: 'neutrace', version},
    old: {...snapshotOrigin(before.snapshot), createdAt: before.snapshot.manifest.createdAt},
    new: {...snapshotOrigin(after.snapshot), createdAt: after.snapshot.manifest.createdAt},
    summary: {changes: changes.length, appeared: appeared.length, disappeared: disappeared.length},
    hosts: names.map((n) => ({name: n, changes: changes.filter((c) => c.host === n)})).filter((h) => h.changes.length),
    networks: networkIds.map((id) => ({
      id,
      ...(netName(id) ? {name: netName(id)} : {}),
      changes: changes.filter((c) => c.network === id),
    })),
    findings: {appeared, disappeared},
  }
}

const SIGN: Record<ChangeKind, string> = {added: '+', removed: '-', changed: '~'}

function changeLine(c: Change, t: (s: string) => string): string {
  const detail =
    c.change === 'changed'
      ? `: ${t(c.before ?? '')} → ${t(c.after ?? '')}`
      : (c.after ?? c.before)
        ? ` (${t((c.after ?? c.before)!)})`
        : ''
  return `  ${SIGN[c.change]} ${c.category.padEnd(9)} ${t(c.element)}${detail}`
}

/** Text for a terminal; every name passes through `t` (the terminal escaper). */
export function renderDiffText(d: DiffReport, t: (s: string) => string): string {
  const out = [
    `Changes from ${t(d.old.dir)}${d.old.createdAt ? ` (${t(d.old.createdAt)})` : ''}`,
    `          to ${t(d.new.dir)}${d.new.createdAt ? ` (${t(d.new.createdAt)})` : ''}`,
    '',
  ]
  if (!d.hosts.length)
    out.push('No change in ports, tags, flows, namespaces, dnsmasq hosts, bindings, link states, dnsmasq or agents.')
  for (const h of d.hosts) {
    out.push(`Host ${t(h.name)}`)
    for (const c of h.changes) out.push(changeLine(c, t))
  }
  for (const n of d.networks) {
    out.push('', `Network ${t(n.name ?? '')}${n.name ? ' ' : ''}(${t(n.id)})`)
    for (const c of n.changes) out.push(`${changeLine(c, t)} on ${t(c.host)}`)
  }
  out.push('', `Findings appeared: ${d.findings.appeared.length}`)
  for (const f of d.findings.appeared)
    out.push(`  + ${f.severity} ${f.code} on ${t(f.host ?? '-')}: ${t(f.element)} — ${t(f.message)}`)
  out.push(`Findings disappeared: ${d.findings.disappeared.length}`)
  for (const f of d.findings.disappeared)
    out.push(`  - ${f.severity} ${f.code} on ${t(f.host ?? '-')}: ${t(f.element)} — ${t(f.message)}`)
  return out.join('\n')
}
