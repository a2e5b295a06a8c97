// The collector's logger: pino to stderr, pretty on a terminal, JSON lines otherwise (pipes, CI).

import {createRequire} from 'node:module'
import pino, {type Logger} from 'pino'
import type PinoPretty from 'pino-pretty'

// pino-pretty is required only for a terminal's log (createLogger is synchronous, and so is require): pipes, CI and
// the commands that only read snapshots never load it.
const require = createRequire(import.meta.url)

/** Field names that must never reach a log line, wherever they appear in a logged object. */
const SECRET_PATHS = [
  'privateKey',
  'passphrase',
  'password',
  'token',
  '*.privateKey',
  '*.passphrase',
  '*.password',
  '*.token',
]

export function createLogger(opts: {level?: string; pretty?: boolean} = {}): Logger {
  const level = opts.level ?? 'info'
  const redact = {paths: SECRET_PATHS, censor: '[redacted]'}
  const usePretty = opts.pretty ?? (process.stderr.isTTY === true && !process.env.CI)
  if (usePretty) {
    const pretty = require('pino-pretty') as typeof PinoPretty
    return pino({level, redact}, pretty({destination: 2, sync: true, ignore: 'pid,hostname'}))
  }
  return pino({level, redact}, pino.destination({dest: 2, sync: true}))
}

export function silentLogger(): Logger {
  return pino({level: 'silent'})
}
