// Prints the plain closing line `N passed, N failed[, N skipped]` after vitest's own summary, so any CI reads it.

import type {Reporter, TestModule} from 'vitest/node'

export default class SummaryReporter implements Reporter {
  private line = ''

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
    }
    this.line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`
    // The default reporter prints its summary after this hook returns; print ours last.
    process.once('beforeExit', () => process.stdout.write(`\n${this.line}\n`))
  }
}
