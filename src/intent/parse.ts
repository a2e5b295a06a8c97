// Reads one intent document, whatever its form, detected by shape:
//   {"networks": […]} / {"network": {…}} / … / {"servers": […]}   the Neutron and Nova API bodies
//   {…"id": …}                                                    `openstack network|subnet|port|server show -f json`
//   [{…}, …]                                                      arrays of those, or `openstack … list [--long] -f
// json`
//   | Field | Value | tables, | ID | Name | … | tables             neutron/nova/openstack CLI tables (the seed's era)

import type {
  Intent,
  IntentNetwork,
  IntentPort,
  IntentSecurityGroup,
  IntentFloatingIp,
  IntentRouter,
  IntentServer,
  IntentSgRule,
  IntentSubnet,
  ParseProblem,
  ParseResult,
} from '../types.js'
import {clip} from '../text.js'
import {jsonTooDeep} from '../parsers/bounds.js'
import {
  type IntentKind,
  type ReadContext,
  classify,
  readNetwork,
  readPort,
  readServer,
  readSubnet,
} from './normalise.js'
import {readSecurityGroup, readSgRule} from './security-groups.js'
import {readTables} from './tables.js'
import {readFloatingIp, readRouter} from '../l3/intent.js'
import {type Loose, isLoose} from './values.js'

const ENVELOPES: {key: string; kind: IntentKind; many: boolean}[] = [
  {key: 'networks', kind: 'network', many: true},
  {key: 'network', kind: 'network', many: false},
  {key: 'subnets', kind: 'subnet', many: true},
  {key: 'subnet', kind: 'subnet', many: false},
  {key: 'ports', kind: 'port', many: true},
  {key: 'port', kind: 'port', many: false},
  {key: 'servers', kind: 'server', many: true},
  {key: 'server', kind: 'server', many: false},
  {key: 'security_groups', kind: 'security_group', many: true},
  {key: 'security_group', kind: 'security_group', many: false},
  {key: 'security_group_rules', kind: 'security_group_rule', many: true},
  {key: 'security_group_rule', kind: 'security_group_rule', many: false},
  {key: 'routers', kind: 'router', many: true},
  {key: 'router', kind: 'router', many: false},
  {key: 'floatingips', kind: 'floatingip', many: true},
  {key: 'floatingip', kind: 'floatingip', many: false},
]

/** What one document yields, gathered while reading it. */
class Gathered {
  /** The JSON text can hold no garbled string (see mayBeGarbled): records need no search for one. */
  clean = false
  readonly networks: IntentNetwork[] = []
  readonly subnets: IntentSubnet[] = []
  readonly ports: IntentPort[] = []
  readonly servers: IntentServer[] = []
  readonly securityGroups: IntentSecurityGroup[] = []
  readonly securityGroupRules: IntentSgRule[] = []
  readonly routers: IntentRouter[] = []
  readonly floatingIps: IntentFloatingIp[] = []
  readonly unknowns: string[] = []
  readonly problems: ParseProblem[] = []

  add(kind: IntentKind | undefined, rec: Loose, where: Omit<ReadContext, 'problems' | 'unknowns'>): void {
    const ctx: ReadContext = {...where, problems: this.problems, unknowns: this.unknowns}
    switch (kind) {
      case 'network':
        push(this.networks, readNetwork(rec, ctx))
        break
      case 'subnet':
        push(this.subnets, readSubnet(rec, ctx))
        break
      case 'port':
        push(this.ports, readPort(rec, ctx))
        break
      case 'server':
        push(this.servers, readServer(rec, ctx))
        break
      case 'security_group':
        push(this.securityGroups, readSecurityGroup(rec, ctx))
        break
      case 'security_group_rule':
        push(this.securityGroupRules, readSgRule(rec, ctx))
        break
      case 'router':
        push(this.routers, readRouter(rec, ctx))
        break
      case 'floatingip':
        push(this.floatingIps, readFloatingIp(rec, ctx))
        break
      default:
        this.problems.push({
          ...(where.line !== undefined ? {line: where.line} : {}),
          text: clip(Object.keys(rec).join(', ')),
          message: 'cannot tell whether this record is a network, subnet, port or server; skipped',
        })
    }
  }

  result(name: string): ParseResult<Partial<Intent>> {
    return {
      value: {
        networks: this.networks,
        subnets: this.subnets,
        ports: this.ports,
        servers: this.servers,
        ...(this.securityGroups.length ? {securityGroups: this.securityGroups} : {}),
        ...(this.securityGroupRules.length ? {securityGroupRules: this.securityGroupRules} : {}),
        ...(this.routers.length ? {routers: this.routers} : {}),
        ...(this.floatingIps.length ? {floatingIps: this.floatingIps} : {}),
        unknowns: [...new Set(this.unknowns)],
        sources: [name],
      },
      problems: this.problems,
    }
  }
}

function push<T>(list: T[], item: T | undefined): void {
  if (item !== undefined) list.push(item)
}

function lineAt(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++
  return line
}

/** Where each id of one text is first written (`"id": "…"`), by line: built in one pass, then looked up. */
let idLines: {text: string; lines: Map<string, number>} | undefined

function indexIds(text: string): Map<string, number> {
  const lines = new Map<string, number>()
  const re = /"(?:id|ID)"\s*:\s*"([^"\\]*)"/g
  let line = 1
  let at = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (; at < m.index; at++) if (text.charCodeAt(at) === 10) line++
    if (!lines.has(m[1])) lines.set(m[1], line)
  }
  return lines
}

/** The line of a JSON record: where its id is written (`"id": "…"`); ids are unique enough to find it. */
function lineOfId(text: string, rec: Loose): number | undefined {
  const id = rec.id ?? rec.ID
  if (typeof id !== 'string' || id === '') return undefined
  // One index per text: a body of 20,000 ports is scanned once, not once per port.
  if (idLines?.text !== text) idLines = {text, lines: indexIds(text)}
  return idLines.lines.get(id)
}

/** Node reports where JSON broke as `position N` (and, since 22, `line L column C`). */
function jsonErrorLine(text: string, error: Error): number | undefined {
  const byLine = /line (\d+) column/.exec(error.message)
  if (byLine) return Number(byLine[1])
  const byPosition = /position (\d+)/.exec(error.message)
  return byPosition ? lineAt(text, Number(byPosition[1])) : undefined
}

/** `{"NeutronError": {"message": …}}`, `{"itemNotFound": {"message": …, "code": 404}}` */
function apiError(data: Loose): string | undefined {
  const keys = Object.keys(data)
  if (keys.length !== 1) return undefined
  const body = data[keys[0]]
  return isLoose(body) && typeof body.message === 'string' ? `${keys[0]}: ${body.message}` : undefined
}

/** Intent documents nest a few levels (envelope, record, fixed_ips, binding:vif_details); deeper is not intent. */
const MAX_INTENT_DEPTH = 64

/** How deeply a parsed JSON value nests, counted without recursion (and without going past `limit`). */
function depthOf(value: unknown, limit: number): number {
  let max = 0
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    max = Math.max(max, d)
    if (max > limit) return max
    for (const child of Object.values(v)) stack.push([child, d + 1])
  }
  return max
}

/** A short, non-recursive description of a value for a problem's text. */
function preview(value: unknown): string {
  if (Array.isArray(value)) return `[a list of ${value.length}]`
  if (typeof value === 'object' && value !== null) return `{${clip(Object.keys(value).join(', '))}}`
  return clip(JSON.stringify(value) ?? String(value))
}

/** NUL (a zero-filled block) and U+FFFD (bytes that were not UTF-8): the marks of a damaged file, as in captures. */
const GARBLED = /[\x00\ufffd]/

/** The first string of a parsed value (keys included) that holds garbled characters; found without recursion. */
function garbledString(value: unknown): string | undefined {
  const stack: unknown[] = [value]
  while (stack.length) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (GARBLED.test(v)) return v
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        if (GARBLED.test(k)) return k
        stack.push(child)
      }
    }
  }
  return undefined
}

/** A record's id for a problem, when it has a readable one. */
function recordName(rec: Loose): string {
  const id = rec.id ?? rec.ID
  return typeof id === 'string' && !GARBLED.test(id) ? ` ${clip(id, 80)}` : ''
}

/** Whether a parsed string of `text` can hold a garbled character: only if the text holds one, or a \u escape. */
function mayBeGarbled(text: string): boolean {
  return GARBLED.test(text) || text.includes('\\u')
}

function readJsonRecord(text: string, rec: unknown, kind: IntentKind | undefined, out: Gathered, where: string): void {
  if (!isLoose(rec)) {
    out.problems.push({text: preview(rec), message: `${where}: expected an object`})
    return
  }
  const garbled = out.clean ? undefined : garbledString(rec)
  if (garbled !== undefined) {
    // A damaged record is not read: what rests on it becomes unknown, and no check compares a cloud with garbage.
    const line = lineOfId(text, rec)
    out.problems.push({
      ...(line !== undefined ? {line} : {}),
      text: clip(garbled, 80),
      message: `${where}${recordName(rec)}: garbled (NUL or bytes that are not UTF-8): the record is not read`,
    })
    return
  }
  out.add(kind ?? classify(rec), rec, {line: lineOfId(text, rec), fromTable: false})
}

function readJson(text: string, out: Gathered): void {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    const line = jsonErrorLine(text, error as Error)
    const lineText = line !== undefined ? text.split(/\r?\n/)[line - 1]?.trim() : undefined
    out.problems.push({
      ...(line !== undefined ? {line} : {}),
      ...(lineText ? {text: clip(lineText)} : {}),
      message: `not valid JSON: ${(error as Error).message}`,
    })
    return
  }
  // The text's brackets nest at least as deep as the value (a duplicate key can only drop a level): within the bound
  // there, the walk over every value is not needed.
  if (jsonTooDeep(text, MAX_INTENT_DEPTH) !== undefined && depthOf(data, MAX_INTENT_DEPTH) > MAX_INTENT_DEPTH) {
    out.problems.push({
      line: 1,
      message: `nested more than ${MAX_INTENT_DEPTH} levels deep: not an intent document, not read`,
    })
    return
  }
  out.clean = !mayBeGarbled(text)
  if (Array.isArray(data)) {
    data.forEach((item) => readJsonRecord(text, item, undefined, out, 'list item'))
    return
  }
  if (!isLoose(data)) {
    out.problems.push({line: 1, text: clip(text.trim()), message: 'expected a JSON object or array'})
    return
  }
  if (data.id !== undefined || data.ID !== undefined) {
    readJsonRecord(text, data, undefined, out, 'document')
    return
  }
  const error = apiError(data)
  if (error !== undefined) {
    out.problems.push({line: 1, text: clip(error), message: 'the document is an API error reply, not intent'})
    return
  }
  let found = false
  for (const {key, kind, many} of ENVELOPES) {
    const body = data[key]
    if (body === undefined) continue
    found = true
    if (many && Array.isArray(body)) body.forEach((item) => readJsonRecord(text, item, kind, out, `${key}[]`))
    else if (!many && isLoose(body)) readJsonRecord(text, body, kind, out, key)
    else out.problems.push({line: 1, text: clip(key), message: `"${key}" should hold ${many ? 'a list' : 'an object'}`})
  }
  if (!found) {
    out.problems.push({
      line: 1,
      text: clip(Object.keys(data).join(', ')),
      message: 'not a Neutron or Nova document: no networks, subnets, ports or servers',
    })
  }
}

function readTableText(text: string, out: Gathered): void {
  const tables = readTables(text)
  out.problems.push(...tables.problems)
  if (!tables.sawTable) {
    const first = text.split(/\r?\n/).findIndex((l) => l.trim() !== '')
    out.problems.push({
      line: first + 1,
      text: clip(text.split(/\r?\n/)[first].trim()),
      message: 'neither JSON nor a CLI table',
    })
    return
  }
  for (const t of tables.records)
    out.add(classify(t.record), t.record, {line: t.line, fieldLines: t.fieldLines, fromTable: true})
}

/** Parses one intent document of any supported form; never throws. `name` is recorded as its source. */
export function parseIntentDocument(name: string, text: string): ParseResult<Partial<Intent>> {
  const out = new Gathered()
  const trimmed = text.replace(/^\uFEFF/, '').trim()
  if (trimmed === '') out.problems.push({message: 'empty document'})
  else if (trimmed.startsWith('{') || trimmed.startsWith('[')) readJson(text.replace(/^\uFEFF/, ''), out)
  else readTableText(text, out)
  return out.result(name)
}
