// The connection settings, read the way the openstack client reads them: clouds.yaml (+ secure.yaml), OS_CLOUD /
// --os-cloud, OS_* variables (openstacksdk's loader plus osc-lib's argparse defaults and default domain).

import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'
import type * as Yaml from 'yaml'
import {configError, type OpenStackError} from './errors.js'
import {isLoose, type Loose, text} from './loose.js'
import {Secret} from './secret.js'
import {keystoneV3Url} from './urls.js'

// yaml is required when a clouds.yaml is read, not when the CLI starts: every command with the --openstack flags
// imports this module, and resolveCloudConfig is synchronous (the require is; yaml's Node entry is CommonJS).
const require = createRequire(import.meta.url)

export type EndpointInterface = 'public' | 'internal' | 'admin'

interface PasswordAuth {
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

interface ApplicationCredentialAuth {
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
interface CloudOverrides {
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

/**
 * Where the openstack client looks for clouds.yaml (kind 'clouds') or secure.yaml, in order; the first found is used.
 */
export function configSearchPath(
  kind: 'clouds' | 'secure',
  opts: {env?: Record<string, string | undefined>; cwd?: string; home?: string} = {},
): string[] {
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
function mergeConfig(base: Loose, over: Loose): Loose {
  const out: Loose = {...base}
  for (const [k, v] of Object.entries(over))
    out[k] = isLoose(v) && isLoose(out[k]) ? mergeConfig(out[k] as Loose, v) : v
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
    data = path.endsWith('.json') ? JSON.parse(text) : (require('yaml') as typeof Yaml).parse(text, {version: '1.1'})
  } catch (error) {
    const pos = (error as {linePos?: {line: number}[]}).linePos?.[0]
    const first = ((error as Error).message ?? String(error)).split('\n')[0]
    throw configError(
      `${path}${pos ? `:${pos.line}` : ''}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${first}`,
    )
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
const SELECTORS = new Set([
  'OS_CLOUD',
  'OS_REGION_NAME',
  'OS_CLIENT_CONFIG_FILE',
  'OS_CLIENT_SECURE_FILE',
  'OS_CLOUD_NAME',
])

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
      if (isLoose(r) && typeof r.name === 'string')
        return {name: r.name, values: isLoose(r.values) ? normalizeKeys(r.values) : {}}
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
  if (!found)
    throw configError(
      `${where}: region ${wanted} is not one of ${regions.map((r) => r.name).join(', ')} (region names are case sensitive)`,
    )
  return found
}

/** Which auth plugin: an explicit auth_type wins; otherwise application credential settings without a password. */
function selectAuthType(
  authType: string | undefined,
  auth: Loose,
  where: string,
): 'password' | 'v3applicationcredential' {
  if (authType !== undefined) {
    const t = authType.toLowerCase()
    if (t === 'password' || t === 'v3password') return 'password'
    if (t === 'v3applicationcredential') return 'v3applicationcredential'
    throw configError(
      `${where}: auth_type ${JSON.stringify(authType)} is not supported; use password, v3password or v3applicationcredential`,
    )
  }
  const appCredential = [
    'application_credential_secret',
    'application_credential_id',
    'application_credential_name',
  ].some((k) => text(auth[k]) !== undefined)
  return appCredential && text(auth.password) === undefined ? 'v3applicationcredential' : 'password'
}

interface Hints {
  where: string
  /** A named cloud: keys can be set in clouds.yaml/secure.yaml. */
  inFile: boolean
}

function missing(h: Hints, what: string, key: string, envName: string): OpenStackError {
  const how = h.inFile
    ? `set auth.${key} in clouds.yaml${/secret|password/.test(key) ? ' or secure.yaml' : ''}, or ${envName}`
    : `set ${envName}`
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
  if (!projectName && !projectId)
    throw missing(
      h,
      'project (an unscoped token has no service catalog)',
      'project_name',
      'OS_PROJECT_NAME (or OS_PROJECT_ID)',
    )
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
  if (username && !userId && !out.userDomainName && !out.userDomainId)
    throw missing(h, 'user domain for the user name', 'user_domain_name', 'OS_USER_DOMAIN_NAME')
  if (projectName && !projectId && !out.projectDomainName && !out.projectDomainId)
    throw missing(h, 'project domain for the project name', 'project_domain_name', 'OS_PROJECT_DOMAIN_NAME')
  return out
}

function applicationCredentialAuth(
  auth: Loose,
  h: Hints,
  defaultDomain: string | undefined,
): ApplicationCredentialAuth {
  const secret = text(auth.application_credential_secret)
  const id = text(auth.application_credential_id)
  const name = text(auth.application_credential_name)
  if (!id && !name)
    throw missing(h, 'application credential', 'application_credential_id', 'OS_APPLICATION_CREDENTIAL_ID')
  if (secret === undefined)
    throw missing(
      h,
      'application credential secret',
      'application_credential_secret',
      'OS_APPLICATION_CREDENTIAL_SECRET',
    )
  const out: ApplicationCredentialAuth = {type: 'v3applicationcredential', secret: new Secret(secret)}
  if (id) out.id = id
  else {
    out.name = name
    const username = text(auth.username)
    const userId = text(auth.user_id)
    if (!username && !userId)
      throw missing(
        h,
        'owner for the application credential name (or use its id)',
        'username',
        'OS_USERNAME (or OS_USER_ID)',
      )
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
  const configFiles = [
    ...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []),
    ...(opts.configFiles ?? configSearchPath('clouds', searchOpts)),
  ]
  const secureFiles = [
    ...(env.OS_CLIENT_SECURE_FILE ? [env.OS_CLIENT_SECURE_FILE] : []),
    ...(opts.secureFiles ?? configSearchPath('secure', searchOpts)),
  ]
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
    else if (names.length > 1)
      throw configError(
        `${cloudsFile!.path} defines several clouds (${names.join(', ')}): choose one with --os-cloud or OS_CLOUD`,
      )
    else
      throw configError(
        'no OpenStack credentials: set OS_CLOUD (or --os-cloud) to a cloud of a clouds.yaml in ./, ~/.config/openstack/ or /etc/openstack/, ' +
          'or set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME (or OS_APPLICATION_CREDENTIAL_ID and _SECRET)',
      )
  }
  let where = 'the OS_* environment'
  let base: Loose = {}
  if (name) {
    if (!cloudsFile && !secureFile)
      throw configError(
        `cloud ${name} was asked for, but no clouds.yaml was found (looked in ${[...new Set(configFiles.map((f) => f.replace(/\/clouds\.[a-z]+$/, '/')))].join(', ')})`,
      )
    const entry = clouds[name]
    if (!isLoose(entry))
      throw configError(
        `cloud ${name} is not defined in ${files.join(' or ')} (clouds: ${Object.keys(clouds).join(', ') || 'none'})`,
      )
    base = entry
    where = `cloud ${name} (${files.join(' + ')})`
    if (base.profile !== undefined || base.cloud !== undefined)
      throw configError(
        `${where}: vendor profiles (profile: ${String(base.profile ?? base.cloud)}) are not supported: put auth_url and region_name into the cloud itself`,
      )
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
  if (idVersion !== undefined && !idVersion.startsWith('3'))
    throw configError(`${where}: identity API version ${idVersion} is not supported; Keystone v3 only`)
  const authUrlText = text(auth.auth_url)
  if (!authUrlText) throw missing(h, 'Keystone URL', 'auth_url', 'OS_AUTH_URL')
  const authType = selectAuthType(text(raw.auth_type), auth, where)
  const defaultDomain = raw.default_domain === undefined ? 'default' : text(raw.default_domain)
  const config: CloudConfig = {
    ...(name ? {cloud: name} : {}),
    files,
    environment: overlay.used.filter((n) => n !== 'OS_CLOUD'),
    authUrl: keystoneV3Url(authUrlText),
    auth:
      authType === 'password'
        ? passwordAuth(auth, h, defaultDomain)
        : applicationCredentialAuth(auth, h, defaultDomain),
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
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw configError(`${where}: api_timeout ${JSON.stringify(t)} is not a number of seconds`)
  return Math.round(seconds * 1000)
}

/** Who authenticates, for messages and the manifest: never a credential. */
export function describeUser(auth: CloudConfig['auth']): string {
  if (auth.type === 'v3applicationcredential') {
    const owner =
      auth.userId ??
      (auth.username ? `${auth.username} (domain ${auth.userDomainName ?? auth.userDomainId})` : undefined)
    return `application credential ${auth.id ?? auth.name}${owner && !auth.id ? ` of user ${owner}` : ''}`
  }
  const domain = auth.userDomainName ?? auth.userDomainId
  return `user ${auth.username ?? auth.userId}${auth.username && domain ? ` (domain ${domain})` : ''}`
}

export function secretsOf(config: CloudConfig): Secret[] {
  return [config.auth.type === 'password' ? config.auth.password : config.auth.secret]
}
