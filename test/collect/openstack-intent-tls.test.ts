// The OpenStack intent source over TLS against a loopback HTTPS "Keystone + Neutron" whose certificate a private CA
// (made here by the real openssl) signed: verification on by default, a CA file, a certificate for another name,
// insecure with its warning, a missing CA file, connection refused and a server that never answers.

import https from 'node:https'
import net from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {fetchOpenStackIntent, nodeHttpClient, resolveCloudConfig} from '../../src/collect/openstack/index.js'
import {makePrivateCa, type PrivateCa} from '../support/tls.js'
import {capturingLogger, failure} from './openstack-support.js'

describe('nodeHttpClient: TLS verification, CA file, insecure, refused, timeout (loopback)', () => {
  let ca: PrivateCa | undefined
  let work = ''
  let server: https.Server
  let port = 0
  const seen: string[] = []

  beforeAll(async () => {
    ca = makePrivateCa()
    work = ca.dir
    server = https.createServer({key: ca.pem('server.key'), cert: ca.pem('server.pem')}, (req, res) => {
      seen.push(`${req.method} ${req.url}`)
      res.setHeader('content-type', 'application/json')
      if (req.url === '/v3/auth/tokens') {
        res.writeHead(201, {'x-subject-token': 'tls-test-token'})
        const catalog = [
          {type: 'network', endpoints: [{interface: 'public', region_id: 'R', url: `https://127.0.0.1:${port}`}]},
        ]
        res.end(JSON.stringify({token: {user: {name: 'u'}, project: {name: 'p'}, roles: [{name: 'admin'}], catalog}}))
        return
      }
      // The body's key is the path's resource with '_' for '-' (security-groups → security_groups), as Neutron's.
      const key = (req.url ?? '').replace(/^\/v2\.0\/([a-z-]+).*$/, '$1').replaceAll('-', '_')
      res.end(JSON.stringify({[key]: []}))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    ca?.remove()
  })

  const env = (over: Record<string, string> = {}) => ({
    OS_AUTH_URL: `https://127.0.0.1:${port}`,
    OS_USERNAME: 'u',
    OS_PASSWORD: 'tls-test-password',
    OS_PROJECT_NAME: 'p',
    ...over,
  })
  const config = (over: Record<string, string> = {}) =>
    resolveCloudConfig({env: env(over), cwd: work, home: work, configFiles: [], secureFiles: []})

  it('refuses an unknown CA by default, naming the URL and how to fix it', async () => {
    const e = await failure(fetchOpenStackIntent({config: config()}))
    expect(e.kind).toBe('tls')
    expect(e.message).toMatch(
      new RegExp(
        `^Keystone at https://127\\.0\\.0\\.1:${port}/v3/auth/tokens: TLS verification failed \\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)`,
      ),
    )
    expect(e.message).toContain('OS_CACERT')
  })

  it('verifies with the CA file (OS_CACERT) and says the whole exchange was verified', async () => {
    const r = await fetchOpenStackIntent({config: config({OS_CACERT: ca!.path('ca.pem')})})
    expect(r.record.tlsVerified).toBe(true)
    // This fake Neutron answers every list (routers and floating IPs too: a Neutron with the router plugin).
    expect(r.documents.map((d) => d.name)).toEqual([
      'networks.json',
      'subnets.json',
      'ports.json',
      'security-groups.json',
      'security-group-rules.json',
      'routers.json',
      'floatingips.json',
    ])
    expect(seen).toContain('GET /v2.0/ports?limit=500')
  })

  it('rejects a certificate for another name even with the right CA', async () => {
    const e = await failure(
      fetchOpenStackIntent({
        config: config({OS_CACERT: ca!.path('ca.pem'), OS_AUTH_URL: `https://localhost:${port}`}),
      }),
    )
    expect([e.kind, /ERR_TLS_CERT_ALTNAME_INVALID/.test(e.message)]).toEqual(['tls', true])
  })

  it('skips verification only when told (OS_INSECURE), and warns', async () => {
    const {logger, text} = capturingLogger()
    const r = await fetchOpenStackIntent({config: config({OS_INSECURE: 'true'}), logger})
    expect(r.record.tlsVerified).toBe(false)
    expect(r.record.notes[0]).toMatch(/^TLS certificate verification is OFF/)
    expect(text()).toMatch(/"level":40,.*TLS certificate verification is OFF/)
    expect(text()).not.toContain('tls-test-password')
    expect(text()).not.toContain('tls-test-token')
  })

  it('reports a missing CA file as a configuration error', () => {
    expect(() => nodeHttpClient({cacert: ca!.path('missing.pem')})).toThrow(
      /cannot read the CA file .*missing\.pem \(ENOENT\)/,
    )
  })

  it('reports connection refused and a server that never answers', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const refused = await failure(
      fetchOpenStackIntent({config: config({OS_AUTH_URL: `http://127.0.0.1:${closedPort}/v3`})}),
    )
    expect([refused.kind, refused.message]).toEqual([
      'connect',
      `Keystone at http://127.0.0.1:${closedPort}/v3/auth/tokens: connection refused (ECONNREFUSED): nothing listens there`,
    ])

    const sockets: net.Socket[] = []
    const silent = net.createServer((s) => void sockets.push(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const silentPort = (silent.address() as net.AddressInfo).port
    try {
      const slow = resolveCloudConfig({
        env: env({OS_AUTH_URL: `http://127.0.0.1:${silentPort}`}),
        cwd: work,
        home: work,
        configFiles: [],
        secureFiles: [],
        overrides: {timeoutMs: 300},
      })
      const timeout = await failure(fetchOpenStackIntent({config: slow}))
      expect([timeout.kind, timeout.message]).toEqual([
        'timeout',
        `Keystone at http://127.0.0.1:${silentPort}/v3/auth/tokens: no answer within 300 ms`,
      ])
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })
})
