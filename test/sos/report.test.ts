// Issue 12's "done when": a new user with only two sosreports and an intent folder runs `neutrace report` and gets a
// page whose pictures show each VM's path to DHCP, the seed's way, with its VLANs. The user's folder holds nothing
// else (copied from fixtures/sos); the built CLI runs there; the page's pictures are read as a person sees them (the
// SVG text Graphviz drew), path by path.

import {execFile} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {requireBuild, ROOT} from '../cli/built.js'

const FIXTURE = join(ROOT, 'fixtures', 'sos')
let home: string
beforeAll(() => {
  requireBuild()
  home = mkdtempSync(join(tmpdir(), 'neutrace-new-user-'))
  mkdirSync(join(home, 'sosreports'))
  for (const f of readdirSync(FIXTURE).filter((n) => n.endsWith('.tar.xz')))
    cpSync(join(FIXTURE, f), join(home, 'sosreports', f))
  cpSync(join(FIXTURE, 'intent'), join(home, 'intent'), {recursive: true})
})
afterAll(() => rmSync(home, {recursive: true, force: true}))

/** What a picture shows: its <text> elements, entities decoded. */
function texts(svg: string): string[] {
  const named: Record<string, string> = {lt: '<', gt: '>', quot: '"', apos: "'", amp: '&'}
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!.replace(/&(\w+|#\d+);/g, (_, e: string) =>
      e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : named[e]!,
    ),
  )
}

describe('neutrace report from two sosreports and an intent folder', () => {
  it("draws every VM's path to its DHCP server with the VLAN on every hop", async () => {
    const ports = JSON.parse(readFileSync(join(home, 'intent', 'ports.json'), 'utf8')) as {
      ports: {id: string; device_owner: string; network_id: string; mac_address: string}[]
    }
    const networks = JSON.parse(readFileSync(join(home, 'intent', 'networks.json'), 'utf8')) as {
      networks: {id: string; 'provider:network_type': string; 'provider:segmentation_id': number | null}[]
    }
    const sosreports = readdirSync(join(home, 'sosreports')).map((f) => join('sosreports', f))
    expect(sosreports).toHaveLength(2)
    const {stdout} = await promisify(execFile)(
      join(ROOT, 'bin', 'run.js'),
      ['report', 'sosreports', '--intent', 'intent', '-o', 'report.html'],
      {cwd: home},
    )
    expect(stdout).toContain('Report written to report.html')
    const html = readFileSync(join(home, 'report.html'), 'utf8')
    expect(html).toContain('<h1>neutrace report: nlab-cmp1, nlab-ctl</h1>')
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/)
    const sections = html.split('<section class="path"').slice(1)
    const vms = ports.ports.filter((p) => p.device_owner.startsWith('compute:'))
    expect(sections).toHaveLength(vms.length)
    for (const vm of vms) {
      const section = sections.find((s) => s.includes(vm.mac_address))
      expect(section, vm.mac_address).toBeDefined()
      const shown = texts(section!)
      const dev = vm.id.slice(0, 11)
      // The chain top to bottom on the VM's host, the physical network, then up to the DHCP namespace.
      for (const element of [
        `tap${dev}`,
        `qbr${dev}`,
        `qvb${dev}`,
        `qvo${dev}`,
        'br-int',
        'int-br-eth2',
        'phy-br-eth2',
      ])
        expect(shown, `${vm.mac_address}: ${element}`).toContain(element)
      expect(shown.filter((t) => t === 'br-eth2').length, vm.mac_address).toBeGreaterThanOrEqual(2)
      expect(shown.filter((t) => t === 'eth2').length, vm.mac_address).toBeGreaterThanOrEqual(2)
      expect(shown).toContain(`qdhcp-${vm.network_id}`)
      expect(shown).toContain('physical network default')
      expect(shown.some((t) => /^offers 198\.19\./.test(t))).toBe(true)
      expect(shown).toContain('nlab-cmp1')
      expect(shown).toContain('nlab-ctl')
      // The VLANs: the network's segment on the wire, translated from and to each host's local VLAN on br-eth2.
      const net = networks.networks.find((n) => n.id === vm.network_id)!
      const segment = net['provider:segmentation_id']
      if (net['provider:network_type'] === 'vlan') {
        expect(shown.map((t) => t.trim())).toContain(`VLAN ${segment}`)
        expect(
          shown.some((t) => new RegExp(`^VLAN \\d+ → VLAN ${segment}$`).test(t)),
          vm.mac_address,
        ).toBe(true)
        expect(
          shown.some((t) => new RegExp(`^VLAN ${segment} → VLAN \\d+$`).test(t)),
          vm.mac_address,
        ).toBe(true)
      } else {
        expect(net['provider:network_type']).toBe('flat')
        expect(
          shown.some((t) => /^VLAN \d+ → untagged$/.test(t)),
          vm.mac_address,
        ).toBe(true)
      }
      expect(section).toContain('DELIVERED')
    }
  }, 180_000)
})
