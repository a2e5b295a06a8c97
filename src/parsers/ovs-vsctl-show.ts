// `ovs-vsctl show`: the indented overview of bridges, ports and interfaces. Both the 2013 spelling (no UUID line,
// quoted names such as `Bridge "br-eth2"`) and the modern one (UUID line, Manager, datapath_type, options maps).

import type {OvsBridge, OvsConfig, OvsInterface, OvsPort, ParseProblem, ParseResult, VlanMode} from '../types.js'
import {MAX_VID, splitTopLevel, unquoteOvs} from '../openflow/index.js'
import {clip} from '../text.js'
import {decimalIn, eachLine} from './bounds.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const VLAN_MODES: readonly string[] = ['access', 'native-tagged', 'native-untagged', 'trunk', 'dot1q-tunnel']
const ERROR_LINE = /^(ovs-vsctl|ovsdb-server|ovs-vswitchd): /

/** `{a=b, c="d e"}` -> {a: 'b', c: 'd e'}; undefined when it is not a map. */
export function parseShowMap(text: string): Record<string, string> | undefined {
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined
  const parts = splitTopLevel(text.slice(1, -1), ',')
  if (!parts) return undefined
  const map: Record<string, string> = {}
  for (const part of parts) {
    const item = part.trim()
    if (item === '') continue
    const eq = splitTopLevel(item, '=')
    // A value may itself contain '=' inside quotes; split on the first '=' outside them.
    const at = eq && eq.length >= 2 ? eq[0]!.length : -1
    if (at < 0) return undefined
    map[unquoteOvs(item.slice(0, at))] = unquoteOvs(item.slice(at + 1))
  }
  return map
}

/** `[100, 200]` or `100` -> [100, 200]; undefined when it is not a list of VLAN ids (0–4095). */
function parseIntList(text: string): number[] | undefined {
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  if (inner.trim() === '') return []
  const items = inner.split(',').map((s) => s.trim())
  const vids = items.map((s) => decimalIn(s, 0, MAX_VID))
  return vids.every((v) => v !== undefined) ? vids : undefined
}

type Level = 'top' | 'bridge' | 'port' | 'interface' | 'other'

interface Frame {
  indent: number
  level: Level
}

interface ShowState {
  config: OvsConfig
  problems: ParseProblem[]
  stack: Frame[]
  bridge?: OvsBridge
  port?: OvsPort
  iface?: OvsInterface
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length
}

function newInterface(name: string): OvsInterface {
  return {name, type: '', options: {}, externalIds: {}}
}

function newPort(name: string): OvsPort {
  return {name, trunks: [], externalIds: {}, otherConfig: {}, interfaces: []}
}

function newBridge(name: string): OvsBridge {
  return {name, controllers: [], externalIds: {}, ports: []}
}

/** `Bridge br-int`, `Port "tap26c9b807-7c"`, `Controller "tcp:..."`: a record header with its (quoted) name. */
function parseHeader(text: string): {kind: string; name: string} | undefined {
  const m = /^(Bridge|Port|Interface|Controller|Manager)\s+(.+)$/.exec(text)
  if (!m) return undefined
  return {kind: m[1]!, name: unquoteOvs(m[2]!.trim())}
}

function openHeader(state: ShowState, header: {kind: string; name: string}, indent: number): string | undefined {
  switch (header.kind) {
    case 'Bridge': {
      const bridge = newBridge(header.name)
      state.config.bridges.push(bridge)
      state.bridge = bridge
      state.port = undefined
      state.iface = undefined
      state.stack.push({indent, level: 'bridge'})
      return undefined
    }
    case 'Port': {
      if (!state.bridge) return 'Port outside any Bridge'
      const port = newPort(header.name)
      state.bridge.ports.push(port)
      state.port = port
      state.iface = undefined
      state.stack.push({indent, level: 'port'})
      return undefined
    }
    case 'Interface': {
      if (!state.port) return 'Interface outside any Port'
      const iface = newInterface(header.name)
      state.port.interfaces.push(iface)
      state.iface = iface
      state.stack.push({indent, level: 'interface'})
      return undefined
    }
    case 'Controller':
      if (!state.bridge) return 'Controller outside any Bridge'
      state.bridge.controllers.push(header.name)
      state.stack.push({indent, level: 'other'})
      return undefined
    default:
      // Manager: not part of the model; its is_connected etc. lines belong to it.
      state.stack.push({indent, level: 'other'})
      return undefined
  }
}

function setBridgeKey(bridge: OvsBridge, key: string, value: string): string | undefined {
  if (key === 'fail_mode') bridge.failMode = unquoteOvs(value)
  else if (key === 'datapath_type') bridge.datapathType = unquoteOvs(value)
  return undefined
}

function setPortKey(port: OvsPort, key: string, value: string): string | undefined {
  if (key === 'tag') {
    if (!/^\d+$/.test(value)) return `bad tag '${value}'`
    if (Number(value) > MAX_VID) return `tag ${value.slice(0, 40)} out of range (0–${MAX_VID})`
    port.tag = Number(value)
  } else if (key === 'trunks') {
    const trunks = parseIntList(value)
    if (!trunks) return `bad trunks '${clip(value)}': not a list of VLAN ids (0–${MAX_VID})`
    port.trunks = trunks
  } else if (key === 'vlan_mode') {
    const mode = unquoteOvs(value)
    if (!VLAN_MODES.includes(mode)) return `unknown vlan_mode '${mode}'`
    port.vlanMode = mode as VlanMode
  }
  return undefined
}

function setInterfaceKey(iface: OvsInterface, key: string, value: string): string | undefined {
  if (key === 'type') {
    iface.type = unquoteOvs(value)
  } else if (key === 'options') {
    const options = parseShowMap(value)
    if (!options) return `bad options '${value}'`
    iface.options = options
  } else if (key === 'error') {
    iface.error = unquoteOvs(value)
  }
  return undefined
}

function setKey(state: ShowState, level: Level, key: string, value: string): string | undefined {
  if (level === 'top') {
    if (key !== 'ovs_version') return `'${key}' outside any Bridge`
    state.config.ovsVersion = unquoteOvs(value)
    return undefined
  }
  if (level === 'bridge' && state.bridge) return setBridgeKey(state.bridge, key, value)
  if (level === 'port' && state.port) return setPortKey(state.port, key, value)
  if (level === 'interface' && state.iface) return setInterfaceKey(state.iface, key, value)
  return undefined
}

/** Pop the frames this line is not nested in, and forget the records they held. */
function unwind(state: ShowState, indent: number): void {
  while (state.stack.length > 0 && state.stack[state.stack.length - 1]!.indent >= indent) {
    const frame = state.stack.pop()!
    if (frame.level === 'bridge') state.bridge = undefined
    if (frame.level === 'bridge' || frame.level === 'port') state.port = undefined
    if (frame.level !== 'other') state.iface = undefined
  }
}

export function parseOvsVsctlShow(text: string): ParseResult<OvsConfig> {
  const state: ShowState = {config: {bridges: []}, problems: [], stack: []}
  let sawAnything = false
  eachLine(text, state.problems, (rawLine, index) => {
    const lineNo = index + 1
    const line = rawLine.replace(/\r$/, '')
    const trimmed = line.trim()
    if (trimmed === '') return
    const problem = (message: string): void => {
      state.problems.push({line: lineNo, text: trimmed.slice(0, 200), message})
    }
    if (ERROR_LINE.test(trimmed)) {
      problem(`command reported: ${trimmed}`)
      return
    }
    sawAnything = true
    const indent = indentOf(line)
    if (UUID.test(trimmed) && state.config.uuid === undefined && state.config.bridges.length === 0) {
      state.config.uuid = trimmed.toLowerCase()
      return
    }
    const header = parseHeader(trimmed)
    const kv = header ? undefined : /^([a-z_][a-z0-9_:-]*):\s*(.*)$/.exec(trimmed)
    if (!header && !kv) {
      // Leave the open records alone: the lines after a garbled one still belong to them.
      problem('unrecognised line')
      return
    }
    unwind(state, indent)
    if (header) {
      const err = openHeader(state, header, indent)
      if (err) problem(err)
      return
    }
    const parent = state.stack[state.stack.length - 1]
    const err = setKey(state, parent?.level ?? 'top', kv![1]!, kv![2]!.trim())
    if (err) problem(err)
  })
  if (!sawAnything && state.problems.length === 0)
    state.problems.push({message: 'empty output: no Open vSwitch configuration'})
  return {value: state.config, problems: state.problems}
}
