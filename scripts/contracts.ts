// The JSON output's TypeScript types are generated from schemas/*.schema.json, the published contract, so the two
// cannot drift: `npm run contracts` rewrites src/contracts/generated/; test/cli/contracts.test.ts fails when the
// committed files differ from what the schemas give.

import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {compile, type JSONSchema} from 'json-schema-to-typescript'

const ROOT = join(import.meta.dirname, '..')

/** schema file → the name of its root type (the schema's own title is a sentence for people). */
export const CONTRACTS = {diagnose: 'DiagnoseReport', trace: 'TraceReport', topology: 'TopologyReport'} as const

export function generatedFile(name: keyof typeof CONTRACTS): string {
  return join(ROOT, 'src', 'contracts', 'generated', `${name}.ts`)
}

export async function generate(name: keyof typeof CONTRACTS): Promise<string> {
  const schema = JSON.parse(await readFile(join(ROOT, 'schemas', `${name}.schema.json`), 'utf8')) as JSONSchema
  const banner = `// Generated from schemas/${name}.schema.json by \`npm run contracts\`: do not edit, change the schema.`
  return compile({...schema, title: CONTRACTS[name]}, CONTRACTS[name], {
    bannerComment: banner,
    additionalProperties: false,
    unreachableDefinitions: true,
    style: {semi: false, singleQuote: true, bracketSpacing: false, printWidth: 120, trailingComma: 'all'},
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const name of Object.keys(CONTRACTS) as (keyof typeof CONTRACTS)[]) {
    await writeFile(generatedFile(name), await generate(name))
    console.log(`wrote ${generatedFile(name)}`)
  }
}
