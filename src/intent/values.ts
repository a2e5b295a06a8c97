// Loose values: what a JSON body, an `openstack … -f json` object or a CLI table cell holds for one field. The same
// field arrives as a boolean, "True", "UP"; as a list, a JSON string or `key='value'` text; as null or an empty cell.
// These helpers read them all and never throw.

/** One record as read from any source; values are whatever the source held. */
export type Loose = Record<string, unknown>

export function isLoose(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The first of `keys` the record holds (a null value counts as held: it is a known "none"). */
export function pick(rec: Loose, keys: readonly string[]): unknown {
  for (const key of keys) if (rec[key] !== undefined) return rec[key]
  return undefined
}

export function has(rec: Loose, keys: readonly string[]): boolean {
  return keys.some((key) => rec[key] !== undefined)
}

/** Text that CLI tables print for "no value". */
export function isNoneText(value: string): boolean {
  return value === '' || value === 'None' || value === 'null' || value === '-'
}

/** A non-empty string, or undefined for null, empty and "None". */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return isNoneText(trimmed) ? undefined : trimmed
}

const TRUE_WORDS = new Set(['true', 'yes', 'up', '1'])
const FALSE_WORDS = new Set(['false', 'no', 'down', '0'])

/** Booleans as JSON, Python (`True`) or OSC's admin state (`UP`/`DOWN`) print them. */
export function asBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (typeof value !== 'string') return undefined
  const word = value.trim().toLowerCase()
  if (TRUE_WORDS.has(word)) return true
  if (FALSE_WORDS.has(word)) return false
  return undefined
}

export type IntReading = {kind: 'none'} | {kind: 'int'; value: number} | {kind: 'invalid'; text: string}

/** An integer field: none (null/empty), an integer, or something else worth a problem. */
export function readInt(value: unknown): IntReading {
  if (value === null || value === undefined) return {kind: 'none'}
  if (typeof value === 'number')
    return Number.isInteger(value) ? {kind: 'int', value} : {kind: 'invalid', text: String(value)}
  if (typeof value !== 'string') return {kind: 'invalid', text: JSON.stringify(value)}
  const trimmed = value.trim()
  if (isNoneText(trimmed)) return {kind: 'none'}
  return /^\d+$/.test(trimmed) ? {kind: 'int', value: Number(trimmed)} : {kind: 'invalid', text: trimmed}
}

/** A list of ids: a JSON array, or text separated by commas or newlines (table cells, OSC's human-readable lists). */
export function asStringList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,\n]/) : []
  return items.map((item) => asText(item)).filter((item): item is string => item !== undefined)
}

/** `neutron net-list` prints a network's subnets as `<subnet id> <cidr>`; the id is the first word. */
export function firstWord(text: string): string {
  return text.split(/\s+/)[0]
}

/** Reads a JSON object or array written into a string (neutronclient table cells); undefined when it is not JSON. */
export function jsonInText(text: string): unknown {
  const trimmed = text.trim()
  if (!/^[[{]/.test(trimmed)) return undefined
  try {
    return JSON.parse(trimmed) as unknown
  } catch {
    return undefined
  }
}

// `ip_address='10.0.0.5', subnet_id='…'` (OSC human-readable), `{"subnet_id": "…", "ip_address": "…"}` (neutronclient
// cells), `{'subnet_id': '…'}` (Python repr): all are quoted key/value pairs; one regex reads them all.
const QUOTED_PAIR = /['"]?([A-Za-z_][\w:-]*)['"]?\s*[=:]\s*(?:'([^']*)'|"([^"]*)"|([^\s,'"}]+))/g

/**
 * Splits text into records of quoted key/value pairs. A new record starts at a line break, a `}` or when a key
 * repeats, so `a='1', b='2'\na='3'` and `[{"a": "1"}, {"a": "3"}]` both give two records.
 */
export function keyValueRecords(text: string): Record<string, string>[] {
  const records: Record<string, string>[] = []
  for (const chunk of text.split(/\n|}/)) {
    let current: Record<string, string> | undefined
    for (const match of chunk.matchAll(QUOTED_PAIR)) {
      const key = match[1]
      const value = match[2] ?? match[3] ?? match[4] ?? ''
      if (!current || key in current) {
        current = {}
        records.push(current)
      }
      current[key] = value
    }
  }
  return records
}

/** A mapping printed as JSON, as a dict, or as `key='value', …` text (OSC's DictColumn). */
export function asMapping(value: unknown): Record<string, unknown> | undefined {
  if (isLoose(value)) return value
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const json = jsonInText(value)
  if (isLoose(json)) return json
  const [first] = keyValueRecords(value)
  if (first === undefined) return undefined
  // OSC prints Python booleans in this form: `ovs_hybrid_plug='True'`.
  return Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v === 'True' ? true : v === 'False' ? false : v]))
}
