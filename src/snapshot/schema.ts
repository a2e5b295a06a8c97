// The JSON Schema of manifest.json (format version 1), and its validation with messages that name the field.
// Checked before anything in the manifest is used: a null capture, a `problems` that is not a list, a failed capture
// without its argv or a formatVersion written as a string are input errors, never crashes.

import {Ajv, type ErrorObject} from 'ajv'

const text = {type: 'string'}
const count = {type: 'integer', minimum: 0}

const MANIFEST_SCHEMA = {
  $id: 'neutrace-snapshot-manifest',
  type: 'object',
  required: ['format', 'formatVersion', 'hosts'],
  properties: {
    format: {const: 'neutrace-snapshot'},
    formatVersion: {type: 'integer', minimum: 1},
    toolVersion: text,
    createdAt: text,
    source: text,
    description: text,
    intent: {type: 'array', items: text},
    hosts: {type: 'array', items: {$ref: '#/$defs/host'}},
    problems: {type: 'array', items: {$ref: '#/$defs/problem'}},
  },
  $defs: {
    host: {
      type: 'object',
      required: ['name', 'captures'],
      properties: {
        name: {type: 'string', minLength: 1},
        roles: {type: 'array', items: {enum: ['control', 'network', 'compute']}},
        address: text,
        status: {enum: ['complete', 'partial', 'unreachable']},
        error: text,
        captures: {type: 'array', items: {$ref: '#/$defs/capture'}},
      },
    },
    capture: {
      type: 'object',
      required: ['spec', 'argv', 'file', 'exitCode'],
      properties: {
        spec: {type: 'string', minLength: 1},
        key: text,
        argv: {type: 'array', items: text},
        file: {type: 'string', minLength: 1},
        stderrFile: text,
        exitCode: {type: ['integer', 'null']},
        durationMs: {type: 'number', minimum: 0},
        startedAt: text,
        sha256: text,
        error: text,
      },
    },
    problem: {
      type: 'object',
      required: ['host', 'spec', 'message'],
      properties: {
        host: text,
        spec: {type: 'string', minLength: 1},
        kind: {enum: ['rejected', 'truncated']},
        line: count,
        text,
        message: text,
      },
    },
  },
} as const

let compiled: ReturnType<Ajv['compile']> | undefined

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
  compiled ??= new Ajv({allErrors: true, strict: false}).compile(MANIFEST_SCHEMA)
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
