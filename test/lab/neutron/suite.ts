// One Neutron demo lab per describe block: brought up (after clearing what an interrupted run left) before the tests,
// torn down after them even when they fail, with a scratch directory of its own.

import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll} from 'vitest'
import {type NeutronLab, neutronLab, type NeutronLabOptions, type NeutronLabVm} from './control.js'

export interface DemoLab {
  lab: NeutronLab
  vms(): NeutronLabVm[]
  scratch(): string
}

export function useDemoLab(opts: NeutronLabOptions, scratchPrefix: string): DemoLab {
  const lab = neutronLab(opts)
  let vms: NeutronLabVm[] = []
  let scratch = ''
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), scratchPrefix))
    await lab.down()
    await lab.up()
    vms = await lab.demo()
  }, 900_000)
  afterAll(async () => {
    await lab.down()
    if (scratch) rmSync(scratch, {recursive: true, force: true})
  }, 300_000)
  return {lab, vms: () => vms, scratch: () => scratch}
}
