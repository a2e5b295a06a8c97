// Credentials held so that no log, message or file shows them.

import {inspect} from 'node:util'

const REDACTED = '[redacted]'

/** A credential. Printing, logging or serialising it gives "[redacted]"; only `reveal()` gives the value. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    this.#value = value
  }
  reveal(): string {
    return this.#value
  }
  toString(): string {
    return REDACTED
  }
  toJSON(): string {
    return REDACTED
  }
  [inspect.custom](): string {
    return REDACTED
  }
}

/** `text` with every occurrence of a secret's value replaced. */
export function scrub(text: string, secrets: readonly Secret[]): string {
  let out = text
  for (const s of secrets) {
    const v = s.reveal()
    if (v.length >= 3) out = out.split(v).join(REDACTED)
  }
  return out
}
