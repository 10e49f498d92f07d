import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One moto_server, containerd and dockerd per run, started here; a missing one fails the run, never skips.
          globalSetup: ['./test/support/moto-global-setup.ts', './test/support/container-runtimes-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'state-machines',
          include: ['test/state-machines/**/*.test.ts'],
          globalSetup: ['./test/support/moto-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: ['test/e2e/console/**'],
          testTimeout: 120_000,
          globalSetup: ['./test/support/moto-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'console',
          include: ['test/e2e/console/**/*.test.ts'],
          testTimeout: 120_000,
          // Chromium and the built console are checked first: a missing one fails the run once, with a sentence naming it, before moto starts.
          globalSetup: ['./test/support/console-global-setup.ts', './test/support/moto-global-setup.ts'],
        },
      },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 300_000 } },
    ],
  },
});
