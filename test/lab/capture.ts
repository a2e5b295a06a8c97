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

const ROOT = resolve(import.meta.dirname, '..', '..')

const TWO_NETS: Partial<LabOptions> = {
  computeNodes: 2,
  networks: [
    {
      name: 'net1',
      uuid: '5f833617-6179-4797-b7c0-7d420d84040c',
      subnetUuid: '2d7a0a58-0674-439a-ad23-d6471aaae9bc',
      type: 'vlan',
      segmentationId: 1000,
      cidr: '198.19.1.0/24',
    },
    {
      name: 'net2',
      uuid: 'a3c5e7f9-1b2d-4e6f-8a0c-2e4f6a8c0e13',
      subnetUuid: 'b4d6f8a0-2c3e-4f7a-9b1d-3f5a7b9d1f24',
      type: 'vlan',
      segmentationId: 1001,
      cidr: '198.19.2.0/24',
    },
    {
      name: 'flat1',
      uuid: 'c5e7a9b1-3d4f-4a8b-8c2e-4a6c8e0a2c35',
      subnetUuid: 'd6f8b0c2-4e5a-4b9c-9d3f-5b7d9f1b3d46',
      type: 'flat',
      cidr: '198.19.3.0/24',
    },
  ],
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
