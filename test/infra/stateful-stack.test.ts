import { App, CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { historyTableDesign } from '#shared/history/table-design.ts';
import { makeTempDir, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';
import type { SynthesisResult } from './support/synth.ts';
import { onlyResourceOf, resourceById, resourcesOf } from './support/template.ts';
import { StatefulStack, cursorSecretLength } from '#infra/stacks/stateful-stack.ts';
import { workSigningKeyPlaceholder } from '#infra/constructs/work-signing-key.ts';
import { InvalidWorkSigningKeyError, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import type { StatefulStackProps } from '#infra/stacks/stateful-stack.ts';

describe('StatefulStack history table', () => {
  const outdir = makeTempDir('stateful');
  let synthesis: SynthesisResult;
  let template: Template;
  let statefulStack: StatefulStack;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    const built = buildApp({ outdir: outdir.path, context: testContext() });
    statefulStack = built.statefulStack;

    // Act
    synthesis = synthesize(built.app);
    template = Template.fromStack(statefulStack);
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  it('synthesizes with no account, region or credentials in the environment', () => {
    // Assess
    expect(synthesis.error).toBeUndefined();
    const artifact = synthesis.assembly?.getStackByName('ResponseActionsStateful');
    expect(artifact?.environment).toMatchObject({ account: 'unknown-account', region: 'unknown-region' });
  });

  it('holds exactly one table and no physical table name', () => {
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(onlyResourceOf(template, 'AWS::DynamoDB::Table').Properties).not.toHaveProperty('TableName');
  });

  it('keys the table as historyTableDesign says', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: historyTableDesign.partitionKey, KeyType: 'HASH' },
        { AttributeName: historyTableDesign.sortKey, KeyType: 'RANGE' },
      ],
    });
  });

  it('has exactly the global indexes of historyTableDesign, keys only, sharing the createdSk sort key', () => {
    // Prepare
    const expectedIndexes = Object.entries(historyTableDesign.indexes).map(([indexName, index]) => ({
      IndexName: indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    }));
    const table = onlyResourceOf(template, 'AWS::DynamoDB::Table');

    // Assess
    expect(expectedIndexes).toHaveLength(5);
    expect(new Set(expectedIndexes.map((index) => index.KeySchema[1]?.AttributeName))).toEqual(new Set(['createdSk']));
    // Exact equality: no throughput, no extra projected attributes, no index CDK added on its own.
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(expectedIndexes);
    expect(table.Properties).not.toHaveProperty('LocalSecondaryIndexes');
  });

  it('defines every key attribute as a string, and nothing else', () => {
    // Prepare
    const keyAttributes = new Set<string>([
      historyTableDesign.partitionKey,
      historyTableDesign.sortKey,
      ...Object.values(historyTableDesign.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
    ]);
    const table = onlyResourceOf(template, 'AWS::DynamoDB::Table');

    // Assess
    const definitions = table.Properties.AttributeDefinitions as { AttributeName: string; AttributeType: string }[];
    expect(definitions.map((definition) => definition.AttributeName).sort()).toEqual([...keyAttributes].sort());
    expect(definitions.every((definition) => definition.AttributeType === 'S')).toBe(true);
  });

  it('expires items through the TTL attribute of historyTableDesign', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: historyTableDesign.timeToLiveAttribute, Enabled: true },
    });
  });

  it('bills per request, keeps point-in-time recovery and deletion protection on, and encrypts with KMS', () => {
    // Assess
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      // SSEEnabled without a key id: the AWS-managed key aws/dynamodb (see the stack's comment).
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('retains the table when the stack is deleted or the table replaced', () => {
    // Assess
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('exposes the table to later stacks and turns on termination protection', () => {
    // Assess
    expect(statefulStack.historyTable.tableName).toBeTypeOf('string');
    expect(statefulStack.terminationProtection).toBe(true);
  });
});

describe('StatefulStack evidence bucket, cursor secret and work-signing secret', () => {
  /** A stateful stack on its own (no bundling needed), with the given evidence settings. */
  function statefulTemplate(props: StatefulStackProps = {}): Template {
    return Template.fromStack(new StatefulStack(new App({ context: testContext() }), 'Stateful', props));
  }

  let template: Template;
  let stack: StatefulStack;

  beforeAll(() => {
    stack = new StatefulStack(new App({ context: testContext() }), 'Stateful', { evidence: { retentionDays: 365 } });
    template = Template.fromStack(stack);
  });

  function logicalIdOf(construct: IConstruct): string {
    const element = construct.node.defaultChild;
    if (!(element instanceof CfnElement)) throw new Error(`${construct.node.path} has no CloudFormation element`);
    return stack.resolve(element.logicalId) as string;
  }

  function tlsDenials(bucketLogicalId: string): unknown[] {
    const [[, policy] = []] = resourcesOf(template, 'AWS::S3::BucketPolicy').filter(
      ([, candidate]) => JSON.stringify(candidate.Properties.Bucket) === JSON.stringify({ Ref: bucketLogicalId }),
    );
    const statements = (policy?.Properties.PolicyDocument as { Statement: { Effect: string; Condition?: unknown }[] }).Statement;
    return statements.filter((statement) => statement.Effect === 'Deny').map((statement) => statement.Condition);
  }

  it('keeps evidence versioned, KMS-encrypted with a rotated customer key, private, and retained', () => {
    // Prepare
    const bucket = resourceById(template, logicalIdOf(stack.evidence.bucket));
    const key = resourceById(template, logicalIdOf(stack.evidence.key));

    // Assess
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalIdOf(stack.evidence.key), 'Arn'] } },
          },
        ],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('refuses plain HTTP and TLS below 1.2 on both buckets', () => {
    for (const bucket of [stack.evidence.bucket, stack.evidence.accessLogBucket]) {
      // Assess
      expect(tlsDenials(logicalIdOf(bucket))).toEqual(
        expect.arrayContaining([{ Bool: { 'aws:SecureTransport': 'false' } }, { NumericLessThan: { 's3:TlsVersion': 1.2 } }]),
      );
    }
  });

  it('logs server access to a private, encrypted, retained log bucket, expired with the evidence', () => {
    // Prepare
    const bucket = resourceById(template, logicalIdOf(stack.evidence.bucket));
    const logBucket = resourceById(template, logicalIdOf(stack.evidence.accessLogBucket));

    // Assess
    expect(bucket.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalIdOf(stack.evidence.accessLogBucket) },
      LogFilePrefix: 'evidence/',
    });
    expect(logBucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 365, Status: 'Enabled' })] },
    });
    expect(logBucket).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('expires evidence after evidenceRetentionDays, and deleted versions as long after, but never the trail', () => {
    // Act
    const rules = (statefulTemplate({ evidence: { retentionDays: 400 } }).findResources('AWS::S3::Bucket', {
      Properties: { ObjectLockEnabled: true },
    }) as Record<string, { Properties: { LifecycleConfiguration: { Rules: unknown[] } } }>);

    // Assess
    expect(Object.values(rules).map((bucket) => bucket.Properties.LifecycleConfiguration.Rules)).toEqual([
      [
        {
          Id: 'evidence-retention',
          Status: 'Enabled',
          Prefix: 'actions/',
          ExpirationInDays: 400,
          NoncurrentVersionExpiration: { NoncurrentDays: 400 },
        },
        { Id: 'abort-incomplete-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      ],
    ]);
  });

  it('enables Object Lock at creation, with no default retention unless configured', () => {
    // Assess
    const bucket = resourceById(template, logicalIdOf(stack.evidence.bucket));
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties).not.toHaveProperty('ObjectLockConfiguration');
  });

  it.each(['GOVERNANCE', 'COMPLIANCE'] as const)('applies %s default retention for the configured days', (mode) => {
    // Act
    const locked = statefulTemplate({ evidence: { retentionDays: 365, objectLock: { mode, days: 30 } } });

    // Assess
    locked.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, Days: 30 } } },
    });
  });

  it('takes retention and Object Lock from the app context', () => {
    // Prepare
    const scratch = makeTempDir('stateful-context');
    try {
      const built = buildApp({
        outdir: scratch.path,
        context: testContext({ evidenceRetentionDays: '730', evidenceObjectLockDays: '90', evidenceObjectLockMode: 'compliance' }),
      });

      // Act
      const fromContext = Template.fromStack(built.statefulStack);

      // Assess
      fromContext.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 90 } } },
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'actions/', ExpirationInDays: 730 })]) },
      });
    } finally {
      scratch.remove();
    }
  });

  it('generates a retained cursor-signing secret of at least 32 characters, without a physical name', () => {
    // Prepare
    const secret = resourceById(template, logicalIdOf(stack.cursorSecret));
    const { PasswordLength } = secret.Properties.GenerateSecretString as { PasswordLength: number };

    // Assess
    expect(PasswordLength).toBe(cursorSecretLength);
    expect(PasswordLength).toBeGreaterThanOrEqual(32);
    expect(secret.Properties).not.toHaveProperty('Name');
    expect(secret).toMatchObject({ DeletionPolicy: 'Retain' });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('creates a retained work-signing secret holding the placeholder the functions refuse, and outputs its ARN for the operator step', () => {
    // Prepare
    const secret = resourceById(template, logicalIdOf(stack.workSigningKey));
    const outputs = template.findOutputs('WorkSigningKeySecretArn');

    // Assess: never generated by CloudFormation (it cannot make an Ed25519 key), never rotated by a Lambda
    expect(secret.Properties).toMatchObject({ SecretString: workSigningKeyPlaceholder });
    expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
    expect(secret.Properties).not.toHaveProperty('Name');
    expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(() => workSigningKeyFromJwk(JSON.parse(workSigningKeyPlaceholder))).toThrow(InvalidWorkSigningKeyError);
    expect(outputs['WorkSigningKeySecretArn']?.Value).toEqual({ Ref: logicalIdOf(stack.workSigningKey) });
    expect(String(outputs['WorkSigningKeySecretArn']?.Description)).toContain('infra/scripts/work-signing-key.ts ensure');
  });

  it('keeps the placeholder as it is: CloudFormation would overwrite a deployed key if the template\'s value changed', () => {
    // Assess: a change here must be deliberate (see workSigningKeyPlaceholder)
    expect(workSigningKeyPlaceholder).toBe(
      '{"notSet":"put the private Ed25519 JWK here: npx node infra/scripts/work-signing-key.ts ensure --secret-id <this secret> (infra/README.md)"}',
    );
  });

  it('names nothing physically: CloudFormation generates every name', () => {
    // Prepare
    const named = Object.entries((template.toJSON() as { Resources: Record<string, { Properties?: Record<string, unknown> }> }).Resources).filter(
      ([, resource]) => Object.keys(resource.Properties ?? {}).some((property) => ['BucketName', 'TableName', 'Name', 'KeyAlias'].includes(property)),
    );

    // Assess
    expect(named.map(([logicalId]) => logicalId)).toEqual([]);
  });
});
