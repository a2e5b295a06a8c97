// VIF_MISMATCH: the VM definition (libvirt), the OVS port (external_ids) and Neutron's port must agree.

import {findOvsInterface} from '../model/actual.js'
import type {Evidence, HostModel, VmRecord} from '../model/actual.js'
import type {VmInterface} from '../types.js'
import {type AnalysisContext, type Analyzer, finding, impactOf} from './context.js'
import type {Finding} from './finding.js'

const SUFFIX = /^(?:tap|qbr|vhu)([0-9a-f]{8}-[0-9a-f]{2})$/

function nicChecks(ctx: AnalysisContext, host: HostModel, vm: VmRecord, nic: VmInterface): Finding[] {
  const out: Finding[] = []
  const mac = nic.mac?.toLowerCase()
  const vmName = vm.domain.novaName ?? vm.domain.name ?? vm.domain.uuid ?? '?'
  const evidence: Evidence[] = [{...vm.evidence, text: `<interface type="${nic.type}"> mac=${nic.mac ?? '?'} source=${nic.sourceBridge ?? nic.vhostPath ?? '?'} target=${nic.targetDev ?? '?'}`}]
  const port = mac ? ctx.reference.ports.find((p) => p.mac === mac) : undefined
  const impact = {...impactOf(ctx, port ? [port] : []), vms: [vmName]}
  const mismatch = (element: string, message: string, expected: string, actual: string, remedy: string, extra: Evidence[] = []) =>
    out.push(finding({code: 'VIF_MISMATCH', severity: 'error', host: host.name, element, message, expected, actual, remedy, impact, evidence: [...evidence, ...extra]}))

  const tapSuffix = nic.targetDev ? SUFFIX.exec(nic.targetDev)?.[1] : undefined
  const brSuffix = nic.sourceBridge ? SUFFIX.exec(nic.sourceBridge)?.[1] : undefined
  if (tapSuffix && brSuffix && tapSuffix !== brSuffix) {
    mismatch(nic.targetDev!, `${vmName}'s ${nic.targetDev} is defined on bridge ${nic.sourceBridge}, which belongs to another port`,
      `source bridge qbr${tapSuffix}`, `source bridge ${nic.sourceBridge}`, 'hard-reboot the instance so Nova regenerates its definition')
  }
  const suffix = tapSuffix ?? brSuffix
  if (port?.short && suffix && port.source === 'intent' && port.short !== suffix) {
    mismatch(nic.targetDev ?? nic.sourceBridge ?? vmName, `${vmName}'s NIC ${mac} is Neutron port ${port.id}, but it is plugged as ${nic.targetDev ?? nic.sourceBridge}`,
      `devices named after ${port.short}`, `devices named after ${suffix}`, 'hard-reboot the instance so Nova replugs it with the right port')
  }
  if (nic.virtualPort?.interfaceId && port?.id.length === 36 && nic.virtualPort.interfaceId !== port.id) {
    mismatch(nic.targetDev ?? vmName, `${vmName}'s virtualport interfaceid ${nic.virtualPort.interfaceId} is not Neutron's port ${port.id} for ${mac}`,
      `interfaceid=${port.id}`, `interfaceid=${nic.virtualPort.interfaceId}`, 'hard-reboot the instance so Nova regenerates its definition')
  }
  // What OVS says about the same VIF.
  const ovsName = nic.virtualPort ? nic.targetDev : suffix ? `qvo${suffix}` : undefined
  const ovs = ovsName ? findOvsInterface(host, ovsName) : undefined
  const attached = ovs?.iface.externalIds['attached-mac']?.toLowerCase()
  const ovsEvidence: Evidence = {host: host.name, spec: 'ovs_vsctl_list_interface', text: `${ovsName} external_ids:attached-mac=${attached ?? ''} iface-id=${ovs?.iface.externalIds['iface-id'] ?? ''}`}
  if (mac && attached && attached !== mac) {
    mismatch(ovsName!, `OVS port ${ovsName} says attached-mac ${attached}, but ${vmName}'s NIC has ${mac}`, `attached-mac=${mac}`, `attached-mac=${attached}`,
      `ovs-vsctl set Interface ${ovsName} external-ids:attached-mac=${mac}  (or hard-reboot the instance)`, [ovsEvidence])
  }
  const ifaceId = ovs?.iface.externalIds['iface-id']
  if (port?.source === 'intent' && port.id.length === 36 && ifaceId && ifaceId !== port.id) {
    mismatch(ovsName!, `OVS port ${ovsName} says iface-id ${ifaceId}, but Neutron's port for ${mac} is ${port.id}: the agent wires the wrong port`,
      `iface-id=${port.id}`, `iface-id=${ifaceId}`, `ovs-vsctl set Interface ${ovsName} external-ids:iface-id=${port.id}`, [ovsEvidence])
  }
  return out
}

export const vifAnalyzer: Analyzer = (ctx) =>
  ctx.actual.hosts.flatMap((host) => host.vms.flatMap((vm) => vm.domain.interfaces.flatMap((nic) => nicChecks(ctx, host, vm, nic))))
