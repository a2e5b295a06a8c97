// Keystone, Neutron and Nova base URLs, joining paths, and URLs fit for messages.

import {configError} from './errors.js'

/** A Keystone v3 base URL from an auth_url: `/v3` appended when the URL names no version (no discovery here). */
export function keystoneV3Url(authUrl: string): string {
  let url: URL
  try {
    url = new URL(authUrl)
  } catch {
    throw configError(`auth_url ${JSON.stringify(safeUrl(authUrl))} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw configError(`auth_url ${safeUrl(authUrl)}: only http and https are supported`)
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
  const segments = [url.pathname.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter(
    (s) => s !== '',
  )
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

/** Neutron's base for v2.0 paths: the catalog URL with `/v2.0` appended unless it is there already. */
export function neutronBase(catalogUrl: string): string {
  return /\/v2\.0\/?$/.test(new URL(catalogUrl).pathname) ? joinUrl(catalogUrl) : joinUrl(catalogUrl, 'v2.0')
}

/** Nova's base: the catalog URL when it names a version (`/v2.1`, `/v2.1/<project>`), else with `/v2.1` appended. */
export function novaBase(catalogUrl: string): string {
  return /\/v2(\.\d+)?(\/[^/]+)?\/?$/.test(new URL(catalogUrl).pathname)
    ? joinUrl(catalogUrl)
    : joinUrl(catalogUrl, 'v2.1')
}
