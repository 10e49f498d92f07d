import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { HISTORY_TABLE_NAME_ENV, grantHistoryTable, historyTableActions } from '#infra/constructs/grant-history-table.ts';
import type { HistoryTableAccess } from '#infra/constructs/grant-history-table.ts';
import { ServiceFunction } from '#infra/constructs/service-function.ts';
import { historyTableDesign } from '#shared/history/table-design.ts';
import { assertCfnLintAvailable, describeCfnLintMatches, runCfnLint } from './support/cfn-lint.ts';
import { describeFindings, makeTempDir, projectRoot, stubOutAwsEnvironment, synthesize, testContext } from './support/synth.ts';
import type { SynthesisResult } from './support/synth.ts';
import { resourceById, resourcesOf } from './support/template.ts';

const fixtureEntry = join(projectRoot, 'test/fixtures/infra/echo-handler.ts');

describe('ServiceFunction', () => {
  const outdir = makeTempDir('service-function');
  let synthesis: SynthesisResult;
  let assembly: CloudAssembly;
  let template: Template;

  beforeAll(() => {
    // Prepare: the real app (so the cdk-nag packs run) plus a throwaway stack using the construct
    stubOutAwsEnvironment();
    // Only the fixture stack is bundled: its bundle is what this file checks.
    const { app, statefulStack } = buildApp({ outdir: outdir.path, context: testContext({ 'aws:cdk:bundling-stacks': ['ServiceFunctionFixture'] }) });
    const stack = new Stack(app, 'ServiceFunctionFixture');
    const echo = new ServiceFunction(stack, 'Echo', { entry: fixtureEntry });
    new ServiceFunction(stack, 'ShortLived', { entry: fixtureEntry, logRetention: RetentionDays.ONE_WEEK });
    grantHistoryTable(echo, statefulStack.historyTable, 'readWrite');
    // What a later stack does in its one place for acknowledgements:
    Validations.of(stack).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: 'Fixture functions are only ever invoked synchronously; the caller receives the error.',
    });

    // Act
    synthesis = synthesize(app);
    if (synthesis.assembly === undefined) throw new Error('fixture app did not synthesize', { cause: synthesis.error });
    assembly = synthesis.assembly;
    template = Template.fromStack(stack);
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    outdir.remove();
  });

  it('runs Node.js 24 on arm64 with active tracing, source maps and the default memory and timeout', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 20,
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  it('logs to its own log group, kept one month by default or as long as asked', () => {
    // Prepare
    const retentionByFunction = Object.fromEntries(
      resourcesOf(template, 'AWS::Lambda::Function').map(([logicalId, fn]) => {
        const loggingConfig = fn.Properties.LoggingConfig as { LogGroup: { Ref: string } };
        const logGroup = resourceById(template, loggingConfig.LogGroup.Ref);
        return [logicalId.replace(/[0-9A-F]{8}$/, ''), logGroup.Properties.RetentionInDays];
      }),
    );

    // Assess
    expect(retentionByFunction).toEqual({ Echo: 30, ShortLived: 7 });
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
  });

  it('has a role without managed policies that writes only to its own log group', () => {
    // Assess
    for (const [, role] of resourcesOf(template, 'AWS::IAM::Role')) {
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ShortLivedLogGroup'), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('bundles an ES module with a source map that runs the handler', async () => {
    // Prepare
    const [, fn] = resourcesOf(template, 'AWS::Lambda::Function')[0] ?? [];
    const s3Key = (fn?.Properties.Code as { S3Key: string }).S3Key;
    const assetDir = join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
    const bundle = join(assetDir, 'index.mjs');

    // Act
    const bundled = readFileSync(bundle, 'utf8');
    const handlerModule = (await import(pathToFileURL(bundle).href)) as {
      handler: (event: { name?: string }) => Promise<unknown>;
    };

    // Assess
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    expect(bundled).toContain('createRequire');
    expect(bundled).toContain('import.meta.url');
    expect(bundled).toMatch(/export\s*\{[^}]*\bas handler\b/);
    expect(bundled).not.toContain('module.exports');
    await expect(handlerModule.handler({ name: 'bundle' })).resolves.toEqual({
      greeting: 'hello bundle',
      partitionKey: historyTableDesign.partitionKey,
    });
  });

  it('leaves no unacknowledged cdk-nag finding; only X-Ray\'s wildcard and the stack\'s DLQ choice are acknowledged', () => {
    // Assess
    expect(synthesis.findings, describeFindings(synthesis.findings)).toEqual([]);
    const acknowledged = synthesis.acknowledged
      .filter((finding) => finding.constructPaths.some((path) => path.startsWith('ServiceFunctionFixture/')))
      .map((finding) => `${finding.rule} @ ${finding.acknowledgedAt}`);
    expect(acknowledged.sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*] @ ServiceFunctionFixture/EchoRole',
      'AwsSolutions-IAM5[Resource::*] @ ServiceFunctionFixture/ShortLivedRole',
      'Serverless-LambdaDLQ @ ServiceFunctionFixture',
    ].sort());
  });

  it('passes cfn-lint with no errors', () => {
    // Prepare
    assertCfnLintAvailable();
    const templatePath = join(assembly.directory, assembly.getStackByName('ServiceFunctionFixture').templateFile);

    // Act
    const errors = runCfnLint([templatePath]).filter((match) => match.Level === 'Error');

    // Assess
    expect(errors, describeCfnLintMatches(errors)).toEqual([]);
  });

  it('fails synthesis when anything but X-Ray is granted on "*", so the acknowledgement cannot hide it', () => {
    // Prepare
    const scratch = makeTempDir('service-function-wildcard');
    const stack = new Stack(new App({ outdir: scratch.path, context: testContext() }), 'Wildcard');
    const fn = new ServiceFunction(stack, 'Greedy', { entry: fixtureEntry });
    fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }));

    // Act
    const act = (): unknown => Template.fromStack(stack);

    // Assess
    try {
      expect(act).toThrow(/s3:ListAllMyBuckets granted on "\*"/);
    } finally {
      scratch.remove();
    }
  });
});

describe('grantHistoryTable', () => {
  const indexArnSuffixes = Object.keys(historyTableDesign.indexes).map((indexName) => `/index/${indexName}`);

  function grantTemplate(access: HistoryTableAccess, encryption: TableEncryption): Template {
    const scratch = makeTempDir('grant-history-table');
    const stack = new Stack(new App({ outdir: scratch.path, context: testContext() }), 'Grant');
    const table = new Table(stack, 'History', {
      partitionKey: { name: historyTableDesign.partitionKey, type: AttributeType.STRING },
      encryption,
      ...(encryption === TableEncryption.CUSTOMER_MANAGED ? { encryptionKey: new Key(stack, 'Key', { enableKeyRotation: true }) } : {}),
    });
    const fn = new ServiceFunction(stack, 'Reader', { entry: fixtureEntry });
    grantHistoryTable(fn, table, access);
    try {
      return Template.fromStack(stack);
    } finally {
      scratch.remove();
    }
  }

  /** The grant's statement: the one naming dynamodb actions, with its resources flattened to strings. */
  function dynamoStatement(template: Template): { actions: string[]; resources: string[] } {
    const [, policy] = resourcesOf(template, 'AWS::IAM::Policy')[0] ?? [];
    const document = policy?.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] };
    const statement = document.Statement.find((candidate) => JSON.stringify(candidate.Action).includes('dynamodb:'));
    if (statement === undefined) throw new Error('no dynamodb statement');
    const resources = (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map((resource) =>
      JSON.stringify(resource),
    );
    return { actions: [statement.Action].flat(), resources };
  }

  it.each(['read', 'readWrite'] as const)('sets %s access on the table and each named index, without wildcards', (access) => {
    // Act
    const template = grantTemplate(access, TableEncryption.AWS_MANAGED);
    const { actions, resources } = dynamoStatement(template);

    // Assess
    expect(actions.sort()).toEqual([...historyTableActions[access]].sort());
    expect(actions).not.toContain('dynamodb:Scan');
    expect(resources).toHaveLength(1 + indexArnSuffixes.length);
    for (const suffix of indexArnSuffixes) expect(resources.some((resource) => resource.includes(`"${suffix}"`))).toBe(true);
    expect(resources.join()).not.toContain('*');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [HISTORY_TABLE_NAME_ENV]: { Ref: Match.stringLikeRegexp('^History') } }) },
    });
  });

  it('sets statusUpdate access (the state machine steps) on the table alone: GetItem and UpdateItem', () => {
    // Act
    const template = grantTemplate('statusUpdate', TableEncryption.AWS_MANAGED);
    const { actions, resources } = dynamoStatement(template);

    // Assess: no index, no create, no delete, no query
    expect(actions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(resources).toHaveLength(1);
    expect(resources.join()).not.toContain('index');
  });

  it('adds the key grant when the table uses a customer key', () => {
    // Act
    const template = grantTemplate('read', TableEncryption.CUSTOMER_MANAGED);

    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } }),
        ]),
      },
    });
  });
});
