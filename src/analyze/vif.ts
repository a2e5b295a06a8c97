// VIF_MISMATCH: the VM definition (libvirt), the OVS port (external_ids) and Neutron's port must agree.

import {findOvsInterface} from '../model/actual.js'
import type {Evidence, HostModel, VmRecord} from '../model/actual.js'
import {portByMac} from '../model/reference.js'
import type {VmInterface} from '../types.js'
import {type AnalysisContext, type Analyzer, finding, impactOf, ovsEvidence} from './context.js'
import type {Finding} from './finding.js'

const SUFFIX = /^(?:tap|qbr|vhu)([0-9a-f]{8}-[0-9a-f]{2})$/

function nicChecks(ctx: AnalysisContext, host: HostModel, vm: VmRecord, nic: VmInterface): Finding[] {
  const out: Finding[] = []
  const mac = nic.mac?.toLowerCase()
  const vmName = vm.domain.novaName ?? vm.domain.name ?? vm.domain.uuid ?? '?'
  const evidence: Evidence[] = [
    {
      ...vm.evidence,
      text: `<interface type="${nic.type}"> mac=${nic.mac ?? '?'} source=${nic.sourceBridge ?? nic.vhostPath ?? '?'} target=${nic.targetDev ?? '?'}`,
    },
  ]
  const port = mac ? portByMac(ctx.reference, mac) : undefined
  const impact = {...impactOf(ctx, port ? [port] : []), vms: [vmName]}
  const at = (element: string, expected: string, actual: string, extra: Evidence[] = []) => ({
    host: host.name,
    element,
    expected,
    actual,
    impact,
    evidence: [...evidence, ...extra],
  })

  const tapSuffix = nic.targetDev ? SUFFIX.exec(nic.targetDev)?.[1] : undefined
  const brSuffix = nic.sourceBridge ? SUFFIX.exec(nic.sourceBridge)?.[1] : undefined
  if (tapSuffix && brSuffix && tapSuffix !== brSuffix) {
    out.push(
      finding(
        'VIF_MISMATCH',
        'otherPortsBridge',
        {vm: vmName, tap: nic.targetDev!, bridge: nic.sourceBridge!},
        at(nic.targetDev!, `source bridge qbr${tapSuffix}`, `source bridge ${nic.sourceBridge}`),
      ),
    )
  }
  const suffix = tapSuffix ?? brSuffix
  if (port?.short && suffix && port.source === 'intent' && port.short !== suffix) {
    out.push(
      finding(
        'VIF_MISMATCH',
        'devicesOfOtherPort',
        {vm: vmName, mac: mac ?? '?', portId: port.id, plugged: nic.targetDev ?? nic.sourceBridge ?? '?'},
        at(
          nic.targetDev ?? nic.sourceBridge ?? vmName,
          `devices named after ${port.short}`,
          `devices named after ${suffix}`,
        ),
      ),
    )
  }
  if (nic.virtualPort?.interfaceId && port?.id.length === 36 && nic.virtualPort.interfaceId !== port.id) {
    out.push(
      finding(
        'VIF_MISMATCH',
        'interfaceId',
        {vm: vmName, interfaceId: nic.virtualPort.interfaceId, portId: port.id, mac: mac ?? '?'},
        at(nic.targetDev ?? vmName, `interfaceid=${port.id}`, `interfaceid=${nic.virtualPort.interfaceId}`),
      ),
    )
  }
  // What OVS says about the same VIF.
  const ovsName = nic.virtualPort ? nic.targetDev : suffix ? `qvo${suffix}` : undefined
  const ovs = ovsName ? findOvsInterface(host, ovsName) : undefined
  const attached = ovs?.iface.externalIds['attached-mac']?.toLowerCase()
  const fromOvs = ovsEvidence(
    host,
    'interface',
    `${ovsName} external_ids:attached-mac=${attached ?? ''} iface-id=${ovs?.iface.externalIds['iface-id'] ?? ''}`,
  )
  if (mac && attached && attached !== mac) {
    out.push(
      finding(
        'VIF_MISMATCH',
        'attachedMac',
        {ovsPort: ovsName!, attached, vm: vmName, mac},
        at(ovsName!, `attached-mac=${mac}`, `attached-mac=${attached}`, [fromOvs]),
      ),
    )
  }
  const ifaceId = ovs?.iface.externalIds['iface-id']
  if (port?.source === 'intent' && port.id.length === 36 && ifaceId && ifaceId !== port.id) {
    out.push(
      finding(
        'VIF_MISMATCH',
        'ifaceId',
        {ovsPort: ovsName!, ifaceId, mac: mac ?? '?', portId: port.id},
        at(ovsName!, `iface-id=${port.id}`, `iface-id=${ifaceId}`, [fromOvs]),
      ),
    )
  }
  return out
}

export const vifAnalyzer: Analyzer = (ctx) =>
  ctx.actual.hosts.flatMap((host) =>
    host.vms.flatMap((vm) => vm.domain.interfaces.flatMap((nic) => nicChecks(ctx, host, vm, nic))),
  )
