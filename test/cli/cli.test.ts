// The CLI as a user runs it (bin/run.js on the built dist/): outputs checked against golden files, JSON against the
// published schemas, exit codes as documented. Regenerate the golden files with `UPDATE_GOLDEN=1 npx vitest run
// test/cli`.

import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {validatorOf} from '../support/schemas.js'
import {cli, requireBuild} from './built.js'

const ROOT = join(import.meta.dirname, '..', '..')
const GOLDEN = join(ROOT, 'test', 'golden')
const SEED = join(ROOT, 'fixtures', 'snapshots', 'seed')

/** Paths differ between machines: golden files hold <ROOT>. */
function portable(text: string): string {
  return text.split(ROOT).join('<ROOT>')
}

async function golden(name: string, actual: string): Promise<void> {
  const file = join(GOLDEN, name)
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    await writeFile(file, portable(actual))
    if (!process.env.UPDATE_GOLDEN)
      throw new Error(`golden file ${name} was missing and has been written; check it and run again`)
  }
  expect(portable(actual)).toBe(await readFile(file, 'utf8'))
}

/** A DOT text as the real Graphviz reads it (`dot -Tjson`): clusters, nodes in order, edges by node name. */
function graphviz(dot: string): {
  clusters: string[]
  nodes: {name: string; label: string}[]
  edges: {tail: string; head: string; style?: string}[]
} {
  const json = JSON.parse(execFileSync('dot', ['-Tjson'], {input: dot}).toString()) as {
    objects: {_gvid: number; name: string; label: string; nodes?: number[]}[]
    edges?: {tail: number; head: number; style?: string}[]
  }
  const byId = new Map(json.objects.map((o) => [o._gvid, o]))
  const name = (id: number) => byId.get(id)?.name ?? `?${id}`
  return {
    clusters: json.objects.filter((o) => o.nodes).map((o) => o.name),
    nodes: json.objects.filter((o) => !o.nodes).map((o) => ({name: o.name, label: o.label})),
    edges: (json.edges ?? []).map((e) => ({tail: name(e.tail), head: name(e.head), style: e.style})),
  }
}

// Each test runs the built CLI several times (a node start each): on a busy 2-core machine that takes tens of seconds.
describe('neutrace CLI on the seed snapshot', {timeout: 180_000}, () => {
  beforeAll(requireBuild)

  it('diagnose (default snapshot) reports no finding and exits 0', async () => {
    const r = await cli('diagnose')
    expect(r.code).toBe(0)
    await golden('seed-diagnose.txt', r.stdout)
  })

  it('diagnose --format json matches its schema', async () => {
    const r = await cli('diagnose', SEED, '--format', 'json')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    const validate = validatorOf('diagnose')
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true)
    expect(report.summary).toEqual({error: 0, warning: 0, info: 0})
  })

  it('trace --to dhcp walks the seed path to the DHCP namespace', async () => {
    const r = await cli('trace', SEED, '--vm', 'fa:16:3e:fe:c7:87', '--to', 'dhcp')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(
      'Path: tap53903a95-82 → qbr53903a95-82 → qvb53903a95-82 → qvo53903a95-82 (VLAN 3) → br-int → int-br-eth2 → phy-br-eth2 → br-eth2 (VLAN 3→1000) → eth2 (VLAN 1000) → [physical network] → eth2 → br-eth2 → phy-br-eth2 → int-br-eth2 → br-int (VLAN 1000→1) → tap26c9b807-7c (VLAN 1) → in qdhcp-5f833617-6179-4797-b7c0-7d420d84040c',
    )
    expect(r.stdout).toContain('Verdict: DELIVERED')
    await golden('seed-trace-dhcp.txt', r.stdout)
  })

  it('trace defaults to the uplink and finds the VM by name, uuid, port id and IP', async () => {
    for (const vm of ['Oracle Linux', '3707ac87-4f5d-4349-b7ed-3a673f55e5e1', '53903a95-82', '198.19.0.3']) {
      const r = await cli('trace', SEED, '--vm', vm)
      expect(r.code, vm).toBe(0)
      expect(r.stdout).toMatch(/Path: tap53903a95-82 .* → br-eth2 \(VLAN 3→1000\) → eth2 \(VLAN 1000\)\n/)
    }
  })

  it('trace --format json matches its schema; --format dot draws every element in order, a box per host, top to bottom; svg', async () => {
    const r = await cli('trace', SEED, '--vm', 'Oracle Linux', '--to', 'dhcp', '--format', 'json')
    const validate = validatorOf('trace')
    const body = JSON.parse(r.stdout)
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true)
    expect(body.traces[0].verdict).toBe('delivered')
    expect(body.traces[0].dhcp).toMatchObject({
      host: 'control',
      namespace: 'qdhcp-5f833617-6179-4797-b7c0-7d420d84040c',
      knowsMac: true,
      offers: '198.19.0.3',
    })
    // The picture Graphviz draws: one node per hop, labelled host / element / kind, chained in order, then the verdict.
    const dot = await cli('trace', SEED, '--vm', 'Oracle Linux', '--to', 'dhcp', '--format', 'dot')
    expect(dot.stdout).toMatch(/^digraph neutrace_trace \{/)
    expect(dot.stdout).toContain('rankdir=TB')
    const graph = graphviz(dot.stdout)
    const hops: {host: string; element: string; kind: string}[] = body.traces[0].hops
    // One node per element (consecutive hops on one element, a veth end that is an OVS port, are one), chained in
    // order.
    const elements = hops.filter((h, i) => i === 0 || h.host !== hops[i - 1].host || h.element !== hops[i - 1].element)
    const path = graph.nodes
      .filter((n) => /^t0_\d+$/.test(n.name))
      .sort((a, b) => Number(a.name.slice(3)) - Number(b.name.slice(3)))
    expect(path.map((n) => n.label.split('\\n')[0])).toEqual(
      elements.map((h) => (h.kind === 'physical-network' ? 'physical network default' : h.element)),
    )
    const links = new Set(graph.edges.map((e) => [e.tail, e.head].sort().join(' -- ')))
    for (let i = 1; i < path.length; i++) expect(links).toContain([path[i - 1].name, path[i].name].sort().join(' -- '))
    expect(graph.clusters).toEqual(['cluster_t0_compute-1', 'cluster_t0_control'])
    expect(graph.nodes.find((n) => n.name === 't0_verdict')?.label).toMatch(/^DELIVERED: /)
    const svg = await cli('trace', SEED, '--vm', 'Oracle Linux', '--to', 'dhcp', '--format', 'svg')
    expect(svg.code).toBe(0)
    expect(svg.stdout).toMatch(/<svg width="\d+pt" height="\d+pt"/)
    expect(svg.stdout).toContain('>VLAN 3 → VLAN 1000</text>')
  })

  it('topology text, json (schema), dot (every port on its bridge, the veth, patch, VM and namespace links) and svg', async () => {
    const text = await cli('topology', SEED)
    expect(text.code).toBe(0)
    await golden('seed-topology.txt', text.stdout)
    const json = await cli('topology', SEED, '--format', 'json', '--host', 'compute-1')
    const validate = validatorOf('topology')
    const body = JSON.parse(json.stdout)
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true)
    expect(body.hosts.map((h: {name: string}) => h.name)).toEqual(['compute-1'])
    const dot = await cli('topology', SEED, '--format', 'dot')
    expect(dot.stdout).toMatch(/^graph neutrace_topology \{/)
    // What Graphviz reads: every OVS port of compute-1 linked to its bridge; the veth, patch and VM wiring of the seed.
    const graph = graphviz(dot.stdout)
    const names = new Set(graph.nodes.map((n) => n.name))
    const edges = new Set(graph.edges.map((e) => [e.tail, e.head].sort().join(' -- ')))
    const edge = (a: string, b: string) => [a, b].sort().join(' -- ')
    for (const b of body.hosts[0].ovsBridges as {name: string; ports: {name: string}[]}[]) {
      expect(names).toContain(`compute-1/${b.name}`)
      for (const p of b.ports.filter((p) => p.name !== b.name))
        expect(edges).toContain(edge(`compute-1/${b.name}`, `compute-1/${p.name}`))
    }
    for (const [a, b] of [
      ['compute-1/qbr53903a95-82', 'compute-1/tap53903a95-82'], // Linux bridge port
      ['compute-1/qbr53903a95-82', 'compute-1/qvb53903a95-82'],
      ['compute-1/qvb53903a95-82', 'compute-1/qvo53903a95-82'], // veth pair
      ['compute-1/int-br-eth2', 'compute-1/phy-br-eth2'], // br-int ↔ br-eth2
      ['compute-1/tap53903a95-82', 'compute-1/vm:3707ac87-4f5d-4349-b7ed-3a673f55e5e1'], // the VM's NIC
      ['control/br-int', 'control/tap26c9b807-7c'],
      ['control/ns:qdhcp-5f833617-6179-4797-b7c0-7d420d84040c', 'control/tap26c9b807-7c'], // DHCP port in its namespace
    ]) {
      expect(edges, `${a} -- ${b}`).toContain(edge(a, b))
    }
    expect(graph.clusters).toEqual(['cluster_control', 'cluster_compute-1'])
    const svg = await cli('topology', SEED, '--format', 'svg')
    expect(svg.stdout).toContain('>physical network</text>')
    expect(svg.stdout).toContain('>qvo53903a95&#45;82</text>')
  })

  it('exit code 2 with a clear message for a missing snapshot, an unknown VM, an unknown host', async () => {
    const missing = await cli('diagnose', '/nonexistent/snap')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('/nonexistent/snap/manifest.json: cannot read')
    const vm = await cli('trace', SEED, '--vm', 'nosuchvm')
    expect(vm.code).toBe(2)
    expect(vm.stderr).toContain('no VM matches "nosuchvm"; known VMs: Oracle Linux')
    const host = await cli('topology', SEED, '--host', 'nosuch')
    expect(host.code).toBe(2)
    const flag = await cli('diagnose', '--format', 'yaml')
    expect(flag.code).toBe(2)
  })
})
