// Intent from the real Neutron API (issue 4): `collect()` with an OpenStack intent source against the Debian Zed
// neutron-server + Keystone of the Neutron lab, with a clouds.yaml + secure.yaml, password and application-credential
// auth, a wrong password, and a compute endpoint nobody serves. The bodies must list the demo's networks, subnets and
// ports, read back as the same networks as `openstack network list`, and no credential may reach the snapshot or a log.
//
// The lab part runs on the shared lab (suite.ts; only its control node is collected, as an all-in-one host) and needs
// root and test/lab/neutron/install.sh; it runs unless NEUTRACE_NEUTRON_LAB=0. What it adds to Keystone (an
// application credential, a compute service) it deletes.
// The same source over TLS, refused connections and timeouts is tested on loopback in
// test/collect/openstack-intent-tls.test.ts.

import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CollectError, type CollectManifest, collect} from '../../../src/collect/collector.js'
import type {InventoryHost} from '../../../src/collect/inventory.js'
import {
  type CloudConfig,
  fetchOpenStackIntent,
  type HttpClient,
  nodeHttpClient,
  OpenStackError,
  type OpenStackIntentRecord,
  openstackIntentSource,
  resolveCloudConfig,
} from '../../../src/collect/openstack/index.js'
import {LocalTransport} from '../../../src/collect/transport.js'
import {loadIntentDir, parseIntentDocument} from '../../../src/intent/index.js'
import {capturingLogger} from '../../collect/openstack-support.js'
import {CONTROL_SH, neutronLabUnavailable, runArgv, type NeutronLabVm} from './control.js'
import {SHARED_FEATURES, SHARED_LAB_SLOT, SHARED_NETWORKS, useSharedLab} from './suite.js'

const SLOT = SHARED_LAB_SLOT
const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const unavailable = neutronLabUnavailable()
const disabled = process.env.NEUTRACE_NEUTRON_LAB === '0'

/** Every file under `dir`, as text, for grepping. */
function allText(dir: string): string {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out.push(readFileSync(p, 'latin1'))
    }
  }
  walk(dir)
  return out.join('\n')
}

/** An HttpClient that remembers every token Keystone handed out, so the test can look for them afterwards. */
function recordingTokens(inner: HttpClient, tokens: string[]): HttpClient {
  return async (req) => {
    const res = await inner(req)
    if (res.headers['x-subject-token']) tokens.push(res.headers['x-subject-token'])
    return res
  }
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe.skipIf(unavailable !== undefined || disabled)(
  'Neutron API intent (real Keystone + neutron-server, shared lab)',
  () => {
    const shared = useSharedLab('neutrace-api-intent-')
    const lab = shared.lab
    const authUrl = `http://198.18.${SLOT}.11:5000/v3`
    let scratch = ''
    let vms: NeutronLabVm[] = []
    const osEnv: Record<string, string> = {}
    let password = ''
    const secrets: string[] = []
    const tokens: string[] = []
    const logs: string[] = []
    /** The application credential made here: deleted after the tests (the lab is shared). */
    let appCredential = ''

    beforeAll(async () => {
      scratch = shared.scratch()
      vms = shared.vms()
      const r = await runArgv([CONTROL_SH, 'env'], {NLAB_SLOT: String(SLOT), NLAB_DIR: lab.dir})
      for (const line of r.stdout.split('\n')) {
        const m = /^export (OS_[A-Z_]+)=(.*)$/.exec(line)
        if (m) osEnv[m[1]!] = m[2]!
      }
      password = osEnv.OS_PASSWORD ?? ''
      secrets.push(password)
    }, 600_000)

    afterAll(async () => {
      if (appCredential) await lab.openstack(['application', 'credential', 'delete', appCredential])
    }, 120_000)

    /** clouds.yaml without the password, secure.yaml with it, in `cwd`; the cloud is named `nlab`. */
    function writeCloudFiles(cwd: string): void {
      mkdirSync(cwd, {recursive: true})
      writeFileSync(
        join(cwd, 'clouds.yaml'),
        [
          'clouds:',
          '  nlab:',
          '    auth:',
          `      auth_url: ${osEnv.OS_AUTH_URL}`,
          `      username: ${osEnv.OS_USERNAME}`,
          `      project_name: ${osEnv.OS_PROJECT_NAME}`,
          `      user_domain_name: ${osEnv.OS_USER_DOMAIN_NAME}`,
          `      project_domain_name: ${osEnv.OS_PROJECT_DOMAIN_NAME}`,
          `    region_name: ${osEnv.OS_REGION_NAME}`,
          `    interface: ${osEnv.OS_INTERFACE}`,
          '    identity_api_version: 3',
          '',
        ].join('\n'),
      )
      writeFileSync(join(cwd, 'secure.yaml'), `clouds:\n  nlab:\n    auth:\n      password: "${password}"\n`, {
        mode: 0o600,
      })
    }

    function cloudConfig(cwd: string, env: Record<string, string> = {}): CloudConfig {
      return resolveCloudConfig({cloud: 'nlab', env, cwd, home: join(scratch, 'home')})
    }

    function labHost(): InventoryHost {
      const node = lab.nodes()[0]!
      return {
        name: node.name,
        address: node.address,
        port: 22,
        user: 'root',
        roles: ['control', 'network', 'compute'],
        execPrefix: [
          'nsenter',
          '-t',
          String(node.initPid),
          '-m',
          '-n',
          '-u',
          '-p',
          '--',
          'env',
          `PATH=${CLEAN_PATH}`,
          'LC_ALL=C',
        ],
      }
    }

    it('collects a snapshot whose intent/ holds the Neutron bodies, read with clouds.yaml + secure.yaml (password)', async () => {
      const cwd = join(scratch, 'conf')
      writeCloudFiles(cwd)
      const config = cloudConfig(cwd)
      expect(config.files).toEqual([join(cwd, 'clouds.yaml'), join(cwd, 'secure.yaml')])
      const {logger, text} = capturingLogger()
      const out = join(scratch, 'snapshot')
      const source = openstackIntentSource(config, {http: recordingTokens(nodeHttpClient(config), tokens)})
      const result = await collect({
        hosts: [labHost()],
        out,
        transportFactory: async (h) => new LocalTransport(h.name),
        intent: source,
        logger,
        handleSigint: false,
        source: 'lab',
      })
      logs.push(text())
      expect(result.manifest.hosts[0]!.status).toBe('complete')
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as CollectManifest & {
        intentSource: OpenStackIntentRecord
      }
      // With the l3 feature the router service plugin answers /v2.0/routers and /v2.0/floatingips; without it they
      // answer 404 (noted).
      const l3 = SHARED_FEATURES.includes('l3')
      expect(manifest.intent).toEqual([
        ...(l3 ? ['intent/floatingips.json'] : []),
        'intent/networks.json',
        'intent/ports.json',
        ...(l3 ? ['intent/routers.json'] : []),
        'intent/security-group-rules.json',
        'intent/security-groups.json',
        'intent/subnets.json',
      ])
      expect(manifest.intentSource).toMatchObject({
        source: 'openstack-api',
        cloud: 'nlab',
        authUrl,
        authType: 'password',
        project: 'admin',
        region: 'RegionOne',
        interface: 'public',
        tlsVerified: false,
      })
      expect(manifest.intentSource.notes).toContain(
        'Nova servers not fetched: the service catalog has no compute service',
      )
      expect(tokens.length).toBeGreaterThan(0)

      const networks = (
        JSON.parse(readFileSync(join(out, 'intent/networks.json'), 'utf8')) as {networks: Record<string, unknown>[]}
      ).networks
      const byName = new Map(networks.map((n) => [n.name as string, n]))
      expect(SHARED_NETWORKS.map((n) => byName.get(n)?.['provider:segmentation_id'])).toEqual([1000, 1001, null, 101])
      expect(SHARED_NETWORKS.map((n) => byName.get(n)?.['provider:network_type'])).toEqual([
        'vlan',
        'vlan',
        'flat',
        'vxlan',
      ])
      const subnets = (
        JSON.parse(readFileSync(join(out, 'intent/subnets.json'), 'utf8')) as {subnets: Record<string, unknown>[]}
      ).subnets
      expect(subnets.map((s) => s.cidr).sort()).toEqual(
        [
          '198.19.201.0/24',
          '198.19.202.0/24',
          '198.19.203.0/24',
          '198.19.211.0/24',
          // The l3 feature's external network (control.sh: 198.19.<slot - 100>.0/25).
          ...(l3 ? [`198.19.${SHARED_LAB_SLOT - 100}.0/25`] : []),
        ].sort(),
      )
      const ports = (
        JSON.parse(readFileSync(join(out, 'intent/ports.json'), 'utf8')) as {ports: Record<string, unknown>[]}
      ).ports
      for (const vm of vms) {
        const port = ports.find((p) => p.id === vm.portId)
        expect(port, vm.portId).toBeDefined()
        expect([
          port!['binding:host_id'],
          port!.mac_address,
          (port!.fixed_ips as {ip_address: string}[])[0]!.ip_address,
        ]).toEqual([vm.node, vm.mac, vm.ip])
      }
      // One DHCP port per network besides the VMs.
      expect(ports.filter((p) => p.device_owner === 'network:dhcp')).toHaveLength(SHARED_NETWORKS.length)
    }, 180_000)

    it('reads back as the same networks as `openstack network list`', async () => {
      const listed = JSON.parse(await lab.openstack(['network', 'list', '--long', '-f', 'json'])) as {
        ID: string
        Name: string
        'Network Type': string
      }[]
      const intent = await loadIntentDir(join(scratch, 'snapshot', 'intent'))
      expect(intent.problems).toEqual([])
      const mine = intent.networks.map((n) => [n.id, n.name, n.networkType]).sort()
      expect(mine).toEqual(listed.map((n) => [n.ID, n.Name, n['Network Type']]).sort())
      const parsed = parseIntentDocument(
        'ports.json',
        readFileSync(join(scratch, 'snapshot', 'intent', 'ports.json'), 'utf8'),
      )
      expect(parsed.problems).toEqual([])
      for (const vm of vms) expect(parsed.value.ports?.find((p) => p.id === vm.portId)?.bindingHost).toBe(vm.node)
      expect(intent.networks.find((n) => n.name === 'nlab-net2')?.segmentationId).toBe(1001)
    }, 60_000)

    it('authenticates with an application credential created through the API (by id, and by name + user)', async () => {
      const created = JSON.parse(
        await lab.openstack(['application', 'credential', 'create', 'neutrace-api-intent', '-f', 'json']),
      ) as {id: string; secret: string}
      appCredential = created.id
      secrets.push(created.secret)
      const base = {
        OS_AUTH_URL: authUrl,
        OS_AUTH_TYPE: 'v3applicationcredential',
        OS_APPLICATION_CREDENTIAL_SECRET: created.secret,
      }
      const byId = resolveCloudConfig({
        env: {...base, OS_APPLICATION_CREDENTIAL_ID: created.id},
        cwd: join(scratch, 'empty'),
        home: join(scratch, 'home'),
      })
      const byName = resolveCloudConfig({
        env: {
          ...base,
          OS_APPLICATION_CREDENTIAL_NAME: 'neutrace-api-intent',
          OS_USERNAME: 'admin',
          OS_USER_DOMAIN_NAME: 'Default',
        },
        cwd: join(scratch, 'empty'),
        home: join(scratch, 'home'),
      })
      const expected = JSON.parse(readFileSync(join(scratch, 'snapshot', 'intent', 'networks.json'), 'utf8')) as {
        networks: {id: string}[]
      }
      for (const config of [byId, byName]) {
        expect(config.auth.type).toBe('v3applicationcredential')
        const {logger, text} = capturingLogger()
        const r = await fetchOpenStackIntent({
          config,
          logger,
          http: recordingTokens(nodeHttpClient(config), tokens),
          pageSize: 2,
        })
        logs.push(text(), JSON.stringify(r))
        expect(r.record.authType).toBe('v3applicationcredential')
        const ids = (JSON.parse(r.documents[0]!.text) as {networks: {id: string}[]}).networks.map((n) => n.id)
        expect(ids.sort()).toEqual(expected.networks.map((n) => n.id).sort())
        expect(r.record.lists[2]!.pages).toBeGreaterThan(1) // 12 ports or more, 2 a page
      }
      const wrong = resolveCloudConfig({
        env: {...base, OS_APPLICATION_CREDENTIAL_ID: created.id, OS_APPLICATION_CREDENTIAL_SECRET: 'not-the-secret'},
        cwd: join(scratch, 'empty'),
        home: join(scratch, 'home'),
      })
      const e = await rejection(fetchOpenStackIntent({config: wrong}))
      expect(e.message).toMatch(
        new RegExp(
          `^authentication failed for application credential ${created.id} at ${authUrl}/auth/tokens \\(HTTP 401`,
        ),
      )
      expect(e.message).not.toContain('not-the-secret')
    }, 120_000)

    it('fails cleanly on a wrong password: 401 naming user and URL, no password, no snapshot written', async () => {
      const cwd = join(scratch, 'conf')
      const wrongPassword = `${password}-wrong`
      const config = cloudConfig(cwd, {OS_PASSWORD: wrongPassword})
      const {logger, text} = capturingLogger()
      const out = join(scratch, 'snapshot-401')
      const e = await rejection(
        collect({
          hosts: [labHost()],
          out,
          transportFactory: async (h) => new LocalTransport(h.name),
          intent: openstackIntentSource(config),
          logger,
          handleSigint: false,
        }),
      )
      logs.push(text())
      expect(e).toBeInstanceOf(CollectError)
      expect(e.message).toMatch(
        new RegExp(
          `^intent from the OpenStack API \\(cloud nlab, ${authUrl}\\): authentication failed for user admin \\(domain Default\\) at ${authUrl}/auth/tokens \\(HTTP 401: The request you have made requires authentication\\.\\)$`,
        ),
      )
      expect(e.message).not.toContain(wrongPassword)
      expect(text()).not.toContain(wrongPassword)
      expect(() => statSync(out)).toThrow()
      expect(readdirSync(scratch).filter((n) => n.startsWith('snapshot-401'))).toEqual([])
    }, 60_000)

    it('names the Nova endpoint when the catalog has one that does not answer, and can skip servers', async () => {
      const service = (
        await lab.openstack(['service', 'create', '--name', 'nova', 'compute', '-f', 'value', '-c', 'id'])
      ).trim()
      try {
        await lab.openstack([
          'endpoint',
          'create',
          '--region',
          'RegionOne',
          'compute',
          'public',
          `http://198.18.${SLOT}.11:8774/v2.1`,
          '-f',
          'value',
          '-c',
          'id',
        ])
        const config = cloudConfig(join(scratch, 'conf'))
        const e = await rejection(fetchOpenStackIntent({config, http: recordingTokens(nodeHttpClient(config), tokens)}))
        expect(e).toBeInstanceOf(OpenStackError)
        expect((e as OpenStackError).kind).toBe('connect')
        expect(e.message).toBe(
          `Nova at http://198.18.${SLOT}.11:8774/v2.1/servers/detail?all_tenants=1&limit=500: connection refused (ECONNREFUSED): nothing listens there`,
        )
        const skipped = await fetchOpenStackIntent({config, servers: false})
        expect(skipped.documents.map((d) => d.name)).toEqual([
          'networks.json',
          'subnets.json',
          'ports.json',
          'security-groups.json',
          'security-group-rules.json',
          ...(SHARED_FEATURES.includes('l3') ? ['routers.json', 'floatingips.json'] : []),
        ])
        expect(skipped.record.notes).toContain('Nova servers not fetched (turned off)')
      } finally {
        await lab.openstack(['service', 'delete', service])
      }
    }, 90_000)

    it('never writes a password, secret or token into the snapshot or a log', () => {
      expect(secrets.every((s) => s.length >= 8)).toBe(true)
      expect(tokens.length).toBeGreaterThanOrEqual(4)
      const snapshot = allText(join(scratch, 'snapshot'))
      const log = logs.join('\n')
      expect(log).toContain('authenticated with Keystone')
      for (const secret of [...secrets, ...tokens]) {
        expect(snapshot.includes(secret)).toBe(false)
        expect(log.includes(secret)).toBe(false)
      }
    })
  },
)
