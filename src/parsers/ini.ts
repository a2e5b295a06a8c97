// oslo.config-style INI files (neutron.conf, openvswitch_agent.ini, the Havana ovs_neutron_plugin.ini): `[section]`,
// `key = value` or `key: value`, `#`/`;` comment lines at the start of a line, indented continuation lines appended to
// the previous value
// with a newline, matching quotes around a value removed. Hand-parsed rather than with the `ini` package, because
// that one knows neither continuation lines nor oslo's rule that `#` inside a value is not a comment.

import type {ParseProblem, ParseResult} from '../types.js'
import {eachLine} from './bounds.js'

export type Ini = Record<string, Record<string, string>>

export interface VlanRange {
  min: number
  max: number
}

/** Parses an INI file; a key repeated in one section keeps its last value. Never throws. */
export function parseIni(text: string): ParseResult<Ini> {
  // Null-prototype records: section and key names come from the file (`[__proto__]` must be just a name).
  const ini: Ini = Object.create(null) as Ini
  const problems: ParseProblem[] = []
  let section: Record<string, string> | undefined
  let lastKey: string | undefined

  eachLine(text, problems, (raw, i) => {
    const line = i + 1
    const trimmed = raw.trim()
    if (trimmed === '') {
      lastKey = undefined
      return
    }
    // As in oslo.config, any indented line continues the value above, even one that starts with `#`.
    if (/^\s/.test(raw)) {
      if (section && lastKey !== undefined) {
        section[lastKey] = section[lastKey] === '' ? trimmed : `${section[lastKey]}\n${trimmed}`
      } else {
        problems.push({line, text: trimmed.slice(0, 200), message: 'indented line with no key above it to continue'})
      }
      return
    }
    lastKey = undefined
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) return
    const header = /^\[([^\]]+)\]$/.exec(trimmed)
    if (header) {
      const name = header[1].trim()
      section = ini[name] ??= Object.create(null) as Record<string, string>
      return
    }
    const pair = keyValue(trimmed)
    if (!pair) {
      problems.push({line, text: trimmed.slice(0, 200), message: 'not a section, key = value, or comment'})
      return
    }
    if (!section) {
      problems.push({line, text: trimmed.slice(0, 200), message: 'key outside any [section]'})
      return
    }
    section[pair.key] = unquote(pair.value)
    lastKey = pair.key
  })
  return {value: ini, problems}
}

/** `key = value` or `key: value` split at the first `=` or `:` (by index, not by a backtracking regex: one long line
 * of spaces must not take quadratic time). */
function keyValue(line: string): {key: string; value: string} | undefined {
  const eq = line.indexOf('=')
  const colon = line.indexOf(':')
  const at = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon)
  if (at <= 0) return undefined
  const key = line.slice(0, at).trimEnd()
  return {key, value: line.slice(at + 1).trimStart()}
}

function unquote(value: string): string {
  const trimmed = value.trim()
  if (trimmed.length >= 2 && (trimmed[0] === '"' || trimmed[0] === "'") && trimmed.at(-1) === trimmed[0]) {
    return trimmed.slice(1, -1)
  }
  return trimmed
}

/** The value of `key` in the first of `sections` (compared case-insensitively, as `[OVS]` and `[ovs]` both occur). */
function lookup(ini: Ini, sections: string[], key: string): {section: string; value: string} | undefined {
  for (const wanted of sections) {
    for (const [name, values] of Object.entries(ini)) {
      if (name.toLowerCase() === wanted && values[key] !== undefined) return {section: name, value: values[key]}
    }
  }
  return undefined
}

function listItems(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** `bridge_mappings = default:br-eth2,physnet2:br-ex` from `[ovs]` (modern) or `[OVS]` (Havana plugin ini). */
export function bridgeMappings(ini: Ini): ParseResult<Record<string, string>> {
  const mappings = Object.create(null) as Record<string, string>
  const problems: ParseProblem[] = []
  const found = lookup(ini, ['ovs'], 'bridge_mappings')
  if (!found) return {value: mappings, problems}
  for (const item of listItems(found.value)) {
    const match = /^([^:\s]+)\s*:\s*([^:\s]+)$/.exec(item)
    if (!match) {
      problems.push({text: item, message: `[${found.section}] bridge_mappings: "${item}" is not physnet:bridge`})
      continue
    }
    if (mappings[match[1]] !== undefined) {
      problems.push({
        text: item,
        message: `[${found.section}] bridge_mappings: physical network ${match[1]} mapped twice`,
      })
      continue
    }
    mappings[match[1]] = match[2]
  }
  return {value: mappings, problems}
}

/**
 * `network_vlan_ranges = default:1000:2999,physnet2` from `[ml2_type_vlan]` (ML2) or `[OVS]` (Havana plugin ini).
 * A physical network named without a range is usable for provider networks only: it maps to an empty list.
 */
export function networkVlanRanges(ini: Ini): ParseResult<Record<string, VlanRange[]>> {
  const ranges = Object.create(null) as Record<string, VlanRange[]>
  const problems: ParseProblem[] = []
  const found = lookup(ini, ['ml2_type_vlan', 'ovs'], 'network_vlan_ranges')
  if (!found) return {value: ranges, problems}
  for (const item of listItems(found.value)) {
    const match = /^([^:\s]+)(?:\s*:\s*(\d+)\s*:\s*(\d+))?$/.exec(item)
    const min = Number(match?.[2])
    const max = Number(match?.[3])
    if (!match || (match[2] !== undefined && !(min >= 1 && min <= max && max <= 4094))) {
      problems.push({
        text: item,
        message: `[${found.section}] network_vlan_ranges: "${item}" is not physnet[:min:max] with 1 <= min <= max <= 4094`,
      })
      continue
    }
    const list = (ranges[match[1]] ??= [])
    if (match[2] !== undefined) list.push({min, max})
  }
  return {value: ranges, problems}
}

/** The OVS agent's tunnel settings: `[ovs] local_ip, tunnel_bridge`, `[agent] tunnel_types, l2_population,
 * arp_responder, vxlan_udp_port` (Havana's plugin ini spells the sections `[OVS]` and `[AGENT]`). */
export interface TunnelSettings {
  localIp?: string
  tunnelTypes?: string[]
  l2Population?: boolean
  arpResponder?: boolean
  tunnelBridge?: string
  vxlanUdpPort?: number
}

export function tunnelSettings(ini: Ini): ParseResult<TunnelSettings> {
  const value: TunnelSettings = {}
  const problems: ParseProblem[] = []
  const bool = (key: string): boolean | undefined => {
    const found = lookup(ini, ['agent', 'ovs'], key)
    if (!found) return undefined
    const v = found.value.toLowerCase()
    if (['true', '1', 'yes', 'on'].includes(v)) return true
    if (['false', '0', 'no', 'off'].includes(v)) return false
    problems.push({text: found.value, message: `[${found.section}] ${key}: "${found.value}" is not a boolean`})
    return undefined
  }
  const localIp = lookup(ini, ['ovs'], 'local_ip')
  if (localIp && localIp.value !== '') value.localIp = localIp.value
  const types = lookup(ini, ['agent', 'ovs'], 'tunnel_types')
  if (types) value.tunnelTypes = listItems(types.value).map((t) => t.toLowerCase())
  const l2pop = bool('l2_population')
  if (l2pop !== undefined) value.l2Population = l2pop
  const responder = bool('arp_responder')
  if (responder !== undefined) value.arpResponder = responder
  const bridge = lookup(ini, ['ovs'], 'tunnel_bridge')
  if (bridge && bridge.value !== '') value.tunnelBridge = bridge.value
  const port = lookup(ini, ['agent'], 'vxlan_udp_port')
  if (port) {
    const n = Number(port.value)
    if (Number.isInteger(n) && n > 0 && n < 65536) value.vxlanUdpPort = n
    else
      problems.push({text: port.value, message: `[${port.section}] vxlan_udp_port: "${port.value}" is not a UDP port`})
  }
  return {value, problems}
}
