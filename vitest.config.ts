import { defineConfig } from 'vitest/config';

/** Unit files that need a module registry of their own: they assert which modules are loaded, or set the environment a module reads on import. */
const isolatedUnitFiles = [
  'test/unit/observability/tracer-disabled.test.ts',
  'test/unit/observability/tracing-outside-lambda.test.ts',
  'test/unit/bundling/lambda-credential-provider.test.ts',
];

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      // Unit files share one module registry per worker (isolate: false): loading each file's imports
      // afresh was three quarters of the unit run (94 s against 23 s). The files that look at what is
      // loaded, or change process.env around an import, keep a registry of their own.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: isolatedUnitFiles, isolate: false } },
      { extends: true, test: { name: 'unit-isolated', include: isolatedUnitFiles } },
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
      // Infra files share one module registry too: each loaded aws-cdk-lib afresh (266 s against 129 s for the project).
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 300_000, isolate: false } },
    ],
  },
});
