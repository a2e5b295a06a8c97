// When the CLI reads intent from the OpenStack APIs, and how it says what is wrong with the configuration.

import {describe, expect, it} from 'vitest'
import {InputError} from '../../src/cli/common.js'
import {intentSourceOf, type LiveOptions} from '../../src/cli/live.js'

const base: LiveOptions = {
  concurrency: 8,
  'command-timeout': 60,
  'host-timeout': 600,
  'accept-new': false,
  'log-level': 'silent',
  insecure: false,
  'api-timeout': 30,
  'no-servers': false,
}
const creds = {
  OS_AUTH_URL: 'https://keystone.example.test:5000/v3',
  OS_USERNAME: 'admin',
  OS_PASSWORD: 'not-printed-7731',
  OS_PROJECT_NAME: 'admin',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
}

describe('intent from the APIs', () => {
  it('is off without --openstack, --os-cloud, OS_CLOUD or OS_AUTH_URL', () => {
    expect(intentSourceOf(base, {})).toBeUndefined()
  })

  it('is on when OS_AUTH_URL is set, and --no-openstack turns it off', () => {
    const source = intentSourceOf(base, creds)
    expect(source?.label).toContain('https://keystone.example.test:5000/v3')
    expect(source?.label).not.toContain('not-printed-7731')
    expect(intentSourceOf({...base, openstack: false}, creds)).toBeUndefined()
  })

  it('a configuration it cannot use is an input error that names the problem, not the secret', () => {
    let error: unknown
    try {
      intentSourceOf(
        {...base, openstack: true},
        {OS_AUTH_URL: 'https://keystone.example.test:5000/v3', OS_PASSWORD: 'not-printed-7731'},
      )
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(/^OpenStack API: /)
    expect((error as Error).message).not.toContain('not-printed-7731')
  })
})
