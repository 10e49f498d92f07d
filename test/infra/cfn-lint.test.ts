import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { assertCfnLintAvailable, describeCfnLintMatches, runCfnLint } from './support/cfn-lint.ts';
import { fullyConfigured } from './support/deployments.ts';
import { makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';

describe('cfn-lint over every synthesized template', () => {
  const outdirs = [makeTempDir('cfn-lint-defaults'), makeTempDir('cfn-lint-configured')];
  let templatePaths: string[];

  beforeAll(() => {
    // The defaults and a deployment that sets everything (Object Lock, target accounts, ...), linted in one run.
    stubOutAwsEnvironment();
    const contexts = [testContext(), testContext(fullyConfigured)];
    templatePaths = contexts.flatMap((context, index) => {
      const { app } = buildApp({ outdir: outdirs[index]?.path ?? '', context });
      const { assembly, error } = synthesize(app);
      if (assembly === undefined) throw new Error('the app did not synthesize', { cause: error });
      return assembly.stacksRecursively.map((stack) => join(assembly.directory, stack.templateFile));
    });
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    for (const outdir of outdirs) outdir.remove();
  });

  it('finds no errors', () => {
    // Prepare
    assertCfnLintAvailable();
    expect(templatePaths).toHaveLength(8);

    // Act
    const matches = runCfnLint(templatePaths);

    // Assess
    const errors = matches.filter((match) => match.Level === 'Error');
    expect(errors, describeCfnLintMatches(errors)).toEqual([]);
  });
});
