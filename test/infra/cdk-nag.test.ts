import { Stack, Validations } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { cdkJsonContext, describeFindings, makeTempDir, stubOutAwsEnvironment, synthesize } from './support/synth.ts';

describe('cdk-nag (AwsSolutions and Serverless packs, registered by buildApp)', () => {
  const outdirs: { remove: () => void }[] = [];
  const newOutdir = (prefix: string): string => {
    const outdir = makeTempDir(prefix);
    outdirs.push(outdir);
    return outdir.path;
  };

  afterEach(() => {
    vi.unstubAllEnvs();
    for (const outdir of outdirs.splice(0)) outdir.remove();
  });

  it('finds nothing unacknowledged, error or warning, in any stack of the app', () => {
    // Prepare
    stubOutAwsEnvironment();
    const { app } = buildApp({ outdir: newOutdir('nag'), context: cdkJsonContext() });

    // Act
    const { error, findings } = synthesize(app);

    // Assess
    expect(error).toBeUndefined();
    expect(findings, describeFindings(findings)).toEqual([]);
  });

  it('reports a non-compliant resource, so the clean result above means something', () => {
    // Prepare: a bucket that accepts plain HTTP (AwsSolutions-S10) and keeps no access logs (S1)
    stubOutAwsEnvironment();
    const { app } = buildApp({ outdir: newOutdir('nag-negative'), context: cdkJsonContext() });
    const stack = new Stack(app, 'NonCompliant');
    new Bucket(stack, 'PlainHttpBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    });

    // Act
    const { error, findings } = synthesize(app);

    // Assess: the report names the rule and the resource, and an error-level finding fails synthesis
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          plugin: 'AwsSolutions',
          rule: 'AwsSolutions-S10',
          severity: 'error',
          constructPaths: ['NonCompliant/PlainHttpBucket/Resource'],
        }),
      ]),
    );
    expect(error?.message).toContain('AwsSolutions-S10');
  });

  it('reports warning-level findings too, and they fail synthesis as well', () => {
    // Prepare: a log group that keeps events forever (Serverless-CloudWatchLogGroupRetentionPeriod, a warning)
    stubOutAwsEnvironment();
    const { app } = buildApp({ outdir: newOutdir('nag-warning'), context: cdkJsonContext() });
    const stack = new Stack(app, 'WarningOnly');
    new LogGroup(stack, 'ForeverLogs', { retention: RetentionDays.INFINITE });

    // Act
    const { error, findings } = synthesize(app);

    // Assess: a pack marks its report failed on any violation, so a warning stops `cdk synth` too
    expect(findings).toContainEqual(
      expect.objectContaining({
        rule: 'Serverless-CloudWatchLogGroupRetentionPeriod',
        severity: 'warning',
        constructPaths: ['WarningOnly/ForeverLogs/Resource'],
      }),
    );
    expect(error?.message).toContain('Serverless-CloudWatchLogGroupRetentionPeriod');
  });

  it('honours an acknowledgement with a reason, and records it in the report', () => {
    // Prepare
    stubOutAwsEnvironment();
    const { app } = buildApp({ outdir: newOutdir('nag-acknowledged'), context: cdkJsonContext() });
    const stack = new Stack(app, 'Acknowledged');
    const bucket = new Bucket(stack, 'Bucket', { enforceSSL: true, blockPublicAccess: BlockPublicAccess.BLOCK_ALL });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'test: access logs not wanted here' });

    // Act
    const { error, findings, acknowledged } = synthesize(app);

    // Assess
    expect(error).toBeUndefined();
    expect(findings, describeFindings(findings)).toEqual([]);
    expect(acknowledged).toContainEqual(
      expect.objectContaining({ rule: 'AwsSolutions-S1', reason: 'test: access logs not wanted here', acknowledgedAt: 'Acknowledged/Bucket' }),
    );
  });
});
