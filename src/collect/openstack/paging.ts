// Every page of a Neutron or Nova list.

import {OpenStackError} from './errors.js'
import type {Token} from './keystone.js'
import {isLoose} from './loose.js'
import {type ApiSession, exchange, parseJson, statusError} from './session.js'
import {safeUrl} from './urls.js'

export interface ListResult {
  items: unknown[]
  pages: number
  url: string
  durationMs: number
}

const MAX_PAGES = 100_000

/** Every page of a Neutron or Nova list: `limit`, then the query of each `<key>_links` "next" link, on our own URL. */
export async function listAll(
  s: ApiSession,
  token: Token,
  what: string,
  url: string,
  key: string,
  pageSize: number,
): Promise<ListResult> {
  const started = Date.now()
  const first = new URL(url)
  first.searchParams.set('limit', String(pageSize))
  let next: URL | undefined = first
  const items: unknown[] = []
  const seen = new Set<string>()
  let pages = 0
  while (next) {
    const pageUrl = next.toString()
    const res = await exchange(s, what, {
      method: 'GET',
      url: pageUrl,
      headers: {accept: 'application/json', 'x-auth-token': token.value.reveal()},
    })
    if (res.status !== 200) throw statusError(s, what, pageUrl, res)
    const body = parseJson(s, what, pageUrl, res.body)
    const list = isLoose(body) ? body[key] : undefined
    if (!Array.isArray(list))
      throw new OpenStackError(
        'response',
        `${what} at ${safeUrl(pageUrl)}: the answer has no "${key}" list`,
        safeUrl(pageUrl),
      )
    items.push(...list)
    pages++
    next = undefined
    const links = isLoose(body) ? body[`${key}_links`] : undefined
    const nextLink = Array.isArray(links)
      ? links.find((l) => isLoose(l) && l.rel === 'next' && typeof l.href === 'string')
      : undefined
    if (nextLink && list.length > 0) {
      // The link's host may be one the server sees (behind a proxy): keep our endpoint, take only its query.
      const linked = new URL((nextLink as {href: string}).href, pageUrl)
      const following = new URL(first)
      for (const [k, v] of linked.searchParams) following.searchParams.set(k, v)
      const marker = following.searchParams.get('marker') ?? following.search
      if (seen.has(marker))
        throw new OpenStackError(
          'response',
          `${what} at ${safeUrl(url)}: pagination returned marker ${marker} twice`,
          safeUrl(url),
        )
      if (pages >= MAX_PAGES)
        throw new OpenStackError('response', `${what} at ${safeUrl(url)}: more than ${MAX_PAGES} pages`, safeUrl(url))
      seen.add(marker)
      next = following
    }
  }
  return {items, pages, url: safeUrl(url), durationMs: Date.now() - started}
}
