// The parser half of the fuzz tier: every parser fed mutations of the real samples it was written for. A parser must
// never throw and must stay fast on anything up to 1 MB (no backtracking, no quadratic splitting).

import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {PACKAGE_ROOT} from '../../src/engine.js'
import {parseBrctlShow} from '../../src/parsers/brctl-show.js'
import {parseBridgeLink} from '../../src/parsers/bridge-link.js'
import {parseAddnHosts, parseDhcpHosts, parseDhcpLeases, parseDhcpOpts} from '../../src/parsers/dhcp-files.js'
import {parseDnsmasqArgv} from '../../src/parsers/dnsmasq.js'
import {parseEthtoolStats} from '../../src/parsers/ethtool-stats.js'
import {bridgeMappings, networkVlanRanges, parseIni} from '../../src/parsers/ini.js'
import {parseHostname} from '../../src/parsers/hostname.js'
import {parseIpAddr} from '../../src/parsers/ip-addr.js'
import {parseIpLink} from '../../src/parsers/ip-link.js'
import {parseIpNetns} from '../../src/parsers/ip-netns.js'
import {parseLibvirtXml} from '../../src/parsers/libvirt-xml.js'
import {parseDumpFlows} from '../../src/parsers/ovs-ofctl-dump-flows.js'
import {parseOfctlShow} from '../../src/parsers/ovs-ofctl-show.js'
import {buildOvsConfig, parseOvsdbJson} from '../../src/parsers/ovs-vsctl-json.js'
import {parseOvsVsctlShow} from '../../src/parsers/ovs-vsctl-show.js'
import {parsePs} from '../../src/parsers/ps.js'
import {mutate, rng} from './corrupt.js'

const SAMPLES = join(PACKAGE_ROOT, 'fixtures', 'samples')
const SNAPSHOTS = join(PACKAGE_ROOT, 'fixtures', 'snapshots')

/** Every file under `dir` (relative to fixtures/) whose name passes `test`. */
function files(dir: string, test: RegExp): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (test.test(e.name)) out.push(readFileSync(p, 'utf8'))
    }
  }
  walk(dir)
  return out
}

function ovsdbTables(text: string): unknown {
  const t = parseOvsdbJson(text).value
  return buildOvsConfig({bridge: t, port: t, iface: t, openVswitch: t})
}

export interface FuzzTarget {
  name: string
  samples: string[]
  run: (text: string) => unknown
}

export function targets(): FuzzTarget[] {
  const s = (sub: string, re: RegExp) => files(join(SAMPLES, sub), re)
  const snap = (re: RegExp) => files(SNAPSHOTS, re)
  const list: FuzzTarget[] = [
    {
      name: 'brctl-show',
      samples: [...s('linux', /brctl-show.*\.(txt|out)$/), ...snap(/^brctl_show\.out$/)],
      run: parseBrctlShow,
    },
    {
      name: 'bridge-link',
      samples: [...s('linux', /bridge-(j-)?link/), ...snap(/^bridge_link\.out$/)],
      run: parseBridgeLink,
    },
    {name: 'dhcp-hosts', samples: [...s('dnsmasq', /^host$/), ...snap(/_host~.*\.out$/)], run: parseDhcpHosts},
    {name: 'dhcp-opts', samples: [...s('dnsmasq', /^opts$/), ...snap(/_opts~.*\.out$/)], run: parseDhcpOpts},
    {name: 'dhcp-leases', samples: [...s('dnsmasq', /^leases$/), ...snap(/_leases~.*\.out$/)], run: parseDhcpLeases},
    {
      name: 'addn-hosts',
      samples: [...s('dnsmasq', /^addn_hosts$/), ...snap(/_addn_hosts~.*\.out$/)],
      run: parseAddnHosts,
    },
    {
      name: 'dnsmasq-argv',
      samples: s('dnsmasq', /ps\.txt$/),
      run: (t) => parsePs(t).value.map((p) => parseDnsmasqArgv(p.argv)),
    },
    {name: 'ethtool-stats', samples: [...s('linux', /ethtool-S/), ...snap(/^ethtool_stats@/)], run: parseEthtoolStats},
    {
      name: 'ini',
      samples: snap(/\.ini~.*\.out$/),
      run: (t) => {
        const ini = parseIni(t).value
        return [bridgeMappings(ini), networkVlanRanges(ini)]
      },
    },
    {name: 'hostname', samples: snap(/^hostname\.out$/), run: parseHostname},
    {name: 'ip-link', samples: [...s('linux', /link\.(txt|json)$/), ...snap(/^ip_link\.out$/)], run: parseIpLink},
    {name: 'ip-addr', samples: [...s('linux', /addr\.(txt|json)$/), ...snap(/^ip_addr\.out$/)], run: parseIpAddr},
    {name: 'ip-netns', samples: [...s('linux', /ip-netns-list/), ...snap(/^ip_netns\.out$/)], run: parseIpNetns},
    {name: 'libvirt-xml', samples: [...s('libvirt', /\.xml$/), ...snap(/\.xml~.*\.out$/)], run: parseLibvirtXml},
    {
      name: 'ovs-vsctl-json',
      samples: [...s('ovs', /^vsctl-list-.*\.json$/), ...snap(/^ovs_vsctl_list_(bridge|port|interface)\.out$/)],
      run: ovsdbTables,
    },
    {
      name: 'ovs-vsctl-show',
      samples: [...s('ovs', /^vsctl-show.*\.txt$/), ...snap(/^ovs_vsctl_show\.out$/)],
      run: parseOvsVsctlShow,
    },
    {name: 'ovs-ofctl-show', samples: [...s('ovs', /^ofctl-show/), ...snap(/^ovs_ofctl_show@/)], run: parseOfctlShow},
    {
      name: 'ovs-ofctl-dump-flows',
      samples: [...s('ovs', /^dump-flows/), ...snap(/^ovs_ofctl_dump_flows@/)],
      run: parseDumpFlows,
    },
    {name: 'ps', samples: [...s('dnsmasq', /ps\.txt$/), ...snap(/^ps\.out$/)], run: parsePs},
  ]
  for (const t of list) if (!t.samples.length) throw new Error(`fuzz: no samples for ${t.name}`)
  return list
}

export interface Failure {
  target: string
  how: string[]
  size: number
  error?: string
  ms?: number
}

export interface TargetStats {
  name: string
  inputs: number
  exceptions: number
  slow: number
  maxMs: number
  failures: Failure[]
}

export const TIME_BOUND_MS = 200
export const MAX_INPUT = 1_000_000

/** Time one parse: the lesser of its wall-clock and CPU time (this process's user + system), so a machine busy with
 * other work does not count against the parser (wall > CPU) and neither do GC threads working beside it (CPU > wall).
 * An input over the bound is timed again, up to three times, and its best time counts. */
function timed(run: () => unknown): number {
  let best = Infinity
  for (let attempt = 0; attempt < 3; attempt++) {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    run()
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    best = Math.min(best, wall, (cpu.user + cpu.system) / 1000)
    if (best <= TIME_BOUND_MS) break
  }
  return best
}

export function fuzzTarget(target: FuzzTarget, inputs: number, seed: number): TargetStats {
  const r = rng(seed)
  const stats: TargetStats = {name: target.name, inputs: 0, exceptions: 0, slow: 0, maxMs: 0, failures: []}
  for (let i = 0; i < inputs; i++) {
    const sample = target.samples[i % target.samples.length]
    const {text, how} = mutate(sample, r)
    const input = text.length > MAX_INPUT ? text.slice(0, MAX_INPUT) : text
    stats.inputs++
    let ms: number
    try {
      ms = timed(() => target.run(input))
    } catch (error) {
      stats.exceptions++
      stats.failures.push({
        target: target.name,
        how,
        size: input.length,
        error: (error as Error).stack?.split('\n').slice(0, 3).join(' '),
      })
      continue
    }
    stats.maxMs = Math.max(stats.maxMs, ms)
    if (ms > TIME_BOUND_MS) {
      stats.slow++
      stats.failures.push({target: target.name, how, size: input.length, ms: Math.round(ms)})
    }
  }
  return stats
}
