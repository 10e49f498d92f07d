import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBudget, measureBundle } from '../../bench/bundles.ts';
import { buildServiceFunctionBundle } from '#infra/bundling/build-service-function-bundle.ts';
import { ServiceFunction } from '#infra/constructs/service-function.ts';
import { markStatusEntry } from '#infra/stacks/service-stack.ts';
import { makeTempDir, testContext } from './support/synth.ts';

describe('bundle budget (bench/bundles.ts)', () => {
  const outdir = makeTempDir('bundles');
  let deployedBundle: Buffer;

  beforeAll(() => {
    // Prepare: what a ServiceFunction ships, bundled for real through CDK's asset staging
    const app = new App({ outdir: join(outdir.path, 'cdk.out'), context: testContext({ 'aws:cdk:bundling-stacks': ['BundleFixture'] }) });
    const stack = new Stack(app, 'BundleFixture');
    new ServiceFunction(stack, 'MarkStatus', { entry: markStatusEntry });
    const assembly = app.synth();
    const template = assembly.getStackByName('BundleFixture').template as { Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }> };
    const code = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function')?.Properties.Code;
    const assetDir = join(assembly.directory, `asset.${(code?.S3Key ?? '').replace(/\.zip$/, '')}`);
    deployedBundle = readFileSync(join(assetDir, 'index.mjs'));
  });

  afterAll(() => {
    outdir.remove();
  });

  it('builds exactly the bundle a ServiceFunction deploys', async () => {
    // Act: the function bench/bundles.ts measures with
    const outfile = await buildServiceFunctionBundle(markStatusEntry, join(outdir.path, 'bench'));

    // Assess: byte for byte, so the budget measures what is deployed
    expect(readFileSync(outfile).equals(deployedBundle)).toBe(true);
  });

  it('measures the size of that bundle and its import in a fresh node process', async () => {
    // Act
    const figures = await measureBundle('MarkStatus', markStatusEntry);

    // Assess
    expect(figures).toMatchObject({ id: 'MarkStatus', entry: markStatusEntry, bytes: deployedBundle.byteLength });
    expect(figures.coldImportMs).toBeGreaterThan(0);
    expect(bundleBudget).toEqual({ bytes: 1024 * 1024, coldImportMs: 300 });
  });
});
