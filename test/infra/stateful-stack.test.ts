import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { historyTableDesign } from '#shared/history/table-design.ts';
import { cdkJsonContext, makeTempDir, stubOutAwsEnvironment, synthesize } from './support/synth.ts';
import type { SynthesisResult } from './support/synth.ts';
import { onlyResourceOf } from './support/template.ts';
import type { StatefulStack } from '#infra/stacks/stateful-stack.ts';

describe('StatefulStack history table', () => {
  const outdir = makeTempDir('stateful');
  let synthesis: SynthesisResult;
  let template: Template;
  let statefulStack: StatefulStack;

  beforeAll(() => {
    // Prepare
    stubOutAwsEnvironment();
    const built = buildApp({ outdir: outdir.path, context: cdkJsonContext() });
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
