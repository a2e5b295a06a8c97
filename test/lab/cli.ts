// npm run lab:up | lab:down | lab:fault NAME [--host H] [--vm V] [--network N] [--command C] [--tag T] | lab:status
// (node --import tsx test/lab/cli.ts ...)

import {parseArgs} from 'node:util'
import {FAULT_ABOUT, FAULT_NAMES, openLab, startLab, stopAllLabs, stopLab, type Lab, type LabOptions} from './lab.js'
import {defaultRootDir, listLabs, labInUse} from './state.js'
import {CONTROL_SH, neutronLab, neutronLabUnavailable} from './neutron/control.js'
import {existsSync} from 'node:fs'

const USAGE = `usage:
  lab:up [--computes N] [--vms N] [--networks N] [--flat] [--plug hybrid|native] [--link veth|patch] [--seed S]
  lab:up --neutron [--computes N]     a real Neutron control plane programs the nodes (test/lab/neutron/README.md)
  lab:down                            every lab, the Neutron one included
  lab:fault NAME [--host H] [--vm V] [--network N] [--command C] [--tag T]
  (node --import tsx test/lab/cli.ts status)
faults:
${FAULT_NAMES.map((n) => `  ${n.padEnd(24)} ${FAULT_ABOUT[n]}`).join('\n')}`

function say(m: string): void {
  process.stderr.write(`${m}\n`)
}

// Output piped into `head` must not kill a half-started lab: a closed pipe is not a reason to stop.
process.stdout.on('error', () => undefined)
process.stderr.on('error', () => undefined)

function intFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n)) throw new Error(`--${name} wants an integer, got ${v}`)
  return n
}

function describe(lab: Lab): string {
  const lines = [
    `lab ${lab.slot} is up (${lab.dir})`,
    '',
    'nodes:',
    ...lab.nodes.map(
      (n) => `  ${n.name.padEnd(10)} ${n.address.padEnd(14)} pid ${String(n.pid).padEnd(8)} [${n.roles.join(', ')}]`,
    ),
    '',
    'VMs:',
    ...lab.vms.map(
      (v) =>
        `  ${v.name.padEnd(6)} ${v.host.padEnd(10)} ${v.network.padEnd(6)} ${v.ip.padEnd(14)} ${v.mac}  ${v.tap}  port ${v.portId}`,
    ),
    '',
    `inventory:   ${lab.inventoryPath}`,
    `key:         ${lab.keyPath}`,
    `known_hosts: ${lab.knownHostsPath}`,
    `intent:      ${lab.intentDir}`,
    '',
    `try:  ${lab.sshArgv(lab.nodes[0]!.name, ['ovs-vsctl', 'show']).join(' ')}`,
    `      nsenter -t ${lab.nodes[1]?.pid ?? lab.nodes[0]!.pid} -m -n -u -p -- ovs-ofctl dump-flows br-int`,
    '      npm run lab:fault delete-egress-flow -- --host compute-1',
    '      npm run lab:down',
  ]
  return lines.join('\n')
}

async function up(args: string[]): Promise<void> {
  const {values} = parseArgs({
    args,
    options: {
      computes: {type: 'string'},
      vms: {type: 'string'},
      networks: {type: 'string'},
      flat: {type: 'boolean'},
      plug: {type: 'string'},
      link: {type: 'string'},
      seed: {type: 'string'},
      neutron: {type: 'boolean'},
    },
  })
  if (values.neutron) return neutronUp(intFlag(values.computes, 'computes') ?? 2)
  const opts: Partial<LabOptions> = {slot: 0, persistent: true}
  const computes = intFlag(values.computes, 'computes')
  if (computes !== undefined) opts.computeNodes = computes
  const vms = intFlag(values.vms, 'vms')
  if (vms !== undefined) opts.vmsPerNodePerNetwork = vms
  const nets = intFlag(values.networks, 'networks')
  if (nets !== undefined || values.flat) {
    const count = nets ?? 1
    opts.networks = Array.from({length: count}, (_, i) =>
      i === 0
        ? {
            name: 'net1',
            uuid: '5f833617-6179-4797-b7c0-7d420d84040c',
            subnetUuid: '2d7a0a58-0674-439a-ad23-d6471aaae9bc',
            segmentationId: 1000,
          }
        : {name: `net${i + 1}`},
    )
    if (values.flat) opts.networks.push({name: 'flat1', type: 'flat'})
  }
  if (values.plug !== undefined) {
    if (values.plug !== 'hybrid' && values.plug !== 'native') throw new Error('--plug hybrid|native')
    opts.plug = values.plug
  }
  if (values.link !== undefined) {
    if (values.link !== 'veth' && values.link !== 'patch') throw new Error('--link veth|patch')
    opts.intPhyLink = values.link
  }
  if (values.seed !== undefined) opts.seed = values.seed
  // Ctrl-C while starting: the nodes of a persistent lab would outlive us, so tear down what the state file lists.
  const onSignal = (): void => {
    say('lab: interrupted; tearing down')
    void stopLab(0, say).finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const lab = await startLab(opts, {log: say})
  process.stdout.write(`${describe(lab)}\n`)
}

/** The --neutron mode: control.sh brings up MariaDB, RabbitMQ, Keystone, neutron-server and the agents, then builds the
 * demo networks and VMs through the API (2 VLAN networks, 1 flat, 2 VMs each). */
async function neutronUp(computes: number): Promise<void> {
  const lab = neutronLab({computes})
  const unavailable = neutronLabUnavailable()
  if (unavailable) throw new Error(`lab:up --neutron: ${unavailable}`)
  say(`lab: Neutron lab in ${lab.dir} (about a minute, then the demo topology)`)
  await lab.up()
  const vms = await lab.demo()
  process.stdout.write(
    `Neutron lab up in ${lab.dir}\n${vms.map((v) => `  ${v.instance}  ${v.node.padEnd(10)} ${v.network.padEnd(10)} ${v.ip.padEnd(16)} ${v.mac}  port ${v.portId}`).join('\n')}\n` +
      `try:  ${CONTROL_SH} openstack port list --long\n      ${CONTROL_SH} exec nlab-cmp1 ovs-ofctl dump-flows br-int\n      node --import tsx test/lab/neutron/capture.ts /tmp/snap && ./bin/run.js diagnose /tmp/snap\n`,
  )
}

async function down(): Promise<void> {
  const running = existsSync(neutronLab().dir)
  if (running) await neutronLab().down()
  const problems = await stopAllLabs(say)
  if (problems.length > 0) {
    say(`lab: left behind: ${problems.join('; ')}`)
    process.exitCode = 1
    return
  }
  say('lab: down')
}

async function fault(args: string[]): Promise<void> {
  const {values, positionals} = parseArgs({
    args,
    allowPositionals: true,
    options: {
      host: {type: 'string'},
      vm: {type: 'string'},
      network: {type: 'string'},
      command: {type: 'string'},
      tag: {type: 'string'},
      slot: {type: 'string'},
    },
  })
  const name = positionals[0]
  if (!name) throw new Error(`name a fault\n${USAGE}`)
  const lab = openLab(intFlag(values.slot, 'slot'), say)
  const result = await lab.fault(name, {
    host: values.host,
    vm: values.vm,
    network: values.network,
    command: values.command,
    tag: intFlag(values.tag, 'tag'),
  })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

function status(): void {
  const labs = listLabs(defaultRootDir())
  if (labs.length === 0) {
    process.stdout.write('no lab\n')
    return
  }
  for (const l of labs) {
    const s = l.state
    process.stdout.write(
      `${l.dir}: ${s ? `${labInUse(s) ? (s.ready ? 'running' : 'incomplete (start did not finish)') : 'stale'}, ${s.nodes.length} node processes, owner ${s.owner.pid}${s.persistent ? ' (persistent)' : ''}, ${s.faults.length} faults` : 'no state'}\n`,
    )
  }
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv
  switch (cmd) {
    case 'up':
      return up(rest)
    case 'down':
      return down()
    case 'fault':
      return fault(rest)
    case 'status':
      return status()
    default:
      say(USAGE)
      process.exitCode = cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  say(e.message)
  process.exitCode = 1
})
