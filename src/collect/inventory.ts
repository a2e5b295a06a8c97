// Which hosts to collect from. Two inventory forms, told apart by content:
//
//   neutrace YAML                         Ansible INI
//   defaults: {user: root}                [control]
//   hosts:                                ctl1 ansible_host=198.18.0.10 ansible_user=root
//     ctl1: {address: 198.18.0.10,        [compute]
//            roles: [control, network]}   cmp1 ansible_host=198.18.0.11 ansible_port=2222
//
// ~/.ssh/config is applied the way ssh applies it to the name given on its command line (the address): what the
// inventory says about a host wins over ssh_config, and ssh_config wins over the inventory's `defaults:`.
// `Match exec` blocks are never evaluated: an inventory tool does not run commands from a config file.

import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {homedir, userInfo} from 'node:os'
import SSHConfig from 'ssh-config'
import type * as Yaml from 'yaml'
import type {LineCounter, Node, Pair, YAMLMap} from 'yaml'
import type {Role} from '../specs.js'

// yaml is required when a YAML inventory is read (the parsers are synchronous, and so is require; yaml's Node entry
// is CommonJS): `--host` and INI inventories never load it.
const require = createRequire(import.meta.url)
const yamlModule = (): typeof Yaml => require('yaml') as typeof Yaml

export interface InventoryHost {
  /** The name used in the snapshot (hosts/<name>/). */
  name: string
  address: string
  port: number
  user: string
  identityFile?: string
  /** Further identities from ssh_config (`IdentityFile` may repeat); tried after identityFile. */
  identityFiles?: string[]
  knownHostsFile?: string
  /** Empty = not known: every spec applies. */
  roles: Role[]
  /** Prefix every command with `sudo -n`. */
  sudo?: boolean
  /** Put before every command (after sudo), e.g. ['docker', 'exec', 'openvswitch_vswitchd']. */
  execPrefix?: string[]
  /** `[user@]host[:port]`, comma-separated for a chain, as ssh's ProxyJump. */
  proxyJump?: string
}

export interface Inventory {
  path: string
  format: 'yaml' | 'ini'
  hosts: InventoryHost[]
  /** Ansible hosts left out because they are in none of the control/network/compute groups. */
  ignored: string[]
}

export class InventoryError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`)
    this.name = 'InventoryError'
  }
}

const ROLES: readonly Role[] = ['control', 'network', 'compute']

/** What an inventory says about a host before defaults and ssh_config are applied. */
interface HostDraft {
  name: string
  line?: number
  address?: string
  port?: number
  user?: string
  identityFile?: string
  knownHostsFile?: string
  roles?: Role[]
  sudo?: boolean
  execPrefix?: string[]
  proxyJump?: string
}

type Defaults = Omit<HostDraft, 'name' | 'line' | 'address'>

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/
// A DNS name, an IPv4 address or an IPv6 address (no brackets, optional zone): nothing a shell or ssh option parser
// could mistake for something else.
const ADDRESS = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?)$/

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

function expandHome(path: string): string {
  if (path === '~') return homedir()
  return path.startsWith('~/') ? `${homedir()}/${path.slice(2)}` : path
}

/** ssh_config percent tokens that make sense here (ssh_config(5) TOKENS). */
function expandTokens(value: string, t: {host: string; user: string; port: number; alias: string}): string {
  return expandHome(value).replace(/%([%dhrpnu])/g, (_, c: string) => {
    switch (c) {
      case '%':
        return '%'
      case 'd':
        return homedir()
      case 'h':
        return t.host
      case 'r':
        return t.user
      case 'p':
        return String(t.port)
      case 'n':
        return t.alias
      default:
        return userInfo().username
    }
  })
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

function allValues(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function checkPort(value: unknown, file: string, line?: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InventoryError(file, line, `port ${JSON.stringify(value)} is not a number from 1 to 65535`)
  return n
}

/** Apply defaults and ssh_config to a draft and check the result. */
function finalize(draft: HostDraft, defaults: Defaults, ssh: SSHConfig | undefined, file: string): InventoryHost {
  const where = (detail: string) => new InventoryError(file, draft.line, `host ${draft.name}: ${detail}`)
  if (!HOST_NAME.test(draft.name)) throw where(`the name must match ${HOST_NAME.source}`)
  const alias = draft.address ?? draft.name
  const cfg = ssh ? ssh.compute(alias, {matchExec: false, ignoreCase: true}) : {}
  const port =
    draft.port ??
    (firstValue(cfg.port) !== undefined ? checkPort(firstValue(cfg.port), file, draft.line) : undefined) ??
    defaults.port ??
    22
  const user = draft.user ?? firstValue(cfg.user) ?? defaults.user ?? userInfo().username
  const hostName = firstValue(cfg.hostname)
  const address = hostName === undefined ? alias : expandTokens(hostName, {host: alias, user, port, alias})
  const tokens = {host: address, user, port, alias}
  const identities = [
    ...(draft.identityFile !== undefined ? [draft.identityFile] : []),
    ...allValues(cfg.identityfile).map((p) => expandTokens(p, tokens)),
    ...(defaults.identityFile !== undefined ? [defaults.identityFile] : []),
  ].map(expandHome)
  const knownHosts =
    draft.knownHostsFile ?? firstValue(cfg.userknownhostsfile)?.split(/\s+/)[0] ?? defaults.knownHostsFile
  const jump = draft.proxyJump ?? firstValue(cfg.proxyjump) ?? defaults.proxyJump
  if (!ADDRESS.test(address) || address.startsWith('-'))
    throw where(`address ${JSON.stringify(address)} is not a host name or IP address`)
  if (!USER.test(user)) throw where(`user ${JSON.stringify(user)} must match ${USER.source}`)
  const host: InventoryHost = {name: draft.name, address, port, user, roles: draft.roles ?? defaults.roles ?? []}
  if (identities.length > 0) host.identityFile = identities[0]
  const more = [...new Set(identities.slice(1))].filter((p) => p !== host.identityFile)
  if (more.length > 0) host.identityFiles = more
  if (knownHosts !== undefined) host.knownHostsFile = expandTokens(knownHosts, tokens)
  const sudo = draft.sudo ?? defaults.sudo
  if (sudo !== undefined) host.sudo = sudo
  const prefix = draft.execPrefix ?? defaults.execPrefix
  if (prefix !== undefined && prefix.length > 0) host.execPrefix = prefix
  if (jump !== undefined && jump.toLowerCase() !== 'none') host.proxyJump = jump
  return host
}

// ---------------------------------------------------------------------------------------------------------------------
// neutrace YAML

const HOST_KEYS = [
  'address',
  'port',
  'user',
  'identityFile',
  'knownHostsFile',
  'roles',
  'sudo',
  'execPrefix',
  'proxyJump',
]

function yamlLine(node: Node | Pair | null | undefined, lc: LineCounter): number | undefined {
  const range =
    node && 'range' in node ? node.range : node && 'key' in node ? (node.key as Node | null)?.range : undefined
  return range ? lc.linePos(range[0]).line : undefined
}

function readFields(
  map: YAMLMap,
  lc: LineCounter,
  file: string,
  what: string,
  allowed: string[],
): Defaults & {address?: string} {
  const {isScalar, isSeq} = yamlModule()
  const out: Defaults & {address?: string} = {}
  for (const pair of map.items) {
    const line = yamlLine(pair.key as Node, lc)
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const value = pair.value as Node | null
    const fail = (detail: string) => new InventoryError(file, line, `${what}: ${detail}`)
    const str = (): string => {
      if (!isScalar(value) || (typeof value.value !== 'string' && typeof value.value !== 'number'))
        throw fail(`${key} must be a string`)
      return String(value.value)
    }
    const strings = (): string[] => {
      if (isScalar(value) && typeof value.value === 'string') return [value.value]
      if (!isSeq(value) || !value.items.every((i) => isScalar(i) && typeof i.value === 'string'))
        throw fail(`${key} must be a list of strings`)
      return value.items.map((i) => String((i as {value: unknown}).value))
    }
    switch (allowed.includes(key) ? key : '') {
      case 'address':
        out.address = str()
        break
      case 'port':
        out.port = checkPort(isScalar(value) ? value.value : undefined, file, line)
        break
      case 'user':
        out.user = str()
        break
      case 'identityFile':
        out.identityFile = str()
        break
      case 'knownHostsFile':
        out.knownHostsFile = str()
        break
      case 'proxyJump':
        out.proxyJump = str()
        break
      case 'sudo':
        if (!isScalar(value) || typeof value.value !== 'boolean') throw fail('sudo must be true or false')
        out.sudo = value.value
        break
      case 'roles': {
        const roles = strings()
        const badRole = roles.find((r) => !isRole(r))
        if (badRole !== undefined) throw fail(`unknown role ${JSON.stringify(badRole)} (roles: ${ROLES.join(', ')})`)
        out.roles = roles as Role[]
        break
      }
      case 'execPrefix': {
        if (!isSeq(value)) throw fail('execPrefix must be a list of strings, one per argument')
        const words = strings()
        if (words.some((w) => w === '' || w.includes('\0'))) throw fail('execPrefix has an empty argument')
        out.execPrefix = words
        break
      }
      default:
        throw fail(`unknown key ${JSON.stringify(key)} (expected one of ${allowed.join(', ')})`)
    }
  }
  return out
}

function parseYamlInventory(text: string, file: string): {drafts: HostDraft[]; defaults: Defaults} {
  const yaml = yamlModule()
  const {isMap, isScalar} = yaml
  const lc = new yaml.LineCounter()
  const doc = yaml.parseDocument(text, {lineCounter: lc, prettyErrors: false})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    throw new InventoryError(file, e.linePos?.[0].line ?? lc.linePos(e.pos[0]).line, e.message.split('\n')[0])
  }
  const root = doc.contents
  if (!isMap(root)) throw new InventoryError(file, 1, 'expected a mapping with `hosts:` (and optionally `defaults:`)')
  let defaults: Defaults = {}
  let hostsNode: YAMLMap | undefined
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    const line = yamlLine(pair.key as Node, lc)
    if (key === 'defaults') {
      if (pair.value === null) continue
      if (!isMap(pair.value)) throw new InventoryError(file, line, 'defaults must be a mapping')
      defaults = readFields(
        pair.value,
        lc,
        file,
        'defaults',
        HOST_KEYS.filter((k) => k !== 'address'),
      )
    } else if (key === 'hosts') {
      if (!isMap(pair.value)) throw new InventoryError(file, line, 'hosts must be a mapping of host name to settings')
      hostsNode = pair.value
    } else if (key === 'all') {
      throw new InventoryError(
        file,
        line,
        'this looks like an Ansible YAML inventory; use the INI form or the neutrace form (hosts:, defaults:)',
      )
    } else {
      throw new InventoryError(file, line, `unknown top-level key ${JSON.stringify(key)} (expected hosts, defaults)`)
    }
  }
  if (!hostsNode) throw new InventoryError(file, undefined, 'no `hosts:` mapping')
  const drafts: HostDraft[] = []
  for (const pair of hostsNode.items) {
    const line = yamlLine(pair.key as Node, lc)
    const name = isScalar(pair.key) ? String(pair.key.value) : ''
    const value = pair.value as Node | null
    if (value !== null && !(isScalar(value) && value.value === null) && !isMap(value)) {
      throw new InventoryError(file, line, `host ${name}: settings must be a mapping`)
    }
    const fields = isMap(value) ? readFields(value, lc, file, `host ${name}`, HOST_KEYS) : {}
    drafts.push({name, line, ...fields})
  }
  return {drafts, defaults}
}

// ---------------------------------------------------------------------------------------------------------------------
// Ansible INI

/** Split a line into shell-like words (Ansible uses shlex), dropping a trailing ` # comment`. */
function splitWords(line: string): string[] {
  const words: string[] = []
  let cur = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i]
      else cur += ch
      continue
    }
    if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else if (ch === '#' && !inWord) {
      break
    } else {
      cur += ch
      inWord = true
    }
  }
  if (quote) throw new Error('unterminated quote')
  if (inWord) words.push(cur)
  return words
}

interface IniGroup {
  hosts: string[]
  children: string[]
  vars: Record<string, string>
}

interface IniHost {
  name: string
  line: number
  vars: Record<string, string>
  groups: string[]
}

function keyValue(word: string, file: string, line: number): [string, string] {
  const eq = word.indexOf('=')
  if (eq <= 0) throw new InventoryError(file, line, `expected key=value, got ${JSON.stringify(word)}`)
  return [word.slice(0, eq), word.slice(eq + 1)]
}

function parseIniInventory(text: string, file: string): {groups: Map<string, IniGroup>; hosts: Map<string, IniHost>} {
  const groups = new Map<string, IniGroup>()
  const hosts = new Map<string, IniHost>()
  const group = (name: string): IniGroup => {
    let g = groups.get(name)
    if (!g) groups.set(name, (g = {hosts: [], children: [], vars: {}}))
    return g
  }
  let section = 'ungrouped'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  text.split('\n').forEach((raw, i) => {
    const line = i + 1
    const trimmed = raw.replace(/\r$/, '').trim()
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return
    const header = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(trimmed)
    if (header) {
      section = header[1].trim()
      kind = (header[2] as 'vars' | 'children' | undefined) ?? 'hosts'
      group(section)
      return
    }
    if (trimmed.startsWith('['))
      throw new InventoryError(file, line, `malformed section header ${JSON.stringify(trimmed)}`)
    let words: string[]
    try {
      words = splitWords(trimmed)
    } catch (error) {
      throw new InventoryError(file, line, (error as Error).message)
    }
    if (words.length === 0) return
    if (kind === 'vars') {
      // `key=value` or `key = value` (INI style)
      const joined = words.length === 3 && words[1] === '=' ? `${words[0]}=${words[2]}` : words.join(' ')
      const [k, v] = keyValue(joined, file, line)
      group(section).vars[k.trim()] = v.trim()
      return
    }
    if (kind === 'children') {
      group(section).children.push(words[0])
      return
    }
    const name = words[0]
    if (/\[[^\]]*:[^\]]*\]/.test(name))
      throw new InventoryError(
        file,
        line,
        `host ranges like ${JSON.stringify(name)} are not supported; list the hosts one per line`,
      )
    let host = hosts.get(name)
    if (!host) hosts.set(name, (host = {name, line, vars: {}, groups: []}))
    for (const word of words.slice(1)) {
      const [k, v] = keyValue(word, file, line)
      host.vars[k] = v
    }
    host.groups.push(section)
    group(section).hosts.push(name)
  })
  return {groups, hosts}
}

/** Every group that contains `group` through :children, nearest first. */
function ancestors(group: string, groups: Map<string, IniGroup>): string[] {
  const out: string[] = []
  const queue = [group]
  while (queue.length > 0) {
    const g = queue.shift()!
    for (const [name, def] of groups) {
      if (def.children.includes(g) && !out.includes(name) && name !== group) {
        out.push(name)
        queue.push(name)
      }
    }
  }
  return out
}

function truthy(value: string): boolean {
  return /^(true|yes|on|1)$/i.test(value)
}

/** ProxyJump from `-J x` or `-o ProxyJump=x` in ansible_ssh_common_args / ansible_ssh_extra_args. */
function jumpFromArgs(args: string | undefined): string | undefined {
  if (!args) return undefined
  const words = splitWords(args)
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '-J' && words[i + 1]) return words[i + 1]
    const o = words[i] === '-o' ? words[i + 1] : words[i].startsWith('-o') ? words[i].slice(2) : undefined
    const m = o ? /^ProxyJump[= ](.+)$/i.exec(o) : null
    if (m) return m[1]
  }
  return undefined
}

function iniDrafts(text: string, file: string): {drafts: HostDraft[]; ignored: string[]} {
  const {groups, hosts} = parseIniInventory(text, file)
  const roleGroupsDefined = ROLES.some((r) => groups.has(r))
  const drafts: HostDraft[] = []
  const ignored: string[] = []
  for (const host of hosts.values()) {
    const direct = [...new Set(host.groups)]
    const all = new Set<string>([...direct, ...direct.flatMap((g) => ancestors(g, groups))])
    const roles = ROLES.filter((r) => all.has(r))
    if (roleGroupsDefined && roles.length === 0) {
      ignored.push(host.name)
      continue
    }
    // Later wins: all:vars, then farther ancestors, then direct groups, then the host line itself.
    const order = ['all', ...[...all].filter((g) => !direct.includes(g) && g !== 'all').reverse(), ...direct]
    const vars: Record<string, string> = {}
    for (const g of order) Object.assign(vars, groups.get(g)?.vars ?? {})
    Object.assign(vars, host.vars)
    const draft: HostDraft = {name: host.name, line: host.line, roles}
    if (vars.ansible_host ?? vars.ansible_ssh_host) draft.address = vars.ansible_host ?? vars.ansible_ssh_host
    const port = vars.ansible_port ?? vars.ansible_ssh_port
    if (port !== undefined) draft.port = checkPort(port, file, host.line)
    if (vars.ansible_user ?? vars.ansible_ssh_user) draft.user = vars.ansible_user ?? vars.ansible_ssh_user
    if (vars.ansible_ssh_private_key_file) draft.identityFile = vars.ansible_ssh_private_key_file
    if (vars.ansible_become !== undefined) draft.sudo = truthy(vars.ansible_become)
    const jump = jumpFromArgs(vars.ansible_ssh_common_args) ?? jumpFromArgs(vars.ansible_ssh_extra_args)
    if (jump) draft.proxyJump = jump
    drafts.push(draft)
  }
  return {drafts, ignored}
}

// ---------------------------------------------------------------------------------------------------------------------

function looksLikeIni(text: string): boolean {
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'))
  if (first === undefined) return false
  if (first.startsWith('[')) return true
  // An ungrouped Ansible host line (`name key=value ...`) is not a YAML mapping key.
  return !/^[^\s:]+\s*:(\s|$)/.test(first) && !first.startsWith('---')
}

/** Parse inventory text (either form). `sshConfigText` is the content of ~/.ssh/config, if any. */
export function parseInventory(text: string, file: string, sshConfigText?: string): Inventory {
  const ssh = sshConfigText !== undefined ? SSHConfig.parse(sshConfigText) : undefined
  const ini = looksLikeIni(text)
  const {drafts, defaults, ignored} = ini
    ? {...iniDrafts(text, file), defaults: {} as Defaults}
    : {...parseYamlInventory(text, file), ignored: [] as string[]}
  const hosts = drafts.map((d) => finalize(d, defaults, ssh, file))
  const seen = new Map<string, InventoryHost>()
  for (const [i, h] of hosts.entries()) {
    if (seen.has(h.name)) throw new InventoryError(file, drafts[i].line, `host ${h.name} is listed twice`)
    seen.set(h.name, h)
  }
  if (hosts.length === 0) throw new InventoryError(file, undefined, 'no hosts')
  return {path: file, format: ini ? 'ini' : 'yaml', hosts, ignored}
}

export async function readSshConfig(path: string | null | undefined): Promise<string | undefined> {
  const file = path === undefined ? `${homedir()}/.ssh/config` : path
  if (file === null) return undefined
  if (path === undefined && !existsSync(file)) return undefined
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new InventoryError(
      file,
      undefined,
      `cannot read ssh config (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    )
  }
}

/**
 * Load an inventory file (YAML or Ansible INI, detected by content). `sshConfigPath`: undefined = ~/.ssh/config
 * when it exists, null = none.
 */
export async function loadInventory(path: string, opts: {sshConfigPath?: string | null} = {}): Promise<Inventory> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new InventoryError(
      path,
      undefined,
      `cannot read inventory (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    )
  }
  return parseInventory(text, path, await readSshConfig(opts.sshConfigPath))
}

/**
 * A one-off host from the command line: `NAME=[user@]address[:port]` or `[user@]address[:port]` (the name is then the
 * address). IPv6 addresses with a port go in brackets: `db=[2001:db8::5]:2222`.
 */
export function parseHostArg(arg: string, opts: {sshConfigText?: string; roles?: Role[]} = {}): InventoryHost {
  const file = '--host'
  const eq = arg.indexOf('=')
  const name = eq > 0 ? arg.slice(0, eq) : undefined
  let rest = eq > 0 ? arg.slice(eq + 1) : arg
  let user: string | undefined
  const at = rest.lastIndexOf('@')
  if (at >= 0) {
    user = rest.slice(0, at)
    rest = rest.slice(at + 1)
  }
  let address = rest
  let port: number | undefined
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest)
  if (bracket) {
    address = bracket[1]
    if (bracket[2] !== undefined) port = checkPort(bracket[2], file)
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const colon = rest.indexOf(':')
    address = rest.slice(0, colon)
    port = checkPort(rest.slice(colon + 1), file)
  }
  if (address === '')
    throw new InventoryError(
      file,
      undefined,
      `${JSON.stringify(arg)}: no address (expected NAME=[user@]address[:port])`,
    )
  const ssh = opts.sshConfigText !== undefined ? SSHConfig.parse(opts.sshConfigText) : undefined
  const draft: HostDraft = {
    name: name ?? address.replace(/[^A-Za-z0-9_.-]/g, '-'),
    address,
    port,
    user,
    roles: opts.roles,
  }
  return finalize(draft, {}, ssh, `${file} ${arg}`)
}

/** parseHostArg for several arguments, applying ~/.ssh/config (or `sshConfigPath`). */
export async function resolveHostArgs(
  args: string[],
  opts: {sshConfigPath?: string | null} = {},
): Promise<InventoryHost[]> {
  const sshConfigText = await readSshConfig(opts.sshConfigPath)
  return args.map((a) => parseHostArg(a, {sshConfigText}))
}
