// One request to an OpenStack API: timeout and cancellation from the session, errors with the service and URL,
// the server's own explanation, never a secret.

import type {Logger} from 'pino'
import type {CloudConfig} from './config.js'
import {describeUser} from './config.js'
import {OpenStackError} from './errors.js'
import type {HttpClient, HttpRequest, HttpResponse} from './http.js'
import {isLoose} from './loose.js'
import {scrub, type Secret} from './secret.js'
import {safeUrl} from './urls.js'

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

export async function exchange(
  s: ApiSession,
  what: string,
  req: Omit<HttpRequest, 'timeoutMs' | 'signal'>,
): Promise<HttpResponse> {
  const shown = safeUrl(req.url)
  const started = Date.now()
  let res: HttpResponse
  try {
    res = await s.http({...req, timeoutMs: s.config.timeoutMs, ...(s.signal ? {signal: s.signal} : {})})
  } catch (error) {
    if (error instanceof OpenStackError)
      throw new OpenStackError(error.kind, scrub(`${what} at ${shown}: ${error.message}`, s.secrets), shown)
    throw new OpenStackError(
      'connect',
      scrub(`${what} at ${shown}: ${error instanceof Error ? error.message : String(error)}`, s.secrets),
      shown,
    )
  }
  s.logger.debug(
    {method: req.method, url: shown, status: res.status, ms: Date.now() - started},
    `${what}: HTTP ${res.status}`,
  )
  return res
}

export function statusError(s: ApiSession, what: string, url: string, res: HttpResponse): OpenStackError {
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
      return new OpenStackError(
        'not-found',
        `${what} at ${shown}: HTTP 404 Not Found (is the URL right?)${tail}`,
        shown,
        404,
      )
    default: {
      const location = res.headers.location ? ` (redirected to ${safeUrl(res.headers.location)}: use that URL)` : ''
      return new OpenStackError('http', `${what} at ${shown}: HTTP ${res.status}${location}${tail}`, shown, res.status)
    }
  }
}

export function parseJson(s: ApiSession, what: string, url: string, body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    throw new OpenStackError(
      'response',
      `${what} at ${safeUrl(url)}: the answer is not JSON: ${scrub(body.slice(0, 120).replace(/\s+/g, ' '), s.secrets)}`,
      safeUrl(url),
    )
  }
}
