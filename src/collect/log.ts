// The collector's logger: pino to stderr, pretty on a terminal, JSON lines otherwise (pipes, CI).

import pino, {type Logger} from 'pino'
import pretty from 'pino-pretty'

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
  if (usePretty) return pino({level, redact}, pretty({destination: 2, sync: true, ignore: 'pid,hostname'}))
  return pino({level, redact}, pino.destination({dest: 2, sync: true}))
}

export function silentLogger(): Logger {
  return pino({level: 'silent'})
}
