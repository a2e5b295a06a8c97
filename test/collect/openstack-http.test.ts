// The OpenStack HTTP client on loopback servers: answers and headers, no redirect followed, the body cap, the deadline,
// cancellation, transport errors in words, and TLS (CA file, client certificate, insecure).
import http from 'node:http'
import https from 'node:https'
import type net from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type HttpRequest, nodeHttpClient} from '../../src/collect/openstack/index.js'
import {makePrivateCa, type PrivateCa} from '../support/tls.js'
import {failure} from './openstack-support.js'

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

async function close(server: net.Server): Promise<void> {
  ;(server as http.Server).closeAllConnections?.()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

const get = (url: string, over: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  url,
  headers: {accept: 'application/json'},
  timeoutMs: 5000,
  ...over,
})

describe('nodeHttpClient over http (loopback)', () => {
  let server: http.Server
  let port = 0
  const hanging: http.ServerResponse[] = []
  const seen: {method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string}[] = []

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (b: Buffer) => (body += b.toString()))
      req.on('end', () => {
        seen.push({method: req.method, url: req.url, headers: req.headers, body})
        if (req.url === '/redirect') {
          res.writeHead(301, {location: 'https://elsewhere.example/v3'})
          res.end()
        } else if (req.url === '/big') {
          res.writeHead(200, {'content-type': 'application/json'})
          // No content-length: the cap must hold while streaming.
          for (let i = 0; i < 64; i++) res.write('x'.repeat(1024))
          res.end()
        } else if (req.url === '/big-declared') {
          res.writeHead(200, {'content-length': String(1 << 20)})
          res.end('y'.repeat(1 << 20))
        } else if (req.url === '/hang') {
          hanging.push(res)
        } else {
          res.writeHead(201, {'content-type': 'application/json', 'X-Subject-Token': 'tok'})
          res.end(JSON.stringify({ok: true, echo: body}))
        }
      })
    })
    port = await listen(server)
  })

  afterAll(async () => {
    for (const r of hanging) r.destroy()
    await close(server)
  })

  it('sends method, headers and body; answers status, lower-case headers and the body', async () => {
    const client = nodeHttpClient()
    const res = await client({
      method: 'POST',
      url: `http://127.0.0.1:${port}/v3/auth/tokens`,
      headers: {'content-type': 'application/json'},
      body: '{"a":1}',
      timeoutMs: 5000,
    })
    expect(res.status).toBe(201)
    expect(res.headers['x-subject-token']).toBe('tok')
    expect(JSON.parse(res.body)).toEqual({ok: true, echo: '{"a":1}'})
    const last = seen.at(-1)!
    expect([last.method, last.url, last.headers['content-length'], last.body]).toEqual([
      'POST',
      '/v3/auth/tokens',
      '7',
      '{"a":1}',
    ])
  })

  it('does not follow a redirect: the caller sees it and its location', async () => {
    const res = await nodeHttpClient()(get(`http://127.0.0.1:${port}/redirect`))
    expect([res.status, res.headers.location]).toEqual([301, 'https://elsewhere.example/v3'])
  })

  it('refuses a body over the cap, streamed or declared', async () => {
    const client = nodeHttpClient({}, {maxBodyBytes: 16 * 1024})
    for (const path of ['/big', '/big-declared']) {
      const e = await failure(client(get(`http://127.0.0.1:${port}${path}`)))
      expect([e.kind, e.message]).toEqual(['response', 'the answer is larger than 16384 bytes'])
    }
    // The same client still works afterwards.
    expect((await client(get(`http://127.0.0.1:${port}/ok`))).status).toBe(201)
  })

  it('gives up at the deadline, and at once when the caller cancels', async () => {
    const client = nodeHttpClient()
    const t0 = Date.now()
    const timeout = await failure(client(get(`http://127.0.0.1:${port}/hang`, {timeoutMs: 200})))
    expect([timeout.kind, timeout.message]).toEqual(['timeout', 'no answer within 200 ms'])
    expect(Date.now() - t0).toBeLessThan(3000)

    const ac = new AbortController()
    const pending = client(get(`http://127.0.0.1:${port}/hang`, {signal: ac.signal}))
    ac.abort(new Error('interrupted (SIGINT)'))
    const aborted = await failure(pending)
    expect([aborted.kind, aborted.message]).toEqual(['aborted', 'cancelled: interrupted (SIGINT)'])

    const already = await failure(
      client(get(`http://127.0.0.1:${port}/ok`, {signal: AbortSignal.abort(new Error('before'))})),
    )
    expect([already.kind, already.message]).toEqual(['aborted', 'cancelled: before'])
  })

  it('names connection refused', async () => {
    const other = http.createServer()
    const closedPort = await listen(other)
    await close(other)
    const e = await failure(nodeHttpClient()(get(`http://127.0.0.1:${closedPort}/`)))
    expect([e.kind, e.message]).toEqual(['connect', 'connection refused (ECONNREFUSED): nothing listens there'])
  })
})

describe('nodeHttpClient over https (loopback, a private CA)', () => {
  let ca: PrivateCa | undefined
  let server: https.Server
  let port = 0
  const clientCerts: string[] = []
  const work = (name: string) => ca!.path(name)

  beforeAll(async () => {
    ca = makePrivateCa(['neutrace'])
    server = https.createServer(
      {
        key: ca.pem('server.key'),
        cert: ca.pem('server.pem'),
        ca: ca.pem('ca.pem'),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
        clientCerts.push(String(peer?.subject?.CN ?? ''))
        res.end('{}')
      },
    )
    port = await listen(server)
  })

  afterAll(async () => {
    if (server) await close(server)
    ca?.remove()
  })

  it('refuses an unknown CA, in words that say what to do', async () => {
    const e = await failure(nodeHttpClient()(get(`https://127.0.0.1:${port}/`)))
    expect(e.kind).toBe('tls')
    expect(e.message).toMatch(
      /^TLS verification failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
    )
    expect(e.message).toContain('--os-cacert')
  })

  it('verifies with the CA file and presents the client certificate', async () => {
    const client = nodeHttpClient({
      cacert: work('ca.pem'),
      cert: work('neutrace.pem'),
      key: work('neutrace.key'),
    })
    expect((await client(get(`https://127.0.0.1:${port}/`))).status).toBe(200)
    expect(clientCerts.at(-1)).toBe('neutrace')
  })

  it('rejects the certificate for another name, and skips verification only when insecure', async () => {
    const e = await failure(nodeHttpClient({cacert: work('ca.pem')})(get(`https://localhost:${port}/`)))
    expect([e.kind, /ERR_TLS_CERT_ALTNAME_INVALID/.test(e.message)]).toEqual(['tls', true])
    expect((await nodeHttpClient({insecure: true})(get(`https://localhost:${port}/`))).status).toBe(200)
  })

  it('reports a missing CA file as a configuration error', () => {
    expect(() => nodeHttpClient({cacert: work('missing.pem')})).toThrow(
      /cannot read the CA file .*missing\.pem \(ENOENT\)/,
    )
  })
})
