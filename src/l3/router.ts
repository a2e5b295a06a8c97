// One packet through a router namespace, in the kernel's order: PREROUTING (raw, mangle, nat: DNAT/REDIRECT), the
// routing decision (a local address → INPUT; else the longest matching route of table main), FORWARD (mangle,
// filter), POSTROUTING (mangle, nat: SNAT). Each step says which rule or route decided, with the addresses as
// translated; what was not captured or cannot be modelled makes the outcome unknown, naming why.

import type {Evidence, HostModel} from '../model/actual.js'
import type {Route} from '../parsers/ip-route.js'
import type {IptRule} from '../parsers/iptables-save.js'
import type {LinkDevice} from '../types.js'
import {inPrefix, prefix} from './ip.js'
import {type L3Packet, type Verdict, walkChain} from './iptables.js'

export interface RouterStep {
  /** `nat PREROUTING`, `route`, `filter FORWARD` … */
  stage: string
  text: string
  /** The capture line that decided, when one did. */
  line?: number
  evidence?: Evidence
}

export type RouterOutcome =
  | {kind: 'forward'; outDev: string; nextHop: string; route: Route}
  | {kind: 'local'; port?: number; redirected: boolean}
  | {kind: 'dropped'; reason: string; rule?: IptRule}
  | {kind: 'unreachable'; reason: string}
  | {kind: 'unknown'; reason: string}

export interface RouterResult {
  packet: L3Packet
  steps: RouterStep[]
  outcome: RouterOutcome
}

function ruleText(r: IptRule): string {
  return `${r.table} line ${r.line}: ${r.text}`
}

function devicesOf(host: HostModel, netns: string): LinkDevice[] {
  return host.devices.get(netns) ?? []
}

/** The device of the namespace holding the address, if any. */
export function localDevice(host: HostModel, netns: string, address: string): LinkDevice | undefined {
  return devicesOf(host, netns).find((d) => d.addresses.some((a) => a.family === 'inet' && a.address === address))
}

/** Longest-prefix match in table main (IPv4 unicast routes); undefined when none matches. */
export function lookupRoute(routes: Route[], dst: string): Route | undefined {
  let best: {route: Route; len: number; metric: number} | undefined
  for (const r of routes) {
    if (r.family !== 'inet' || r.table !== 'main') continue
    if (!['unicast', 'blackhole', 'unreachable', 'prohibit'].includes(r.type)) continue
    const p = prefix(r.dst)
    if (!p || !inPrefix(dst, p)) continue
    const metric = r.metric ?? 0
    if (!best || p.len > best.len || (p.len === best.len && metric < best.metric)) best = {route: r, len: p.len, metric}
  }
  return best?.route
}

export function routeText(r: Route): string {
  return `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.type !== 'unicast' ? ` (${r.type})` : ''}`
}

/** Runs the packet through the namespace. The packet is copied; the result holds it as it leaves. */
export function throughRouter(host: HostModel, netns: string, input: L3Packet): RouterResult {
  const p: L3Packet = {...input}
  const steps: RouterStep[] = []
  const ns = host.l3.namespaces.get(netns)
  const ipt = ns?.iptables
  const result = (outcome: RouterOutcome): RouterResult => ({packet: p, steps, outcome})
  const hook = (table: string, chain: string): Verdict | undefined => {
    if (!ipt) return undefined
    const walk = walkChain(ipt.value, table, chain, p)
    for (const r of walk.passed.filter((x) => x.target?.name === 'MARK' || x.target?.name === 'CONNMARK'))
      steps.push({stage: `${table} ${chain}`, text: `${ruleText(r)} → mark 0x${p.mark.toString(16)}`, line: r.line})
    return walk.verdict
  }
  const decided = (stage: string, v: Verdict, what: string) =>
    steps.push({
      stage,
      text: `${v.rule ? ruleText(v.rule) : v.kind === 'policy' ? `policy ${v.policy}` : ''} → ${what}`,
      ...(v.rule ? {line: v.rule.line, evidence: {...ipt!.evidence, line: v.rule.line, text: v.rule.text}} : {}),
    })
  const unknownOf = (stage: string, v: Verdict): RouterResult | undefined => {
    if (v.kind !== 'unknown') return undefined
    return result({
      kind: 'unknown',
      reason: `${stage}: ${v.rule ? `${ruleText(v.rule)}: ` : ''}${v.reason}`,
    })
  }
  if (!ipt) steps.push({stage: 'iptables', text: `iptables of ${netns} not captured: no NAT or filtering applied`})

  // PREROUTING
  for (const table of ['raw', 'mangle']) {
    const v = hook(table, 'PREROUTING')
    if (!v) continue
    const u = unknownOf(`${table} PREROUTING`, v)
    if (u) return u
    if (v.kind === 'drop') {
      decided(`${table} PREROUTING`, v, 'dropped')
      return result({kind: 'dropped', reason: `dropped by ${ruleText(v.rule!)}`, rule: v.rule})
    }
  }
  let redirected: number | undefined
  const pre = hook('nat', 'PREROUTING')
  if (pre) {
    const u = unknownOf('nat PREROUTING', pre)
    if (u) return u
    if (pre.kind === 'dnat') {
      decided('nat PREROUTING', pre, `destination ${p.dst} → ${pre.to}`)
      p.dst = pre.to
      p.dnat = true
    } else if (pre.kind === 'redirect') {
      decided('nat PREROUTING', pre, `redirected to local port ${pre.port ?? p.dport}`)
      redirected = pre.port ?? p.dport
      p.dnat = true
    } else if (pre.kind === 'drop') {
      decided('nat PREROUTING', pre, 'dropped')
      return result({kind: 'dropped', reason: `dropped by ${ruleText(pre.rule!)}`, rule: pre.rule})
    }
  }

  // Routing decision
  const local = redirected !== undefined ? undefined : localDevice(host, netns, p.dst)
  if (redirected !== undefined || local) {
    steps.push({
      stage: 'route',
      text:
        redirected !== undefined
          ? `local delivery (REDIRECT) to port ${redirected}`
          : `${p.dst} is local (on ${local!.name}): delivered to the namespace`,
    })
    for (const table of ['mangle', 'filter']) {
      const v = hook(table, 'INPUT')
      if (!v) continue
      const u = unknownOf(`${table} INPUT`, v)
      if (u) return u
      if (v.kind === 'drop' || (v.kind === 'policy' && v.policy === 'DROP')) {
        decided(`${table} INPUT`, v, 'dropped')
        return result({kind: 'dropped', reason: `dropped in ${table} INPUT${v.rule ? ` by ${ruleText(v.rule)}` : ''}`})
      }
      if (v.kind === 'accept' && table === 'filter') decided('filter INPUT', v, 'accepted')
    }
    return result({
      kind: 'local',
      ...(redirected !== undefined ? {port: redirected} : {}),
      redirected: redirected !== undefined,
    })
  }
  if (!ns?.routes) return result({kind: 'unknown', reason: `the routes of ${netns} on ${host.name} were not captured`})
  const route = lookupRoute(ns.routes.value, p.dst)
  if (!route) {
    steps.push({stage: 'route', text: `no route to ${p.dst} in table main`})
    return result({kind: 'unreachable', reason: `${netns} on ${host.name} has no route to ${p.dst} (no default route)`})
  }
  steps.push({stage: 'route', text: routeText(route), evidence: ns.routes.evidence})
  if (route.type !== 'unicast' || !route.dev)
    return result({kind: 'unreachable', reason: `the route ${routeText(route)} in ${netns} does not forward`})
  p.outDev = route.dev

  // FORWARD
  for (const table of ['mangle', 'filter']) {
    const v = hook(table, 'FORWARD')
    if (!v) continue
    const u = unknownOf(`${table} FORWARD`, v)
    if (u) return u
    if (v.kind === 'drop' || (v.kind === 'policy' && v.policy === 'DROP')) {
      decided(`${table} FORWARD`, v, 'dropped')
      return result({kind: 'dropped', reason: `dropped in ${table} FORWARD${v.rule ? ` by ${ruleText(v.rule)}` : ''}`})
    }
  }
  // POSTROUTING
  const mangle = hook('mangle', 'POSTROUTING')
  if (mangle) {
    const u = unknownOf('mangle POSTROUTING', mangle)
    if (u) return u
  }
  const post = hook('nat', 'POSTROUTING')
  if (post) {
    const u = unknownOf('nat POSTROUTING', post)
    if (u) return u
    if (post.kind === 'snat') {
      decided('nat POSTROUTING', post, `source ${p.src} → ${post.to}`)
      p.src = post.to
    } else if (post.kind === 'masquerade') {
      const out = devicesOf(host, netns).find((d) => d.name === p.outDev)
      const addr = out?.addresses.find((a) => a.family === 'inet')?.address
      if (!addr) return result({kind: 'unknown', reason: `MASQUERADE on ${p.outDev}, which has no IPv4 address known`})
      decided('nat POSTROUTING', post, `source ${p.src} → ${addr} (MASQUERADE)`)
      p.src = addr
    } else if (post.kind === 'accept') decided('nat POSTROUTING', post, 'source unchanged')
    else if (post.kind === 'policy') steps.push({stage: 'nat POSTROUTING', text: 'no rule matched: source unchanged'})
  }
  return result({kind: 'forward', outDev: route.dev, nextHop: route.gateway ?? p.dst, route})
}
