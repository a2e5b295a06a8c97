// Shell commands in remedies: an operator pastes them, so every name in them is quoted as one word (shell-quote), and a
// name no host would legitimately give — a control character, an option-like leading '-', empty or absurdly long — is
// refused: the remedy then says so instead of printing a command.

import {quote} from 'shell-quote'
import {escapeTerminal, hasControl} from './escape.js'

const MAX_NAME = 256

/** Why this value may not go into a command, or undefined when it may. */
function refusedName(value: string | number): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? undefined : 'it is not a whole number'
  if (!value) return 'it is empty'
  if (value.length > MAX_NAME) return `it is ${value.length} characters long`
  if (hasControl(value)) return 'it contains control characters'
  if (value.startsWith('-')) return "it starts with '-' and would be read as an option"
  return undefined
}

/** Characters no POSIX shell treats specially in a word (Python's shlex.quote uses the same set): such words stay bare,
 * so `table=0,priority=1,actions=NORMAL` reads as written rather than as shell-quote's `table\=0\,priority…`. */
const PLAIN = /^[\w@%+=:,./-]+$/

/** One shell word: the value quoted so the shell reads it back unchanged ($(...), `;`, spaces and quotes included). */
export function shellWord(value: string | number): string {
  const text = String(value)
  return PLAIN.test(text) ? text : quote([text])
}

/** A command for an operator to paste: the template's text as written, each interpolated value quoted as one shell
 * word — or, when a value fails validation, a sentence saying why no command is printed.
 *   sh`ovs-vsctl set Port ${port} tag=${vlan}` */
export function sh(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  for (const v of values) {
    const why = refusedName(v)
    if (why !== undefined)
      return `[no command printed: the name "${escapeTerminal(String(v).slice(0, 80))}" is not safe to paste: ${why}]`
  }
  return strings.reduce((out, s, i) => out + s + (i < values.length ? shellWord(values[i]) : ''), '')
}
