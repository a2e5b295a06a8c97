// Captures a snapshot of a running Neutron lab (control.sh up + demo) with the real collector: every node is
// reached by `nsenter` into its namespaces instead of SSH (LocalTransport + execPrefix), and the intent is the
// Neutron API's own bodies (GET /v2.0/networks, subnets, ports) fetched with a token that is never written.
//
//   node --import tsx test/lab/neutron/capture.ts OUT_DIR [DESCRIPTION]
//
// Reads the lab from NLAB_DIR (default /tmp/neutrace-nlab<NLAB_SLOT or 200>). OUT_DIR must not exist.

import {execFile} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {promisify} from 'node:util'
import {collect, type CollectResult, LocalTransport, type InventoryHost} from '../../../src/collect/index.js'
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

/** The Neutron API bodies, as the intent reader takes them (pretty-printed as the collector writes them): fetched by
 * `control.sh api intent` (api.py, one Python process whose token never leaves it; the `openstack` CLI it replaces cost
 * seconds of CPU per capture). `env`: the lab's NLAB_* variables. */
async function fetchIntent(env: NodeJS.ProcessEnv, into: string): Promise<void> {
  const controlSh = fileURLToPath(new URL('./control.sh', import.meta.url))
  try {
    await promisify(execFile)(controlSh, ['api', 'intent', into], {env: {PATH: CLEAN_PATH, ...env}})
  } catch (error) {
    throw new Error(`control.sh api intent failed: ${(error as {stderr?: string}).stderr?.trim() || String(error)}`, {
      cause: error,
    })
  }
  for (const file of readdirSync(into).filter((f) => f.endsWith('.json'))) {
    const path = join(into, file)
    writeFileSync(path, JSON.stringify(JSON.parse(readFileSync(path, 'utf8')), null, 2) + '\n')
  }
}

/** A snapshot of the lab in `env` (NLAB_SLOT, NLAB_DIR) into `out`, which must not exist. Called in-process by the
 * tests (control.ts: no Node and tsx start-up per capture) and by main() below. */
export async function captureLab(
  out: string,
  env: NodeJS.ProcessEnv = process.env,
  description?: string,
): Promise<CollectResult & {hosts: string[]}> {
  const slot = Number(env.NLAB_SLOT ?? 200)
  const dir = env.NLAB_DIR || `/tmp/neutrace-nlab${slot}`
  const nodes = labNodes(dir, slot)
  const intentDir = mkdtempSync(join(tmpdir(), 'nlab-intent-'))
  try {
    await fetchIntent({NLAB_SLOT: String(slot), NLAB_DIR: dir}, intentDir)
    const result = await collect({
      hosts: nodes.map(inventoryHost),
      out,
      transportFactory: async (h) => new LocalTransport(h.name),
      intentDir,
      source: 'lab',
      handleSigint: false,
      description:
        description ??
        `Neutron lab (test/lab/neutron/control.sh): Debian Zed neutron-server + OVS/DHCP agents on ${nodes.length} node(s), OVS 3.1 netdev`,
    })
    return {...result, hosts: nodes.map((n) => n.name)}
  } finally {
    rmSync(intentDir, {recursive: true, force: true})
  }
}

async function main(): Promise<void> {
  const out = process.argv[2]
  if (!out) throw new Error('usage: capture.ts OUT_DIR [DESCRIPTION]')
  const result = await captureLab(out, process.env, process.argv[3])
  console.log(`${out}: ${result.complete ? 'complete' : 'INCOMPLETE'}; hosts ${result.hosts.join(', ')}`)
  if (!result.complete) process.exitCode = 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
