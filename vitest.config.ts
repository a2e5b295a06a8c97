import {configDefaults, defineConfig} from 'vitest/config'

// Two projects: everything else, and the Neutron tier (test/lab/neutron), whose globalSetup tears down the one
// Neutron lab its files share (test/lab/neutron/suite.ts) — it runs only when a Neutron file is selected, so
// `npm run test:unit` or `vitest run test/parsers` never pays for a lab.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 300_000,
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
          globalSetup: ['test/lab/neutron/global-setup.ts'],
        },
      },
    ],
  },
})
