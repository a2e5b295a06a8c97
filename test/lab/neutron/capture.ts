// Captures a snapshot of a running Neutron lab (control.sh up + demo) with the real collector: every node is
// reached by `nsenter` into its namespaces instead of SSH (LocalTransport + execPrefix), and the intent is the
// Neutron API's own bodies (GET /v2.0/networks, subnets, ports) fetched with a token that is never written.
//
//   node --import tsx test/lab/neutron/capture.ts OUT_DIR [DESCRIPTION]
//
// Reads the lab from NLAB_DIR (default /tmp/neutrace-nlab<NLAB_SLOT or 200>). OUT_DIR must not exist.

import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {collect, LocalTransport, type InventoryHost} from '../../../src/collect/index.js'
import type {Role} from '../../../src/specs.js'

const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

interface LabNode {
  name: string
  initPid: number
  address: string
  roles: Role[]
}

function labNodes(dir: string, slot: number): LabNode[] {
  const computes = Number(readFileSync(join(dir, 'computes'), 'utf8').trim())
  const names = ['nlab-ctl', ...Array.from({length: computes}, (_, i) => `nlab-cmp${i + 1}`)]
  return names.map((name, i) => ({
    name,
    initPid: Number(readFileSync(join(dir, 'nodes', name, 'init.pid'), 'utf8').trim()),
    address: `198.18.${slot}.${11 + i}`,
    // The control node also runs an OVS agent (and VMs when there is no compute node).
    roles: i === 0 ? (computes === 0 ? ['control', 'network', 'compute'] : ['control', 'network']) : ['compute'],
  }))
}

function inventoryHost(n: LabNode): InventoryHost {
  return {
    name: n.name,
    address: n.address,
    port: 22,
    user: 'root',
    roles: n.roles,
    execPrefix: [
      'nsenter',
      '-t',
      String(n.initPid),
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

/** `export OS_X=...` lines from control.sh env, as an environment for the openstack CLI. */
function adminEnv(controlSh: string): NodeJS.ProcessEnv {
  const text = execFileSync(controlSh, ['env'], {encoding: 'utf8'})
  const env: NodeJS.ProcessEnv = {PATH: CLEAN_PATH, HOME: '/root', LANG: 'C.UTF-8'}
  for (const line of text.split('\n')) {
    const m = /^export (OS_[A-Z_]+)=(.*)$/.exec(line)
    if (m) env[m[1]!] = m[2]!
  }
  return env
}

/** The Neutron API bodies, as the intent reader takes them; the token lives only in this process. */
function fetchIntent(controlSh: string, controlAddress: string, into: string): void {
  const env = adminEnv(controlSh)
  const token = execFileSync('openstack', ['token', 'issue', '-f', 'value', '-c', 'id'], {env, encoding: 'utf8'}).trim()
  // routers and floatingips exist only with the router service plugin (the L3 block): a 404 there is no document.
  for (const what of [
    'networks',
    'subnets',
    'ports',
    'security-groups',
    'security-group-rules',
    'routers',
    'floatingips',
  ]) {
    let body: string
    try {
      body = execFileSync(
        'curl',
        ['-sf', '--noproxy', '*', '-H', `X-Auth-Token: ${token}`, `http://${controlAddress}:9696/v2.0/${what}`],
        {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']},
      )
    } catch (error) {
      if (what === 'routers' || what === 'floatingips') continue
      throw error
    }
    writeFileSync(join(into, `${what}.json`), JSON.stringify(JSON.parse(body), null, 2) + '\n')
  }
}

async function main(): Promise<void> {
  const out = process.argv[2]
  if (!out) throw new Error('usage: capture.ts OUT_DIR [DESCRIPTION]')
  const slot = Number(process.env.NLAB_SLOT ?? 200)
  const dir = process.env.NLAB_DIR ?? `/tmp/neutrace-nlab${slot}`
  const controlSh = new URL('./control.sh', import.meta.url).pathname
  const nodes = labNodes(dir, slot)
  const intentDir = mkdtempSync(join(tmpdir(), 'nlab-intent-'))
  try {
    fetchIntent(controlSh, nodes[0]!.address, intentDir)
    const result = await collect({
      hosts: nodes.map(inventoryHost),
      out,
      transportFactory: async (h) => new LocalTransport(h.name),
      intentDir,
      source: 'lab',
      handleSigint: false,
      description:
        process.argv[3] ??
        `Neutron lab (test/lab/neutron/control.sh): Debian Zed neutron-server + OVS/DHCP agents on ${nodes.length} node(s), OVS 3.1 netdev`,
    })
    console.log(`${out}: ${result.complete ? 'complete' : 'INCOMPLETE'}; hosts ${nodes.map((n) => n.name).join(', ')}`)
    if (!result.complete) process.exitCode = 1
  } finally {
    rmSync(intentDir, {recursive: true, force: true})
  }
}

await main()
