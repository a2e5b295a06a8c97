// Routers and floating IPs against reality (issue 11), on the shared Neutron lab with the l3 feature block
// (control.sh: the real neutron-l3-agent on nlab-ctl, br-ex with its NIC on a root bridge, an outside namespace
// playing a host on the external network and, behind it, an "internet" address; a router with a gateway and an
// interface on nlab-net1 and nlab-net2; a floating IP on the first VM of each). The lab is captured and, in every case,
// the north-south trace's verdict equals what really happens: a VM's ping and TCP connect to the internet address
// (SNAT), the outside host's ping and TCP connect to each floating IP (DNAT), a VM's connect to the metadata address.
// The addresses the trace predicts are those the far end really sees: the SNAT source at the outside host, the
// translated destination at the VM. Then faults made the real way, each found with the right code, host and element
// and nothing else, each undone (withRestore: the lab must diagnose clean again).
//
// Only 198.18.0.0/15: the external network is 198.19.<slot-100>.0/25. Needs root and install.sh; skipped when
// NEUTRACE_NEUTRON_LAB=0.

import {existsSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {type Analysis, traceFromOutside, traceVmToIp} from '../../../src/engine.js'
import type {TraceResult} from '../../../src/trace/tracer.js'
import {neutronLabUnavailable, type NeutronLabVm, runArgv} from './control.js'
import {daemonRunning, labTools, useSharedLab, withRestore} from './suite.js'

const unavailable = neutronLabUnavailable()
const wanted = process.env.NEUTRACE_NEUTRON_LAB !== '0'

/** control.sh's $dir/l3-objects. */
interface L3Objects {
  router: string
  gateway: string
  outside: string
  internet: string
  fips: {fip: string; vm: NeutronLabVm}[]
  snat: NeutronLabVm[]
}

const METADATA = '169.254.169.254'
/** The port of the listeners this file starts (the VMs' nlab-fip group allows tcp from the external network). */
const PORT = 8080

// Accepts connections until killed, printing `peer local` for each (the addresses as this end sees them).
const LISTENER =
  'import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n' +
  's.bind((sys.argv[1],int(sys.argv[2])))\ns.listen(8)\n' +
  'while True:\n c,p=s.accept()\n print(p[0],c.getsockname()[0],flush=True)\n c.close()\n'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Polls `check` every 100 ms until it holds or `ms` pass: whether it held. */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(100)
  }
}

describe.skipIf(!wanted || unavailable !== undefined)('routers and floating IPs against reality (shared lab)', () => {
  const shared = useSharedLab('nlab-l3-')
  const lab = shared.lab
  const tools = labTools(lab, shared.scratch)
  const {expectDiagnosis, until, run} = tools
  let o: L3Objects
  let ns = ''
  const ctl = 'nlab-ctl'

  beforeAll(async () => {
    const vms = new Map(shared.vms().map((v) => [v.netns, v]))
    const lines = readFileSync(join(lab.dir, 'l3-objects'), 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
    const one = (k: string): string => lines.find((l) => l[0] === k)?.[1] ?? ''
    const vm = (netns: string | undefined): NeutronLabVm => {
      const v = vms.get(netns ?? '')
      if (!v) throw new Error(`l3-objects names a VM ${netns} not in ${lab.dir}/vms`)
      return v
    }
    o = {
      router: one('router'),
      gateway: one('gateway'),
      outside: one('outside'),
      internet: one('internet'),
      fips: lines.filter((l) => l[0] === 'fip').map((l) => ({fip: l[1]!, vm: vm(l[3])})),
      snat: lines.filter((l) => l[0] === 'snat').map((l) => vm(l[2])),
    }
    ns = `qrouter-${o.router}`
    await startListeners()
  }, 300_000)
  afterAll(async () => {
    for (const l of listeners) await l.kill().catch(() => undefined)
    for (const l of listeners) rmSync(l.log, {force: true})
  })

  // ---- reality ------------------------------------------------------------------------------------------------
  const inVm = (vm: NeutronLabVm, argv: string[], timeoutMs = 30_000) =>
    lab.exec(vm.node, ['ip', 'netns', 'exec', vm.netns, ...argv], timeoutMs)
  const outside = (argv: string[], timeoutMs = 30_000) =>
    runArgv(['ip', 'netns', 'exec', o.outside, ...argv], {}, timeoutMs)
  const inRouter = (argv: string[]) => run(ctl, ['ip', 'netns', 'exec', ns, ...argv])

  /** Echo requests the VM's own kernel received (its namespace's Icmp InEchos). */
  const echosIn = async (vm: NeutronLabVm): Promise<number> => {
    const snmp = (await inVm(vm, ['cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Icmp:'))
    const names = snmp[0]?.split(/\s+/) ?? []
    return Number(snmp[1]?.split(/\s+/)[names.indexOf('InEchos')] ?? NaN)
  }

  // Listeners, one per place a probe connects to (the outside host's internet address, each floating IP's VM), started
  // once: each logs the addresses of every connection it accepts to a file of the lab directory.
  const listeners: {log: string; kill: () => Promise<unknown>}[] = []
  const logOf = (name: string) => join(lab.dir, `l3-listener-${name}.log`)
  const linesOf = (log: string): string[] => {
    try {
      return readFileSync(log, 'utf8').split('\n').filter(Boolean)
    } catch {
      return []
    }
  }
  const listening = (exec: (argv: string[]) => Promise<{stdout: string}>) => async () =>
    (await exec(['ss', '-Hltn', `sport = :${PORT}`])).stdout.includes(`:${PORT}`)
  async function startListeners(): Promise<void> {
    const script = (bind: string, log: string) =>
      `/usr/bin/python3 -u -c '${LISTENER}' ${bind} ${PORT} >${log} 2>&1 </dev/null & echo $!`
    const out = await runArgv(['sh', '-c', `ip netns exec ${o.outside} ${script(o.internet, logOf('outside'))}`])
    const pid = Number(out.stdout.trim())
    listeners.push({log: logOf('outside'), kill: async () => pid > 0 && process.kill(pid)})
    await until(
      `listener in ${o.outside}`,
      listening((argv) => outside(argv)),
      30_000,
    )
    for (const {vm} of o.fips) {
      const started = await lab.exec(vm.node, [
        'sh',
        '-c',
        `ip netns exec ${vm.netns} ${script('0.0.0.0', logOf(vm.netns))}`,
      ])
      const nspid = started.stdout.trim()
      listeners.push({log: logOf(vm.netns), kill: () => lab.exec(vm.node, ['kill', nspid])})
      await until(
        `listener in ${vm.netns}`,
        listening((argv) => inVm(vm, argv)),
        30_000,
      )
    }
  }

  /** One TCP connection from `connect` to a listener logging to `log`: the addresses the listener saw, or undefined
   * when the connect failed. */
  const tcpSeen = async (
    log: string,
    connect: () => Promise<{code: number | null}>,
  ): Promise<{src: string; dst: string} | undefined> => {
    const before = linesOf(log).length
    if ((await connect()).code !== 0) return undefined
    if (!(await within(10_000, () => linesOf(log).length > before))) return undefined
    const [src, dst] = linesOf(log)[before]!.split(' ')
    return src && dst ? {src, dst} : undefined
  }

  /** VM → the internet address, for real: ping; TCP, with the source the outside host saw. */
  const vmOut = async (vm: NeutronLabVm) => {
    const ping = (await inVm(vm, ['busybox', 'ping', '-c', '1', '-W', '2', o.internet])).code === 0
    const seen = await tcpSeen(logOf('outside'), () => inVm(vm, ['busybox', 'nc', '-w', '2', o.internet, String(PORT)]))
    return {ping, tcp: seen}
  }
  /** The outside host → a floating IP, for real: a ping the VM itself answered; TCP, with the addresses the VM saw. */
  const toFip = async (fip: string, vm: NeutronLabVm) => {
    const before = await echosIn(vm)
    const answered = (await outside(['busybox', 'ping', '-c', '1', '-W', '2', fip])).code === 0
    const ping = answered && (await echosIn(vm)) > before
    const seen = await tcpSeen(logOf(vm.netns), () => outside(['busybox', 'nc', '-w', '2', fip, String(PORT)]))
    return {ping, answered, tcp: seen}
  }
  const metadataReal = async (vm: NeutronLabVm) =>
    (await inVm(vm, ['busybox', 'nc', '-w', '2', METADATA, '80'], 20_000)).code === 0

  // ---- the traces ---------------------------------------------------------------------------------------------
  const traceOut = (a: Analysis, vm: NeutronLabVm, proto: 'icmp' | 'tcp', to = o.internet): TraceResult =>
    traceVmToIp(a, vm.portId, to, proto === 'tcp' ? {proto, dport: to === METADATA ? 80 : PORT} : {proto})[0]!
  const traceIn = (a: Analysis, fip: string, proto: 'icmp' | 'tcp'): TraceResult =>
    traceFromOutside(a, fip, proto === 'tcp' ? {proto, dport: PORT} : {proto})[0]!
  const ok = (t: TraceResult) => t.verdict === 'delivered'
  const say = (t: TraceResult) => `${t.verdict}: ${t.reason}`

  /** Every case, trace against reality; returns the mismatches (empty when they all agree). */
  const compareAll = async (a: Analysis, which: {out?: NeutronLabVm[]; fips?: L3Objects['fips']} = {}) => {
    const bad: string[] = []
    const rows: string[] = []
    for (const vm of which.out ?? [...o.fips.map((f) => f.vm), ...o.snat]) {
      const real = await vmOut(vm)
      const [ti, tt] = [traceOut(a, vm, 'icmp'), traceOut(a, vm, 'tcp')]
      rows.push(`${vm.netns} → ${o.internet}: ping ${real.ping}, tcp ${real.tcp ? `seen from ${real.tcp.src}` : 'no'}`)
      if (ok(ti) !== real.ping) bad.push(`${vm.netns} → ${o.internet} icmp: trace ${say(ti)}, real ${real.ping}`)
      if (ok(tt) !== Boolean(real.tcp)) bad.push(`${vm.netns} → ${o.internet} tcp: trace ${say(tt)}, real ${real.tcp}`)
      if (ok(tt) && real.tcp && tt.l3?.seen.src !== real.tcp.src)
        bad.push(`${vm.netns} SNAT: trace says ${tt.l3?.seen.src}, the outside host saw ${real.tcp.src}`)
    }
    for (const {fip, vm} of which.fips ?? o.fips) {
      const real = await toFip(fip, vm)
      const [ti, tt] = [traceIn(a, fip, 'icmp'), traceIn(a, fip, 'tcp')]
      rows.push(`${o.outside} → ${fip}: ping ${real.ping}, tcp ${real.tcp ? `seen as ${real.tcp.dst}` : 'no'}`)
      if (ok(ti) !== real.ping) bad.push(`${o.outside} → ${fip} icmp: trace ${say(ti)}, real ${real.ping}`)
      if (ok(tt) !== Boolean(real.tcp)) bad.push(`${o.outside} → ${fip} tcp: trace ${say(tt)}, real ${real.tcp}`)
      if (ok(tt) && real.tcp && (tt.l3?.seen.dst !== real.tcp.dst || tt.l3?.seen.src !== real.tcp.src))
        bad.push(
          `${fip} DNAT: trace says ${tt.l3?.seen.src} → ${tt.l3?.seen.dst}, the VM saw ${real.tcp.src} → ${real.tcp.dst}`,
        )
    }
    console.log(`L3 reality:\n  ${rows.join('\n  ')}`)
    return bad
  }

  /** The router is back: namespace, gateway and floating IPs on qg-, both qr-, the metadata proxy. */
  const routerReady = async (): Promise<boolean> => {
    const addrs = await lab.exec(ctl, ['ip', 'netns', 'exec', ns, 'ip', '-o', '-4', 'addr', 'show'])
    if (addrs.code !== 0 || !addrs.stdout.includes(`inet ${o.gateway}/`)) return false
    if (!o.fips.every((f) => addrs.stdout.includes(`inet ${f.fip}/32`))) return false
    if ((addrs.stdout.match(/ qr-/g) ?? []).length < 2) return false
    const ps = await lab.exec(ctl, ['pgrep', '-f', `ns-metadata-proxy/${o.router}.conf`])
    return ps.code === 0
  }
  /** The L3 agent's log (control.sh: --log-file /var/log/neutron/l3-agent.log), read from the host side. */
  const l3Log = (): string => join(lab.dir, 'nodes', ctl, 'root', 'log-neutron', 'l3-agent.log')
  /** Bytes in the L3 agent's log now: where a later l3Settled reads from. */
  const l3LogSize = (): number => statSync(l3Log()).size
  /**
   * The L3 agent has processed the router since byte `from` of its log and has no update of it under way. A started
   * agent's first update of a router sets its gateway up from scratch (external_gateway_added: addresses, default
   * route, NAT rules), as later ones do when the gateway port changed; the namespace a stopped agent leaves behind
   * passes routerReady at once, and that first update, seconds later and 10-25 s long on a loaded machine, put back the
   * default route the next test had just deleted (CI of 4a1b563: no ROUTER_NO_DEFAULT_ROUTE in 90 s).
   */
  const l3Settled = async (from: number): Promise<boolean> => {
    if (!existsSync(l3Log())) return false
    const log = readFileSync(l3Log()).subarray(from).toString('utf8')
    // An update that fails is queued again (a later Starting line): the last of the router's lines must be a Finished.
    const finished = log.lastIndexOf(`Finished a router update for ${o.router},`)
    return finished >= 0 && finished > log.lastIndexOf(`Starting router update for ${o.router},`)
  }
  const restartL3Agent = async (): Promise<void> => {
    if (daemonRunning(lab, ctl, 'neutron-l3-agent')) await lab.agent('stop', ctl, 'l3')
    const from = l3LogSize()
    await lab.agent('start', ctl, 'l3')
    await until(
      'the L3 agent rebuilt the router',
      async () => (await routerReady()) && (await l3Settled(from)),
      240_000,
    )
  }
  // Each test starts with no update of the router under way: one would undo a fault made in the namespace (the
  // default route, a NAT rule) before a capture saw it.
  beforeEach(() => until('the L3 agent done with the router', () => l3Settled(0), 240_000))

  const qg = async (): Promise<string> => {
    const links = JSON.parse(await inRouter(['ip', '-j', 'link'])) as {ifname: string}[]
    const dev = links.find((l) => l.ifname.startsWith('qg-'))?.ifname
    if (!dev) throw new Error(`no qg- in ${ns}`)
    return dev
  }
  const qrOf = async (vm: NeutronLabVm): Promise<string> => {
    const addrs = JSON.parse(await inRouter(['ip', '-j', '-4', 'addr'])) as {
      ifname: string
      addr_info: {local: string}[]
    }[]
    const gw = vm.ip.replace(/\.\d+$/, '.1')
    const dev = addrs.find((d) => d.addr_info.some((a) => a.local === gw))?.ifname
    if (!dev?.startsWith('qr-')) throw new Error(`no qr- with ${gw} in ${ns}`)
    return dev
  }

  // ---- healthy ------------------------------------------------------------------------------------------------
  it('healthy: no error, no warning; every north-south trace agrees with the real packet and its addresses', async () => {
    expect(o.fips.length).toBeGreaterThanOrEqual(2)
    expect(o.snat.length).toBeGreaterThanOrEqual(1)
    const a = await expectDiagnosis([], 120_000)
    expect(await compareAll(a)).toEqual([])
    // Everything delivered, with the NAT the router applies.
    for (const {fip, vm} of o.fips) {
      const t = traceOut(a, vm, 'tcp')
      expect(t.l3?.seen.src, say(t)).toBe(fip)
      const back = traceIn(a, fip, 'tcp')
      expect(back.l3?.seen.dst, say(back)).toBe(vm.ip)
      expect(back.l3?.decided.join('\n')).toMatch(new RegExp(`DNAT --to-destination ${vm.ip.replace(/\./g, '\\.')}`))
    }
    for (const vm of o.snat) expect(traceOut(a, vm, 'tcp').l3?.seen.src).toBe(o.gateway)
    // The metadata path: redirected to the proxy, and a real connect is accepted.
    const vm = o.snat[0]!
    const md = traceOut(a, vm, 'tcp', METADATA)
    expect(md.verdict, say(md)).toBe('delivered')
    expect(md.reason).toMatch(/metadata proxy/)
    expect(await metadataReal(vm)).toBe(true)
    // A VM on a network no router serves: the trace and the real ping both fail.
    const lone = shared.vms().find((v) => v.network === 'nlab-net3')!
    const t = traceOut(a, lone, 'icmp')
    expect(t.verdict).not.toBe('delivered')
    expect((await inVm(lone, ['busybox', 'ping', '-c', '1', '-W', '2', o.internet])).code).not.toBe(0)
  }, 600_000)

  // ---- faults -------------------------------------------------------------------------------------------------
  it("the floating IP's DNAT rule deleted in the namespace → FIP_NAT_MISSING; ping is answered by the router, TCP fails", async () => {
    const {fip, vm} = o.fips[0]!
    const rule = ['-d', `${fip}/32`, '-j', 'DNAT', '--to-destination', vm.ip]
    await withRestore(
      shared,
      tools,
      async () => {
        await inRouter(['iptables', '-t', 'nat', '-D', 'neutron-l3-agent-PREROUTING', ...rule])
        const a = await expectDiagnosis([{code: 'FIP_NAT_MISSING', host: ctl, element: `${ns} nat PREROUTING ${fip}`}])
        for (const proto of ['icmp', 'tcp'] as const) {
          const t = traceIn(a, fip, proto)
          expect(t.verdict, say(t)).toBe('blackholed')
          expect(t.reason).toMatch(/not translated \(no DNAT rule/)
        }
        const real = await toFip(fip, vm)
        expect(real.answered, 'the router itself answers the ping to its own address').toBe(true)
        expect(real.ping, 'the VM must not see the echo request').toBe(false)
        expect(real.tcp).toBeUndefined()
        expect(await compareAll(a, {out: [vm], fips: o.fips})).toEqual([])
      },
      async () => {
        await inRouter(['iptables', '-t', 'nat', '-I', 'neutron-l3-agent-PREROUTING', '1', ...rule])
      },
    )
  }, 600_000)

  it('the qg- port in the dead VLAN 4095 → DEAD_VLAN on qg-; both directions dropped at br-int', async () => {
    const dev = await qg()
    const tag = (await run(ctl, ['ovs-vsctl', 'get', 'Port', dev, 'tag'])).trim()
    expect(tag).toMatch(/^\d+$/)
    await withRestore(
      shared,
      tools,
      async () => {
        await run(ctl, ['ovs-vsctl', 'set', 'Port', dev, 'tag=4095'])
        const a = await expectDiagnosis([{code: 'DEAD_VLAN', host: ctl, element: dev}])
        const {fip, vm} = o.fips[0]!
        for (const t of [traceIn(a, fip, 'icmp'), traceOut(a, vm, 'icmp')]) {
          expect(t.verdict, say(t)).not.toBe('delivered')
          expect(t.reason, say(t)).toContain(dev)
          expect(t.reason, say(t)).not.toMatch(/br-ex/)
        }
        expect(await compareAll(a, {out: [vm, o.snat[0]!], fips: [o.fips[0]!]})).toEqual([])
      },
      async () => {
        await run(ctl, ['ovs-vsctl', 'set', 'Port', dev, `tag=${tag}`])
      },
    )
  }, 600_000)

  it("a subnet's qr- deleted behind Neutron's back → ROUTER_PORT_MISSING; its VMs cannot leave, the other subnet's can", async () => {
    const vm = o.snat[0]!
    const other = o.fips.find((f) => f.vm.network !== vm.network)!.vm
    const dev = await qrOf(vm)
    await withRestore(
      shared,
      tools,
      async () => {
        await run(ctl, ['ovs-vsctl', 'del-port', 'br-int', dev])
        await until(`${dev} gone from ${ns}`, async () => {
          const r = await lab.exec(ctl, ['ip', 'netns', 'exec', ns, 'ip', 'link', 'show', dev])
          return r.code !== 0
        })
        const a = await expectDiagnosis([{code: 'ROUTER_PORT_MISSING', host: ctl, element: `${ns} ${dev}`}])
        const t = traceOut(a, vm, 'icmp')
        expect(t.verdict, say(t)).not.toBe('delivered')
        expect(t.reason, say(t)).toContain(dev)
        expect(t.reason, say(t)).not.toMatch(/br-ex/)
        expect(await compareAll(a, {out: [vm, other], fips: []})).toEqual([])
      },
      restartL3Agent,
    )
  }, 900_000)

  it('the default route removed → ROUTER_NO_DEFAULT_ROUTE; VMs cannot reach beyond the external subnet', async () => {
    const dev = await qg()
    const routes = JSON.parse(await inRouter(['ip', '-j', 'route', 'show', 'default'])) as {gateway?: string}[]
    const via = routes[0]?.gateway
    expect(via).toBeDefined()
    await withRestore(
      shared,
      tools,
      async () => {
        await inRouter(['ip', 'route', 'del', 'default'])
        const a = await expectDiagnosis([{code: 'ROUTER_NO_DEFAULT_ROUTE', host: ctl, element: `${ns} default route`}])
        const t = traceOut(a, o.snat[0]!, 'icmp')
        expect(t.verdict, say(t)).not.toBe('delivered')
        expect(t.reason).toMatch(/no route/)
        // Answers to the outside host still find their way (its address is on qg-'s subnet).
        expect(await compareAll(a, {out: [o.snat[0]!], fips: [o.fips[0]!]})).toEqual([])
      },
      async () => {
        await inRouter(['ip', 'route', 'replace', 'default', 'via', via!, 'dev', dev])
      },
    )
  }, 600_000)

  it('the L3 agent stopped, the metadata proxy killed → METADATA_PROXY_DOWN; then the namespace deleted → ROUTER_NAMESPACE_MISSING', async () => {
    const vm = o.snat[0]!
    await withRestore(
      shared,
      tools,
      async () => {
        await lab.agent('stop', ctl, 'l3')
        const pid = (await run(ctl, ['pgrep', '-f', `ns-metadata-proxy/${o.router}.conf`])).trim().split('\n')[0]!
        await run(ctl, ['kill', pid])
        await until('the metadata proxy gone', async () => {
          const r = await lab.exec(ctl, ['pgrep', '-f', `ns-metadata-proxy/${o.router}.conf`])
          return r.code !== 0
        })
        let a = await expectDiagnosis([{code: 'METADATA_PROXY_DOWN', host: ctl, element: `${ns} haproxy`}])
        const md = traceOut(a, vm, 'tcp', METADATA)
        expect(md.verdict, say(md)).toBe('blackholed')
        expect(md.reason).toMatch(/no metadata proxy/)
        expect(await metadataReal(vm)).toBe(false)

        await run(ctl, ['ip', 'netns', 'delete', ns])
        a = await expectDiagnosis([{code: 'ROUTER_NAMESPACE_MISSING', host: ctl, element: ns}])
        for (const t of [traceOut(a, vm, 'icmp'), traceIn(a, o.fips[0]!.fip, 'icmp')]) {
          expect(t.verdict, say(t)).toBe('blackholed')
          expect(t.reason).toContain(`${ns} does not exist`)
        }
        expect(await compareAll(a, {out: [vm], fips: [o.fips[0]!]})).toEqual([])
      },
      restartL3Agent,
    )
  }, 900_000)
})
