// One packet through a router namespace, in the kernel's order: PREROUTING (raw, mangle, nat: DNAT/REDIRECT), the
// routing decision (a local address → INPUT; else the longest matching route of table main), FORWARD (mangle,
// filter), POSTROUTING (mangle, nat: SNAT). Each step says which rule or route decided, with the addresses as
// translated; what was not captured or cannot be modelled makes the outcome unknown, naming why.

import type {Evidence, HostModel} from '../model/actual.js'
import type {IpRule} from '../parsers/ip-rule.js'
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

/** Longest-prefix match in one table, main by default (IPv4 unicast routes); undefined when none matches. */
export function lookupRoute(routes: Route[], dst: string, table = 'main'): Route | undefined {
  let best: {route: Route; len: number; metric: number} | undefined
  for (const r of routes) {
    if (r.family !== 'inet' || r.table !== table) continue
    if (!['unicast', 'blackhole', 'unreachable', 'prohibit'].includes(r.type)) continue
    const p = prefix(r.dst)
    if (!p || !inPrefix(dst, p)) continue
    const metric = r.metric ?? 0
    if (!best || p.len > best.len || (p.len === best.len && metric < best.metric)) best = {route: r, len: p.len, metric}
  }
  return best?.route
}

/** The kernel's own rules, when a namespace's were not captured: local, main, default. */
const DEFAULT_RULES: IpRule[] = [
  {priority: 0, src: 'all', table: 'local', action: 'lookup', not: false},
  {priority: 32766, src: 'all', table: 'main', action: 'lookup', not: false},
  {priority: 32767, src: 'all', table: 'default', action: 'lookup', not: false},
]

function ruleMatches(rule: IpRule, p: L3Packet): boolean {
  const side = (addr: string, at?: string, len?: number) =>
    at === undefined || at === 'all' || inPrefix(addr, `${at}/${len ?? 32}`)
  let hit =
    side(p.src, rule.src, rule.srclen) &&
    side(p.dst, rule.dst, rule.dstlen) &&
    (rule.iif === undefined || rule.iif === p.inDev) &&
    // oif rules match only locally generated packets: never a forwarded one.
    rule.oif === undefined
  if (hit && rule.fwmark !== undefined) {
    const mask = rule.fwmask !== undefined ? Number(rule.fwmask) : 0xffffffff
    hit = (p.mark & mask) >>> 0 === (Number(rule.fwmark) & mask) >>> 0
  }
  return rule.not ? !hit : hit
}

export function policyRuleText(r: IpRule): string {
  const from = r.src === 'all' ? 'from all' : `from ${r.src}${r.srclen !== undefined ? `/${r.srclen}` : ''}`
  const to = r.dst !== undefined ? ` to ${r.dst}${r.dstlen !== undefined ? `/${r.dstlen}` : ''}` : ''
  const iif = r.iif !== undefined ? ` iif ${r.iif}` : ''
  const mark = r.fwmark !== undefined ? ` fwmark ${r.fwmark}${r.fwmask ? `/${r.fwmask}` : ''}` : ''
  const act = r.action === 'lookup' ? ` lookup ${r.table ?? '?'}` : ` ${r.action}`
  return `${r.priority}: ${r.not ? 'not ' : ''}${from}${to}${iif}${mark}${act}`
}

/**
 * The route the kernel picks for a forwarded packet: the rules in ascending priority (the kernel's three when none
 * were captured), each matching `lookup` rule's table searched in turn until one has a route; a matching blackhole,
 * unreachable or prohibit rule ends the search. `rule` is the rule that decided.
 */
export function selectRoute(
  routes: Route[],
  rules: IpRule[] | undefined,
  p: L3Packet,
): {route?: Route; rule?: IpRule; refused?: IpRule} {
  for (const rule of [...(rules ?? DEFAULT_RULES)].sort((a, b) => a.priority - b.priority)) {
    if (!ruleMatches(rule, p)) continue
    if (rule.action === 'lookup') {
      if (rule.table === undefined || rule.table === 'local') continue
      const route = lookupRoute(routes, p.dst, rule.table)
      if (route) return {route, rule}
    } else if (['blackhole', 'unreachable', 'prohibit'].includes(rule.action)) return {refused: rule}
  }
  return {}
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
  const chosen = selectRoute(ns.routes.value, ns.rules?.value, p)
  if (chosen.refused) {
    steps.push({stage: 'rule', text: policyRuleText(chosen.refused), evidence: ns.rules!.evidence})
    return result({kind: 'unreachable', reason: `${netns} on ${host.name}: rule ${policyRuleText(chosen.refused)}`})
  }
  const route = chosen.route
  if (!route) {
    const tables = ns.rules ? 'in the tables its rules name' : 'in table main'
    steps.push({stage: 'route', text: `no route to ${p.dst} ${tables}`})
    return result({kind: 'unreachable', reason: `${netns} on ${host.name} has no route to ${p.dst} (no default route)`})
  }
  if (chosen.rule && chosen.rule.table !== 'main')
    steps.push({stage: 'rule', text: policyRuleText(chosen.rule), evidence: ns.rules?.evidence})
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
