// Intent from the live OpenStack APIs, for `neutrace collect`:
//
//   configuration   clouds.yaml (+ secure.yaml), OS_CLOUD / --os-cloud, OS_* variables: read the way the openstack
//                   client reads them (openstacksdk's loader plus osc-lib's argparse defaults and default domain)
//   token           Keystone v3 POST /v3/auth/tokens, password or application credential; X-Subject-Token
//   catalog         network (and compute) endpoint chosen by interface and region
//   lists           Neutron GET /v2.0/{networks,subnets,ports}, Nova GET /v2.1/servers/detail?all_tenants=1, every
//                   page (limit + the `*_links` next marker), merged into one body of the API's own shape
//
// Credentials are held in `Secret`s, which print as "[redacted]" however they are logged or serialised; every message
// built from a server's answer is scrubbed of them. The token is used only in the X-Auth-Token request header.

import {readFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'
import {inspect} from 'node:util'
import type {Logger} from 'pino'
import {parse as parseYaml} from 'yaml'
import type {IntentSource} from './collector.js'
import {silentLogger} from './log.js'

// ---- secrets ----------------------------------------------------------------------------------------------------

const REDACTED = '[redacted]'

/** A credential. Printing, logging or serialising it gives "[redacted]"; only `reveal()` gives the value. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  reveal(): string {
    return this.#value
  }
  toString(): string {
    return REDACTED
  }
  toJSON(): string {
    return REDACTED
  }
  [inspect.custom](): string {
    return REDACTED
  }
}

/** `text` with every occurrence of a secret's value replaced. */
export function scrub(text: string, secrets: readonly Secret[]): string {
  let out = text
  for (const s of secrets) {
    const v = s.reveal()
    if (v.length >= 3) out = out.split(v).join(REDACTED)
  }
  return out
}

// ---- errors -----------------------------------------------------------------------------------------------------

export type OpenStackErrorKind = 'config' | 'auth' | 'forbidden' | 'not-found' | 'http' | 'connect' | 'tls' | 'timeout' | 'response' | 'aborted'

export class OpenStackError extends Error {
  override name = 'OpenStackError'
  constructor(
    readonly kind: OpenStackErrorKind,
    message: string,
    readonly url?: string,
    readonly status?: number,
  ) {
    super(message)
  }
}

function configError(message: string): OpenStackError {
  return new OpenStackError('config', message)
}

// ---- configuration ------------------------------------------------------------------------------------------------

type Loose = Record<string, unknown>

function isLoose(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export type EndpointInterface = 'public' | 'internal' | 'admin'

export interface PasswordAuth {
  type: 'password'
  username?: string
  userId?: string
  password: Secret
  userDomainName?: string
  userDomainId?: string
  projectName?: string
  projectId?: string
  projectDomainName?: string
  projectDomainId?: string
}

export interface ApplicationCredentialAuth {
  type: 'v3applicationcredential'
  id?: string
  /** With a name (no id) Keystone also needs the owner: username or userId (+ domain). */
  name?: string
  secret: Secret
  username?: string
  userId?: string
  userDomainName?: string
  userDomainId?: string
}

export interface CloudConfig {
  /** The cloud's name in clouds.yaml; undefined when only OS_* variables were used. */
  cloud?: string
  /** clouds.yaml / secure.yaml files that were read. */
  files: string[]
  /** Names (never values) of the OS_* variables that took part. */
  environment: string[]
  /** Keystone v3 base URL, ending in /v3. */
  authUrl: string
  auth: PasswordAuth | ApplicationCredentialAuth
  regionName?: string
  interface: EndpointInterface
  /** CA bundle for TLS verification (replaces the system CAs, like requests' verify=PATH). */
  cacert?: string
  /** Client certificate and key (PEM files). */
  cert?: string
  key?: string
  /** TLS certificates are not verified. Only when configured explicitly (verify: false, insecure: true, --insecure). */
  insecure: boolean
  /** Per HTTP request. */
  timeoutMs: number
}

/** What the command line sets; each wins over clouds.yaml and OS_* variables. */
export interface CloudOverrides {
  authUrl?: string
  regionName?: string
  interface?: string
  cacert?: string
  insecure?: boolean
  timeoutMs?: number
}

export interface CloudConfigOptions {
  /** --os-cloud; default $OS_CLOUD. */
  cloud?: string
  /** Default process.env. */
  env?: Record<string, string | undefined>
  /** Default process.cwd(). */
  cwd?: string
  /** Default os.homedir(). */
  home?: string
  /** Replace the clouds.yaml / secure.yaml search lists (tests). $OS_CLIENT_CONFIG_FILE etc. still come first. */
  configFiles?: string[]
  secureFiles?: string[]
  overrides?: CloudOverrides
}

const DEFAULT_TIMEOUT_MS = 30_000
const SUFFIXES = ['.yaml', '.yml', '.json']

/** Where the openstack client looks for clouds.yaml (kind 'clouds') or secure.yaml, in order; the first found is used. */
export function configSearchPath(kind: 'clouds' | 'secure', opts: {env?: Record<string, string | undefined>; cwd?: string; home?: string} = {}): string[] {
  const env = opts.env ?? process.env
  const home = opts.home ?? homedir()
  const userDir = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'openstack')
  const siteDir = join((env.XDG_CONFIG_DIRS || '/etc/xdg').split(':')[0] || '/etc/xdg', 'openstack')
  const dirs = [opts.cwd ?? process.cwd(), userDir, join(home, '.config', 'openstack'), siteDir, '/etc/openstack']
  const files = dirs.flatMap((d) => SUFFIXES.map((s) => join(d, `${kind}${s}`)))
  return [...new Set(files)]
}

interface LoadedFile {
  path: string
  data: Loose
}

/** `-` in keys is read as `_`, as openstacksdk does. */
function normalizeKeys(value: Loose): Loose {
  const out: Loose = {}
  for (const [k, v] of Object.entries(value)) out[k.replace(/-/g, '_')] = isLoose(v) ? normalizeKeys(v) : v
  return out
}

/** Mappings merge key by key, recursively; anything else in `over` replaces. */
export function mergeConfig(base: Loose, over: Loose): Loose {
  const out: Loose = {...base}
  for (const [k, v] of Object.entries(over)) out[k] = isLoose(v) && isLoose(out[k]) ? mergeConfig(out[k] as Loose, v) : v
  return out
}

function readConfigFile(path: string): LoadedFile | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    // openstacksdk skips a file it may not read; a missing one is simply not there.
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') return undefined
    throw configError(`${path}: cannot read (${code ?? String(error)})`)
  }
  let data: unknown
  try {
    // YAML 1.1 like PyYAML's safe_load (yes/no are booleans); JSON files parse as YAML too, but JSON.parse is exact.
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text, {version: '1.1'})
  } catch (error) {
    const pos = (error as {linePos?: {line: number}[]}).linePos?.[0]
    const first = ((error as Error).message ?? String(error)).split('\n')[0]
    throw configError(`${path}${pos ? `:${pos.line}` : ''}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${first}`)
  }
  if (data === null || data === undefined) return {path, data: {}}
  if (!isLoose(data)) throw configError(`${path}: expected a mapping with a "clouds" key`)
  return {path, data: normalizeKeys(data)}
}

function firstConfigFile(paths: string[]): LoadedFile | undefined {
  for (const p of paths) {
    const f = readConfigFile(p)
    if (f) return f
  }
  return undefined
}

function cloudsOf(file: LoadedFile | undefined): Loose {
  if (!file) return {}
  const clouds = file.data.clouds
  if (clouds === undefined || clouds === null) return {}
  if (!isLoose(clouds)) throw configError(`${file.path}: "clouds" must be a mapping of cloud names`)
  return clouds
}

/** OS_* variable → configuration key (dotted: auth.x). Later entries of one key win (project_name over tenant_name). */
const ENV_KEYS: [string, string][] = [
  ['OS_AUTH_URL', 'auth.auth_url'],
  ['OS_USERNAME', 'auth.username'],
  ['OS_USER_ID', 'auth.user_id'],
  ['OS_PASSWORD', 'auth.password'],
  ['OS_TENANT_NAME', 'auth.project_name'],
  ['OS_PROJECT_NAME', 'auth.project_name'],
  ['OS_TENANT_ID', 'auth.project_id'],
  ['OS_PROJECT_ID', 'auth.project_id'],
  ['OS_USER_DOMAIN_NAME', 'auth.user_domain_name'],
  ['OS_USER_DOMAIN_ID', 'auth.user_domain_id'],
  ['OS_PROJECT_DOMAIN_NAME', 'auth.project_domain_name'],
  ['OS_PROJECT_DOMAIN_ID', 'auth.project_domain_id'],
  ['OS_DOMAIN_NAME', 'auth.domain_name'],
  ['OS_DOMAIN_ID', 'auth.domain_id'],
  ['OS_APPLICATION_CREDENTIAL_ID', 'auth.application_credential_id'],
  ['OS_APPLICATION_CREDENTIAL_NAME', 'auth.application_credential_name'],
  ['OS_APPLICATION_CREDENTIAL_SECRET', 'auth.application_credential_secret'],
  ['OS_AUTH_TYPE', 'auth_type'],
  ['OS_REGION_NAME', 'region_name'],
  ['OS_ENDPOINT_TYPE', 'interface'],
  ['OS_INTERFACE', 'interface'],
  ['OS_CACERT', 'cacert'],
  ['OS_CERT', 'cert'],
  ['OS_KEY', 'key'],
  ['OS_INSECURE', 'insecure'],
  ['OS_DEFAULT_DOMAIN', 'default_domain'],
  ['OS_IDENTITY_API_VERSION', 'identity_api_version'],
  ['OS_API_TIMEOUT', 'api_timeout'],
]

/** Variables that only select or tune: alone they do not make an environment-defined cloud (as in openstacksdk). */
const SELECTORS = new Set(['OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME'])

function setPath(target: Loose, dotted: string, value: unknown): void {
  const [head, tail] = dotted.split('.') as [string, string | undefined]
  if (tail === undefined) {
    target[head] = value
    return
  }
  const inner = isLoose(target[head]) ? (target[head] as Loose) : {}
  target[head] = {...inner, [tail]: value}
}

function envOverlay(env: Record<string, string | undefined>): {values: Loose; used: string[]} {
  const values: Loose = {}
  const used: string[] = []
  for (const [name, key] of ENV_KEYS) {
    const v = env[name]
    // argparse drops empty values: an exported but empty variable changes nothing.
    if (v === undefined || v === '') continue
    setPath(values, key, v)
    used.push(name)
  }
  return {values, used}
}

/** openstacksdk's key aliases: older names and auth keys given at the top level are moved into `auth`. */
const AUTH_ALIASES: [string, string[]][] = [
  ['project_id', ['tenant_id', 'project_id']],
  ['project_name', ['tenant_name', 'project_name']],
  ['domain_id', ['domain_id']],
  ['domain_name', ['domain_name']],
  ['user_domain_id', ['user_domain_id']],
  ['user_domain_name', ['user_domain_name']],
  ['project_domain_id', ['project_domain_id']],
  ['project_domain_name', ['project_domain_name']],
]

function fixAliases(raw: Loose): Loose {
  const out: Loose = {...raw}
  const auth: Loose = isLoose(raw.auth) ? {...raw.auth} : {}
  for (const [target, keys] of AUTH_ALIASES) {
    let value: unknown
    for (const k of keys) {
      if (out[k] !== undefined && out[k] !== null) value = out[k]
      delete out[k]
      if (auth[k] !== undefined && auth[k] !== null) value = auth[k]
      delete auth[k]
    }
    if (value !== undefined && value !== '') auth[target] = value
  }
  if (out.auth_plugin !== undefined && out.auth_type === undefined) out.auth_type = out.auth_plugin
  delete out.auth_plugin
  if (out.endpoint_type !== undefined && out.interface === undefined) out.interface = out.endpoint_type
  delete out.endpoint_type
  out.auth = auth
  return out
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  const s = String(value)
  return s === '' ? undefined : s
}

/** openstacksdk's get_boolean: true, or the string "true" in any case; anything else is false. */
function truthy(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true')
}

function falsy(value: unknown): boolean {
  return value === false || (typeof value === 'string' && value.toLowerCase() === 'false')
}

function expandHome(path: string, home: string, cwd: string): string {
  const p = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path
  return isAbsolute(p) ? p : resolve(cwd, p)
}

/** A Keystone v3 base URL from an auth_url: `/v3` appended when the URL names no version (no discovery here). */
export function keystoneV3Url(authUrl: string): string {
  let url: URL
  try {
    url = new URL(authUrl)
  } catch {
    throw configError(`auth_url ${JSON.stringify(safeUrl(authUrl))} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(`auth_url ${safeUrl(authUrl)}: only http and https are supported`)
  url.username = ''
  url.password = ''
  url.search = ''
  url.hash = ''
  let path = url.pathname.replace(/\/+$/, '')
  if (/\/v2\.0$/.test(path)) path = path.replace(/\/v2\.0$/, '/v3')
  else if (!/\/v3$/.test(path)) path = `${path}/v3`
  url.pathname = path
  return url.toString().replace(/\/+$/, '')
}

/** `base` and path parts joined with exactly one slash between them; the base's query is dropped. */
export function joinUrl(base: string, ...parts: string[]): string {
  const url = new URL(base)
  url.search = ''
  url.hash = ''
  const segments = [url.pathname.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter((s) => s !== '')
  url.pathname = segments.join('/').replace(/^(?!\/)/, '/')
  return url.toString()
}

/** A URL fit for a message: user information removed. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.username === '' && u.password === '') return url
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//')
  }
}

function normalizeInterface(value: string, where: string): EndpointInterface {
  const v = value.toLowerCase().replace(/url$/, '')
  if (v === 'public' || v === 'internal' || v === 'admin') return v
  throw configError(`${where}: interface ${JSON.stringify(value)} is not one of public, internal, admin`)
}

interface Region {
  name: string
  values: Loose
}

function regionsOf(raw: Loose, where: string): Region[] {
  if (Array.isArray(raw.regions)) {
    return raw.regions.map((r) => {
      if (typeof r === 'string') return {name: r, values: {}}
      if (isLoose(r) && typeof r.name === 'string') return {name: r.name, values: isLoose(r.values) ? normalizeKeys(r.values) : {}}
      throw configError(`${where}: every entry of "regions" needs a name`)
    })
  }
  const name = text(raw.region_name)
  return name ? name.split(',').map((n) => ({name: n.trim(), values: {}})) : []
}

function pickRegion(regions: Region[], wanted: string | undefined, where: string): Region | undefined {
  if (regions.length === 0) return wanted ? {name: wanted, values: {}} : undefined
  if (!wanted) return regions[0]
  const found = regions.find((r) => r.name === wanted)
  if (!found) throw configError(`${where}: region ${wanted} is not one of ${regions.map((r) => r.name).join(', ')} (region names are case sensitive)`)
  return found
}

/** Which auth plugin: an explicit auth_type wins; otherwise application credential settings without a password. */
export function selectAuthType(authType: string | undefined, auth: Loose, where: string): 'password' | 'v3applicationcredential' {
  if (authType !== undefined) {
    const t = authType.toLowerCase()
    if (t === 'password' || t === 'v3password') return 'password'
    if (t === 'v3applicationcredential') return 'v3applicationcredential'
    throw configError(`${where}: auth_type ${JSON.stringify(authType)} is not supported; use password, v3password or v3applicationcredential`)
  }
  const appCredential = ['application_credential_secret', 'application_credential_id', 'application_credential_name'].some((k) => text(auth[k]) !== undefined)
  return appCredential && text(auth.password) === undefined ? 'v3applicationcredential' : 'password'
}

interface Hints {
  where: string
  /** A named cloud: keys can be set in clouds.yaml/secure.yaml. */
  inFile: boolean
}

function missing(h: Hints, what: string, key: string, envName: string): OpenStackError {
  const how = h.inFile ? `set auth.${key} in clouds.yaml${/secret|password/.test(key) ? ' or secure.yaml' : ''}, or ${envName}` : `set ${envName}`
  return configError(`${h.where}: no ${what}: ${how}`)
}

function passwordAuth(auth: Loose, h: Hints, defaultDomain: string | undefined): PasswordAuth {
  const password = text(auth.password)
  const username = text(auth.username)
  const userId = text(auth.user_id)
  const projectName = text(auth.project_name)
  const projectId = text(auth.project_id)
  if (!username && !userId) throw missing(h, 'user', 'username', 'OS_USERNAME (or OS_USER_ID)')
  if (password === undefined) throw missing(h, 'password', 'password', 'OS_PASSWORD')
  // A project-scoped token is what carries the service catalog; an unscoped one has none.
  if (!projectName && !projectId) throw missing(h, 'project (an unscoped token has no service catalog)', 'project_name', 'OS_PROJECT_NAME (or OS_PROJECT_ID)')
  const out: PasswordAuth = {type: 'password', password: new Secret(password)}
  if (username) out.username = username
  if (userId) out.userId = userId
  if (projectName) out.projectName = projectName
  if (projectId) out.projectId = projectId
  // domain_id/domain_name stand for both domains when those are not given (openstacksdk), then OSC's default domain.
  const userDomainName = text(auth.user_domain_name) ?? text(auth.domain_name)
  const userDomainId = text(auth.user_domain_id) ?? text(auth.domain_id)
  const projectDomainName = text(auth.project_domain_name) ?? text(auth.domain_name)
  const projectDomainId = text(auth.project_domain_id) ?? text(auth.domain_id)
  if (userDomainName) out.userDomainName = userDomainName
  else if (userDomainId) out.userDomainId = userDomainId
  else if (defaultDomain) out.userDomainId = defaultDomain
  if (projectDomainName) out.projectDomainName = projectDomainName
  else if (projectDomainId) out.projectDomainId = projectDomainId
  else if (defaultDomain) out.projectDomainId = defaultDomain
  if (username && !userId && !out.userDomainName && !out.userDomainId) throw missing(h, 'user domain for the user name', 'user_domain_name', 'OS_USER_DOMAIN_NAME')
  if (projectName && !projectId && !out.projectDomainName && !out.projectDomainId) throw missing(h, 'project domain for the project name', 'project_domain_name', 'OS_PROJECT_DOMAIN_NAME')
  return out
}

function applicationCredentialAuth(auth: Loose, h: Hints, defaultDomain: string | undefined): ApplicationCredentialAuth {
  const secret = text(auth.application_credential_secret)
  const id = text(auth.application_credential_id)
  const name = text(auth.application_credential_name)
  if (!id && !name) throw missing(h, 'application credential', 'application_credential_id', 'OS_APPLICATION_CREDENTIAL_ID')
  if (secret === undefined) throw missing(h, 'application credential secret', 'application_credential_secret', 'OS_APPLICATION_CREDENTIAL_SECRET')
  const out: ApplicationCredentialAuth = {type: 'v3applicationcredential', secret: new Secret(secret)}
  if (id) out.id = id
  else {
    out.name = name
    const username = text(auth.username)
    const userId = text(auth.user_id)
    if (!username && !userId) throw missing(h, 'owner for the application credential name (or use its id)', 'username', 'OS_USERNAME (or OS_USER_ID)')
    if (userId) out.userId = userId
    else {
      out.username = username
      const domainName = text(auth.user_domain_name) ?? text(auth.domain_name)
      const domainId = text(auth.user_domain_id) ?? text(auth.domain_id) ?? defaultDomain
      if (domainName) out.userDomainName = domainName
      else if (domainId) out.userDomainId = domainId
      else throw missing(h, 'user domain for the user name', 'user_domain_name', 'OS_USER_DOMAIN_NAME')
    }
  }
  return out
}

/** The connection settings, from clouds.yaml (+ secure.yaml), OS_CLOUD and OS_* variables, then `overrides`. */
export function resolveCloudConfig(opts: CloudConfigOptions = {}): CloudConfig {
  const env = opts.env ?? process.env
  const cwd = opts.cwd ?? process.cwd()
  const home = opts.home ?? homedir()
  const searchOpts = {env, cwd, home}
  const configFiles = [...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []), ...(opts.configFiles ?? configSearchPath('clouds', searchOpts))]
  const secureFiles = [...(env.OS_CLIENT_SECURE_FILE ? [env.OS_CLIENT_SECURE_FILE] : []), ...(opts.secureFiles ?? configSearchPath('secure', searchOpts))]
  const cloudsFile = firstConfigFile(configFiles)
  const secureFile = firstConfigFile(secureFiles)
  const clouds = mergeConfig(cloudsOf(cloudsFile), cloudsOf(secureFile))
  const files = [cloudsFile?.path, secureFile?.path].filter((p): p is string => p !== undefined)
  const overlay = envOverlay(env)
  const envDefinesCloud = overlay.used.some((n) => !SELECTORS.has(n))

  let name = opts.cloud || env.OS_CLOUD || undefined
  if (!name && !envDefinesCloud) {
    const names = Object.keys(clouds)
    if (names.length === 1) name = names[0]
    else if (names.length > 1) throw configError(`${cloudsFile!.path} defines several clouds (${names.join(', ')}): choose one with --os-cloud or OS_CLOUD`)
    else
      throw configError(
        'no OpenStack credentials: set OS_CLOUD (or --os-cloud) to a cloud of a clouds.yaml in ./, ~/.config/openstack/ or /etc/openstack/, ' +
          'or set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME (or OS_APPLICATION_CREDENTIAL_ID and _SECRET)',
      )
  }
  let where = 'the OS_* environment'
  let base: Loose = {}
  if (name) {
    if (!cloudsFile && !secureFile) throw configError(`cloud ${name} was asked for, but no clouds.yaml was found (looked in ${[...new Set(configFiles.map((f) => f.replace(/\/clouds\.[a-z]+$/, '/')))].join(', ')})`)
    const entry = clouds[name]
    if (!isLoose(entry)) throw configError(`cloud ${name} is not defined in ${files.join(' or ')} (clouds: ${Object.keys(clouds).join(', ') || 'none'})`)
    base = entry
    where = `cloud ${name} (${files.join(' + ')})`
    if (base.profile !== undefined || base.cloud !== undefined) throw configError(`${where}: vendor profiles (profile: ${String(base.profile ?? base.cloud)}) are not supported: put auth_url and region_name into the cloud itself`)
  }
  const h: Hints = {where, inFile: name !== undefined}

  // Region first (its values sit under the cloud's), then OS_* variables, then the command line: the order the
  // openstack client gets from argparse defaults taken from the environment.
  const wantedRegion = opts.overrides?.regionName || env.OS_REGION_NAME || undefined
  const region = pickRegion(regionsOf(base, where), wantedRegion, where)
  let raw = fixAliases(mergeConfig(base, region?.values ?? {}))
  raw = fixAliases(mergeConfig(raw, fixAliases(overlay.values)))
  const o = opts.overrides ?? {}
  if (o.authUrl) raw = mergeConfig(raw, {auth: {auth_url: o.authUrl}})
  if (o.interface) raw.interface = o.interface
  if (o.cacert) raw.cacert = o.cacert
  const auth = raw.auth as Loose

  const idVersion = text(raw.identity_api_version)
  if (idVersion !== undefined && !idVersion.startsWith('3')) throw configError(`${where}: identity API version ${idVersion} is not supported; Keystone v3 only`)
  const authUrlText = text(auth.auth_url)
  if (!authUrlText) throw missing(h, 'Keystone URL', 'auth_url', 'OS_AUTH_URL')
  const authType = selectAuthType(text(raw.auth_type), auth, where)
  const defaultDomain = raw.default_domain === undefined ? 'default' : text(raw.default_domain)
  const config: CloudConfig = {
    ...(name ? {cloud: name} : {}),
    files,
    environment: overlay.used.filter((n) => n !== 'OS_CLOUD'),
    authUrl: keystoneV3Url(authUrlText),
    auth: authType === 'password' ? passwordAuth(auth, h, defaultDomain) : applicationCredentialAuth(auth, h, defaultDomain),
    interface: normalizeInterface(text(raw.interface) ?? 'public', where),
    insecure: o.insecure ?? (truthy(raw.insecure) || falsy(raw.verify)),
    timeoutMs: o.timeoutMs ?? timeoutFrom(raw.api_timeout, where),
  }
  const regionName = region?.name
  if (regionName) config.regionName = regionName
  for (const k of ['cacert', 'cert', 'key'] as const) {
    const v = text(raw[k])
    if (v) config[k] = expandHome(v, home, cwd)
  }
  return config
}

function timeoutFrom(value: unknown, where: string): number {
  const t = text(value)
  if (t === undefined) return DEFAULT_TIMEOUT_MS
  const seconds = Number(t)
  if (!Number.isFinite(seconds) || seconds <= 0) throw configError(`${where}: api_timeout ${JSON.stringify(t)} is not a number of seconds`)
  return Math.round(seconds * 1000)
}

/** Who authenticates, for messages and the manifest: never a credential. */
export function describeUser(auth: CloudConfig['auth']): string {
  if (auth.type === 'v3applicationcredential') {
    const owner = auth.userId ?? (auth.username ? `${auth.username} (domain ${auth.userDomainName ?? auth.userDomainId})` : undefined)
    return `application credential ${auth.id ?? auth.name}${owner && !auth.id ? ` of user ${owner}` : ''}`
  }
  const domain = auth.userDomainName ?? auth.userDomainId
  return `user ${auth.username ?? auth.userId}${auth.username && domain ? ` (domain ${domain})` : ''}`
}

function secretsOf(config: CloudConfig): Secret[] {
  return [config.auth.type === 'password' ? config.auth.password : config.auth.secret]
}

// ---- Keystone -----------------------------------------------------------------------------------------------------

function domainRef(name: string | undefined, id: string | undefined): Loose {
  if (name) return {domain: {name}}
  if (id) return {domain: {id}}
  return {}
}

/** The POST /v3/auth/tokens body. It holds the credential: it goes only into that request. */
export function authRequestBody(auth: CloudConfig['auth']): Loose {
  if (auth.type === 'v3applicationcredential') {
    const cred: Loose = auth.id
      ? {id: auth.id, secret: auth.secret.reveal()}
      : {
          name: auth.name,
          secret: auth.secret.reveal(),
          user: auth.userId ? {id: auth.userId} : {name: auth.username, ...domainRef(auth.userDomainName, auth.userDomainId)},
        }
    return {auth: {identity: {methods: ['application_credential'], application_credential: cred}}}
  }
  const user: Loose = auth.userId ? {id: auth.userId} : {name: auth.username, ...domainRef(auth.userDomainName, auth.userDomainId)}
  user.password = auth.password.reveal()
  const project: Loose = auth.projectId ? {id: auth.projectId} : {name: auth.projectName, ...domainRef(auth.projectDomainName, auth.projectDomainId)}
  return {auth: {identity: {methods: ['password'], password: {user}}, scope: {project}}}
}

export interface CatalogEndpoint {
  interface: string
  region?: string
  url: string
}

export interface CatalogService {
  type: string
  name?: string
  endpoints: CatalogEndpoint[]
}

export interface Token {
  value: Secret
  catalog: CatalogService[]
  user: string
  project?: string
  roles: string[]
  expiresAt?: string
}

/** The catalog of a Keystone v3 token body; malformed entries are skipped. */
export function readCatalog(body: unknown): CatalogService[] {
  const token = isLoose(body) && isLoose(body.token) ? body.token : {}
  const catalog = Array.isArray(token.catalog) ? token.catalog : []
  return catalog.filter(isLoose).map((s) => ({
    type: String(s.type ?? ''),
    ...(s.name !== undefined ? {name: String(s.name)} : {}),
    endpoints: (Array.isArray(s.endpoints) ? s.endpoints : []).filter(isLoose).flatMap((e) => {
      if (typeof e.url !== 'string') return []
      const region = text(e.region_id) ?? text(e.region)
      return [{interface: String(e.interface ?? ''), ...(region ? {region} : {}), url: e.url}]
    }),
  }))
}

export type EndpointChoice = {url: string; region?: string} | {missing: string}

/** The endpoint of `type` for the interface and region, as the openstack client picks it. */
export function selectEndpoint(catalog: CatalogService[], type: string, opts: {interface: EndpointInterface; region?: string}): EndpointChoice {
  const services = catalog.filter((s) => s.type === type)
  if (services.length === 0) return {missing: `the service catalog has no ${type} service`}
  const all = services.flatMap((s) => s.endpoints)
  const matching = all.filter((e) => normalizeInterfaceLoose(e.interface) === opts.interface && (opts.region === undefined || e.region === opts.region))
  if (matching.length === 0) {
    const have = all.map((e) => `${e.interface}${e.region ? `@${e.region}` : ''}`).join(', ') || 'none'
    return {missing: `the ${type} service has no ${opts.interface} endpoint${opts.region ? ` in region ${opts.region}` : ''} (it has: ${have})`}
  }
  const regions = [...new Set(matching.map((e) => e.region ?? ''))]
  if (regions.length > 1) {
    throw configError(`the ${type} service has ${opts.interface} endpoints in several regions (${regions.join(', ')}): choose one with region_name or OS_REGION_NAME`)
  }
  const e = matching[0]!
  return {url: e.url, ...(e.region ? {region: e.region} : {})}
}

function normalizeInterfaceLoose(value: string): string {
  return value.toLowerCase().replace(/url$/, '')
}

// ---- HTTP ---------------------------------------------------------------------------------------------------------

export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: string
  timeoutMs: number
  signal?: AbortSignal
}

export interface HttpResponse {
  status: number
  /** Lower-case names. */
  headers: Record<string, string>
  body: string
}

/** One HTTP exchange; throws OpenStackError (connect, tls, timeout, aborted) when there is no answer. */
export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>

export interface TlsOptions {
  cacert?: string
  cert?: string
  key?: string
  insecure?: boolean
}

const MAX_BODY_BYTES = 512 * 1024 * 1024

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO|^ERR_TLS|^ERR_SSL|^EPROTO$|HOSTNAME|SIGNATURE|ISSUER|CHAIN/

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw configError(`cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
}

/** Why a request got no answer, in words; `code` from Node's error. */
export function transportErrorMessage(code: string | undefined, message: string): {kind: OpenStackErrorKind; text: string} {
  if (code && TLS_CODE.test(code)) return {kind: 'tls', text: `TLS verification failed (${code}: ${message}); give the CA bundle with cacert / OS_CACERT / --os-cacert`}
  switch (code) {
    case 'ECONNREFUSED':
      return {kind: 'connect', text: 'connection refused (ECONNREFUSED): nothing listens there'}
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return {kind: 'connect', text: `cannot resolve the host name (${code})`}
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {kind: 'connect', text: `no route to the host (${code})`}
    case 'ECONNRESET':
    case 'EPIPE':
      return {kind: 'connect', text: `the connection was closed by the other side (${code})`}
    case 'ETIMEDOUT':
      return {kind: 'timeout', text: `the connection timed out (${code})`}
    default:
      return {kind: 'connect', text: code ? `${code}: ${message}` : message}
  }
}

/** HttpClient over node:http / node:https: certificates verified unless `insecure`, no keep-alive, no redirects. */
export function nodeHttpClient(tls: TlsOptions = {}): HttpClient {
  const ca = tls.cacert ? readPem(tls.cacert, 'CA file') : undefined
  const cert = tls.cert ? readPem(tls.cert, 'client certificate') : undefined
  const key = tls.key ? readPem(tls.key, 'client key') : undefined
  const httpsAgent = new https.Agent({keepAlive: false, rejectUnauthorized: tls.insecure !== true, ...(ca ? {ca} : {}), ...(cert ? {cert} : {}), ...(key ? {key} : {})})
  const httpAgent = new http.Agent({keepAlive: false})
  return (req) =>
    new Promise<HttpResponse>((resolvePromise, reject) => {
      const url = new URL(req.url)
      const isHttps = url.protocol === 'https:'
      const mod = isHttps ? https : http
      let settled = false
      const fail = (error: OpenStackError) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        req.signal?.removeEventListener('abort', onAbort)
        r.destroy()
        reject(error)
      }
      const headers: Record<string, string> = {...req.headers}
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body))
      const r = mod.request(url, {method: req.method, headers, agent: isHttps ? httpsAgent : httpAgent}, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (b: Buffer) => {
          size += b.length
          if (size > MAX_BODY_BYTES) fail(new OpenStackError('response', `the answer is larger than ${MAX_BODY_BYTES} bytes`))
          else chunks.push(b)
        })
        res.on('error', (e: NodeJS.ErrnoException) => {
          const t = transportErrorMessage(e.code, e.message)
          fail(new OpenStackError(t.kind, t.text))
        })
        res.on('end', () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          req.signal?.removeEventListener('abort', onAbort)
          const out: Record<string, string> = {}
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
          resolvePromise({status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8')})
        })
      })
      const timer = setTimeout(() => fail(new OpenStackError('timeout', `no answer within ${req.timeoutMs} ms`)), req.timeoutMs)
      const onAbort = () => fail(new OpenStackError('aborted', `cancelled: ${req.signal?.reason instanceof Error ? req.signal.reason.message : String(req.signal?.reason)}`))
      if (req.signal?.aborted) {
        onAbort()
        return
      }
      req.signal?.addEventListener('abort', onAbort, {once: true})
      r.on('error', (e: NodeJS.ErrnoException) => {
        const t = transportErrorMessage(e.code, e.message)
        fail(new OpenStackError(t.kind, t.text))
      })
      if (req.body !== undefined) r.write(req.body)
      r.end()
    })
}

// ---- talking to the APIs ------------------------------------------------------------------------------------------

export interface ApiSession {
  http: HttpClient
  config: CloudConfig
  secrets: Secret[]
  logger: Logger
  signal?: AbortSignal
}

/** The server's own explanation from an error body (Keystone, Neutron and Nova shapes), shortened and scrubbed. */
export function serverMessage(body: string, secrets: readonly Secret[]): string {
  let message: string | undefined
  try {
    const parsed: unknown = JSON.parse(body)
    if (isLoose(parsed)) {
      for (const v of Object.values(parsed)) {
        if (isLoose(v) && typeof v.message === 'string') {
          message = v.message
          break
        }
      }
      if (message === undefined && typeof parsed.message === 'string') message = parsed.message
    }
  } catch {
    message = body.replace(/<[^>]*>/g, ' ')
  }
  const oneLine = (message ?? '').replace(/\s+/g, ' ').trim()
  return scrub(oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine, secrets)
}

async function exchange(s: ApiSession, what: string, req: Omit<HttpRequest, 'timeoutMs' | 'signal'>): Promise<HttpResponse> {
  const shown = safeUrl(req.url)
  const started = Date.now()
  let res: HttpResponse
  try {
    res = await s.http({...req, timeoutMs: s.config.timeoutMs, ...(s.signal ? {signal: s.signal} : {})})
  } catch (error) {
    if (error instanceof OpenStackError) throw new OpenStackError(error.kind, scrub(`${what} at ${shown}: ${error.message}`, s.secrets), shown)
    throw new OpenStackError('connect', scrub(`${what} at ${shown}: ${error instanceof Error ? error.message : String(error)}`, s.secrets), shown)
  }
  s.logger.debug({method: req.method, url: shown, status: res.status, ms: Date.now() - started}, `${what}: HTTP ${res.status}`)
  return res
}

function statusError(s: ApiSession, what: string, url: string, res: HttpResponse): OpenStackError {
  const shown = safeUrl(url)
  const detail = serverMessage(res.body, s.secrets)
  const tail = detail ? `: ${detail}` : ''
  const who = describeUser(s.config.auth)
  switch (res.status) {
    case 401:
      return new OpenStackError('auth', `${what} at ${shown} refused the token of ${who} (HTTP 401${tail})`, shown, 401)
    case 403:
      return new OpenStackError('forbidden', `${what} at ${shown}: HTTP 403 Forbidden for ${who}${tail}`, shown, 403)
    case 404:
      return new OpenStackError('not-found', `${what} at ${shown}: HTTP 404 Not Found (is the URL right?)${tail}`, shown, 404)
    default: {
      const location = res.headers.location ? ` (redirected to ${safeUrl(res.headers.location)}: use that URL)` : ''
      return new OpenStackError('http', `${what} at ${shown}: HTTP ${res.status}${location}${tail}`, shown, res.status)
    }
  }
}

function parseJson(s: ApiSession, what: string, url: string, body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    throw new OpenStackError('response', `${what} at ${safeUrl(url)}: the answer is not JSON: ${scrub(body.slice(0, 120).replace(/\s+/g, ' '), s.secrets)}`, safeUrl(url))
  }
}

function readToken(body: unknown): Omit<Token, 'value'> {
  const t = isLoose(body) && isLoose(body.token) ? body.token : {}
  const user = isLoose(t.user) ? (text(t.user.name) ?? text(t.user.id) ?? '?') : '?'
  const project = isLoose(t.project) ? (text(t.project.name) ?? text(t.project.id)) : undefined
  const roles = Array.isArray(t.roles) ? t.roles.filter(isLoose).map((r) => String(r.name ?? '')) : []
  const expiresAt = text(t.expires_at)
  return {catalog: readCatalog(body), user, ...(project ? {project} : {}), roles, ...(expiresAt ? {expiresAt} : {})}
}

/** A project-scoped Keystone v3 token with its catalog. */
export async function authenticate(s: ApiSession): Promise<Token> {
  const url = joinUrl(s.config.authUrl, 'auth/tokens')
  const who = describeUser(s.config.auth)
  const res = await exchange(s, 'Keystone', {
    method: 'POST',
    url,
    headers: {'content-type': 'application/json', accept: 'application/json'},
    body: JSON.stringify(authRequestBody(s.config.auth)),
  })
  if (res.status === 401) {
    const detail = serverMessage(res.body, s.secrets)
    throw new OpenStackError('auth', `authentication failed for ${who} at ${safeUrl(url)} (HTTP 401${detail ? `: ${detail}` : ''})`, safeUrl(url), 401)
  }
  if (res.status !== 201 && res.status !== 200) throw statusError(s, 'Keystone', url, res)
  const subject = res.headers['x-subject-token']
  if (!subject) throw new OpenStackError('response', `Keystone at ${safeUrl(url)} answered ${res.status} without an X-Subject-Token header`, safeUrl(url))
  const value = new Secret(subject)
  s.secrets.push(value)
  return {value, ...readToken(parseJson(s, 'Keystone', url, res.body))}
}

export interface ListResult {
  items: unknown[]
  pages: number
  url: string
  durationMs: number
}

const MAX_PAGES = 100_000

/** Every page of a Neutron or Nova list: `limit`, then the query of each `<key>_links` "next" link, on our own URL. */
export async function listAll(s: ApiSession, token: Token, what: string, url: string, key: string, pageSize: number): Promise<ListResult> {
  const started = Date.now()
  const first = new URL(url)
  first.searchParams.set('limit', String(pageSize))
  let next: URL | undefined = first
  const items: unknown[] = []
  const seen = new Set<string>()
  let pages = 0
  while (next) {
    const pageUrl = next.toString()
    const res = await exchange(s, what, {method: 'GET', url: pageUrl, headers: {accept: 'application/json', 'x-auth-token': token.value.reveal()}})
    if (res.status !== 200) throw statusError(s, what, pageUrl, res)
    const body = parseJson(s, what, pageUrl, res.body)
    const list = isLoose(body) ? body[key] : undefined
    if (!Array.isArray(list)) throw new OpenStackError('response', `${what} at ${safeUrl(pageUrl)}: the answer has no "${key}" list`, safeUrl(pageUrl))
    items.push(...list)
    pages++
    next = undefined
    const links = isLoose(body) ? body[`${key}_links`] : undefined
    const nextLink = Array.isArray(links) ? links.find((l) => isLoose(l) && l.rel === 'next' && typeof l.href === 'string') : undefined
    if (nextLink && list.length > 0) {
      // The link's host may be one the server sees (behind a proxy): keep our endpoint, take only its query.
      const linked = new URL((nextLink as {href: string}).href, pageUrl)
      const following = new URL(first)
      for (const [k, v] of linked.searchParams) following.searchParams.set(k, v)
      const marker = following.searchParams.get('marker') ?? following.search
      if (seen.has(marker)) throw new OpenStackError('response', `${what} at ${safeUrl(url)}: pagination returned marker ${marker} twice`, safeUrl(url))
      if (pages >= MAX_PAGES) throw new OpenStackError('response', `${what} at ${safeUrl(url)}: more than ${MAX_PAGES} pages`, safeUrl(url))
      seen.add(marker)
      next = following
    }
  }
  return {items, pages, url: safeUrl(url), durationMs: Date.now() - started}
}

/** Neutron's base for v2.0 paths: the catalog URL with `/v2.0` appended unless it is there already. */
export function neutronBase(catalogUrl: string): string {
  return /\/v2\.0\/?$/.test(new URL(catalogUrl).pathname) ? joinUrl(catalogUrl) : joinUrl(catalogUrl, 'v2.0')
}

/** Nova's base: the catalog URL when it names a version (`/v2.1`, `/v2.1/<project>`), else with `/v2.1` appended. */
export function novaBase(catalogUrl: string): string {
  return /\/v2(\.\d+)?(\/[^/]+)?\/?$/.test(new URL(catalogUrl).pathname) ? joinUrl(catalogUrl) : joinUrl(catalogUrl, 'v2.1')
}

// ---- the intent ---------------------------------------------------------------------------------------------------

export interface IntentDocument {
  /** File name under intent/. */
  name: string
  text: string
}

export interface OpenStackIntentRecord {
  source: 'openstack-api'
  cloud?: string
  authUrl: string
  authType: CloudConfig['auth']['type']
  user: string
  project?: string
  region?: string
  interface: EndpointInterface
  /** False when TLS verification was turned off or the URLs are plain http. */
  tlsVerified: boolean
  fetchedAt: string
  lists: {document: string; url: string; items: number; pages: number; durationMs: number}[]
  notes: string[]
}

export interface OpenStackIntent {
  documents: IntentDocument[]
  record: OpenStackIntentRecord
}

export interface OpenStackIntentOptions {
  config: CloudConfig
  /** Default nodeHttpClient(config's TLS settings). */
  http?: HttpClient
  /** Items per page. Default 500. */
  pageSize?: number
  /** Fetch Nova's servers when the catalog has a compute endpoint. Default true. */
  servers?: boolean
  logger?: Logger
  signal?: AbortSignal
}

const NEUTRON_LISTS = ['networks', 'subnets', 'ports'] as const

function body(key: string, items: unknown[]): string {
  return `${JSON.stringify({[key]: items}, null, 2)}\n`
}

/** Authenticate, find the endpoints and fetch networks, subnets, ports (and servers) as API bodies. */
export async function fetchOpenStackIntent(opts: OpenStackIntentOptions): Promise<OpenStackIntent> {
  const {config} = opts
  const logger = opts.logger ?? silentLogger()
  const secrets = secretsOf(config)
  const http = opts.http ?? nodeHttpClient(config)
  const s: ApiSession = {http, config, secrets, logger, ...(opts.signal ? {signal: opts.signal} : {})}
  const pageSize = opts.pageSize ?? 500
  const notes: string[] = []
  const plainHttp = new URL(config.authUrl).protocol === 'http:'
  if (config.insecure) {
    const text = 'TLS certificate verification is OFF (insecure / verify: false): the API server is not authenticated'
    logger.warn(text)
    notes.push(text)
  }
  if (plainHttp) logger.warn({url: config.authUrl}, 'the Keystone URL is plain http: the credential crosses the network unencrypted')
  const proxies = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'].filter((n) => process.env[n])
  if (proxies.length > 0) logger.warn(`${proxies.join(', ')} set, but neutrace connects to the OpenStack APIs directly (no proxy support)`)

  const token = await authenticate(s)
  const who = describeUser(config.auth)
  const admin = token.roles.includes('admin')
  logger.info({user: token.user, project: token.project, roles: token.roles, authUrl: config.authUrl}, 'authenticated with Keystone')

  const network = selectEndpoint(token.catalog, 'network', {interface: config.interface, ...(config.regionName ? {region: config.regionName} : {})})
  if ('missing' in network) throw new OpenStackError('not-found', `${network.missing}; Neutron cannot be asked (${who} at ${config.authUrl})`)
  const region = config.regionName ?? network.region
  const neutron = neutronBase(network.url)
  notes.push(
    admin
      ? `Neutron lists as ${token.user} (admin role in project ${token.project ?? '?'}): every project's networks, subnets and ports`
      : `${token.user} has no admin role in project ${token.project ?? '?'}: only that project's resources and shared networks are listed`,
  )

  const documents: IntentDocument[] = []
  const lists: OpenStackIntentRecord['lists'] = []
  let anyHttp = plainHttp || new URL(neutron).protocol === 'http:'
  for (const key of NEUTRON_LISTS) {
    const r = await listAll(s, token, 'Neutron', joinUrl(neutron, key), key, pageSize)
    documents.push({name: `${key}.json`, text: body(key, r.items)})
    lists.push({document: `${key}.json`, url: r.url, items: r.items.length, pages: r.pages, durationMs: r.durationMs})
    logger.info({items: r.items.length, pages: r.pages, ms: r.durationMs}, `Neutron ${key}`)
  }

  if (opts.servers === false) notes.push('Nova servers not fetched (turned off)')
  else {
    const compute = selectEndpoint(token.catalog, 'compute', {interface: config.interface, ...(region ? {region} : {})})
    if ('missing' in compute) {
      notes.push(`Nova servers not fetched: ${compute.missing}`)
      logger.info(`no Nova servers: ${compute.missing}`)
    } else {
      const nova = novaBase(compute.url)
      anyHttp ||= new URL(nova).protocol === 'http:'
      const url = joinUrl(nova, 'servers/detail')
      let r: ListResult
      try {
        const all = new URL(url)
        all.searchParams.set('all_tenants', '1')
        r = await listAll(s, token, 'Nova', all.toString(), 'servers', pageSize)
      } catch (error) {
        // Nova's policy refuses all_tenants to non-admins; the project's own servers are still worth having.
        if (!(error instanceof OpenStackError) || error.kind !== 'forbidden') throw error
        notes.push(`Nova refused all_tenants=1 (HTTP 403): only the servers of project ${token.project ?? '?'} are listed`)
        r = await listAll(s, token, 'Nova', url, 'servers', pageSize)
      }
      documents.push({name: 'servers.json', text: body('servers', r.items)})
      lists.push({document: 'servers.json', url: r.url, items: r.items.length, pages: r.pages, durationMs: r.durationMs})
      logger.info({items: r.items.length, pages: r.pages, ms: r.durationMs}, 'Nova servers')
    }
  }

  const record: OpenStackIntentRecord = {
    source: 'openstack-api',
    ...(config.cloud ? {cloud: config.cloud} : {}),
    authUrl: config.authUrl,
    authType: config.auth.type,
    user: who.replace(/^user /, ''),
    ...(token.project ? {project: token.project} : {}),
    ...(region ? {region} : {}),
    interface: config.interface,
    tlsVerified: !config.insecure && !anyHttp,
    fetchedAt: new Date().toISOString(),
    lists,
    notes,
  }
  return {documents, record}
}

/** The collector's hook: fetch the intent from the APIs while `neutrace collect` runs. */
export function openstackIntentSource(config: CloudConfig, opts: Omit<OpenStackIntentOptions, 'config' | 'logger' | 'signal'> = {}): IntentSource {
  return {
    label: `the OpenStack API (${config.cloud ? `cloud ${config.cloud}, ` : ''}${config.authUrl})`,
    fetch: async ({logger, signal}) => {
      const r = await fetchOpenStackIntent({...opts, config, logger, ...(signal ? {signal} : {})})
      return {documents: r.documents, record: r.record}
    },
  }
}
