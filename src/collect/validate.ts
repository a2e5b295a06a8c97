// Names that come back from a host (namespaces, bridges, devices, pids, file paths) are untrusted: a compromised or
// merely odd host could return `qdhcp-x;touch /tmp/pwned`. Each is checked against a strict pattern before it is put
// into a follow-up command; a rejected name is recorded and never run. Quoting (quote.ts) is the second line of
// defence, not the first.

export type Checked = {ok: true; value: string} | {ok: false; reason: string}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/
/** Linux IFNAMSIZ is 16 including the NUL. */
const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/
const PID = /^[1-9][0-9]{0,9}$/
// Printable ASCII and non-ASCII letters, but no C0/C1 control characters and no DEL.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

function ok(value: string): Checked {
  return {ok: true, value}
}

function bad(reason: string): Checked {
  return {ok: false, reason}
}

function namePattern(what: string, pattern: RegExp, text: string): Checked {
  if (pattern.test(text)) return ok(text)
  return bad(`${what} ${JSON.stringify(text.slice(0, 200))} does not match ${pattern.source}`)
}

/** A network namespace name as `ip netns` lists it (qdhcp-<uuid>, qrouter-<uuid>, ...). */
export function checkNetnsName(text: string): Checked {
  return namePattern('namespace name', NAME, text)
}

/** An Open vSwitch bridge name. */
export function checkBridgeName(text: string): Checked {
  return namePattern('bridge name', NAME, text)
}

/** A Linux network device name. */
export function checkIfName(text: string): Checked {
  if (text === '.' || text === '..') return bad(`device name ${JSON.stringify(text)} is not allowed`)
  return namePattern('device name', IFNAME, text)
}

/** A process id. */
export function checkPid(text: string): Checked {
  return namePattern('pid', PID, text)
}

/**
 * An absolute file path that must lie under one of `dirs` (each given with a trailing `/`) or equal one of `exact`.
 * No `.`/`..`/empty segments, no control characters, no backslashes, at most 1024 characters.
 */
export function checkFilePath(text: string, allowed: {dirs?: string[]; exact?: string[]; suffix?: string}): Checked {
  const shown = JSON.stringify(text.slice(0, 200))
  if (text.length === 0 || text.length > 1024) return bad(`path ${shown} is empty or too long`)
  if (CONTROL.test(text)) return bad(`path ${shown} contains control characters`)
  if (text.includes('\\')) return bad(`path ${shown} contains a backslash`)
  if (!text.startsWith('/')) return bad(`path ${shown} is not absolute`)
  const segments = text.slice(1).split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    return bad(`path ${shown} has an empty, "." or ".." segment`)
  if (allowed.suffix !== undefined && !text.endsWith(allowed.suffix))
    return bad(`path ${shown} does not end with ${allowed.suffix}`)
  if (allowed.exact?.includes(text)) return ok(text)
  const dir = allowed.dirs?.find((d) => text.startsWith(d) && text.length > d.length)
  if (dir !== undefined) return ok(text)
  const where = [...(allowed.dirs ?? []), ...(allowed.exact ?? [])].join(', ')
  return bad(`path ${shown} is outside the expected places (${where})`)
}
