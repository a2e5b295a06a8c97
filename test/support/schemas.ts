// The published JSON Schemas (schemas/*.schema.json), compiled once, for tests that check output against them.

import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Ajv, type ValidateFunction} from 'ajv'
import {expect} from 'vitest'

const SCHEMAS = join(import.meta.dirname, '..', '..', 'schemas')
const compiled = new Map<string, ValidateFunction>()

export type SchemaName = 'diagnose' | 'trace' | 'topology' | 'diff'

export function schemaOf(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), 'utf8')) as Record<string, unknown>
}

export function validatorOf(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name)
  if (!validate) {
    validate = new Ajv({allErrors: true, strict: true, allowUnionTypes: true}).compile(schemaOf(name))
    compiled.set(name, validate)
  }
  return validate
}

/**
 * Asserts that `value`, once written as JSON and read back the way a consumer reads it, is valid against the schema.
 */
export function expectMatchesSchema(name: SchemaName, value: unknown): void {
  const body: unknown = JSON.parse(JSON.stringify(value))
  const validate = validatorOf(name)
  expect(validate(body), `${name}.schema.json: ${JSON.stringify(validate.errors, null, 1)}`).toBe(true)
}
