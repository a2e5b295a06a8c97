// The analyzers, registered explicitly, and the one entry point that runs them.

import {type ActualModel, DEVICES_NEED, FLOWS_NEED, LINUX_BRIDGES_NEED, OVS_NEED} from '../model/actual.js'
import type {ReferenceModel} from '../model/reference.js'
import {NO_PROGRESS, type WorkProgress} from '../progress.js'
import {SEVERITY_RANK} from './codes.js'
import type {Analyzer} from './context.js'
import {dataAnalyzer} from './data.js'
import {dhcpAnalyzer} from './dhcp.js'
import {type Finding, sortFindings} from './finding.js'
import {type Check, gate} from './known.js'
import {linkAnalyzer, portAnalyzer} from './ports.js'
import {securityGroupAnalyzer} from './security-groups.js'
import {shadowAnalyzer} from './shadow.js'
import {tableMissAnalyzer} from './table-miss.js'
import {tunnelAnalyzer} from './tunnels.js'
import {vifAnalyzer} from './vif.js'
import {l3Analyzer} from '../l3/analyze.js'
import {vlanAnalyzer} from './vlans.js'

/** The root namespace's devices, and the veth peers ethtool names. */
const DEVICES = [DEVICES_NEED, 'ethtool_stats'] as const

/**
 * The checks, each with the captures it rests on (`needs`: spec ids, `{file: kind}`, or the model's named needs):
 * where one of them is damaged on a host, the check is unknown there (known.ts) and DATA_MISSING / PARSE_ERROR says so.
 */
export const ANALYZERS: (Check & {run: Analyzer})[] = [
  {name: 'data', about: 'what could not be read', needs: [], run: dataAnalyzer},
  {
    name: 'ports',
    about: 'VIF wiring (tap, qbr, qvb, qvo)',
    run: portAnalyzer,
    needs: [OVS_NEED, ...DEVICES, 'netns_ip_link', LINUX_BRIDGES_NEED, {file: 'libvirt'}],
  },
  {
    name: 'links',
    about: 'links between bridges and uplinks',
    run: linkAnalyzer,
    needs: [OVS_NEED, ...DEVICES, {file: 'agent-config'}],
  },
  {
    name: 'vlans',
    about: 'local VLANs, tags and translation flows',
    run: vlanAnalyzer,
    needs: [OVS_NEED, FLOWS_NEED, {file: 'agent-config'}],
  },
  {
    name: 'table-miss',
    about: 'drops the tracer explains by a missing flow',
    run: tableMissAnalyzer,
    needs: [OVS_NEED, FLOWS_NEED, ...DEVICES, {file: 'agent-config'}, {file: 'libvirt'}],
  },
  {
    name: 'dhcp',
    about: 'DHCP namespaces, dnsmasq and host files',
    run: dhcpAnalyzer,
    needs: [OVS_NEED, 'ip_netns', 'netns_ip_link', 'netns_ip_addr', 'ps', 'netns_of_pid', {file: 'dhcp'}],
  },
  {
    name: 'vif',
    about: 'VM definitions against OVS and Neutron',
    run: vifAnalyzer,
    needs: [OVS_NEED, {file: 'libvirt'}],
  },
  {name: 'shadow', about: 'shadowed flows', run: shadowAnalyzer, needs: [OVS_NEED, FLOWS_NEED]},
  {
    name: 'tunnels',
    about: 'tunnel endpoints and tunnel flows',
    run: tunnelAnalyzer,
    needs: [OVS_NEED, FLOWS_NEED, ...DEVICES, {file: 'agent-config'}],
  },
  {
    name: 'security-groups',
    about: 'security groups enforced by the hosts (iptables_hybrid)',
    run: securityGroupAnalyzer,
    needs: ['iptables_save', 'ipset_save', 'sysctl_bridge_nf', {file: 'agent-config'}],
  },
  {
    name: 'routers',
    about: 'router namespaces, their ports, routes, NAT and metadata proxy (L3 agent)',
    run: l3Analyzer,
    needs: [
      OVS_NEED,
      FLOWS_NEED,
      'ip_netns',
      'netns_ip_link',
      'netns_ip_addr',
      'netns_ip_route',
      'netns_iptables_save',
      'ps',
      {file: 'agent-config'},
    ],
  },
]

/**
 * One finding per (host, code, element): the most severe wins, so the generic and the specific check never double up.
 */
function dedupe(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>()
  for (const f of findings) {
    const key = `${f.host ?? ''}\u0000${f.code}\u0000${f.element}`
    const have = best.get(key)
    if (!have || SEVERITY_RANK[f.severity] > SEVERITY_RANK[have.severity]) best.set(key, f)
  }
  return [...best.values()]
}

export function analyze(
  actual: ActualModel,
  reference: ReferenceModel,
  analyzers = ANALYZERS,
  progress: WorkProgress = NO_PROGRESS,
): Finding[] {
  const ctx = {actual, reference, checks: analyzers}
  progress.stage('diagnosing', analyzers.length)
  return sortFindings(
    dedupe(
      analyzers.flatMap((a) => {
        const found = gate(a, a.run(ctx), actual)
        progress.tick()
        return found
      }),
    ),
  )
}

export {FINDING_CODES, type FindingCode, type Severity} from './codes.js'
export type {Finding} from './finding.js'
