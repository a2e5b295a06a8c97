// The intent documents (networks, subnets, ports, security groups and their rules, servers as API bodies) and their
// record, for `neutrace collect`.

import type {Logger} from 'pino'
import type {IntentSource} from '../collector.js'
import {type CloudConfig, describeUser, type EndpointInterface, secretsOf} from './config.js'
import {OpenStackError} from './errors.js'
import {nodeHttpClient, type HttpClient} from './http.js'
import {authenticate, selectEndpoint} from './keystone.js'
import {listAll, type ListResult} from './paging.js'
import type {ApiSession} from './session.js'
import {joinUrl, neutronBase, novaBase} from './urls.js'

interface IntentDocument {
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

/** What is listed from Neutron: the URL path (`security-groups`) and the body's key (`security_groups`). */
const NEUTRON_LISTS = ['networks', 'subnets', 'ports', 'security-groups', 'security-group-rules'] as const
/** The L3 extension's lists (issue 11): absent (404) where Neutron runs without the router service plugin. */
const NEUTRON_L3_LISTS = ['routers', 'floatingips'] as const

function body(key: string, items: unknown[]): string {
  return `${JSON.stringify({[key]: items}, null, 2)}\n`
}

/** Authenticate, find the endpoints and fetch networks, subnets, ports, security groups and rules (and servers). */
export async function fetchOpenStackIntent(opts: OpenStackIntentOptions): Promise<OpenStackIntent> {
  const {config} = opts
  // pino is imported here, not at the top: the CLI imports this module (intentSourceOf) on every run that reads a
  // snapshot, where no API is asked.
  const logger = opts.logger ?? (await import('../log.js')).silentLogger()
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
  if (plainHttp)
    logger.warn({url: config.authUrl}, 'the Keystone URL is plain http: the credential crosses the network unencrypted')
  const proxies = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'].filter((n) => process.env[n])
  if (proxies.length > 0)
    logger.warn(`${proxies.join(', ')} set, but neutrace connects to the OpenStack APIs directly (no proxy support)`)

  const token = await authenticate(s)
  const who = describeUser(config.auth)
  const admin = token.roles.includes('admin')
  logger.info(
    {user: token.user, project: token.project, roles: token.roles, authUrl: config.authUrl},
    'authenticated with Keystone',
  )

  const network = selectEndpoint(token.catalog, 'network', {
    interface: config.interface,
    ...(config.regionName ? {region: config.regionName} : {}),
  })
  if ('missing' in network)
    throw new OpenStackError('not-found', `${network.missing}; Neutron cannot be asked (${who} at ${config.authUrl})`)
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
  for (const path of NEUTRON_LISTS) {
    const key = path.replace(/-/g, '_')
    let r: ListResult
    try {
      r = await listAll(s, token, 'Neutron', joinUrl(neutron, path), key, pageSize)
    } catch (error) {
      // A cloud without the security-group extension answers 404: its ports have no groups, nothing to compare.
      if (!(error instanceof OpenStackError) || error.kind !== 'not-found' || !path.startsWith('security-')) throw error
      notes.push(`Neutron has no ${path} (HTTP 404): security groups not fetched`)
      continue
    }
    documents.push({name: `${path}.json`, text: body(key, r.items)})
    lists.push({document: `${path}.json`, url: r.url, items: r.items.length, pages: r.pages, durationMs: r.durationMs})
    logger.info({items: r.items.length, pages: r.pages, ms: r.durationMs}, `Neutron ${path}`)
  }
  for (const key of NEUTRON_L3_LISTS) {
    let r: ListResult
    try {
      r = await listAll(s, token, 'Neutron', joinUrl(neutron, key), key, pageSize)
    } catch (error) {
      if (!(error instanceof OpenStackError) || error.kind !== 'not-found') throw error
      notes.push(`Neutron ${key} not listed: the API has no such resource (no router service plugin)`)
      continue
    }
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
        notes.push(
          `Nova refused all_tenants=1 (HTTP 403): only the servers of project ${token.project ?? '?'} are listed`,
        )
        r = await listAll(s, token, 'Nova', url, 'servers', pageSize)
      }
      documents.push({name: 'servers.json', text: body('servers', r.items)})
      lists.push({
        document: 'servers.json',
        url: r.url,
        items: r.items.length,
        pages: r.pages,
        durationMs: r.durationMs,
      })
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
export function openstackIntentSource(
  config: CloudConfig,
  opts: Omit<OpenStackIntentOptions, 'config' | 'logger' | 'signal'> = {},
): IntentSource {
  return {
    label: `the OpenStack API (${config.cloud ? `cloud ${config.cloud}, ` : ''}${config.authUrl})`,
    fetch: async ({logger, signal}) => {
      const r = await fetchOpenStackIntent({...opts, config, logger, ...(signal ? {signal} : {})})
      return {documents: r.documents, record: r.record}
    },
  }
}
