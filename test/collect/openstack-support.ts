// Shared by the OpenStack client tests.
import {Writable} from 'node:stream'
import pino from 'pino'
import {expect} from 'vitest'
import {OpenStackError} from '../../src/collect/openstack/index.js'

/** The OpenStackError `p` rejects with. */
export async function failure(p: Promise<unknown>): Promise<OpenStackError> {
  try {
    await p
  } catch (error) {
    expect(error).toBeInstanceOf(OpenStackError)
    return error as OpenStackError
  }
  throw new Error('expected a rejection')
}

/** A pino logger writing into memory, and the text it wrote (JSON lines). */
export function capturingLogger(): {logger: pino.Logger; text: () => string} {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return {logger: pino({level: 'debug'}, stream), text: () => lines.join('')}
}
