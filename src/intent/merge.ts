// Merges what several documents say into one Intent. Records with the same id are one record: a later document fills
// what is still unknown (undefined, or an empty id/MAC) and never erases what is known; where two documents disagree
// the first is kept and the disagreement is recorded. Lists (subnets, fixed IPs, addresses) are united.

import type {IntentDocumentName} from '../specs.js'
import type {
  DataProblem,
  Intent,
  IntentFloatingIp,
  IntentNetwork,
  IntentPort,
  IntentRouter,
  IntentSecurityGroup,
  IntentServer,
  IntentSgRule,
  IntentSubnet,
} from '../types.js'
import type {IntentKind} from './normalise.js'
import {mergeSecurityGroups} from './security-groups.js'

type FixedIp = IntentPort['fixedIps'][number]
type Addresses = IntentServer['addresses']
type Conflict = (message: string) => void

const UNSEGMENTED = new Set(['flat', 'local'])
const TUNNELLED = new Set(['vxlan', 'gre', 'geneve', 'local'])

function show(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A deep copy of a record as the readers build it (objects, arrays and primitives only), as structuredClone copies
 * it: own enumerable keys, undefined values kept, plain objects out. structuredClone serialises and deserialises every
 * record; at 20,000 ports that was a quarter of merging. */
function copyOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(copyOf) as T
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const v = copyOf((value as Record<string, unknown>)[key])
    // A key "__proto__" (JSON.parse makes it an own key) stays a key: an assignment would set the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, {value: v, writable: true, enumerable: true, configurable: true})
    else out[key] = v
  }
  return out as T
}

function mergeFixedIps(known: FixedIp[], more: FixedIp[]): FixedIp[] {
  const result = known.map((ip) => ({...ip}))
  for (const ip of more) {
    const same = result.find((r) => r.ipAddress === ip.ipAddress)
    if (!same) result.push({...ip})
    else if (same.subnetId === undefined && ip.subnetId !== undefined) same.subnetId = ip.subnetId
  }
  return result
}

function mergeAddresses(known: Addresses, more: Addresses): Addresses {
  const result: Addresses = {}
  for (const [network, addrs] of Object.entries(known)) result[network] = addrs.map((a) => ({...a}))
  for (const [network, addrs] of Object.entries(more)) {
    const list = (result[network] ??= [])
    for (const a of addrs) {
      const same = list.find((b) => b.addr === a.addr)
      if (!same) list.push({...a})
      else if (same.mac === undefined && a.mac !== undefined) same.mac = a.mac
    }
  }
  return result
}

function unite(known: unknown[], more: unknown[]): unknown[] {
  const seen = new Set(known.map((item) => JSON.stringify(item)))
  return [...known, ...more.filter((item) => !seen.has(JSON.stringify(item)))]
}

function mergeList(key: string, known: unknown[], more: unknown[]): unknown[] {
  if (key === 'fixedIps') return mergeFixedIps(known as FixedIp[], more as FixedIp[])
  return unite(known, more)
}

/** Fills `into` from `from` field by field; see the top of the file for the rules. */
function mergeInto<T extends object>(into: T, from: T, label: string, conflict: Conflict): void {
  const target = into as Record<string, unknown>
  for (const [key, next] of Object.entries(from)) {
    const known = target[key]
    if (next === undefined) continue
    if (known === undefined || known === '') target[key] = copyOf(next)
    else if (Array.isArray(known) && Array.isArray(next)) target[key] = mergeList(key, known, next)
    else if (key === 'addresses' && isPlainObject(known) && isPlainObject(next))
      target[key] = mergeAddresses(known as Addresses, next as Addresses)
    else if (isPlainObject(known) && isPlainObject(next)) target[key] = {...copyOf(next), ...known}
    else if (known !== next && next !== '') {
      conflict(`${label}: ${key} is ${show(known)} in an earlier document but ${show(next)} here; kept ${show(known)}`)
    }
  }
}

function upsert<T extends {id: string}>(map: Map<string, T>, item: T, kind: IntentKind, conflict: Conflict): void {
  const known = map.get(item.id)
  if (known) mergeInto(known, item, `${kind} ${item.id}`, conflict)
  else map.set(item.id, copyOf(item))
}

/** Cross-document completions: what one document says answers what another lacked. */
function complete(intent: Intent): void {
  const subnetById = new Map(intent.subnets.map((s) => [s.id, s]))
  for (const port of intent.ports) {
    if (port.networkId !== '') continue
    const fromSubnet = port.fixedIps.map((ip) => subnetById.get(ip.subnetId ?? '')?.networkId).find((id) => id)
    if (fromSubnet) port.networkId = fromSubnet
  }
  for (const network of intent.networks) {
    for (const subnet of intent.subnets) {
      if (subnet.networkId === network.id && !network.subnets.includes(subnet.id)) network.subnets.push(subnet.id)
    }
    if (
      network.segmentationId === undefined &&
      network.networkType !== undefined &&
      UNSEGMENTED.has(network.networkType)
    ) {
      network.segmentationId = null
    }
  }
  // Nova binds an instance's ports to the instance's host, so a bound port tells where its server runs.
  for (const server of intent.servers) {
    if (server.host !== undefined) continue
    const hosts = new Set(
      intent.ports
        .filter((p) => p.deviceId === server.id && p.deviceOwner?.startsWith('compute:') && p.bindingHost)
        .map((p) => p.bindingHost),
    )
    if (hosts.size === 1) server.host = [...hosts][0]
  }
}

/** Documents that disagree about where a port is: its network against the network of its addresses' subnets. */
function checkPortSubnets(intent: Intent, problems: DataProblem[]): void {
  const subnetById = new Map(intent.subnets.map((s) => [s.id, s]))
  for (const port of intent.ports) {
    for (const ip of port.fixedIps) {
      const subnet = subnetById.get(ip.subnetId ?? '')
      if (!subnet || subnet.networkId === '' || port.networkId === '' || subnet.networkId === port.networkId) continue
      problems.push({
        host: 'intent',
        spec: 'intent',
        kind: 'parse',
        message: `port ${port.id} is on network ${port.networkId} but its address ${ip.ipAddress} is in subnet ${subnet.id} of network ${subnet.networkId}`,
      })
    }
  }
}

const UNKNOWN = /^(\S+) of (network|subnet|port|server) (\S+)$/

interface AnsweredBy {
  network: Record<string, (n: IntentNetwork) => boolean>
  subnet: Record<string, (s: IntentSubnet) => boolean>
  port: Record<string, (p: IntentPort) => boolean>
  server: Record<string, (s: IntentServer) => boolean>
}

/** For each unknown's field: is it known now? */
const ANSWERED: AnsweredBy = {
  network: {
    network_type: (n) => n.networkType !== undefined,
    physical_network: (n) =>
      n.physicalNetwork !== undefined || (n.networkType !== undefined && TUNNELLED.has(n.networkType)),
    segmentation_id: (n) => n.segmentationId !== undefined,
  },
  subnet: {
    network_id: (s) => s.networkId !== '',
    cidr: (s) => s.cidr !== undefined,
    gateway_ip: (s) => s.gatewayIp !== undefined,
  },
  port: {
    network_id: (p) => p.networkId !== '',
    mac_address: (p) => p.macAddress !== '',
    'binding:host_id': (p) => p.bindingHost !== undefined,
  },
  server: {
    host: (s) => s.host !== undefined,
  },
}

function answeredFor<T extends {id: string}>(
  list: T[],
  checks: Record<string, (e: T) => boolean>,
  field: string,
  id: string,
): boolean {
  const entity = list.find((e) => e.id === id)
  const check = checks[field]
  return entity !== undefined && check !== undefined && check(entity)
}

function isAnswered(unknown: string, intent: Intent): boolean {
  const match = UNKNOWN.exec(unknown)
  if (!match) return false
  const [, field, kind, id] = match
  switch (kind) {
    case 'network':
      return answeredFor(intent.networks, ANSWERED.network, field, id)
    case 'subnet':
      return answeredFor(intent.subnets, ANSWERED.subnet, field, id)
    case 'port':
      return answeredFor(intent.ports, ANSWERED.port, field, id)
    default:
      return answeredFor(intent.servers, ANSWERED.server, field, id)
  }
}

/** Merges documents in order (see the top of the file); never throws. */
export function mergeIntent(parts: Partial<Intent>[]): Intent {
  const networks = new Map<string, IntentNetwork>()
  const subnets = new Map<string, IntentSubnet>()
  const ports = new Map<string, IntentPort>()
  const servers = new Map<string, IntentServer>()
  const routers = new Map<string, IntentRouter>()
  const floatingIps = new Map<string, IntentFloatingIp>()
  const problems: DataProblem[] = []
  const unknowns: string[] = []
  const sources: string[] = []
  const groups: IntentSecurityGroup[] = []
  const rules: IntentSgRule[] = []

  for (const part of parts) {
    groups.push(...(part.securityGroups ?? []))
    rules.push(...(part.securityGroupRules ?? []))
    // A document's problems name it by its file name (the intent reader only reads *.json and *.txt).
    const source = (part.sources?.[0] as IntentDocumentName | undefined) ?? 'intent'
    const conflict: Conflict = (message) => problems.push({host: 'intent', spec: source, kind: 'parse', message})
    problems.push(...(part.problems ?? []))
    for (const n of part.networks ?? []) upsert(networks, n, 'network', conflict)
    for (const s of part.subnets ?? []) upsert(subnets, s, 'subnet', conflict)
    for (const p of part.ports ?? []) upsert(ports, p, 'port', conflict)
    for (const s of part.servers ?? []) upsert(servers, s, 'server', conflict)
    for (const r of part.routers ?? []) upsert(routers, r, 'router', conflict)
    for (const f of part.floatingIps ?? []) upsert(floatingIps, f, 'floatingip', conflict)
    unknowns.push(...(part.unknowns ?? []))
    for (const s of part.sources ?? []) if (!sources.includes(s)) sources.push(s)
  }

  const intent: Intent = {
    networks: [...networks.values()],
    subnets: [...subnets.values()],
    ports: [...ports.values()],
    servers: [...servers.values()],
    ...(groups.length || rules.length ? {securityGroups: mergeSecurityGroups(groups, rules)} : {}),
    ...(routers.size ? {routers: [...routers.values()]} : {}),
    ...(floatingIps.size ? {floatingIps: [...floatingIps.values()]} : {}),
    unknowns: [],
    problems,
    sources,
  }
  complete(intent)
  checkPortSubnets(intent, problems)
  intent.unknowns = [...new Set(unknowns)].filter((u) => !isAnswered(u, intent))
  return intent
}
