// The JSON Schema of manifest.json (format version 1). The snapshot reader checks a manifest with the validator Ajv
// generates from it ahead of time (scripts/manifest-validator.ts writes src/snapshot/generated/), so neither Ajv's
// compiler nor the compile run when a snapshot is read.

const text = {type: 'string'}
const count = {type: 'integer', minimum: 0}

export const MANIFEST_SCHEMA = {
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
