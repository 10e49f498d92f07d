import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stackNames } from '#infra/build-app.ts';
import { environmentWithoutAws, makeTempDir, projectRoot } from './support/synth.ts';

describe('cdk synth through the CLI (cdk.json → node infra/app.ts)', () => {
  const outdir = makeTempDir('cdk-cli');

  afterAll(() => {
    outdir.remove();
  });

  it('exits 0 with no AWS credentials, profile or region, and writes every stack', () => {
    // Act: --no-notices keeps the run offline; notices stay on for people running the CLI
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', outdir.path], {
      cwd: projectRoot,
      env: environmentWithoutAws(),
      encoding: 'utf8',
      // It bundles every function (36, each an esbuild run): under the shared CI load that took 90-120 s.
      timeout: 280_000,
    });

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.status, `cdk synth failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
    for (const stackName of Object.values(stackNames)) {
      expect(existsSync(join(outdir.path, `${stackName}.template.json`)), stackName).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(outdir.path, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((pluginReport) => pluginReport.violations)).toEqual([]);
  });
});
