// The prose of a finding — its message and its remedy — carries names (a host, a network) that come from hosts and
// tenants. A hostile host name with a newline, ESC, a C1 control and `$(…)` reaches a remedy's prose and its message;
// every medium (terminal text, JSON, DOT, HTML) shows it escaped, and no command a remedy prints runs it.

import {beforeAll, describe, expect, it} from 'vitest'
import type {Finding} from '../../src/analyze/index.js'
import {analysisOf, diagnose, SEED_SNAPSHOT, traceVm, type Analysis} from '../../src/engine.js'
import {renderJson} from '../../src/render/escape.js'
import {buildReport, renderReportTable} from '../../src/render/findings.js'
import {renderHtmlReport, reportInput} from '../../src/render/html.js'
import {renderTraceDot} from '../../src/render/trace.js'
import {readSnapshot} from '../../src/snapshot/read.js'

const HOST = 'compute-1\n$(touch /tmp/neutrace-pwned)\x1b[2J\x9b31m`id`'
/** Raw control characters other than the renderer's own line breaks. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]/

let analysis: Analysis
let findings: Finding[]
beforeAll(async () => {
  const snapshot = await readSnapshot(SEED_SNAPSHOT)
  for (const h of snapshot.hosts) if (h.name === 'compute-1') h.name = HOST
  for (const c of snapshot.captures) if (c.host === 'compute-1') c.host = HOST
  const flows = snapshot.captures.find(
    (c) => c.host === HOST && c.spec === 'ovs_ofctl_dump_flows' && c.key === 'br-eth2',
  )!
  flows.text = flows
    .text!.split('\n')
    .filter((l) => !l.includes('mod_vlan_vid:1000'))
    .join('\n')
  analysis = analysisOf(snapshot)
  findings = diagnose(analysis)
})

describe('a hostile host name in the prose of a remedy and a message', () => {
  it('reaches them (the test would prove nothing otherwise)', () => {
    const f = findings.find((x) => x.code === 'FLOW_MISSING')!
    expect(f.remedy).toContain(HOST)
    expect(f.message).toContain(HOST)
  })
  it('terminal text: escaped in place, the command part unchanged', () => {
    const text = renderReportTable(buildReport(analysis, findings, 'test'))
    expect(text).not.toMatch(RAW)
    const remedy = text.split('\n').find((l) => l.trimStart().startsWith('remedy:'))!
    expect(remedy).toContain('compute-1\\x0a$(touch /tmp/neutrace-pwned)\\x1b[2J\\x9b31m`id`')
    expect(remedy).toMatch(
      /ovs-ofctl add-flow br-eth2 'priority=4,in_port=phy-br-eth2,dl_vlan=3 actions=mod_vlan_vid:1000,NORMAL'$/,
    )
  })
  it('JSON: no raw C0 or C1 control, and the name reads back exactly', () => {
    const json = renderJson(buildReport(analysis, findings, 'test'))
    expect(json).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/)
    const back = JSON.parse(json).findings.find((f: Finding) => f.code === 'FLOW_MISSING')
    expect(back.remedy).toContain(HOST)
  })
  it('DOT: the finding on the trace escaped', () => {
    const dot = renderTraceDot(traceVm(analysis, 'fa:16:3e:fe:c7:87', 'dhcp'), findings)
    expect(dot).toContain('FLOW_MISSING')
    expect(dot).not.toMatch(RAW)
    expect(dot).toContain('compute-1\\\\x0a$(touch /tmp/neutrace-pwned)\\\\x1b[2J\\\\x9b31m`id`')
  })
  it('HTML: the message and remedy escaped', async () => {
    const html = await renderHtmlReport(reportInput(analysis, 'test'))
    expect(html).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/)
    expect(html).toContain(
      'restart neutron-openvswitch-agent on compute-1\\x0a$(touch /tmp/neutrace-pwned)\\x1b[2J\\x9b31m`id`',
    )
  })
})
