// The analyzers, registered explicitly, and the one entry point that runs them.

import type {ActualModel} from '../model/actual.js'
import type {ReferenceModel} from '../model/reference.js'
import {SEVERITY_RANK} from './codes.js'
import type {Analyzer} from './context.js'
import {dataAnalyzer} from './data.js'
import {dhcpAnalyzer} from './dhcp.js'
import {type Finding, sortFindings} from './finding.js'
import {linkAnalyzer, portAnalyzer} from './ports.js'
import {shadowAnalyzer} from './shadow.js'
import {tableMissAnalyzer} from './table-miss.js'
import {tunnelAnalyzer} from './tunnels.js'
import {vifAnalyzer} from './vif.js'
import {vlanAnalyzer} from './vlans.js'
import {type Check, damage, gate} from './known.js'

const OVSDB = ['ovs_vsctl_show', 'ovs_vsctl_list_bridge', 'ovs_vsctl_list_port', 'ovs_vsctl_list_interface']
const FLOWS = ['ovs_ofctl_dump_flows', 'ovs_ofctl_show']
const DEVICES = ['ip_link', 'ip_addr', 'ethtool_stats']

/** The checks, each with the captures it rests on (see known.ts): where one is damaged, the check is unknown there. */
export const ANALYZERS: (Check & {run: Analyzer})[] = [
  {name: 'data', about: 'what could not be read', requires: [], run: dataAnalyzer},
  {
    name: 'ports',
    about: 'VIF wiring (tap, qbr, qvb, qvo)',
    run: portAnalyzer,
    requires: [...OVSDB, ...DEVICES, 'netns_ip_link', 'brctl_show', 'bridge_link', 'file:libvirt'],
  },
  {
    name: 'links',
    about: 'links between bridges and uplinks',
    run: linkAnalyzer,
    requires: [...OVSDB, ...DEVICES, 'file:agent-config'],
  },
  {
    name: 'vlans',
    about: 'local VLANs, tags and translation flows',
    run: vlanAnalyzer,
    requires: [...OVSDB, ...FLOWS, 'file:agent-config'],
  },
  {
    name: 'table-miss',
    about: 'drops the tracer explains by a missing flow',
    run: tableMissAnalyzer,
    requires: [...OVSDB, ...FLOWS, ...DEVICES, 'file:agent-config', 'file:libvirt'],
  },
  {
    name: 'dhcp',
    about: 'DHCP namespaces, dnsmasq and host files',
    run: dhcpAnalyzer,
    requires: [...OVSDB, 'ip_netns', 'netns_ip_link', 'netns_ip_addr', 'ps', 'netns_of_pid', 'file:dhcp'],
  },
  {
    name: 'vif',
    about: 'VM definitions against OVS and Neutron',
    run: vifAnalyzer,
    requires: [...OVSDB, 'file:libvirt'],
  },
  {name: 'shadow', about: 'shadowed flows', run: shadowAnalyzer, requires: [...OVSDB, ...FLOWS]},
  {
    name: 'tunnels',
    about: 'tunnel endpoints and tunnel flows',
    run: tunnelAnalyzer,
    requires: [...OVSDB, ...FLOWS, ...DEVICES, 'file:agent-config'],
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

export function analyze(actual: ActualModel, reference: ReferenceModel, analyzers = ANALYZERS): Finding[] {
  const ctx = {actual, reference, checks: analyzers}
  const damaged = damage(actual)
  return sortFindings(dedupe(analyzers.flatMap((a) => gate(a, a.run(ctx), damaged))))
}

export {FINDING_CODES, type FindingCode, type Severity} from './codes.js'
export type {Finding} from './finding.js'
