import {configDefaults, defineConfig} from 'vitest/config'

// Two projects: everything else, and the Neutron tier (test/lab/neutron), whose globalSetup tears down the one
// Neutron lab its files share (test/lab/neutron/suite.ts) — it runs only when a Neutron file is selected, so
// `npm run test:unit` or `vitest run test/parsers` never pays for a lab.
//
// The two run side by side: vitest runs each pool's files at once with the other's, so the Neutron tier has the
// `threads` pool to itself (one file at a time — its files share one lab and take turns on its lock anyway) while
// the other files take the `forks` pool. The Neutron tier spends most of its time waiting on the lab's agents (one
// busy core at most), which left a core idle for the 5–7 minutes the rest of the suite then took after it. The Neutron
// files start processes and talk SSH, which worker threads do as child processes do; the CPU-time guards of the
// other files (process.cpuUsage) stay in processes of their own.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 300_000,
    poolOptions: {threads: {maxThreads: 1, minThreads: 1}},
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/lab/neutron/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'neutron',
          include: ['test/lab/neutron/**/*.test.ts'],
          pool: 'threads',
          globalSetup: ['test/lab/neutron/global-setup.ts'],
        },
      },
    ],
  },
})
