// globalSetup of the `neutron` vitest project (vitest.config.ts): runs only when a file of test/lab/neutron is part
// of the run. It gives the run an id (the shared lab is built once per id, lazily, by the first test file that calls
// useSharedLab) and, when the run ends, tears down the shared lab if this run built it (NEUTRACE_NLAB_KEEP=1 leaves
// it up for the next run to reuse).

import {randomUUID} from 'node:crypto'
import {rmSync} from 'node:fs'
import type {TestProject} from 'vitest/node'
import {readSharedState, sharedLab, sharedStatePath} from './shared.js'

export default function setup(project: TestProject): () => Promise<void> {
  const run = randomUUID()
  project.provide('nlabRun', run)
  return async () => {
    const lab = sharedLab()
    const state = readSharedState(lab)
    if (state?.run !== run || process.env.NEUTRACE_NLAB_KEEP === '1') return
    await lab.down()
    rmSync(sharedStatePath(lab), {force: true})
  }
}
