// Security groups and their rules, as the Neutron API (`GET /v2.0/security-groups`, `security-group-rules`) and
// `openstack security group [rule] show|list -f json` spell them. A group's rules come inside it
// (`security_group_rules`) or as separate rule records naming their group; mergeIntent puts them together.

import type {IntentSecurityGroup, IntentSgRule} from '../types.js'
import type {ReadContext} from './normalise.js'
import {type Loose, asBool, asText, isLoose, pick, readInt} from './values.js'
import {clip} from '../text.js'

/** Fields only a group has, and fields only a rule has (after the port/server/subnet marks are ruled out). */
export const GROUP_MARKS = ['security_group_rules', 'rules', 'stateful']
export const RULE_MARKS = ['security_group_id', 'direction', 'remote_ip_prefix', 'ethertype']

function bad(ctx: ReadContext, rec: Loose, message: string): void {
  ctx.problems.push({...(ctx.line !== undefined ? {line: ctx.line} : {}), text: clip(JSON.stringify(rec)), message})
}

function port(rec: Loose, keys: string[], ctx: ReadContext, id: string): number | null | undefined {
  const r = readInt(pick(rec, keys))
  if (r.kind === 'none') return null
  if (r.kind === 'int' && r.value >= 0 && r.value <= 65535) return r.value
  bad(ctx, rec, `security group rule ${id}: ${keys[0]} is not a port number`)
  return undefined
}

export function readSgRule(rec: Loose, ctx: ReadContext, groupId?: string): IntentSgRule | undefined {
  const id = asText(pick(rec, ['id', 'ID']))
  if (id === undefined) return void bad(ctx, rec, 'a security group rule without an id is skipped')
  const securityGroupId = asText(pick(rec, ['security_group_id', 'Security Group'])) ?? groupId
  if (securityGroupId === undefined) return void bad(ctx, rec, `security group rule ${id} names no group; skipped`)
  const direction = asText(pick(rec, ['direction', 'Direction']))?.toLowerCase()
  if (direction !== 'ingress' && direction !== 'egress')
    return void bad(ctx, rec, `security group rule ${id}: direction is neither ingress nor egress; skipped`)
  const ethertype = asText(pick(rec, ['ethertype', 'Ethertype'])) ?? 'IPv4'
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6')
    return void bad(ctx, rec, `security group rule ${id}: ethertype ${ethertype} is neither IPv4 nor IPv6; skipped`)
  const min = port(rec, ['port_range_min', 'Port Range Min'], ctx, id)
  const max = port(rec, ['port_range_max', 'Port Range Max'], ctx, id)
  if (min === undefined || max === undefined) return undefined
  return {
    id,
    securityGroupId,
    direction,
    ethertype,
    protocol: asText(pick(rec, ['protocol', 'IP Protocol']))?.toLowerCase() ?? null,
    portRangeMin: min,
    portRangeMax: max,
    remoteIpPrefix: asText(pick(rec, ['remote_ip_prefix', 'IP Range'])) ?? null,
    remoteGroupId: asText(pick(rec, ['remote_group_id', 'Remote Security Group'])) ?? null,
    ...(ctx.line !== undefined ? {line: ctx.line} : {}),
  }
}

export function readSecurityGroup(rec: Loose, ctx: ReadContext): IntentSecurityGroup | undefined {
  const id = asText(pick(rec, ['id', 'ID']))
  if (id === undefined) return void bad(ctx, rec, 'a security group without an id is skipped')
  const list = pick(rec, ['security_group_rules', 'rules'])
  const rules: IntentSgRule[] = []
  if (Array.isArray(list))
    for (const item of list) {
      if (!isLoose(item)) bad(ctx, rec, `security group ${id}: a rule that is not an object is skipped`)
      else {
        const rule = readSgRule(item, ctx, id)
        if (rule) rules.push(rule)
      }
    }
  const stateful = asBool(pick(rec, ['stateful']))
  return {
    id,
    ...(asText(pick(rec, ['name', 'Name'])) !== undefined ? {name: asText(pick(rec, ['name', 'Name']))} : {}),
    ...(stateful !== undefined ? {stateful} : {}),
    rules,
  }
}

/** A port's `allowed_address_pairs`: [{ip_address, mac_address?}]. */
export function readAddressPairs(value: unknown): {ipAddress: string; macAddress?: string}[] | undefined {
  if (!Array.isArray(value)) return undefined
  const pairs: {ipAddress: string; macAddress?: string}[] = []
  for (const item of value) {
    if (!isLoose(item)) continue
    const ipAddress = asText(item.ip_address)
    const macAddress = asText(item.mac_address)?.toLowerCase()
    if (ipAddress !== undefined) pairs.push({ipAddress, ...(macAddress !== undefined ? {macAddress} : {})})
  }
  return pairs
}

/** Groups from the documents, with the separately listed rules put into their group (by id, no duplicates). */
export function mergeSecurityGroups(groups: IntentSecurityGroup[], rules: IntentSgRule[]): IntentSecurityGroup[] {
  const byId = new Map<string, IntentSecurityGroup>()
  for (const g of groups) {
    const have = byId.get(g.id)
    if (!have) byId.set(g.id, {...g, rules: [...g.rules]})
    else {
      have.name ??= g.name
      have.stateful ??= g.stateful
      for (const r of g.rules) if (!have.rules.some((x) => x.id === r.id)) have.rules.push(r)
    }
  }
  for (const r of rules) {
    const group = byId.get(r.securityGroupId) ?? {id: r.securityGroupId, rules: []}
    byId.set(group.id, group)
    if (!group.rules.some((x) => x.id === r.id)) group.rules.push(r)
  }
  return [...byId.values()]
}
