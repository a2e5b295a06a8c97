// One HTTP exchange with an OpenStack API: undici's fetch (the implementation behind Node's own fetch) through an
// undici Agent, because the Agent is what takes the TLS settings the openstack client honours (cacert replacing the
// system CAs, a client certificate, insecure); the request's deadline and the caller's cancellation are one
// AbortSignal (AbortSignal.timeout + AbortSignal.any); redirects are not followed; the body is capped.

import {readFileSync} from 'node:fs'
import type {Agent} from 'undici'
import {configError, OpenStackError, type OpenStackErrorKind} from './errors.js'

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

/** One HTTP exchange; throws OpenStackError (connect, tls, timeout, aborted, response) when there is no answer. */
export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>

export interface TlsOptions {
  cacert?: string
  cert?: string
  key?: string
  insecure?: boolean
}

export interface HttpClientOptions {
  /** Largest body read; a larger answer fails with kind 'response'. Default 512 MiB. */
  maxBodyBytes?: number
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

/** Why a request got no answer, in words; `code` from Node's (or undici's) error. */
export function transportErrorMessage(
  code: string | undefined,
  message: string,
): {kind: OpenStackErrorKind; text: string} {
  if (code && TLS_CODE.test(code))
    return {
      kind: 'tls',
      text: `TLS verification failed (${code}: ${message}); give the CA bundle with cacert / OS_CACERT / --os-cacert`,
    }
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
    case 'UND_ERR_SOCKET':
      return {kind: 'connect', text: `the connection was closed by the other side (${code})`}
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return {kind: 'timeout', text: `the connection timed out (${code})`}
    default:
      return {kind: 'connect', text: code ? `${code}: ${message}` : message}
  }
}

/** fetch rejects with TypeError('fetch failed'); the reason is its cause (an errno or TLS error, or undici's own). */
function transportError(error: unknown): OpenStackError {
  if (error instanceof OpenStackError) return error
  let e = error as {code?: string; message?: string; cause?: unknown} | undefined
  while (e && e.code === undefined && e.cause !== undefined) e = e.cause as typeof e
  const t = transportErrorMessage(e?.code, e?.message ?? String(error))
  return new OpenStackError(t.kind, t.text)
}

async function readCapped(body: AsyncIterable<Uint8Array> | null, max: number): Promise<string> {
  if (!body) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  // Leaving the loop early cancels the stream (and with it the connection).
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > max) throw new OpenStackError('response', `the answer is larger than ${max} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The HttpClient the collector uses: certificates verified unless `insecure`, no redirects, a deadline per request. */
export function nodeHttpClient(tls: TlsOptions = {}, opts: HttpClientOptions = {}): HttpClient {
  const ca = tls.cacert ? readPem(tls.cacert, 'CA file') : undefined
  const cert = tls.cert ? readPem(tls.cert, 'client certificate') : undefined
  const key = tls.key ? readPem(tls.key, 'client key') : undefined
  const maxBodyBytes = opts.maxBodyBytes ?? MAX_BODY_BYTES
  const connect = {
    rejectUnauthorized: tls.insecure !== true,
    ...(ca ? {ca} : {}),
    ...(cert ? {cert} : {}),
    ...(key ? {key} : {}),
  }
  let dispatcher: Agent | undefined
  return async (req) => {
    // undici is loaded with the first request (a run without --openstack never makes one); the Agent made then is
    // the client's for every later request. The certificates were read above, so a bad path still fails at once.
    const {Agent, fetch} = await import('undici')
    dispatcher ??= new Agent({connect})
    const deadline = AbortSignal.timeout(req.timeoutMs)
    const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline
    const stopped = (): OpenStackError | undefined => {
      if (deadline.aborted) return new OpenStackError('timeout', `no answer within ${req.timeoutMs} ms`)
      if (req.signal?.aborted) {
        const reason: unknown = req.signal.reason
        return new OpenStackError('aborted', `cancelled: ${reason instanceof Error ? reason.message : String(reason)}`)
      }
      return undefined
    }
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        ...(req.body !== undefined ? {body: req.body} : {}),
        redirect: 'manual',
        signal,
        dispatcher,
      })
      const length = Number(res.headers.get('content-length') ?? 0)
      if (length > maxBodyBytes) {
        await res.body?.cancel()
        throw new OpenStackError('response', `the answer is larger than ${maxBodyBytes} bytes`)
      }
      const body = await readCapped(res.body, maxBodyBytes)
      const headers: Record<string, string> = {}
      for (const [k, v] of res.headers) headers[k.toLowerCase()] = v
      return {status: res.status, headers, body}
    } catch (error) {
      throw stopped() ?? transportError(error)
    }
  }
}
