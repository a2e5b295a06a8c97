// npm run lab:capture — snapshots of the real lab, collected over SSH by neutrace itself, kept as fixtures for the
// offline tests: fixtures/snapshots/lab-<name>/. Re-run after changing the lab or the collector; the tests read them.
//
//   lab-healthy     2 compute nodes, net1 (VLAN 1000) + net2 (VLAN 1001) + flat1, hybrid plug, veth int/phy link
//   lab-patch       1 compute node, native OVS plug, patch int/phy link (the Juno+ wiring)
//   lab-egress      lab-healthy's shape with the egress translation flow of compute-1 deleted

import {cp, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {collect, loadInventory} from '../../src/collect/index.js'
import {startLab, type LabOptions} from './lab.js'
import {LAB_FLAT1, LAB_NET1, LAB_NET2} from './topology.js'

const ROOT = resolve(import.meta.dirname, '..', '..')

const TWO_NETS: Partial<LabOptions> = {
  computeNodes: 2,
  networks: [LAB_NET1, LAB_NET2, LAB_FLAT1],
}

const SHOTS: {name: string; opts: Partial<LabOptions>; fault?: {name: string; args: Record<string, string>}}[] = [
  {name: 'lab-healthy', opts: TWO_NETS},
  {name: 'lab-patch', opts: {computeNodes: 1, plug: 'native', intPhyLink: 'patch'}},
  {name: 'lab-egress', opts: TWO_NETS, fault: {name: 'delete-egress-flow', args: {host: 'compute-1'}}},
]

async function shoot(shot: (typeof SHOTS)[number]): Promise<void> {
  const lab = await startLab({...shot.opts, seed: 'neutrace-fixture'}, {log: (m) => process.stderr.write(`  ${m}\n`)})
  const tmp = await mkdtemp(join(tmpdir(), 'neutrace-capture-'))
  try {
    if (shot.fault) await lab.fault(shot.fault.name, shot.fault.args)
    const inventory = await loadInventory(lab.inventoryPath, {sshConfigPath: null})
    const result = await collect({
      hosts: inventory.hosts,
      out: join(tmp, 'snap'),
      intentDir: lab.intentDir,
      handleSigint: false,
      agentSocket: null,
      sshConfigPath: null,
      source: 'lab',
      description: `neutrace lab (${shot.name}), collected over SSH by neutrace collect`,
    })
    if (!result.complete) throw new Error(`${shot.name}: the collection was incomplete`)
    const dest = join(ROOT, 'fixtures', 'snapshots', shot.name)
    await rm(dest, {recursive: true, force: true})
    await cp(result.dir, dest, {recursive: true})
    process.stdout.write(`${shot.name}: ${dest}\n`)
  } finally {
    await lab.stop()
    await rm(tmp, {recursive: true, force: true})
  }
}

for (const shot of SHOTS) {
  const only = process.argv[2]
  if (!only || only === shot.name) await shoot(shot)
}
