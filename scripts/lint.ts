// `npm run lint`: ESLint, then Prettier's check. The format checks (Prettier's, and ESLint's max-len of 120) wait for
// the one-time `npm run format` of the whole tree (made once, at the end of the parallel work, so no branch reformats
// files another is editing): until then they run only with NEUTRACE_FORMAT_CHECK=on. After that commit,
// FORMAT_CHECK_DEFAULT becomes 'on' and NEUTRACE_FORMAT_CHECK=off skips them.

import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

const ROOT = join(import.meta.dirname, '..')
export const FORMAT_CHECK_DEFAULT: 'on' | 'off' = 'on'

export function formatCheckOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NEUTRACE_FORMAT_CHECK ?? FORMAT_CHECK_DEFAULT) === 'on'
}

/** The environment the linters run in: eslint.config.js reads NEUTRACE_FORMAT_CHECK for max-len. */
export function lintEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {...env, NEUTRACE_FORMAT_CHECK: formatCheckOn(env) ? 'on' : 'off'}
}

function tool(bin: string, args: string[]): number {
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', ...bin.split('/')), ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: lintEnv(),
  })
  return result.status ?? 1
}

export function lint(): number {
  const eslint = tool('eslint/bin/eslint.js', ['.'])
  const prettier = formatCheckOn() ? tool('prettier/bin/prettier.cjs', ['--check', '.']) : 0
  if (!formatCheckOn())
    console.log('prettier --check skipped until the one-time `npm run format` (NEUTRACE_FORMAT_CHECK=on runs it)')
  return eslint || prettier
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exit(lint())
