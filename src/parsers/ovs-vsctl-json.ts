// `ovs-vsctl --format=json list TABLE`: {"headings": [...], "data": [[...], ...]} with cells in the OVSDB JSON
// encoding (RFC 7047 §5.1): atoms bare, ["uuid", u], ["named-uuid", n], ["set", [...]] (a one-element set prints bare),
// ["map", [[k, v], ...]]. buildOvsConfig joins the Open_vSwitch, Bridge, Port and Interface tables by uuid.

import {MAX_VID} from '../openflow/vlan.js'
import {clip} from '../text.js'
import {intIn, isOfport, parseJson} from './bounds.js'
import type {OvsBridge, OvsConfig, OvsInterface, OvsPort, ParseProblem, ParseResult, VlanMode} from '../types.js'

interface OvsdbUuid {
  uuid: string
  /** true for ["named-uuid", ...] (only inside a transaction). */
  named?: boolean
}

type OvsdbAtom = string | number | boolean | OvsdbUuid

interface OvsdbMap {
  map: [OvsdbAtom, OvsdbAtom][]
}

/** A decoded cell: an atom (also a one-element set), an array for a set of 0 or 2+ elements, or a map. */
export type OvsdbValue = OvsdbAtom | OvsdbAtom[] | OvsdbMap

export interface OvsdbTable {
  headings: string[]
  rows: Record<string, OvsdbValue>[]
}

export type OvsdbRow = Record<string, OvsdbValue>

// ---------------------------------------------------------------------------------------------------------------------
// Decoding

function isUuid(value: OvsdbValue): value is OvsdbUuid {
  return typeof value === 'object' && !Array.isArray(value) && 'uuid' in value
}

function isMap(value: OvsdbValue): value is OvsdbMap {
  return typeof value === 'object' && !Array.isArray(value) && 'map' in value
}

const ERROR_LINE = /^(ovs-vsctl|ovsdb-client|ovsdb-server): /

type Decoded<T> = {value: T} | {error: string}

function decodeAtom(json: unknown): Decoded<OvsdbAtom> {
  if (typeof json === 'string' || typeof json === 'number' || typeof json === 'boolean') return {value: json}
  if (Array.isArray(json) && json.length === 2 && typeof json[1] === 'string') {
    if (json[0] === 'uuid') return {value: {uuid: json[1]}}
    if (json[0] === 'named-uuid') return {value: {uuid: json[1], named: true}}
  }
  return {error: `not an OVSDB atom: ${JSON.stringify(json).slice(0, 80)}`}
}

function decodeSet(items: unknown[]): Decoded<OvsdbValue> {
  const atoms: OvsdbAtom[] = []
  for (const item of items) {
    const atom = decodeAtom(item)
    if ('error' in atom) return atom
    atoms.push(atom.value)
  }
  return {value: atoms.length === 1 ? atoms[0]! : atoms}
}

function decodeMap(pairs: unknown[]): Decoded<OvsdbValue> {
  const map: [OvsdbAtom, OvsdbAtom][] = []
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) return {error: 'map entry is not a [key, value] pair'}
    const key = decodeAtom(pair[0])
    if ('error' in key) return key
    const value = decodeAtom(pair[1])
    if ('error' in value) return value
    map.push([key.value, value.value])
  }
  return {value: {map}}
}

/** Decode one cell of the OVSDB JSON encoding. */
export function decodeOvsdbValue(json: unknown): Decoded<OvsdbValue> {
  if (Array.isArray(json) && (json[0] === 'set' || json[0] === 'map')) {
    if (json.length !== 2 || !Array.isArray(json[1])) return {error: `${json[0]} without a list`}
    return json[0] === 'set' ? decodeSet(json[1]) : decodeMap(json[1])
  }
  return decodeAtom(json)
}

/** Line of a character offset, for JSON.parse's "at position N" messages. */
function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++
  return line
}

export function parseOvsdbJson(text: string): ParseResult<OvsdbTable> {
  const table: OvsdbTable = {headings: [], rows: []}
  const problems: ParseProblem[] = []
  const trimmed = text.trim()
  if (trimmed === '') return {value: table, problems: [{message: 'empty output: no OVSDB table'}]}
  if (ERROR_LINE.test(trimmed)) {
    const first = trimmed.split('\n')[0]!.slice(0, 200)
    return {value: table, problems: [{line: 1, text: first, message: `command reported: ${first}`}]}
  }
  const parsed = parseJson(trimmed)
  if ('error' in parsed) {
    const message = parsed.error
    const pos = /position (\d+)/.exec(message)
    const line = pos ? lineAt(trimmed, Number(pos[1])) : 1
    const lineText = trimmed.split('\n')[line - 1] ?? ''
    return {value: table, problems: [{line, text: lineText.slice(0, 200), message: `not OVSDB JSON: ${message}`}]}
  }
  const json = parsed.value
  const doc = json as {headings?: unknown; data?: unknown}
  if (typeof json !== 'object' || json === null || !Array.isArray(doc.headings) || !Array.isArray(doc.data)) {
    return {
      value: table,
      problems: [{line: 1, text: trimmed.slice(0, 200), message: 'JSON without "headings" and "data"'}],
    }
  }
  if (!doc.headings.every((h): h is string => typeof h === 'string')) {
    return {value: table, problems: [{line: 1, message: '"headings" is not a list of strings'}]}
  }
  table.headings = doc.headings
  doc.data.forEach((rowJson: unknown, rowIndex: number) => {
    const where = `row ${rowIndex + 1}`
    if (!Array.isArray(rowJson) || rowJson.length !== table.headings.length) {
      problems.push({
        message: `${where}: expected ${table.headings.length} cells`,
        text: JSON.stringify(rowJson).slice(0, 200),
      })
      return
    }
    const row: OvsdbRow = {}
    rowJson.forEach((cell: unknown, col: number) => {
      const heading = table.headings[col]!
      const decoded = decodeOvsdbValue(cell)
      if ('error' in decoded) problems.push({message: `${where}, column ${heading}: ${decoded.error}`})
      else row[heading] = decoded.value
    })
    table.rows.push(row)
  })
  return {value: table, problems}
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading columns

function atomToString(atom: OvsdbAtom): string {
  return typeof atom === 'object' ? atom.uuid : String(atom)
}

function asAtoms(value: OvsdbValue | undefined): OvsdbAtom[] {
  if (value === undefined || isMap(value)) return []
  return Array.isArray(value) ? value : [value]
}

/** The column as one string (a uuid gives its text); undefined for an empty set or a map. */
export function columnString(row: OvsdbRow, column: string): string | undefined {
  const atoms = asAtoms(row[column])
  return atoms.length === 1 ? atomToString(atoms[0]!) : undefined
}

/** The column as one number; undefined for an empty set or a non-number. */
export function columnNumber(row: OvsdbRow, column: string): number | undefined {
  const atoms = asAtoms(row[column])
  return atoms.length === 1 && typeof atoms[0] === 'number' ? atoms[0] : undefined
}

export function columnStrings(row: OvsdbRow, column: string): string[] {
  return asAtoms(row[column]).map(atomToString)
}

export function columnNumbers(row: OvsdbRow, column: string): number[] {
  return asAtoms(row[column]).filter((a): a is number => typeof a === 'number')
}

export function columnMap(row: OvsdbRow, column: string): Record<string, string> {
  const value = row[column]
  const map: Record<string, string> = {}
  if (value === undefined || !isMap(value)) return map
  for (const [k, v] of value.map) map[atomToString(k)] = atomToString(v)
  return map
}

/** The row's own uuid (`_uuid`). */
export function rowUuid(row: OvsdbRow): string | undefined {
  const value = row._uuid
  return value !== undefined && isUuid(value) ? value.uuid : undefined
}

// ---------------------------------------------------------------------------------------------------------------------
// Joining the tables

const VLAN_MODES: readonly string[] = ['access', 'native-tagged', 'native-untagged', 'trunk', 'dot1q-tunnel']

function indexByUuid(table: OvsdbTable | undefined): Map<string, OvsdbRow> {
  const index = new Map<string, OvsdbRow>()
  for (const row of table?.rows ?? []) {
    const uuid = rowUuid(row)
    if (uuid !== undefined) index.set(uuid, row)
  }
  return index
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/** One Interface row as the model holds it; out-of-range numbers are problems, not kept. */
export function buildInterface(row: OvsdbRow, problems: ParseProblem[]): OvsInterface {
  const iface: OvsInterface = {
    name: columnString(row, 'name') ?? '',
    type: columnString(row, 'type') ?? '',
    options: columnMap(row, 'options'),
    externalIds: columnMap(row, 'external_ids'),
    otherConfig: columnMap(row, 'other_config'),
  }
  const optional: Partial<OvsInterface> = {
    uuid: rowUuid(row),
    ofport: ranged(row, 'ofport', problems, isOfport, 'ofport out of range (1–65279, 65534 LOCAL or -1)'),
    error: columnString(row, 'error'),
    mac: columnString(row, 'mac'),
    macInUse: columnString(row, 'mac_in_use'),
    adminState: columnString(row, 'admin_state'),
    linkState: columnString(row, 'link_state'),
    ifindex: ranged(row, 'ifindex', problems, (n) => intIn(n, 0, 0xffffffff) !== undefined, 'out of range (0–2^32-1)'),
  }
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (iface as unknown as Record<string, unknown>)[key] = value
  }
  return iface
}

/** A number column checked against its range: out of range is a problem naming the row, and the column is left out. */
function ranged(
  row: OvsdbRow,
  column: string,
  problems: ParseProblem[],
  ok: (n: number) => boolean,
  why: string,
): number | undefined {
  const n = columnNumber(row, column)
  if (n === undefined || ok(n)) return n
  problems.push({message: `Interface ${clip(columnString(row, 'name') ?? '?')}: ${column} ${clip(String(n))} ${why}`})
  return undefined
}

function buildPort(row: OvsdbRow, interfaces: Map<string, OvsdbRow>, problems: ParseProblem[]): OvsPort {
  const name = columnString(row, 'name') ?? ''
  const trunks = columnNumbers(row, 'trunks')
  const badTrunk = trunks.find((t) => intIn(t, 0, MAX_VID) === undefined)
  if (badTrunk !== undefined)
    problems.push({message: `Port ${clip(name)}: trunk VLAN ${clip(String(badTrunk))} out of range (0–${MAX_VID})`})
  const port: OvsPort = {
    name,
    trunks: badTrunk === undefined ? trunks : trunks.filter((t) => intIn(t, 0, MAX_VID) !== undefined),
    externalIds: columnMap(row, 'external_ids'),
    otherConfig: columnMap(row, 'other_config'),
    interfaces: [],
  }
  const uuid = rowUuid(row)
  if (uuid !== undefined) port.uuid = uuid
  const tag = columnNumber(row, 'tag')
  if (tag !== undefined && (!Number.isInteger(tag) || tag < 0 || tag > MAX_VID)) {
    problems.push({message: `Port ${name}: tag ${tag} out of range (0–${MAX_VID})`})
  } else if (tag !== undefined) port.tag = tag
  const vlanMode = columnString(row, 'vlan_mode')
  if (vlanMode !== undefined) {
    if (VLAN_MODES.includes(vlanMode)) port.vlanMode = vlanMode as VlanMode
    else problems.push({message: `Port ${name}: unknown vlan_mode '${vlanMode}'`})
  }
  for (const ref of columnStrings(row, 'interfaces')) {
    const ifaceRow = interfaces.get(ref)
    if (ifaceRow) port.interfaces.push(buildInterface(ifaceRow, problems))
    else if (interfaces.size > 0)
      problems.push({message: `Port ${name}: interface ${ref} is not in the Interface table`})
  }
  return port
}

function buildBridge(
  row: OvsdbRow,
  ports: Map<string, OvsdbRow>,
  interfaces: Map<string, OvsdbRow>,
  problems: ParseProblem[],
): OvsBridge {
  const name = columnString(row, 'name') ?? ''
  const bridge: OvsBridge = {
    name,
    controllers: columnStrings(row, 'controller'),
    externalIds: columnMap(row, 'external_ids'),
    otherConfig: columnMap(row, 'other_config'),
    ports: [],
  }
  const uuid = rowUuid(row)
  if (uuid !== undefined) bridge.uuid = uuid
  const datapathType = nonEmpty(columnString(row, 'datapath_type'))
  if (datapathType !== undefined) bridge.datapathType = datapathType
  const failMode = nonEmpty(columnString(row, 'fail_mode'))
  if (failMode !== undefined) bridge.failMode = failMode
  for (const ref of columnStrings(row, 'ports')) {
    const portRow = ports.get(ref)
    if (portRow) bridge.ports.push(buildPort(portRow, interfaces, problems))
    else if (ports.size > 0) problems.push({message: `Bridge ${name}: port ${ref} is not in the Port table`})
  }
  return bridge
}

export function buildOvsConfig(tables: {
  openVswitch?: OvsdbTable
  bridge?: OvsdbTable
  port?: OvsdbTable
  iface?: OvsdbTable
}): ParseResult<OvsConfig> {
  const problems: ParseProblem[] = []
  const config: OvsConfig = {bridges: []}
  const ports = indexByUuid(tables.port)
  const interfaces = indexByUuid(tables.iface)
  if (!tables.bridge) problems.push({message: 'Bridge table missing: bridges unknown'})
  if (!tables.port) problems.push({message: 'Port table missing: ports unknown'})
  if (!tables.iface) problems.push({message: 'Interface table missing: interfaces unknown'})

  const bridgeRows = tables.bridge?.rows ?? []
  const root = tables.openVswitch?.rows[0]
  if (root) {
    const uuid = rowUuid(root)
    if (uuid !== undefined) config.uuid = uuid
    const version = columnString(root, 'ovs_version')
    if (version !== undefined) config.ovsVersion = version
    if (tables.bridge) {
      const known = new Set(bridgeRows.map(rowUuid))
      for (const ref of columnStrings(root, 'bridges')) {
        if (!known.has(ref)) problems.push({message: `Open_vSwitch: bridge ${ref} is not in the Bridge table`})
      }
    }
  }
  for (const row of bridgeRows) config.bridges.push(buildBridge(row, ports, interfaces, problems))
  return {value: config, problems}
}
