// Keystone v3: the token request (password or application credential), the token's catalog, endpoint choice.

import type {CloudConfig, EndpointInterface} from './config.js'
import {describeUser} from './config.js'
import {configError, OpenStackError} from './errors.js'
import {isLoose, type Loose, text} from './loose.js'
import {Secret} from './secret.js'
import {type ApiSession, exchange, parseJson, serverMessage, statusError} from './session.js'
import {joinUrl, safeUrl} from './urls.js'

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
          user: auth.userId
            ? {id: auth.userId}
            : {name: auth.username, ...domainRef(auth.userDomainName, auth.userDomainId)},
        }
    return {auth: {identity: {methods: ['application_credential'], application_credential: cred}}}
  }
  const user: Loose = auth.userId
    ? {id: auth.userId}
    : {name: auth.username, ...domainRef(auth.userDomainName, auth.userDomainId)}
  user.password = auth.password.reveal()
  const project: Loose = auth.projectId
    ? {id: auth.projectId}
    : {name: auth.projectName, ...domainRef(auth.projectDomainName, auth.projectDomainId)}
  return {auth: {identity: {methods: ['password'], password: {user}}, scope: {project}}}
}

interface CatalogEndpoint {
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
export function selectEndpoint(
  catalog: CatalogService[],
  type: string,
  opts: {interface: EndpointInterface; region?: string},
): EndpointChoice {
  const services = catalog.filter((s) => s.type === type)
  if (services.length === 0) return {missing: `the service catalog has no ${type} service`}
  const all = services.flatMap((s) => s.endpoints)
  const matching = all.filter(
    (e) =>
      normalizeInterfaceLoose(e.interface) === opts.interface &&
      (opts.region === undefined || e.region === opts.region),
  )
  if (matching.length === 0) {
    const have = all.map((e) => `${e.interface}${e.region ? `@${e.region}` : ''}`).join(', ') || 'none'
    return {
      missing: `the ${type} service has no ${opts.interface} endpoint${opts.region ? ` in region ${opts.region}` : ''} (it has: ${have})`,
    }
  }
  const regions = [...new Set(matching.map((e) => e.region ?? ''))]
  if (regions.length > 1) {
    throw configError(
      `the ${type} service has ${opts.interface} endpoints in several regions (${regions.join(', ')}): choose one with region_name or OS_REGION_NAME`,
    )
  }
  const e = matching[0]!
  return {url: e.url, ...(e.region ? {region: e.region} : {})}
}

function normalizeInterfaceLoose(value: string): string {
  return value.toLowerCase().replace(/url$/, '')
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
    throw new OpenStackError(
      'auth',
      `authentication failed for ${who} at ${safeUrl(url)} (HTTP 401${detail ? `: ${detail}` : ''})`,
      safeUrl(url),
      401,
    )
  }
  if (res.status !== 201 && res.status !== 200) throw statusError(s, 'Keystone', url, res)
  const subject = res.headers['x-subject-token']
  if (!subject)
    throw new OpenStackError(
      'response',
      `Keystone at ${safeUrl(url)} answered ${res.status} without an X-Subject-Token header`,
      safeUrl(url),
    )
  const value = new Secret(subject)
  s.secrets.push(value)
  return {value, ...readToken(parseJson(s, 'Keystone', url, res.body))}
}
