import { Stack, Validations } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { describeFindings, makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';
import type { SynthesisResult } from './support/synth.ts';

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

  /** The app as `cdk synth` builds it by default, synthesized once for the tests that only read it. */
  const defaultOutdir = makeTempDir('nag-default');
  let defaultSynthesis: SynthesisResult | undefined;
  function synthesizeDefaultApp(): SynthesisResult {
    stubOutAwsEnvironment();
    defaultSynthesis ??= synthesize(buildApp({ outdir: defaultOutdir.path, context: testContext() }).app);
    return defaultSynthesis;
  }

  afterAll(() => {
    defaultOutdir.remove();
  });

  it('finds nothing unacknowledged, error or warning, in any stack of the app', () => {
    // Act
    const { error, findings } = synthesizeDefaultApp();

    // Assess
    expect(error).toBeUndefined();
    expect(findings, describeFindings(findings)).toEqual([]);
  });

  it('accepts only a short list of rules, each acknowledgement with a specific reason of its own', () => {
    // Act
    const { acknowledged } = synthesizeDefaultApp();
    const rules = new Set(acknowledged.map((finding) => finding.rule.replace(/\[.*$/, '')));

    // Assess: anything else must be fixed, not acknowledged
    expect([...rules].sort()).toEqual([
      // The console's distribution: geo restriction, WAF, and the default certificate's TLS policy (console-site.ts).
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR4',
      'AwsSolutions-IAM5',
      // CDK's bucket deployment handler (the console's files): its runtime is CDK's.
      'AwsSolutions-L1',
      'AwsSolutions-SMG4',
      'Serverless-EventBusDLQ',
      // The finding events' ingest function: its DLQ takes what fails after Lambda's retries (findings-ingest.ts).
      'Serverless-LambdaAsyncFailureDestination',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaLatestVersion',
      'Serverless-LambdaTracing',
      'Serverless-SQSRedrivePolicy',
    ]);
    for (const finding of acknowledged) {
      expect(finding.reason.length, `${finding.rule} @ ${finding.acknowledgedAt}`).toBeGreaterThanOrEqual(80);
    }
    // On the service's roles, "*" is acknowledged only where a guard fails synthesis on anything
    // beyond logs and X-Ray (a member policy's "*" is checked against IAM's data in its own test).
    const serviceStar = acknowledged.filter(
      (candidate) => candidate.rule === 'AwsSolutions-IAM5[Resource::*]' && candidate.acknowledgedAt.startsWith('ResponseActionsService/'),
    );
    expect(serviceStar.length).toBeGreaterThan(0);
    for (const finding of serviceStar) {
      expect(finding.reason).toMatch(/fails synthesis if any(thing)? (other action|else) is granted on "\*"/);
    }
  });

  it('acknowledges the responder queue wildcard only where it is granted, each with why queues cannot be named', () => {
    // Act
    const { acknowledged } = synthesizeDefaultApp();
    const queueWildcards = acknowledged.filter((finding) => finding.rule.startsWith('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:'));

    // Assess: the three queue routes, the queue-access role, the sweep and dispatch-work, on <prefix>-* of this account and region only
    expect(queueWildcards.map((finding) => finding.acknowledgedAt).sort()).toEqual([
      'ResponseActionsService/Api/DeregisterResponderRole',
      'ResponseActionsService/Api/RegisterResponderRole',
      'ResponseActionsService/Api/ResponderQueueAccess',
      'ResponseActionsService/Api/ResponderQueueCredentialsRole',
      'ResponseActionsService/Responder/DispatchFunctionRole',
      'ResponseActionsService/SweepRespondersRole',
    ]);
    for (const finding of queueWildcards) {
      expect(finding.rule).toBe('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:ResponseActions-*]');
      expect(finding.reason).toMatch(/one per host and per Kubernetes cluster .* created on demand/);
    }
  });

  it('acknowledges the work-signing secret\'s missing rotation Lambda with the two-step rotation instead', () => {
    // Act
    const { acknowledged } = synthesizeDefaultApp();

    // Assess
    expect(acknowledged).toContainEqual(
      expect.objectContaining({
        rule: 'AwsSolutions-SMG4',
        acknowledgedAt: 'ResponseActionsStateful/WorkSigningKey',
        reason: expect.stringMatching(/responders must trust the new key before it signs anything/) as unknown,
      }),
    );
  });

  it('reports a non-compliant resource, so the clean result above means something', () => {
    // Prepare: a bucket that accepts plain HTTP (AwsSolutions-S10) and keeps no access logs (S1)
    stubOutAwsEnvironment();
    const { app } = buildApp({ outdir: newOutdir('nag-negative'), context: testContext() });
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
    const { app } = buildApp({ outdir: newOutdir('nag-warning'), context: testContext() });
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
    const { app } = buildApp({ outdir: newOutdir('nag-acknowledged'), context: testContext() });
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
