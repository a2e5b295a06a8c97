// `ovs-ofctl dump-flows BRIDGE` in every spelling OVS prints: NXM/OF1.0 and OF1.3, with or without stats, port
// numbers or (quoted) names, table numbers or names. Matches and actions are normalised so that flows written by a
// Havana agent over OF1.0 and by a modern agent over OF1.3 compare equal (neutron-wiring.md §3).

import type {Flow, FlowAction, FlowMatch, Masked, ParseProblem, ParseResult, PortRef} from '../types.js'

export interface DumpFlowsOptions {
  /** Table name -> number, for dumps taken with `--names` on a bridge whose tables have names. */
  tableNames?: Record<string, number>
}

const DEFAULT_PRIORITY = 32768
const MAX_TEXT = 200

// ---------------------------------------------------------------------------------------------------------------------
// Lexing shared by the OVS parsers

/**
 * Split on separator characters that are outside double quotes and outside (), [] and {}. Returns undefined when the
 * quotes or brackets do not balance, which is how a truncated or garbled line shows itself.
 */
export function splitTopLevel(text: string, separators: string): string[] | undefined {
  const parts: string[] = []
  const closers: string[] = []
  let current = ''
  let inQuote = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (inQuote) {
      current += ch
      if (ch === '\\' && i + 1 < text.length) current += text[++i]
      else if (ch === '"') inQuote = false
      continue
    }
    if (ch === '"') {
      inQuote = true
    } else if (ch === '(' || ch === '[' || ch === '{') {
      closers.push(ch === '(' ? ')' : ch === '[' ? ']' : '}')
    } else if (ch === ')' || ch === ']' || ch === '}') {
      if (closers.pop() !== ch) return undefined
    } else if (closers.length === 0 && separators.includes(ch)) {
      if (current !== '') parts.push(current)
      current = ''
      continue
    }
    current += ch
  }
  if (inQuote || closers.length > 0) return undefined
  if (current !== '') parts.push(current)
  return parts
}

/** `"qvo3f7e5d8a-1b"` -> `qvo3f7e5d8a-1b`; OVS quotes names the JSON way (backslash escapes). Unquoted text is kept. */
export function unquoteOvs(text: string): string {
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) return text
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'string') return value
  } catch {
    // Not valid JSON (e.g. a C escape JSON lacks): fall back to dropping the backslashes.
  }
  return text.slice(1, -1).replace(/\\(.)/g, '$1')
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text
}

/** Index of `actions=` where it starts a token (after a space or comma, or at the start), outside quotes. */
function findActions(line: string): number {
  let inQuote = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (ch === '\\' && inQuote) {
      i++
      continue
    }
    if (ch === '"') inQuote = !inQuote
    if (!inQuote && line.startsWith('actions=', i) && (i === 0 || line[i - 1] === ' ' || line[i - 1] === ',')) return i
  }
  return -1
}

// ---------------------------------------------------------------------------------------------------------------------
// Match normalisation

/** Protocol shorthands: dl_type and nw_proto they stand for. */
const SHORTHANDS: Record<string, {dlType: string; nwProto?: string}> = {
  ip: {dlType: '0x0800'},
  ipv6: {dlType: '0x86dd'},
  arp: {dlType: '0x0806'},
  rarp: {dlType: '0x8035'},
  mpls: {dlType: '0x8847'},
  mplsm: {dlType: '0x8848'},
  icmp: {dlType: '0x0800', nwProto: '1'},
  igmp: {dlType: '0x0800', nwProto: '2'},
  tcp: {dlType: '0x0800', nwProto: '6'},
  udp: {dlType: '0x0800', nwProto: '17'},
  sctp: {dlType: '0x0800', nwProto: '132'},
  icmp6: {dlType: '0x86dd', nwProto: '58'},
  tcp6: {dlType: '0x86dd', nwProto: '6'},
  udp6: {dlType: '0x86dd', nwProto: '17'},
  sctp6: {dlType: '0x86dd', nwProto: '132'},
}

/** OXM (OF1.2+) and other aliases -> the NXM/OF1.0 name neutrace uses everywhere. */
const FIELD_ALIASES: Record<string, string> = {
  eth_src: 'dl_src',
  eth_dst: 'dl_dst',
  eth_type: 'dl_type',
  vlan_pcp: 'dl_vlan_pcp',
  ip_proto: 'nw_proto',
  ipv4_src: 'nw_src',
  ipv4_dst: 'nw_dst',
  ip_src: 'nw_src',
  ip_dst: 'nw_dst',
  ip_ecn: 'nw_ecn',
  ip_ttl: 'nw_ttl',
  tcp_src: 'tp_src',
  tcp_dst: 'tp_dst',
  udp_src: 'tp_src',
  udp_dst: 'tp_dst',
  sctp_src: 'tp_src',
  sctp_dst: 'tp_dst',
  icmpv4_type: 'icmp_type',
  icmpv4_code: 'icmp_code',
  icmpv6_type: 'icmp_type',
  icmpv6_code: 'icmp_code',
  tunnel_id: 'tun_id',
  in_port_oxm: 'in_port',
}

/** Flags and counters that sit among the match fields but are not part of the match. */
const FLOW_FLAGS = new Set(['send_flow_rem', 'reset_counts', 'no_packet_counts', 'no_byte_counts', 'check_overlap'])
const IGNORED_KEYS = new Set(['idle_timeout', 'hard_timeout', 'importance', 'out_port', 'out_group'])

const UNTAGGED: Masked = {value: '0x0000', mask: '0x1fff'}

export function canonicalField(name: string): string {
  return FIELD_ALIASES[name] ?? name
}

function splitMask(value: string): Masked {
  if (value.startsWith('"')) return {value: unquoteOvs(value)}
  const slash = value.indexOf('/')
  return slash < 0 ? {value} : {value: value.slice(0, slash), mask: value.slice(slash + 1)}
}

function parseInteger(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16)
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10)
  return undefined
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`
}

export function parsePortRef(text: string): PortRef {
  if (text.startsWith('"')) return unquoteOvs(text)
  const n = parseInteger(text)
  return n === undefined ? text : n
}

/** Put one `key=value` of a match into normalised form. Returns an error message when the value is unusable. */
function addMatchField(match: FlowMatch, rawKey: string, rawValue: string): string | undefined {
  const key = canonicalField(rawKey)
  if (key === 'in_port') {
    if (rawValue === '') return 'in_port without a value'
    match.inPort = parsePortRef(rawValue)
    return undefined
  }
  const masked = splitMask(rawValue)
  if (key === 'dl_vlan') {
    const vid = parseInteger(masked.value)
    if (vid === undefined) return `bad dl_vlan '${rawValue}'`
    if (vid === 0xffff) match.fields.vlan_tci = {...UNTAGGED}
    else match.fields.dl_vlan = {value: String(vid)}
    return undefined
  }
  if (key === 'vlan_tci') {
    const value = parseInteger(masked.value)
    const mask = masked.mask === undefined ? 0xffff : parseInteger(masked.mask)
    if (value === undefined || mask === undefined) return `bad vlan_tci '${rawValue}'`
    if (value === 0 && (mask & 0x1fff) === 0x1fff) match.fields.vlan_tci = {...UNTAGGED}
    else match.fields.vlan_tci = masked.mask === undefined ? {value: hex4(value)} : {value: hex4(value), mask: hex4(mask)}
    return undefined
  }
  if (key === 'vlan_vid') {
    // OXM vlan_vid: 0x1000 = "a tag is present", low 12 bits the VID; same bit layout as vlan_tci without the PCP.
    const value = parseInteger(masked.value)
    const mask = masked.mask === undefined ? 0x1fff : parseInteger(masked.mask)
    if (value === undefined || mask === undefined) return `bad vlan_vid '${rawValue}'`
    if (value === 0 && (mask & 0x1fff) === 0x1fff) match.fields.vlan_tci = {...UNTAGGED}
    else if ((value & 0x1000) !== 0 && (mask & 0x1fff) === 0x1fff) match.fields.dl_vlan = {value: String(value & 0xfff)}
    else match.fields.vlan_tci = {value: hex4(value & 0x1fff), mask: hex4(mask & 0x1fff)}
    return undefined
  }
  if (key === 'dl_type') {
    const n = parseInteger(masked.value)
    match.fields.dl_type = n === undefined ? masked : {value: hex4(n)}
    return undefined
  }
  if (key === 'nw_proto') {
    const n = parseInteger(masked.value)
    match.fields.nw_proto = n === undefined ? masked : {value: String(n)}
    return undefined
  }
  match.fields[key] = masked
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------------
// Action normalisation

const SIMPLE_ACTIONS: Record<string, FlowAction> = {
  NORMAL: {type: 'normal'},
  FLOOD: {type: 'flood'},
  ALL: {type: 'all'},
  IN_PORT: {type: 'in_port'},
  LOCAL: {type: 'local'},
  drop: {type: 'drop'},
  strip_vlan: {type: 'pop_vlan'},
  pop_vlan: {type: 'pop_vlan'},
}

interface ActionContext {
  tableNames: Map<string, number>
}

/** `name:arg` or `name(arg)` -> [name, arg, form]; a bare word has arg undefined. */
function splitAction(text: string): {name: string; arg?: string; paren: boolean} {
  const colon = text.indexOf(':')
  const paren = text.indexOf('(')
  if (paren > 0 && (colon < 0 || paren < colon) && text.endsWith(')')) {
    return {name: text.slice(0, paren), arg: text.slice(paren + 1, -1), paren: true}
  }
  if (colon > 0) return {name: text.slice(0, colon), arg: text.slice(colon + 1), paren: false}
  return {name: text, paren: false}
}

function parseBigInt(text: string): bigint | undefined {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined
  return BigInt(text)
}

function resolveTable(text: string, ctx: ActionContext): number | undefined {
  const n = parseInteger(text)
  if (n !== undefined) return n
  return ctx.tableNames.get(unquoteOvs(text))
}

/** A write of `value` to a field, from set_field / load: the VLAN and tunnel writes get their own action types. */
function fieldWrite(field: string, value: string, whole: boolean): FlowAction | undefined {
  const n = parseInteger(value)
  if (field === 'vlan_vid' && n !== undefined) return {type: 'set_vlan_vid', vid: n & 0xfff}
  if ((field === 'dl_vlan_pcp') && n !== undefined) return {type: 'set_vlan_pcp', pcp: n}
  if (field === 'tun_id' && whole) {
    const id = parseBigInt(value)
    if (id !== undefined) return {type: 'set_tunnel', id}
  }
  if (field === 'vlan_tci' && whole && n !== undefined) {
    // Writing TCI 0 removes the tag (what learned br-tun flows do with load:0->NXM_OF_VLAN_TCI[]).
    if (n === 0) return {type: 'pop_vlan'}
    if ((n & 0x1000) !== 0) return {type: 'set_vlan_vid', vid: n & 0xfff}
  }
  return undefined
}

/** NXM_NX_TUN_ID[] -> tun_id, NXM_OF_VLAN_TCI[] -> vlan_tci; partial writes ([0..11]) are not whole. */
function nxmTarget(dst: string): {field: string; whole: boolean} | undefined {
  const m = /^(?:NXM_OF_|NXM_NX_|OXM_OF_)([A-Z0-9_]+)\[(.*)\]$/.exec(dst)
  if (!m) return undefined
  const names: Record<string, string> = {TUN_ID: 'tun_id', TUNNEL_ID: 'tun_id', VLAN_TCI: 'vlan_tci', VLAN_VID: 'vlan_vid'}
  const field = names[m[1]!]
  return field === undefined ? undefined : {field, whole: m[2] === ''}
}

function parseAction(text: string, ctx: ActionContext): FlowAction {
  if (text.startsWith('"')) return {type: 'output', port: unquoteOvs(text)}
  if (/^\d+$/.test(text)) return {type: 'output', port: Number.parseInt(text, 10)}
  const simple = SIMPLE_ACTIONS[text]
  if (simple) return {...simple}
  const {name, arg} = splitAction(text)
  const other: FlowAction = {type: 'other', name, text}
  switch (name) {
    case 'output': {
      if (arg === undefined || arg === '' || arg.includes('[')) return other
      const simpleOut = SIMPLE_ACTIONS[arg]
      if (simpleOut && simpleOut.type !== 'drop' && simpleOut.type !== 'pop_vlan') return {...simpleOut}
      return {type: 'output', port: parsePortRef(arg)}
    }
    case 'CONTROLLER':
    case 'controller':
      return {type: 'controller', text: arg ?? ''}
    case 'mod_vlan_vid':
    case 'set_vlan_vid': {
      const vid = parseInteger(arg ?? '')
      return vid === undefined ? other : {type: 'set_vlan_vid', vid}
    }
    case 'mod_vlan_pcp':
    case 'set_vlan_pcp': {
      const pcp = parseInteger(arg ?? '')
      return pcp === undefined ? other : {type: 'set_vlan_pcp', pcp}
    }
    case 'push_vlan': {
      const ethertype = parseInteger(arg ?? '')
      return ethertype === undefined ? other : {type: 'push_vlan', ethertype}
    }
    case 'resubmit':
      return parseResubmit(text, arg, ctx) ?? other
    case 'goto_table': {
      const table = resolveTable(arg ?? '', ctx)
      return table === undefined ? other : {type: 'goto_table', table}
    }
    case 'set_tunnel':
    case 'set_tunnel64': {
      const id = parseBigInt(arg ?? '')
      return id === undefined ? other : {type: 'set_tunnel', id}
    }
    case 'set_field': {
      const m = /^(.*)->([A-Za-z0-9_]+)$/.exec(arg ?? '')
      if (!m) return other
      const field = canonicalField(m[2]!)
      const value = m[1]!
      return fieldWrite(field, value, !value.includes('/')) ?? {type: 'set_field', field, value}
    }
    case 'load': {
      const m = /^(.*)->(.+)$/.exec(arg ?? '')
      if (!m) return other
      const target = nxmTarget(m[2]!)
      const special = target ? fieldWrite(target.field, m[1]!, target.whole) : undefined
      return special ?? {type: 'load', value: m[1]!, dst: m[2]!}
    }
    case 'move': {
      const m = /^(.*)->(.+)$/.exec(arg ?? '')
      return m ? {type: 'move', src: m[1]!, dst: m[2]!} : other
    }
    case 'mod_dl_src':
    case 'mod_dl_dst':
    case 'mod_nw_src':
    case 'mod_nw_dst':
    case 'mod_tp_src':
    case 'mod_tp_dst':
      return arg === undefined ? other : {type: 'set_field', field: name.slice(4), value: arg}
    case 'learn':
      return {type: 'learn', text: arg ?? ''}
    case 'ct':
      return {type: 'ct', text: arg ?? ''}
    case 'note':
      return {type: 'note', text: arg ?? ''}
    default:
      return other
  }
}

/** resubmit(,N) / resubmit(P,N) / resubmit(P,N,ct) / resubmit:P */
function parseResubmit(text: string, arg: string | undefined, ctx: ActionContext): FlowAction | undefined {
  if (arg === undefined) return undefined
  if (!text.startsWith('resubmit(')) return {type: 'resubmit', port: parsePortRef(arg)}
  const parts = arg.split(',')
  const portText = parts[0] ?? ''
  const tableText = parts[1] ?? ''
  const action: {type: 'resubmit'; port?: PortRef; table?: number} = {type: 'resubmit'}
  if (portText !== '') action.port = parsePortRef(portText)
  if (tableText !== '') {
    const table = resolveTable(tableText, ctx)
    if (table === undefined) return undefined
    action.table = table
  }
  return action
}

export function parseActions(text: string, ctx: ActionContext = {tableNames: new Map()}): FlowAction[] | undefined {
  if (text.trim() === '') return [{type: 'drop'}]
  const parts = splitTopLevel(text.trim(), ',')
  if (!parts) return undefined
  return parts.map((part) => parseAction(part.trim(), ctx))
}

/**
 * The same flow read over OF1.0 and OF1.3 has different action lists, because OVS translates when it encodes:
 * `push_vlan:0x8100,set_field:4098->vlan_vid` prints as `mod_vlan_vid:2`, a final `goto_table:N` as `resubmit(,N)`,
 * `set_field:V->reg5` as `load:V->NXM_NX_REG5[]`. This folds those pairs into one form, for comparing flows; the
 * parser itself keeps what the dump says.
 */
export function canonicalActions(actions: FlowAction[]): FlowAction[] {
  const out: FlowAction[] = []
  actions.forEach((action, i) => {
    const next = actions[i + 1]
    if (action.type === 'push_vlan' && action.ethertype === 0x8100 && next?.type === 'set_vlan_vid') return
    if (action.type === 'resubmit' && action.port === undefined && action.table !== undefined && i === actions.length - 1) {
      out.push({type: 'goto_table', table: action.table})
      return
    }
    const reg = action.type === 'load' ? /^NXM_NX_(X?REG\d+)\[\]$/.exec(action.dst) : null
    if (action.type === 'load' && reg) {
      out.push({type: 'set_field', field: reg[1]!.toLowerCase(), value: action.value})
      return
    }
    out.push(action)
  })
  return out
}

// ---------------------------------------------------------------------------------------------------------------------
// Lines

const HEADER = /^(NXST|OFPST)_FLOW reply\b/
const ERROR_LINE = /^(ovs-ofctl|ovs-vsctl|ovs-appctl|ovs-vswitchd|ovsdb-server): /
const LOG_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|/

type LineResult = {flow: Flow; problems: ParseProblem[]} | {error: string}

function parseNumberStat(value: string): number | undefined {
  return /^\d+(\.\d+)?$/.test(value) ? Number(value) : undefined
}

function parseTableToken(value: string, ctx: ActionContext): {table: number; name?: string} | string {
  const withName = /^(\d+)\((.*)\)$/.exec(value)
  if (withName) return {table: Number(withName[1]), name: unquoteOvs(withName[2]!)}
  const n = parseInteger(value)
  if (n !== undefined) return {table: n}
  const name = unquoteOvs(value)
  if (name === '') return `bad table '${value}'`
  const known = ctx.tableNames.get(name)
  return {table: known ?? -1, name}
}

function parseFlowLine(raw: string, lineNo: number, ctx: ActionContext): LineResult {
  const line = raw.trim()
  const at = findActions(line)
  if (at < 0) return {error: 'not a flow: no actions='}
  const head = line.slice(0, at).replace(/[,\s]+$/, '')
  const tokens = splitTopLevel(head, ', \t')
  if (!tokens) return {error: 'unbalanced quotes or brackets in the match'}
  const actions = parseActions(line.slice(at + 'actions='.length), ctx)
  if (!actions) return {error: 'unbalanced quotes or brackets in the actions'}

  const flow: Flow = {line: lineNo, raw: line, table: 0, priority: DEFAULT_PRIORITY, cookie: '0x0', match: {fields: {}}, actions}
  const problems: ParseProblem[] = []
  for (const token of tokens) {
    const eq = token.indexOf('=')
    const key = eq < 0 ? token : token.slice(0, eq)
    const value = eq < 0 ? '' : token.slice(eq + 1)
    if (eq < 0) {
      if (FLOW_FLAGS.has(key)) continue
      const shorthand = SHORTHANDS[key]
      if (shorthand) {
        flow.match.fields.dl_type = {value: shorthand.dlType}
        if (shorthand.nwProto) flow.match.fields.nw_proto = {value: shorthand.nwProto}
        continue
      }
      if (!/^[a-z][a-z0-9_]*$/.test(key)) return {error: `garbled token '${clip(token)}'`}
      flow.match.fields[key] = {value: ''}
      problems.push({line: lineNo, text: clip(line), message: `unknown match keyword '${key}'`})
      continue
    }
    switch (key) {
      case 'cookie':
        if (!/^0x[0-9a-f]+$/i.test(value)) return {error: `bad cookie '${value}'`}
        flow.cookie = value.toLowerCase()
        break
      case 'priority': {
        const p = parseInteger(value)
        if (p === undefined || p > 65535) return {error: `bad priority '${value}'`}
        flow.priority = p
        break
      }
      case 'table': {
        const table = parseTableToken(value, ctx)
        if (typeof table === 'string') return {error: table}
        flow.table = table.table
        if (table.name !== undefined) flow.tableName = table.name
        break
      }
      case 'duration': {
        const d = parseNumberStat(value.replace(/s$/, ''))
        if (d === undefined) return {error: `bad duration '${value}'`}
        flow.durationS = d
        break
      }
      case 'n_packets':
      case 'n_bytes':
      case 'idle_age':
      case 'hard_age': {
        const n = parseNumberStat(value)
        if (n === undefined || !Number.isInteger(n)) return {error: `bad ${key} '${value}'`}
        if (key === 'n_packets') flow.nPackets = n
        else if (key === 'n_bytes') flow.nBytes = n
        else if (key === 'idle_age') flow.idleAge = n
        else flow.hardAge = n
        break
      }
      default: {
        if (IGNORED_KEYS.has(key)) break
        if (!/^[a-z][a-z0-9_]*$/.test(key)) return {error: `garbled token '${clip(token)}'`}
        const err = addMatchField(flow.match, key, value)
        if (err) return {error: err}
      }
    }
  }
  return {flow, problems}
}

/** Tables printed by name only (`table=name`) get their number from a `table=N(name)` seen elsewhere in the dump. */
function collectTableNames(lines: string[], given: Record<string, number> | undefined): Map<string, number> {
  const names = new Map<string, number>(Object.entries(given ?? {}))
  for (const line of lines) {
    for (const m of line.matchAll(/\btable=(\d+)\(("(?:[^"\\]|\\.)*"|[^)]*)\)/g)) {
      names.set(unquoteOvs(m[2]!), Number(m[1]))
    }
  }
  return names
}

export function parseDumpFlows(text: string, options: DumpFlowsOptions = {}): ParseResult<Flow[]> {
  const flows: Flow[] = []
  const problems: ParseProblem[] = []
  const lines = text.split('\n')
  const ctx: ActionContext = {tableNames: collectTableNames(lines, options.tableNames)}
  const unresolved = new Set<string>()
  lines.forEach((rawLine, index) => {
    const lineNo = index + 1
    const line = rawLine.replace(/\r$/, '')
    const trimmed = line.trim()
    if (trimmed === '' || HEADER.test(trimmed)) return
    if (ERROR_LINE.test(trimmed) || LOG_LINE.test(trimmed)) {
      problems.push({line: lineNo, text: clip(trimmed), message: `command reported: ${clip(trimmed)}`})
      return
    }
    const result = parseFlowLine(line, lineNo, ctx)
    if ('error' in result) {
      problems.push({line: lineNo, text: clip(trimmed), message: result.error})
      return
    }
    problems.push(...result.problems)
    if (result.flow.table < 0 && result.flow.tableName !== undefined && !unresolved.has(result.flow.tableName)) {
      unresolved.add(result.flow.tableName)
      problems.push({
        line: lineNo,
        text: clip(trimmed),
        message: `table '${result.flow.tableName}' is printed by name only; its number is unknown (table -1)`,
      })
    }
    flows.push(result.flow)
  })
  return {value: flows, problems}
}

// ---------------------------------------------------------------------------------------------------------------------
// Rendering

function formatPort(port: PortRef): string {
  if (typeof port === 'number') return String(port)
  return /^[A-Za-z][A-Za-z0-9]*$/.test(port) ? port : JSON.stringify(port)
}

export function formatAction(action: FlowAction): string {
  switch (action.type) {
    case 'output':
      return `output:${formatPort(action.port)}`
    case 'normal':
      return 'NORMAL'
    case 'flood':
      return 'FLOOD'
    case 'all':
      return 'ALL'
    case 'in_port':
      return 'IN_PORT'
    case 'local':
      return 'LOCAL'
    case 'controller':
      return action.text === '' ? 'CONTROLLER' : `CONTROLLER:${action.text}`
    case 'drop':
      return 'drop'
    case 'set_vlan_vid':
      return `mod_vlan_vid:${action.vid}`
    case 'pop_vlan':
      return 'pop_vlan'
    case 'push_vlan':
      return `push_vlan:0x${action.ethertype.toString(16)}`
    case 'set_vlan_pcp':
      return `mod_vlan_pcp:${action.pcp}`
    case 'resubmit':
      return `resubmit(${action.port === undefined ? '' : formatPort(action.port)},${action.table ?? ''})`
    case 'goto_table':
      return `goto_table:${action.table}`
    case 'set_tunnel':
      return `set_tunnel:0x${action.id.toString(16)}`
    case 'set_field':
      return `set_field:${action.value}->${action.field}`
    case 'load':
      return `load:${action.value}->${action.dst}`
    case 'move':
      return `move:${action.src}->${action.dst}`
    case 'learn':
      return `learn(${action.text})`
    case 'ct':
      return `ct(${action.text})`
    case 'note':
      return `note:${action.text}`
    case 'other':
      return action.text
  }
}

export function formatMatch(match: FlowMatch): string {
  const parts: string[] = []
  if (match.inPort !== undefined) parts.push(`in_port=${formatPort(match.inPort)}`)
  for (const [key, masked] of Object.entries(match.fields)) {
    if (masked.value === '' && masked.mask === undefined) parts.push(key)
    else parts.push(`${key}=${masked.value}${masked.mask === undefined ? '' : `/${masked.mask}`}`)
  }
  return parts.join(',')
}

/** One line for evidence: `table=0 priority=3 cookie=0x0 in_port=1,dl_vlan=1000 actions=mod_vlan_vid:1,NORMAL`. */
export function formatFlow(flow: Flow): string {
  const name = flow.tableName === undefined ? undefined : formatPort(flow.tableName)
  const table = name === undefined ? String(flow.table) : flow.table < 0 ? name : `${flow.table}(${name})`
  const match = formatMatch(flow.match)
  const actions = flow.actions.map(formatAction).join(',')
  return `table=${table} priority=${flow.priority} cookie=${flow.cookie}${match === '' ? '' : ` ${match}`} actions=${actions}`
}
