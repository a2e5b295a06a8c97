// The batched collector against the lab's real nodes over real SSH: its captures are byte-identical to one channel per
// command. Some outputs change by themselves between two collections (flow durations and ages, counters, the process
// list): a capture counts as stable when two per-command collections agree on it byte for byte; every stable one must
// be identical in the batch, and the others identical once their numbers are masked (ps aside: it lists the
// collector's own processes, which differ by design).

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {collect, type CollectResult, loadInventory} from '../../src/collect/index.js'
import {type Lab, labUnavailableReason, startLab} from '../lab/lab.js'
import {captureMap, differences, type Taken} from './modes.js'

const unavailable = labUnavailableReason()
if (unavailable) console.warn(`lab batch tests skipped: ${unavailable}`)

describe.skipIf(Boolean(unavailable))('batched collection on the lab (control + 2 compute nodes over SSH)', () => {
  let lab: Lab
  let work = ''
  const taken: Record<'one' | 'batch' | 'again', Map<string, Taken>> = {
    one: new Map(),
    batch: new Map(),
    again: new Map(),
  }
  const results: Partial<Record<keyof typeof taken, CollectResult>> = {}

  beforeAll(async () => {
    lab = await startLab({computeNodes: 2})
    work = await mkdtemp(join(tmpdir(), 'neutrace-labbatch-'))
    const {hosts} = await loadInventory(lab.inventoryPath, {sshConfigPath: null})
    const base = {
      hosts,
      handleSigint: false,
      commandTimeoutMs: 30_000,
      hostTimeoutMs: 180_000,
      agentSocket: null,
      sshConfigPath: null,
    }
    for (const [name, execution] of [
      ['one', 'per-command'],
      ['batch', 'batch'],
      ['again', 'per-command'],
    ] as const) {
      const r = await collect({...base, out: join(work, name), execution})
      results[name] = r
      taken[name] = captureMap(r.dir, r.manifest)
    }
  }, 600_000)

  afterAll(async () => {
    await lab?.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('collects every host completely either way, with the same captures, argv and exit statuses', () => {
    for (const r of Object.values(results))
      expect(r!.manifest.hosts.map((h) => [h.name, h.status])).toEqual(
        lab.nodes.filter((n) => n.roles.length > 0).map((n) => [n.name, 'complete']),
      )
    expect(differences(taken.one, taken.batch, () => false)).toEqual([])
    expect(taken.batch.size).toBeGreaterThan(60)
  })

  it('writes byte-identical stdout and stderr for every capture that is stable between two collections', () => {
    const stable = [...taken.one.keys()].filter((id) => {
      const a = taken.one.get(id)!
      const b = taken.again.get(id)
      return b !== undefined && a.stdout.equals(b.stdout) && a.stderr.equals(b.stderr)
    })
    expect(differences(taken.one, taken.batch, (id) => stable.includes(id))).toEqual([])
    // Most of a snapshot is stable: OVSDB, links, namespaces, files, OpenFlow port tables. Not `ip addr` on a lab
    // just started: its IPv6 addresses change between two collections (seen on every host of a fresh lab in CI).
    expect(stable.length / taken.one.size).toBeGreaterThan(0.7)
    const wanted = ['ovs_vsctl_show', 'ovs_vsctl_list_br', 'ovs_vsctl_list_port', 'ip_netns', 'ovs_ofctl_show@br-int']
    const unstable = (spec: string) =>
      [...taken.one.keys()].filter((id) => id.endsWith(` ${spec}`)).join(', ') || 'none'
    expect(
      wanted.filter((spec) => !stable.some((id) => id.endsWith(` ${spec}`))).map((s) => `${s}: ${unstable(s)}`),
    ).toEqual([])
    expect(stable.some((id) => / file@\/var\/lib\/neutron\/dhcp\//.test(id))).toBe(true)
    expect(stable.some((id) => / netns_ip_link@qdhcp-/.test(id))).toBe(true)
  })

  it('writes the changing captures with the same shape (numbers masked) when two collections agree on it', () => {
    const mask = (t?: Taken) => t?.stdout.toString('latin1').replace(/\d+/g, '#')
    const changing = [...taken.one.keys()].filter((id) => {
      const [a, b] = [taken.one.get(id)!, taken.again.get(id)]
      return !id.endsWith(' ps') && !a.stdout.equals(b?.stdout ?? Buffer.alloc(0)) && mask(a) === mask(b)
    })
    expect(changing.some((id) => / ovs_ofctl_dump_flows@br-int$/.test(id))).toBe(true)
    expect(changing.filter((id) => mask(taken.one.get(id)) !== mask(taken.batch.get(id)))).toEqual([])
  })
})
