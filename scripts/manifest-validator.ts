// The snapshot reader's manifest validator is generated ahead of time from MANIFEST_SCHEMA by Ajv's standalone code
// generator: importing Ajv and compiling the schema cost a command 60-190 ms each time it read a snapshot (2 cores).
// `npm run manifest-validator` rewrites src/snapshot/generated/manifest-validator.ts; test/intent/manifest-validator
// fails when the committed file differs from what the schema gives, and compares its answers with Ajv's own.

import {writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {Ajv} from 'ajv'
import {format, resolveConfig} from 'prettier'
import {MANIFEST_SCHEMA} from '../src/snapshot/manifest-schema.js'

// A CommonJS module whose function is its `default` export: Node's and tsx's ESM interop disagree on what a default
// import of it gives, require does not.
const standaloneCode = (
  createRequire(import.meta.url)('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')
).default

export const GENERATED = join(import.meta.dirname, '..', 'src', 'snapshot', 'generated', 'manifest-validator.ts')

/** The options the validator is compiled with: every error, not the first; unknown keywords are not refused. */
export function manifestAjv(source = false): Ajv {
  return new Ajv({allErrors: true, strict: false, code: {source, esm: true}})
}

/** The text of the generated module. */
export async function generate(): Promise<string> {
  const ajv = manifestAjv(true)
  // Ajv's ESM output still requires its runtime helpers (ucs2length for minLength), by a `require` of its own.
  const code = standaloneCode(ajv, ajv.compile(MANIFEST_SCHEMA)).replace(/^"use strict";/, '')
  const imports = code.includes('require(')
    ? ["import {createRequire} from 'node:module'", 'const require = createRequire(import.meta.url)']
    : []
  const text = [
    '// Generated from src/snapshot/manifest-schema.ts by `npm run manifest-validator`: do not edit, change the schema.',
    '// @ts-nocheck',
    ...imports,
    code,
  ].join('\n')
  return format(text, {...(await resolveConfig(GENERATED)), filepath: GENERATED})
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await writeFile(GENERATED, await generate())
  console.log(`wrote ${GENERATED}`)
}
