// manifest.json's validation against its JSON Schema (manifest-schema.ts), with messages that name the field.
// Checked before anything in the manifest is used: a null capture, a `problems` that is not a list, a failed capture
// without its argv or a formatVersion written as a string are input errors, never crashes.

import type {ErrorObject} from 'ajv'
import validateManifest from './generated/manifest-validator.js'

/** The generated validator (an Ajv standalone function): true or false, and its errors beside it. */
const compiled = validateManifest as unknown as {(data: unknown): boolean; errors?: ErrorObject[] | null}

/** `hosts[0].captures[3].argv` for `/hosts/0/captures/3/argv`. */
function fieldOf(path: string): string {
  if (path === '') return 'the manifest'
  return path
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out ? `${out}.${part}` : part), '')
}

function valueAt(data: unknown, path: string): unknown {
  let v = data
  for (const part of path.slice(1).split('/').filter(Boolean))
    v = (v as Record<string, unknown> | null)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
  return v
}

function shown(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 60 ? `${s.slice(0, 60)}…` : s
}

function describe(error: ErrorObject, data: unknown): string {
  const field = fieldOf(error.instancePath)
  if (error.keyword === 'required') {
    const missing = (error.params as {missingProperty: string}).missingProperty
    return `${field === 'the manifest' ? '' : `${field}.`}${missing} is missing`
  }
  if (error.keyword === 'const')
    return `${field} is ${shown(valueAt(data, error.instancePath))}, expected ${JSON.stringify(error.params.allowedValue)}`
  if (error.keyword === 'enum') {
    const allowed = (error.params as {allowedValues: unknown[]}).allowedValues.map((v) => JSON.stringify(v)).join(', ')
    return `${field} is ${shown(valueAt(data, error.instancePath))}, expected one of ${allowed}`
  }
  return `${field} ${error.message ?? 'is invalid'} (found ${shown(valueAt(data, error.instancePath))})`
}

/** The problems of a parsed manifest against the schema, each naming its field; empty when it is valid. */
export function manifestErrors(data: unknown): string[] {
  if (compiled(data)) return []
  const errors = compiled.errors ?? []
  // A field of the wrong type also fails its siblings' checks in some shapes: name each field once.
  const seen = new Set<string>()
  const out: string[] = []
  for (const e of errors) {
    const message = describe(e, data)
    if (seen.has(e.instancePath + e.keyword)) continue
    seen.add(e.instancePath + e.keyword)
    out.push(message)
  }
  return out
}
