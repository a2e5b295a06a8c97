// Real sosreports of the Neutron lab's nodes: Debian's `sos report` (test/lab/deps.sh installs it) run inside each
// node's namespaces (nsenter, as control.sh exec does), all nodes at once, with only the plugins neutrace reads.

import {mkdirSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import type {Finding} from '../../../src/analyze/index.js'
import type {Trace} from '../../../src/contracts/generated/trace.js'
import {type Analysis, diagnose, traceVm} from '../../../src/engine.js'
import {type NeutronLab, runArgv} from './control.js'

const CLEAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The sos plugins neutrace binds (src/specs.ts `sos`). */
export const SOS_PLUGINS = ['host', 'openvswitch', 'networking', 'openstack_neutron', 'libvirt', 'process']

/** Options that make a sos run cheaper without changing what neutrace reads: no ethtool inside namespaces, no lsof,
 * no HTML/text summary, no environment dump. */
const CHEAP = [
  ...['-k', 'networking.ethtool_namespaces=off', '-k', 'process.lsof=off'],
  ...['--no-report', '--no-env-vars'],
]

/** `sos report` argv for one node: batch, the plugins above, logs cut to 1 MiB, into `dir`; `fast`: the cheap options
 * and gzip (a real sos output too: it exercises the .tar.gz reader) instead of the default xz. */
export function sosArgv(initPid: number, dir: string, label: string, fast = false): string[] {
  const enter = ['nsenter', '-t', String(initPid), ...'-m -n -u -p --'.split(' ')]
  const env = ['env', '-i', `PATH=${CLEAN_PATH}`, 'HOME=/root', 'LANG=C.UTF-8']
  const sos = ['sos', 'report', '--batch', '--tmp-dir', dir, '--label', label, '--log-size', '1']
  return [...enter, ...env, ...sos, '-o', SOS_PLUGINS.join(','), ...(fast ? [...CHEAP, '-z', 'gzip'] : [])]
}

/** One sosreport per node of the lab, taken at once; returns the archives (`.tar.xz`, `.tar.gz` when `fast`), control
 * node first. */
export async function labSosReports(
  lab: NeutronLab,
  outDir: string,
  label = 'neutrace',
  fast = false,
): Promise<string[]> {
  const nodes = lab.nodes()
  const results = await Promise.all(
    nodes.map(async (node) => {
      const dir = join(outDir, node.name)
      mkdirSync(dir, {recursive: true})
      const r = await runArgv(sosArgv(node.initPid, dir, label, fast), {}, 600_000)
      const archive = readdirSync(dir).find((f) => f.endsWith('.tar.xz') || f.endsWith('.tar.gz'))
      if (r.code !== 0 || !archive)
        throw new Error(`sos report on ${node.name} failed (${r.code}): ${(r.stderr || r.stdout).slice(-2000)}`)
      return join(dir, archive)
    }),
  )
  return results
}

/** A finding as both routes must agree on it: evidence files and lines aside (sos dumps name ports by number). */
export function findingKey(f: Finding): string {
  return `${f.severity} ${f.code} ${f.host ?? ''} ${f.element} — ${f.message}`
}

/** A trace as both routes must agree on it: verdict, every hop (host, kind, element, VLAN, VNI), where it was dropped
 * (host and bridge: sos's dump names ports by number and lists the flows in its own order, so the reason's text and
 * the flow's line differ), DHCP and the reply. */
export function traceKey(t: Trace): string {
  const hops = (hs: Trace['hops']) => hs.map((h) => `${h.host}|${h.kind}|${h.element}|${h.vlan ?? '-'}|${h.vni ?? ''}`)
  const drop = (d: Trace['dropFlow']) => d && `${d.host} ${d.bridge}`
  return JSON.stringify({
    verdict: t.verdict,
    drop: drop(t.dropFlow),
    hops: hops(t.hops),
    dhcp: t.dhcp,
    reply: t.reply && {verdict: t.reply.verdict, drop: drop(t.reply.dropFlow), hops: hops(t.reply.hops)},
  })
}

/** A VM's traces to DHCP and back, or why there is none (a VM neither route knows is the same answer). */
function traces(analysis: Analysis, port: string): string[] {
  try {
    return traceVm(analysis, port, 'dhcp').map(traceKey)
  } catch (error) {
    return [`no trace: ${(error as Error).message}`]
  }
}

/** What differs between the SSH snapshot's answers and the sosreports' answers, as lines (empty: they agree). */
export function routesDiffer(ssh: Analysis, sos: Analysis, ports: string[]): string[] {
  const out: string[] = []
  const a = diagnose(ssh).map(findingKey).sort()
  const b = diagnose(sos).map(findingKey).sort()
  for (const f of a) if (!b.includes(f)) out.push(`only SSH: ${f}`)
  for (const f of b) if (!a.includes(f)) out.push(`only sos: ${f}`)
  for (const port of ports) {
    const ta = traces(ssh, port)
    const tb = traces(sos, port)
    if (JSON.stringify(ta) !== JSON.stringify(tb))
      out.push(`trace of ${port}:\n  SSH ${ta.join(' ')}\n  sos ${tb.join(' ')}`)
  }
  return out
}
