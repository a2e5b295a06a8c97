// Live collection for the commands: inventory or --host one-offs -> collect() -> a snapshot directory.

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {Flags} from '@oclif/core'
// The collector (ssh2, pino, the inventory readers) is imported when hosts are collected from (collectLive), not
// here: `diagnose`, `trace` and `report` take these flags but mostly read a snapshot. The OpenStack client stays: it
// is small once its HTTP client loads undici on the first request, and intentSourceOf answers synchronously.
import type {CollectResult, InventoryHost} from '../collect/index.js'
import type {IntentSource} from '../collect/collector.js'
import {OpenStackError, openstackIntentSource, resolveCloudConfig} from '../collect/openstack/index.js'
import type {Analysis} from '../engine.js'
import {SPEC_BY_ID} from '../specs.js'
import {escapeTerminal} from '../render/escape.js'
import {InputError, load, parseRoles} from './common.js'

export const liveFlags = {
  inventory: Flags.string({description: 'inventory: YAML (defaults/hosts) or Ansible INI', helpValue: 'FILE'}),
  host: Flags.string({
    description: 'a host to collect from, NAME=[user@]address[:port] (repeatable)',
    multiple: true,
    helpValue: 'SPEC',
  }),
  concurrency: Flags.integer({description: 'hosts collected at once', default: 32, min: 1}),
  'command-timeout': Flags.integer({description: 'seconds one command may take', default: 60, min: 1}),
  'host-timeout': Flags.integer({description: 'seconds one host may take, connection included', default: 600, min: 1}),
  execution: Flags.string({
    description:
      'batch: one shell per host runs every command (one channel); per-command: one SSH channel per command, as `ssh host cmd`',
    options: ['batch', 'per-command'],
    default: 'batch',
  }),
  'accept-new': Flags.boolean({
    description: 'add unknown host keys to known_hosts (changed keys are still refused)',
    default: false,
  }),
  'ssh-config': Flags.string({
    description: 'ssh_config file for HostName/User/Port/IdentityFile/ProxyJump (default ~/.ssh/config)',
    helpValue: 'FILE',
  }),
  'log-level': Flags.string({
    description: 'log level (logs go to stderr: pretty on a terminal, JSON otherwise)',
    options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'warn',
  }),
  openstack: Flags.boolean({
    description:
      'read intent from the Neutron/Nova APIs (clouds.yaml, OS_CLOUD, OS_*); on by default when --os-cloud, OS_CLOUD or OS_AUTH_URL is set',
    allowNo: true,
  }),
  'os-cloud': Flags.string({description: 'cloud in clouds.yaml (default $OS_CLOUD)', helpValue: 'NAME'}),
  'os-region-name': Flags.string({description: 'region of the service catalog', helpValue: 'REGION'}),
  'os-interface': Flags.string({description: 'endpoint interface', options: ['public', 'internal', 'admin']}),
  'os-cacert': Flags.string({description: "CA bundle to verify the APIs' TLS certificates", helpValue: 'FILE'}),
  insecure: Flags.boolean({
    description: "do not verify the APIs' TLS certificates (a warning is logged)",
    default: false,
  }),
  'api-timeout': Flags.integer({description: 'seconds one API request may take', default: 30, min: 1}),
  'no-servers': Flags.boolean({description: 'do not read servers from Nova', default: false}),
}

export interface LiveOptions {
  inventory?: string
  host?: string[]
  concurrency: number
  'command-timeout': number
  'host-timeout': number
  execution?: string
  'accept-new': boolean
  'ssh-config'?: string
  'log-level': string
  openstack?: boolean
  'os-cloud'?: string
  'os-region-name'?: string
  'os-interface'?: string
  'os-cacert'?: string
  insecure: boolean
  'api-timeout': number
  'no-servers': boolean
}

/**
 * Intent from the APIs: asked for with --openstack/--os-cloud, or implied by OS_CLOUD / OS_AUTH_URL unless
 * --no-openstack.
 */
export function intentSourceOf(flags: LiveOptions, env: NodeJS.ProcessEnv = process.env): IntentSource | undefined {
  const wanted = flags.openstack ?? Boolean(flags['os-cloud'] || env.OS_CLOUD || env.OS_AUTH_URL)
  if (!wanted) return undefined
  try {
    const config = resolveCloudConfig({
      cloud: flags['os-cloud'],
      env,
      overrides: {
        regionName: flags['os-region-name'],
        interface: flags['os-interface'],
        cacert: flags['os-cacert'],
        insecure: flags.insecure || undefined,
        timeoutMs: flags['api-timeout'] * 1000,
      },
    })
    return openstackIntentSource(config, {servers: !flags['no-servers']})
  } catch (error) {
    if (error instanceof OpenStackError) throw new InputError(`OpenStack API: ${error.message}`)
    throw error
  }
}

async function hostsOf(flags: LiveOptions): Promise<InventoryHost[]> {
  const {InventoryError, loadInventory, resolveHostArgs} = await import('../collect/index.js')
  try {
    const hosts: InventoryHost[] = []
    if (flags.inventory)
      hosts.push(...(await loadInventory(flags.inventory, {sshConfigPath: flags['ssh-config']})).hosts)
    if (flags.host?.length) hosts.push(...(await resolveHostArgs(flags.host, {sshConfigPath: flags['ssh-config']})))
    if (!hosts.length) throw new InputError('no hosts: give --inventory FILE or --host NAME=[user@]address[:port]')
    return hosts
  } catch (error) {
    if (error instanceof InventoryError) throw new InputError(error.message)
    throw error
  }
}

/** `quiet`: no progress bars (the command's output is JSON). */
export async function collectLive(
  flags: LiveOptions,
  out?: string,
  intentDir?: string,
  quiet = false,
): Promise<CollectResult> {
  const hosts = await hostsOf(flags)
  const {collect, CollectError, createLogger, progressLine} = await import('../collect/index.js')
  const dir = out ?? join(await mkdtemp(join(tmpdir(), 'neutrace-')), 'snapshot')
  const progress = progressLine(process.stderr, {enabled: !quiet})
  try {
    return await collect({
      hosts,
      out: dir,
      intentDir,
      concurrency: flags.concurrency,
      commandTimeoutMs: flags['command-timeout'] * 1000,
      hostTimeoutMs: flags['host-timeout'] * 1000,
      execution: flags.execution === 'per-command' ? 'per-command' : 'batch',
      acceptNew: flags['accept-new'],
      sshConfigPath: flags['ssh-config'],
      logger: createLogger({level: flags['log-level']}),
      onProgress: progress.onProgress,
      intent: intentSourceOf(flags),
    })
  } catch (error) {
    if (out === undefined) await rm(dirname(dir), {recursive: true, force: true})
    if (error instanceof CollectError) throw new InputError(error.message)
    throw error
  } finally {
    progress.done()
  }
}

/** One line per host: what the snapshot holds and why anything is missing. Terminal text: fields escaped. */
export function collectSummary(result: CollectResult): string {
  const t = escapeTerminal
  const lines = [`Snapshot written to ${t(result.dir)} (${result.complete ? 'complete' : 'INCOMPLETE'})`]
  for (const h of result.manifest.hosts) {
    const bad = h.captures.filter((c) => c.error || c.exitCode !== 0)
    const absent = bad.filter((c) => SPEC_BY_ID.get(c.spec)?.optional).length
    const failed = bad.length - absent
    const notes = [failed ? `${failed} failed` : '', absent ? `${absent} optional absent` : '']
      .filter(Boolean)
      .join(', ')
    lines.push(
      `  ${t(h.name).padEnd(16)} ${t(h.status).padEnd(11)} ${h.captures.length} captures${notes ? `, ${notes}` : ''}${h.error ? ` — ${t(h.error)}` : ''}`,
    )
  }
  for (const p of result.manifest.problems ?? []) lines.push(`  ${t(p.host)}: ${t(p.spec)}: ${t(p.message)}`)
  return lines.join('\n')
}

/** The analysis a command works on: the SNAPSHOT given, or one collected now from --inventory/--host. */
export async function loadOrCollect(
  snapshot: readonly string[],
  flags: LiveOptions & {out?: string; intent?: string; format?: string; role?: string[]},
  warn: (m: string) => void,
): Promise<Analysis> {
  if (flags.inventory || flags.host?.length) {
    if (snapshot.length) throw new InputError('give either a SNAPSHOT or --inventory/--host, not both')
    const collected = await collectLive(flags, flags.out, flags.intent, flags.format === 'json')
    const kept = flags.out !== undefined
    if (!collected.complete)
      warn(
        kept
          ? `the snapshot in ${collected.dir} is incomplete: see DATA_MISSING findings`
          : 'the snapshot is incomplete: see DATA_MISSING findings (--out DIR keeps it)',
      )
    // The intent was copied into the snapshot's intent/ folder. Without --out, the snapshot lived in a temporary
    // directory of its own: once read, it goes.
    try {
      return await load(collected.dir, undefined, {quiet: flags.format === 'json'})
    } finally {
      if (!kept) await rm(dirname(collected.dir), {recursive: true, force: true})
    }
  }
  return load(snapshot, flags.intent, {quiet: flags.format === 'json', roles: parseRoles(flags.role)})
}
