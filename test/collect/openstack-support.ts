// Shared by the OpenStack client tests.
import {execFileSync} from 'node:child_process'
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

/** The openssl command is there (to make a private CA). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}
