import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { assertCfnLintAvailable, describeCfnLintMatches, runCfnLint } from './support/cfn-lint.ts';
import { cdkJsonContext, makeTempDir, stubOutAwsEnvironment, synthesize } from './support/synth.ts';

describe('cfn-lint over every synthesized template', () => {
  const outdir = makeTempDir('cfn-lint');
  let templatePaths: string[];

  beforeAll(() => {
    stubOutAwsEnvironment();
    const { app } = buildApp({ outdir: outdir.path, context: cdkJsonContext() });
    const { assembly, error } = synthesize(app);
    if (assembly === undefined) throw new Error('the app did not synthesize', { cause: error });
    templatePaths = assembly.stacksRecursively.map((stack) => join(assembly.directory, stack.templateFile));
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  it('finds no errors', () => {
    // Prepare
    assertCfnLintAvailable();
    expect(templatePaths.length).toBeGreaterThan(0);

    // Act
    const matches = runCfnLint(templatePaths);

    // Assess
    const errors = matches.filter((match) => match.Level === 'Error');
    expect(errors, describeCfnLintMatches(errors)).toEqual([]);
  });
});
