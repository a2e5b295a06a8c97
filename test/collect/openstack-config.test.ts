// The OpenStack API intent reader without a network: configuration the way the openstack client reads it
// (clouds.yaml + secure.yaml, OS_CLOUD, OS_* variables), auth selection and request bodies, URL joining, the catalog,
// and the fetch loop against an in-memory HttpClient (pagination, Nova fallbacks, error messages, no leaked secret).
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Writable} from 'node:stream'
import {inspect} from 'node:util'
import pino from 'pino'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {
  authRequestBody,
  type CloudConfig,
  type CloudConfigOptions,
  configSearchPath,
  fetchOpenStackIntent,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  joinUrl,
  keystoneV3Url,
  neutronBase,
  novaBase,
  OpenStackError,
  readCatalog,
  resolveCloudConfig,
  safeUrl,
  Secret,
  selectEndpoint,
  serverMessage,
  transportErrorMessage,
} from '../../src/collect/openstack/index.js'
import {parseIntentDocument} from '../../src/intent/index.js'
import {failure} from './openstack-support.js'

let dir = ''
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'neutrace-osconf-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

function write(rel: string, text: string): string {
  const path = join(dir, rel)
  mkdirSync(join(path, '..'), {recursive: true})
  writeFileSync(path, text)
  return path
}

/** Resolve with only files under the temp dir and only the given variables: the machine's own config never leaks in. */
function resolveWith(env: Record<string, string>, opts: Partial<CloudConfigOptions> = {}): CloudConfig {
  return resolveCloudConfig({
    env,
    cwd: join(dir, 'cwd'),
    home: join(dir, 'home'),
    configFiles: [
      join(dir, 'cwd/clouds.yaml'),
      join(dir, 'home/.config/openstack/clouds.yaml'),
      join(dir, 'etc/openstack/clouds.yaml'),
    ],
    secureFiles: [
      join(dir, 'cwd/secure.yaml'),
      join(dir, 'home/.config/openstack/secure.yaml'),
      join(dir, 'etc/openstack/secure.yaml'),
    ],
    ...opts,
  })
}

function configError(fn: () => unknown): OpenStackError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(OpenStackError)
    expect((error as OpenStackError).kind).toBe('config')
    return error as OpenStackError
  }
  throw new Error('expected a configuration error')
}

const LAB_CLOUDS = `clouds:
  lab:
    auth:
      auth_url: https://keystone.example:5000
      username: admin
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    regions:
      - RegionOne
      - name: RegionTwo
        values:
          interface: internal
    interface: public
  other:
    auth:
      auth_url: https://other.example:5000/v3/
      username: bob
      password: bobs-file-password
      project_id: p-123
`

describe('configSearchPath', () => {
  it('looks in ./, the XDG (or ~/.config) openstack folder, /etc/xdg/openstack, /etc/openstack; .yaml, .yml, .json', () => {
    const paths = configSearchPath('clouds', {env: {XDG_CONFIG_HOME: '/x/cfg'}, cwd: '/work', home: '/home/u'})
    expect(paths.slice(0, 3)).toEqual(['/work/clouds.yaml', '/work/clouds.yml', '/work/clouds.json'])
    const dirs = [...new Set(paths.map((p) => p.replace(/\/clouds\.[a-z]+$/, '')))]
    expect(dirs).toEqual([
      '/work',
      '/x/cfg/openstack',
      '/home/u/.config/openstack',
      '/etc/xdg/openstack',
      '/etc/openstack',
    ])
    expect(configSearchPath('secure', {env: {}, cwd: '/w', home: '/h'})[3]).toBe('/h/.config/openstack/secure.yaml')
  })
})

describe('resolveCloudConfig: clouds.yaml, secure.yaml, OS_*', () => {
  it('merges secure.yaml into the cloud chosen by OS_CLOUD, keeping files and region', () => {
    const clouds = write('home/.config/openstack/clouds.yaml', LAB_CLOUDS)
    const secure = write('cwd/secure.yaml', 'clouds:\n  lab:\n    auth:\n      password: s3cret-from-secure\n')
    const c = resolveWith({OS_CLOUD: 'lab'})
    expect(c.cloud).toBe('lab')
    expect(c.files).toEqual([clouds, secure])
    expect(c.authUrl).toBe('https://keystone.example:5000/v3')
    expect(c.regionName).toBe('RegionOne')
    expect(c.interface).toBe('public')
    expect(c.insecure).toBe(false)
    expect(c.auth.type).toBe('password')
    if (c.auth.type !== 'password') return
    expect(c.auth.password.reveal()).toBe('s3cret-from-secure')
    expect([c.auth.username, c.auth.projectName, c.auth.userDomainName, c.auth.projectDomainName]).toEqual([
      'admin',
      'admin',
      'Default',
      'Default',
    ])
  })

  it('takes the first clouds.yaml found (./ before ~/.config/openstack) and --os-cloud over OS_CLOUD', () => {
    write('home/.config/openstack/clouds.yaml', LAB_CLOUDS)
    const local = write(
      'cwd/clouds.yaml',
      'clouds:\n  here:\n    auth: {auth_url: "http://h:5000", username: u, password: p, project_name: x}\n',
    )
    expect(resolveWith({OS_CLOUD: 'here'}).files).toEqual([local])
    const e = configError(() => resolveWith({OS_CLOUD: 'here'}, {cloud: 'lab'}))
    expect(e.message).toBe(`cloud lab is not defined in ${local} (clouds: here)`)
  })

  it('lets OS_* variables override the cloud, as the openstack client does (argparse defaults from the environment)', () => {
    write('cwd/clouds.yaml', LAB_CLOUDS)
    const c = resolveWith({
      OS_CLOUD: 'lab',
      OS_PASSWORD: 'from-env',
      OS_REGION_NAME: 'RegionTwo',
      OS_PROJECT_NAME: 'demo',
      OS_INTERFACE: '',
    })
    expect(c.auth.type === 'password' && c.auth.password.reveal()).toBe('from-env')
    expect(c.auth.type === 'password' && c.auth.projectName).toBe('demo')
    // RegionTwo's values (interface: internal) sit between the cloud and the environment; an empty variable is ignored.
    expect([c.regionName, c.interface]).toEqual(['RegionTwo', 'internal'])
    expect(c.environment).toEqual(['OS_PASSWORD', 'OS_PROJECT_NAME', 'OS_REGION_NAME'])
    const e = configError(() => resolveWith({OS_CLOUD: 'lab', OS_PASSWORD: 'x', OS_REGION_NAME: 'regionone'}))
    expect(e.message).toContain('region regionone is not one of RegionOne, RegionTwo')
  })

  it('lets command-line overrides win over everything', () => {
    write('cwd/clouds.yaml', LAB_CLOUDS)
    const c = resolveWith(
      {OS_CLOUD: 'lab', OS_PASSWORD: 'p', OS_INTERFACE: 'admin', OS_CACERT: '/env/ca.pem'},
      {overrides: {interface: 'internal', cacert: 'ca.pem', insecure: true, timeoutMs: 5000, regionName: 'RegionTwo'}},
    )
    expect([c.interface, c.cacert, c.insecure, c.timeoutMs, c.regionName]).toEqual([
      'internal',
      join(dir, 'cwd/ca.pem'),
      true,
      5000,
      'RegionTwo',
    ])
  })

  it('uses OS_* variables alone when OS_CLOUD is unset, ignoring clouds.yaml', () => {
    write('cwd/clouds.yaml', LAB_CLOUDS)
    const c = resolveWith({
      OS_AUTH_URL: 'http://198.18.210.11:5000/v3/',
      OS_USERNAME: 'admin',
      OS_PASSWORD: 'pw',
      OS_PROJECT_ID: 'proj-id',
      OS_USER_DOMAIN_ID: 'default',
    })
    expect(c.cloud).toBeUndefined()
    expect(c.authUrl).toBe('http://198.18.210.11:5000/v3')
    expect(c.auth.type === 'password' && [c.auth.projectId, c.auth.userDomainId]).toEqual(['proj-id', 'default'])
  })

  it('uses the only cloud of clouds.yaml when nothing names one, and asks when there are several', () => {
    write(
      'cwd/clouds.yaml',
      'clouds:\n  solo:\n    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: x}\n',
    )
    expect(resolveWith({}).cloud).toBe('solo')
    write('cwd/clouds.yaml', LAB_CLOUDS)
    expect(configError(() => resolveWith({OS_REGION_NAME: 'RegionOne'})).message).toContain(
      'defines several clouds (lab, other): choose one with --os-cloud or OS_CLOUD',
    )
  })

  it('reads old key names, dashes and top-level auth keys like openstacksdk', () => {
    write(
      'cwd/clouds.yaml',
      `clouds:
  old:
    auth_plugin: v3password
    endpoint_type: internalURL
    tenant-name: legacy
    auth:
      auth-url: http://k:5000/v2.0
      username: u
      password: 1234
    verify: false
    api_timeout: 7
`,
    )
    const c = resolveWith({OS_CLOUD: 'old'})
    expect(c.authUrl).toBe('http://k:5000/v3')
    expect(c.interface).toBe('internal')
    expect(c.insecure).toBe(true)
    expect(c.timeoutMs).toBe(7000)
    expect(c.auth.type === 'password' && [c.auth.projectName, c.auth.password.reveal()]).toEqual(['legacy', '1234'])
  })

  it('reads YAML 1.1 booleans (insecure: yes) like PyYAML, and "True" strings', () => {
    write(
      'cwd/clouds.yaml',
      'clouds:\n  a:\n    insecure: yes\n    auth: {auth_url: "https://k", username: u, password: p, project_name: x}\n',
    )
    expect(resolveWith({OS_CLOUD: 'a'}).insecure).toBe(true)
    expect(resolveWith({OS_CLOUD: 'a', OS_INSECURE: 'False'}).insecure).toBe(false)
    expect(
      resolveWith({
        OS_AUTH_URL: 'https://k',
        OS_USERNAME: 'u',
        OS_PASSWORD: 'p',
        OS_PROJECT_NAME: 'x',
        OS_INSECURE: 'True',
      }).insecure,
    ).toBe(true)
  })

  it("fills both domains with the openstack client's default domain (id 'default', or OS_DEFAULT_DOMAIN), domain_name for both", () => {
    const base = {OS_AUTH_URL: 'http://k:5000', OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_PROJECT_NAME: 'x'}
    const a = resolveWith(base).auth
    expect(a.type === 'password' && [a.userDomainId, a.projectDomainId]).toEqual(['default', 'default'])
    const b = resolveWith({...base, OS_DEFAULT_DOMAIN: 'd-42'}).auth
    expect(b.type === 'password' && [b.userDomainId, b.projectDomainId]).toEqual(['d-42', 'd-42'])
    const c = resolveWith({...base, OS_DOMAIN_NAME: 'Corp', OS_PROJECT_DOMAIN_NAME: 'Other'}).auth
    expect(c.type === 'password' && [c.userDomainName, c.projectDomainName]).toEqual(['Corp', 'Other'])
  })
})

describe('resolveCloudConfig: password or application credential', () => {
  const appEnv = {
    OS_AUTH_URL: 'https://k:5000/v3',
    OS_APPLICATION_CREDENTIAL_ID: 'ac-1',
    OS_APPLICATION_CREDENTIAL_SECRET: 'ac-secret',
  }

  it('picks the application credential from OS_AUTH_TYPE or from a secret without a password', () => {
    const a = resolveWith({...appEnv, OS_AUTH_TYPE: 'v3applicationcredential'}).auth
    expect(a.type).toBe('v3applicationcredential')
    expect(resolveWith(appEnv).auth.type).toBe('v3applicationcredential')
    // A password next to the secret and no auth_type: the password plugin, the client's default.
    expect(resolveWith({...appEnv, OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_PROJECT_NAME: 'x'}).auth.type).toBe(
      'password',
    )
    expect(
      resolveWith({
        ...appEnv,
        OS_USERNAME: 'u',
        OS_PASSWORD: 'p',
        OS_PROJECT_NAME: 'x',
        OS_AUTH_TYPE: 'v3applicationcredential',
      }).auth.type,
    ).toBe('v3applicationcredential')
  })

  it('builds the Keystone bodies: password with project scope, application credential by id or by name + user', () => {
    const pw = resolveWith({
      OS_AUTH_URL: 'http://k',
      OS_USERNAME: 'admin',
      OS_PASSWORD: 'pw',
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
    })
    expect(authRequestBody(pw.auth)).toEqual({
      auth: {
        identity: {methods: ['password'], password: {user: {name: 'admin', domain: {name: 'Default'}, password: 'pw'}}},
        scope: {project: {name: 'admin', domain: {id: 'default'}}},
      },
    })
    const byId = resolveWith(appEnv)
    expect(authRequestBody(byId.auth)).toEqual({
      auth: {
        identity: {methods: ['application_credential'], application_credential: {id: 'ac-1', secret: 'ac-secret'}},
      },
    })
    const byName = resolveWith({
      OS_AUTH_URL: 'http://k',
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_APPLICATION_CREDENTIAL_NAME: 'ro',
      OS_APPLICATION_CREDENTIAL_SECRET: 's',
      OS_USERNAME: 'bob',
    })
    expect(authRequestBody(byName.auth)).toEqual({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: {name: 'ro', secret: 's', user: {name: 'bob', domain: {id: 'default'}}},
        },
      },
    })
  })

  it('names what is missing and how to set it, without any secret', () => {
    write('cwd/clouds.yaml', 'clouds:\n  lab:\n    auth: {auth_url: "http://k", username: u, project_name: x}\n')
    write('cwd/secure.yaml', 'clouds:\n  other:\n    auth: {password: never-shown}\n')
    const noPw = configError(() => resolveWith({OS_CLOUD: 'lab'}))
    expect(noPw.message).toBe(
      `cloud lab (${join(dir, 'cwd/clouds.yaml')} + ${join(dir, 'cwd/secure.yaml')}): no password: set auth.password in clouds.yaml or secure.yaml, or OS_PASSWORD`,
    )
    expect(configError(() => resolveWith({OS_USERNAME: 'u', OS_PASSWORD: 'hidden-pw'})).message).toBe(
      'the OS_* environment: no Keystone URL: set OS_AUTH_URL',
    )
    expect(
      configError(() => resolveWith({OS_AUTH_URL: 'http://k', OS_USERNAME: 'u', OS_PASSWORD: 'hidden-pw'})).message,
    ).toContain('no project (an unscoped token has no service catalog): set OS_PROJECT_NAME')
    expect(
      configError(() => resolveWith({OS_AUTH_URL: 'http://k', OS_PASSWORD: 'hidden-pw', OS_PROJECT_NAME: 'x'})).message,
    ).toContain('no user: set OS_USERNAME')
    expect(
      configError(() => resolveWith({OS_AUTH_URL: 'http://k', OS_APPLICATION_CREDENTIAL_ID: 'a'})).message,
    ).toContain('no application credential secret')
    expect(
      configError(() =>
        resolveWith({
          OS_AUTH_URL: 'http://k',
          OS_AUTH_TYPE: 'v3applicationcredential',
          OS_APPLICATION_CREDENTIAL_NAME: 'n',
          OS_APPLICATION_CREDENTIAL_SECRET: 'hidden-pw',
        }),
      ).message,
    ).toContain('no owner for the application credential name')
    expect(
      configError(() => resolveWith({OS_AUTH_URL: 'http://k', OS_AUTH_TYPE: 'token', OS_PASSWORD: 'hidden-pw'}))
        .message,
    ).toContain('auth_type "token" is not supported')
    expect(
      configError(() => resolveWith({OS_AUTH_URL: 'http://k', OS_IDENTITY_API_VERSION: '2', OS_PASSWORD: 'hidden-pw'}))
        .message,
    ).toContain('Keystone v3 only')
    expect(
      configError(() =>
        resolveWith({OS_AUTH_URL: 'ftp://k', OS_USERNAME: 'u', OS_PASSWORD: 'hidden-pw', OS_PROJECT_NAME: 'x'}),
      ).message,
    ).toContain('only http and https')
    expect(configError(() => resolveWith({}, {configFiles: [], secureFiles: []})).message).toMatch(
      /^no OpenStack credentials: set OS_CLOUD/,
    )
    expect(
      configError(() => resolveWith({OS_CLOUD: 'nope'}, {configFiles: [join(dir, 'none.yaml')], secureFiles: []}))
        .message,
    ).toContain('cloud nope was asked for, but no clouds.yaml was found')
    for (const e of [noPw]) expect(e.message).not.toContain('never-shown')
  })

  it('reports a broken clouds.yaml with its line, and refuses vendor profiles', () => {
    const path = write('cwd/clouds.yaml', 'clouds:\n  lab:\n    auth: {auth_url: "http://k"\n  bad: [\n')
    expect(configError(() => resolveWith({OS_CLOUD: 'lab'})).message).toMatch(
      new RegExp(`^${path}:\\d+: not valid YAML`),
    )
    write(
      'cwd/clouds.yaml',
      'clouds:\n  vex:\n    profile: vexxhost\n    auth: {username: u, password: p, project_name: x}\n',
    )
    expect(configError(() => resolveWith({OS_CLOUD: 'vex'})).message).toContain(
      'vendor profiles (profile: vexxhost) are not supported',
    )
  })
})

describe('URLs', () => {
  it('makes a Keystone v3 base from any auth_url form', () => {
    expect(keystoneV3Url('http://k:5000')).toBe('http://k:5000/v3')
    expect(keystoneV3Url('http://k:5000/')).toBe('http://k:5000/v3')
    expect(keystoneV3Url('https://k/identity/v3/')).toBe('https://k/identity/v3')
    expect(keystoneV3Url('https://k/identity/v2.0')).toBe('https://k/identity/v3')
    expect(keystoneV3Url('https://user:pw@k:5000/v3?x=1')).toBe('https://k:5000/v3')
  })

  it('joins with one slash, keeps ports and prefixes, drops user information in messages', () => {
    expect(joinUrl('http://h:9696/', '/v2.0/', 'networks')).toBe('http://h:9696/v2.0/networks')
    expect(joinUrl('https://h/networking', 'v2.0')).toBe('https://h/networking/v2.0')
    expect(neutronBase('http://h:9696')).toBe('http://h:9696/v2.0')
    expect(neutronBase('http://h:9696/v2.0/')).toBe('http://h:9696/v2.0')
    expect(novaBase('http://h:8774/v2.1/4f3c')).toBe('http://h:8774/v2.1/4f3c')
    expect(novaBase('http://h:8774/v2.1')).toBe('http://h:8774/v2.1')
    expect(novaBase('https://h/compute/')).toBe('https://h/compute/v2.1')
    expect(safeUrl('https://u:p@h/x')).toBe('https://h/x')
  })
})

describe('catalog', () => {
  const body = {
    token: {
      catalog: [
        {
          type: 'network',
          name: 'neutron',
          endpoints: [
            {interface: 'public', region_id: 'R1', region: 'R1', url: 'https://net.r1'},
            {interface: 'internal', region_id: 'R1', url: 'http://net.r1.internal:9696'},
            {interface: 'public', region_id: 'R2', url: 'https://net.r2'},
          ],
        },
        {
          type: 'compute',
          endpoints: [
            {interface: 'public', region_id: 'R1', url: 'https://nova.r1/v2.1'},
            {interface: 'public', url: 42},
          ],
        },
        'junk',
      ],
    },
  }
  const catalog = readCatalog(body)

  it('reads services and endpoints, skipping malformed ones', () => {
    expect(catalog.map((s) => [s.type, s.endpoints.length])).toEqual([
      ['network', 3],
      ['compute', 1],
    ])
  })

  it('chooses by interface and region, and says what is there when nothing fits', () => {
    expect(selectEndpoint(catalog, 'network', {interface: 'internal', region: 'R1'})).toEqual({
      url: 'http://net.r1.internal:9696',
      region: 'R1',
    })
    expect(selectEndpoint(catalog, 'network', {interface: 'public', region: 'R2'})).toEqual({
      url: 'https://net.r2',
      region: 'R2',
    })
    expect(selectEndpoint(catalog, 'compute', {interface: 'admin'})).toEqual({
      missing: 'the compute service has no admin endpoint (it has: public@R1)',
    })
    expect(selectEndpoint(catalog, 'image', {interface: 'public'})).toEqual({
      missing: 'the service catalog has no image service',
    })
    expect(configError(() => selectEndpoint(catalog, 'network', {interface: 'public'})).message).toContain(
      'public endpoints in several regions (R1, R2)',
    )
  })
})

// ---- the fetch loop against an in-memory API --------------------------------------------------------------------

const PASSWORD = 'Pa55-word-xyz'
const TOKEN = 'gAAAAAB-token-value-123'

interface FakeApi {
  http: HttpClient
  requests: HttpRequest[]
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {status, headers, body: JSON.stringify(value)}
}

function catalogWith(compute: boolean): unknown[] {
  return [
    {type: 'network', endpoints: [{interface: 'public', region_id: 'RegionOne', url: 'http://api.test:9696/'}]},
    ...(compute
      ? [
          {
            type: 'compute',
            endpoints: [{interface: 'public', region_id: 'RegionOne', url: 'http://api.test:8774/v2.1'}],
          },
        ]
      : []),
  ]
}

/** Neutron lists `items` in pages, with next links naming another host (a proxy's view); Nova as `nova` says. */
function fakeApi(opts: {
  items: Record<string, {id: string}[]>
  compute?: boolean
  admin?: boolean
  nova?: 'ok' | 'forbid-all-tenants'
  keystone?: (req: HttpRequest) => HttpResponse | undefined
}): FakeApi {
  const requests: HttpRequest[] = []
  const http: HttpClient = async (req) => {
    requests.push(req)
    const url = new URL(req.url)
    if (url.pathname === '/v3/auth/tokens') {
      const special = opts.keystone?.(req)
      if (special) return special
      const roles = [{name: 'member'}, ...(opts.admin === false ? [] : [{name: 'admin'}])]
      return json(
        201,
        {
          token: {
            user: {name: 'admin', id: 'u1'},
            project: {name: 'admin', id: 'p1'},
            roles,
            catalog: catalogWith(opts.compute ?? false),
          },
        },
        {'x-subject-token': TOKEN},
      )
    }
    if (req.headers['x-auth-token'] !== TOKEN) return json(401, {error: {message: 'bad token'}})
    const key = url.pathname.split('/').pop() === 'detail' ? 'servers' : url.pathname.split('/').pop()!
    if (key === 'servers' && opts.nova === 'forbid-all-tenants' && url.searchParams.get('all_tenants') === '1') {
      return json(403, {
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.",
        },
      })
    }
    const all = opts.items[key]
    if (!all) return json(404, {NeutronError: {type: 'HTTPNotFound', message: `The resource could not be found.`}})
    const limit = Number(url.searchParams.get('limit'))
    const marker = url.searchParams.get('marker')
    const start = marker ? all.findIndex((i) => i.id === marker) + 1 : 0
    const page = all.slice(start, start + limit)
    const links =
      start + limit < all.length
        ? [{rel: 'next', href: `http://proxy.internal/v2.0/${key}?limit=${limit}&marker=${page[page.length - 1]!.id}`}]
        : []
    const body = key.replace(/-/g, '_')
    return json(200, {[body]: page, [`${body}_links`]: links})
  }
  return {http, requests}
}

function envConfig(extra: Record<string, string> = {}): CloudConfig {
  return resolveWith({
    OS_AUTH_URL: 'http://api.test:5000/v3',
    OS_USERNAME: 'admin',
    OS_PASSWORD: PASSWORD,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    ...extra,
  })
}

function capturingLogger(): {logger: pino.Logger; lines: string[]} {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return {logger: pino({level: 'debug'}, stream), lines}
}

const ids = (prefix: string, n: number) => Array.from({length: n}, (_, i) => ({id: `${prefix}-${i}`}))

describe('fetchOpenStackIntent (in-memory API)', () => {
  it('follows every page on its own endpoint and merges them into one body of the API shape', async () => {
    const items = {networks: ids('net', 5), subnets: ids('sub', 2), ports: ids('port', 7)}
    const api = fakeApi({items: {...items, 'security-groups': ids('sg', 1), 'security-group-rules': ids('rule', 3)}})
    const r = await fetchOpenStackIntent({config: envConfig(), http: api.http, pageSize: 2})
    expect(r.documents.map((d) => d.name)).toEqual([
      'networks.json',
      'subnets.json',
      'ports.json',
      'security-groups.json',
      'security-group-rules.json',
    ])
    const networks = JSON.parse(r.documents[0]!.text) as {networks: {id: string}[]}
    expect(Object.keys(networks)).toEqual(['networks'])
    expect(networks.networks.map((n) => n.id)).toEqual(['net-0', 'net-1', 'net-2', 'net-3', 'net-4'])
    expect(r.record.lists.map((l) => [l.document, l.items, l.pages])).toEqual([
      ['networks.json', 5, 3],
      ['subnets.json', 2, 1],
      ['ports.json', 7, 4],
      ['security-groups.json', 1, 1],
      ['security-group-rules.json', 3, 2],
    ])
    expect(Object.keys(JSON.parse(r.documents[3]!.text) as object)).toEqual(['security_groups'])
    // The proxy host of the next links is never contacted: only the catalog's endpoint.
    expect(new Set(api.requests.map((q) => new URL(q.url).host))).toEqual(new Set(['api.test:5000', 'api.test:9696']))
    expect(api.requests.filter((q) => q.url.includes('/networks')).map((q) => new URL(q.url).search)).toEqual([
      '?limit=2',
      '?limit=2&marker=net-1',
      '?limit=2&marker=net-3',
    ])
    expect(r.record.notes).toContain('Nova servers not fetched: the service catalog has no compute service')
    expect(r.record.notes).not.toContain('Neutron has no security-groups (HTTP 404): security groups not fetched')
    expect(r.record.notes[0]).toMatch(/admin role in project admin\): every project's/)
    expect([r.record.user, r.record.project, r.record.region, r.record.tlsVerified]).toEqual([
      'admin (domain Default)',
      'admin',
      'RegionOne',
      false,
    ])
    // The bodies read back as intent.
    const parsed = parseIntentDocument('networks.json', r.documents[0]!.text)
    expect(parsed.value.networks?.map((n) => n.id)).toEqual(['net-0', 'net-1', 'net-2', 'net-3', 'net-4'])
  })

  it('fetches servers with all_tenants=1, and only the project’s own when Nova forbids it', async () => {
    const items = {networks: [], subnets: [], ports: [], servers: ids('vm', 3)}
    const ok = await fetchOpenStackIntent({config: envConfig(), http: fakeApi({items, compute: true, nova: 'ok'}).http})
    // No security-group extension here (404): noted, the rest fetched.
    expect(ok.documents.map((d) => d.name)).toEqual(['networks.json', 'subnets.json', 'ports.json', 'servers.json'])
    expect(ok.record.notes).toContain('Neutron has no security-groups (HTTP 404): security groups not fetched')
    expect(ok.record.lists[3]!.url).toBe('http://api.test:8774/v2.1/servers/detail?all_tenants=1')
    const api = fakeApi({items, compute: true, nova: 'forbid-all-tenants', admin: false})
    const r = await fetchOpenStackIntent({config: envConfig(), http: api.http})
    expect((JSON.parse(r.documents[3]!.text) as {servers: unknown[]}).servers).toHaveLength(3)
    expect(r.record.notes).toContain(
      'Nova refused all_tenants=1 (HTTP 403): only the servers of project admin are listed',
    )
    expect(r.record.notes[0]).toBe(
      "admin has no admin role in project admin: only that project's resources and shared networks are listed",
    )
    const off = await fetchOpenStackIntent({
      config: envConfig(),
      http: fakeApi({items, compute: true}).http,
      servers: false,
    })
    expect(off.documents).toHaveLength(3)
  })

  it('says who failed to authenticate where, never the password, even when the server echoes it', async () => {
    const api = fakeApi({
      items: {},
      keystone: () => json(401, {error: {code: 401, title: 'Unauthorized', message: `bad password ${PASSWORD}`}}),
    })
    const {logger, lines} = capturingLogger()
    const error = await failure(fetchOpenStackIntent({config: envConfig(), http: api.http, logger}))
    expect((error as OpenStackError).kind).toBe('auth')
    expect((error as OpenStackError).message).toBe(
      'authentication failed for user admin (domain Default) at http://api.test:5000/v3/auth/tokens (HTTP 401: bad password [redacted])',
    )
    expect(lines.join('')).not.toContain(PASSWORD)
  })

  it('explains 403, 404, missing token header and a non-JSON answer with the URL', async () => {
    const cases: [HttpResponse, RegExp][] = [
      [
        json(403, {error: {message: 'You are not authorized'}}),
        /^Keystone at http:\/\/api\.test:5000\/v3\/auth\/tokens: HTTP 403 Forbidden for user admin \(domain Default\): You are not authorized$/,
      ],
      [
        json(404, {error: {message: 'Could not find'}}),
        /^Keystone at http:\/\/api\.test:5000\/v3\/auth\/tokens: HTTP 404 Not Found \(is the URL right\?\): Could not find$/,
      ],
      [json(201, {token: {}}), /answered 201 without an X-Subject-Token header/],
      [
        {status: 302, headers: {location: 'https://api.test/v3'}, body: ''},
        /HTTP 302 \(redirected to https:\/\/api\.test\/v3: use that URL\)/,
      ],
    ]
    for (const [res, message] of cases) {
      const err = await failure(
        fetchOpenStackIntent({config: envConfig(), http: fakeApi({items: {}, keystone: () => res}).http}),
      )
      expect(err.message).toMatch(message)
    }
    const html = fakeApi({items: {networks: []}})
    const broken: HttpClient = async (req) =>
      req.url.includes('/networks') ? {status: 200, headers: {}, body: '<html>proxy error</html>'} : html.http(req)
    const err = await failure(fetchOpenStackIntent({config: envConfig(), http: broken}))
    expect(err.message).toBe(
      'Neutron at http://api.test:9696/v2.0/networks?limit=500: the answer is not JSON: <html>proxy error</html>',
    )
  })

  it('names a Neutron list the server does not know (404) and a refused token (401)', async () => {
    const api = fakeApi({items: {networks: [], subnets: []}})
    const err = await failure(fetchOpenStackIntent({config: envConfig(), http: api.http}))
    expect([err.kind, err.status, err.message]).toEqual([
      'not-found',
      404,
      'Neutron at http://api.test:9696/v2.0/ports?limit=500: HTTP 404 Not Found (is the URL right?): The resource could not be found.',
    ])
    const revoked: HttpClient = async (req) =>
      req.url.includes(':9696')
        ? json(401, {error: {message: 'The request you have made requires authentication.'}})
        : api.http(req)
    const e401 = await failure(fetchOpenStackIntent({config: envConfig(), http: revoked}))
    expect(e401.message).toBe(
      'Neutron at http://api.test:9696/v2.0/networks?limit=500 refused the token of user admin (domain Default) (HTTP 401: The request you have made requires authentication.)',
    )
  })

  it('wraps a transport failure with the service and URL, and stops a pagination loop', async () => {
    const refused: HttpClient = async () => {
      throw new OpenStackError('connect', transportErrorMessage('ECONNREFUSED', 'connect ECONNREFUSED').text)
    }
    const err = await failure(fetchOpenStackIntent({config: envConfig(), http: refused}))
    expect([err.kind, err.message]).toEqual([
      'connect',
      'Keystone at http://api.test:5000/v3/auth/tokens: connection refused (ECONNREFUSED): nothing listens there',
    ])
    expect(transportErrorMessage('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate').kind).toBe('tls')
    expect(transportErrorMessage('ERR_TLS_CERT_ALTNAME_INVALID', 'x').text).toMatch(
      /^TLS verification failed .*OS_CACERT/,
    )
    const api = fakeApi({items: {}})
    const looping: HttpClient = async (req) =>
      req.url.includes(':9696')
        ? json(200, {
            networks: [{id: 'a'}],
            networks_links: [{rel: 'next', href: 'http://api.test:9696/v2.0/networks?marker=a'}],
          })
        : api.http(req)
    const loop = await failure(fetchOpenStackIntent({config: envConfig(), http: looping}))
    expect(loop.message).toBe('Neutron at http://api.test:9696/v2.0/networks: pagination returned marker a twice')
  })

  it('keeps the token and password out of requests other than their own, out of logs and out of the bodies', async () => {
    const api = fakeApi({items: {networks: ids('n', 3), subnets: [], ports: []}})
    const {logger, lines} = capturingLogger()
    const r = await fetchOpenStackIntent({config: envConfig(), http: api.http, logger, pageSize: 1})
    const log = lines.join('')
    expect(log).toContain('authenticated with Keystone')
    for (const secret of [PASSWORD, TOKEN]) {
      expect(log).not.toContain(secret)
      expect(JSON.stringify(r)).not.toContain(secret)
    }
    expect(api.requests.filter((q) => q.body?.includes(PASSWORD))).toHaveLength(1)
    expect(api.requests.slice(1).every((q) => q.headers['x-auth-token'] === TOKEN && !q.url.includes(TOKEN))).toBe(true)
  })
})

describe('Secret', () => {
  it('prints as [redacted] in JSON, inspect, templates and pino, and scrubs echoes', () => {
    const s = new Secret('hunter2-long')
    const holder = {password: s, nested: {secret: s}}
    expect(JSON.stringify(holder)).toBe('{"password":"[redacted]","nested":{"secret":"[redacted]"}}')
    expect(inspect(holder)).not.toContain('hunter2')
    expect(`${s}`).toBe('[redacted]')
    const {logger, lines} = capturingLogger()
    logger.info({config: holder}, 'config')
    expect(lines.join('')).not.toContain('hunter2')
    expect(serverMessage(JSON.stringify({error: {message: 'user hunter2-long unknown'}}), [s])).toBe(
      'user [redacted] unknown',
    )
    expect(inspect(envConfig())).not.toContain(PASSWORD)
  })
})
