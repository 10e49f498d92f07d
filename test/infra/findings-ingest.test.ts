/**
 * Findings in, on AWS (issue 12, item 6): the EventBridge rules on the default bus for each
 * accepted source and detail type, their one target with its retry policy and dead-letter queue,
 * the alarms, the ingest function's grants and environment, and the cross-account bus policy.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { findingEventMaxAge, findingsIngest, exemptionsRolePath } from '#infra/constructs/findings-ingest.ts';
import { grantExemptions } from '#infra/constructs/grant-automation.ts';
import { ServiceFunction } from '#infra/constructs/service-function.ts';
import { parseContent } from '#shared/automation/load-rules.ts';
import { acceptedDetailTypes } from '#shared/findings/eventbridge-schema.ts';
import { configuredPlaybooksFile, configuredRulesFile } from './support/deployments.ts';
import { evaluate, symbolic } from './support/intrinsics.ts';
import { built, expectedRouteGrants, grantsOf, trailGrants, logicalIdOf, render, resourceOf, settings, synthesis, template, useServiceStack } from './support/service-stack-synthesis.ts';
import { describeFindings, testContext } from './support/synth.ts';
import { resourcesOf } from './support/template.ts';

useServiceStack();

const sixHours = 6 * 3600;

describe('findings in (FindingsIngest)', () => {
  it('synthesizes with no unacknowledged cdk-nag finding', () => {
    // Assess
    expect(synthesis.error).toBeUndefined();
    expect(synthesis.findings, describeFindings(synthesis.findings)).toEqual([]);
  });

  it('has one rule on the default bus per accepted source and detail type, the OCSF V2 events included, each matching exactly its own', () => {
    // Prepare
    const rules = resourcesOf(template, 'AWS::Events::Rule').filter(([, rule]) => /aws\.(guardduty|securityhub)/.test(JSON.stringify(rule.Properties.EventPattern ?? {})));

    // Assess: AWS's documented sources and detail types (GuardDuty and Security Hub user guides, "EventBridge event formats")
    expect(Object.entries(acceptedDetailTypes).flatMap(([source, types]) => types.map((type) => `${source}/${type}`)).sort()).toEqual([
      'aws.guardduty/GuardDuty Finding',
      'aws.securityhub/Findings Imported V2',
      'aws.securityhub/Security Hub Findings - Custom Action',
      'aws.securityhub/Security Hub Findings - Imported',
    ]);
    expect(rules.map(([, rule]) => rule.Properties.EventPattern)).toEqual(
      expect.arrayContaining(Object.entries(acceptedDetailTypes).flatMap(([source, types]) => types.map((type) => ({ source: [source], 'detail-type': [type] })))),
    );
    expect(rules).toHaveLength(4);
    for (const [, rule] of rules) {
      // No EventBusName: the account's default bus, where GuardDuty and Security Hub send.
      expect(rule.Properties.EventBusName).toBeUndefined();
      expect(rule.Properties.State).toBe('ENABLED');
    }
  });

  it('targets the ingest function from every rule, with a retry policy and the dead-letter queue', () => {
    // Prepare
    const { function: fn, deadLetterQueue } = built.serviceStack.findings;
    const rules = Object.values(built.serviceStack.findings.rules);

    // Assess
    expect(rules).toHaveLength(4);
    for (const rule of rules) {
      expect(resourceOf(rule).Properties.Targets).toEqual([
        {
          Id: 'Target0',
          Arn: { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: sixHours, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(deadLetterQueue), 'Arn'] } },
        },
      ]);
    }
    expect(findingEventMaxAge.toSeconds()).toBe(sixHours);
  });

  it('lets only these rules invoke the function, and retries a failed run twice before the same dead-letter queue', () => {
    // Prepare
    const { function: fn, deadLetterQueue } = built.serviceStack.findings;
    const fnRef = { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] };
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').filter(([, permission]) => JSON.stringify(permission.Properties.FunctionName) === JSON.stringify(fnRef));
    const invokeConfigs = resourcesOf(template, 'AWS::Lambda::EventInvokeConfig').filter(([, config]) => JSON.stringify(config.Properties.FunctionName) === JSON.stringify({ Ref: logicalIdOf(fn) }));

    // Assess
    expect(permissions.map(([, permission]) => permission.Properties).sort((a, b) => JSON.stringify(a.SourceArn).localeCompare(JSON.stringify(b.SourceArn)))).toEqual(
      Object.values(built.serviceStack.findings.rules)
        .map((rule) => ({ Action: 'lambda:InvokeFunction', FunctionName: fnRef, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [logicalIdOf(rule), 'Arn'] } }))
        .sort((a, b) => JSON.stringify(a.SourceArn).localeCompare(JSON.stringify(b.SourceArn))),
    );
    expect(invokeConfigs.map(([, config]) => config.Properties)).toEqual([
      { FunctionName: { Ref: logicalIdOf(fn) }, Qualifier: '$LATEST', MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: sixHours },
    ]);
    expect(resourceOf(fn).Properties).toMatchObject({ DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalIdOf(deadLetterQueue), 'Arn'] } }, Timeout: 300 });
  });

  it('keeps dead letters encrypted, for 14 days, reachable over TLS only, and alarms on any visible one', () => {
    // Prepare
    const { deadLetterQueue } = built.serviceStack.findings;
    const queueRef = { Ref: logicalIdOf(deadLetterQueue) };
    const policies = resourcesOf(template, 'AWS::SQS::QueuePolicy').filter(([, policy]) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([queueRef]));
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter(([, alarm]) => JSON.stringify(alarm.Properties.Dimensions ?? []).includes(JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(deadLetterQueue), 'QueueName'] })));

    // Assess
    expect(resourceOf(deadLetterQueue).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    expect(JSON.stringify(policies.map(([, policy]) => policy.Properties.PolicyDocument))).toContain('"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"');
    expect(alarms.map(([, alarm]) => alarm.Properties)).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: logicalIdOf(built.serviceStack.alarmTopic) }],
      }),
    ]);
  });

  it('counts the events the target refuses for good, and alarms on any', () => {
    // Prepare
    const filters = resourcesOf(template, 'AWS::Logs::MetricFilter').filter(([, filter]) => JSON.stringify(filter.Properties.LogGroupName) === JSON.stringify({ Ref: logicalIdOf(built.serviceStack.findings.function.logGroup) }));

    // Assess
    expect(filters.map(([, filter]) => filter.Properties)).toEqual([
      {
        LogGroupName: { Ref: logicalIdOf(built.serviceStack.findings.function.logGroup) },
        FilterPattern: '{ $.message = "a finding event was refused and will not be retried" }',
        MetricTransformations: [{ MetricNamespace: 'ResponseActionsService', MetricName: 'FindingEventsRefused', MetricValue: '1' }],
      },
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'ResponseActionsService', MetricName: 'FindingEventsRefused', Threshold: 1 });
  });

  it('grants the ingest function exactly its needs, on the exemptions role path', () => {
    // Prepare
    const fn = built.serviceStack.findings.function;

    // Assess
    // A rule may run a playbook: it starts the playbook machine, and nothing more of it.
    expect(findingsIngest.needs).toEqual(['history:write', 'start-work', 'cloud-plans', 'exemptions', 'automation-rules', 'playbook-runs']);
    // Its needs', and sending to its dead-letter queue (Lambda sends what fails after the retries as the function).
    expect(grantsOf(fn)).toEqual([...new Set([...expectedRouteGrants(findingsIngest, fn), ...trailGrants(), `Allow sqs:SendMessage on ${render(built.serviceStack.findings.deadLetterQueue.queueArn)}`])].sort());
    expect(grantsOf(fn).filter((grant) => grant.startsWith('Allow sts:AssumeRole'))).toEqual(
      ['111111111111', '222222222222'].map((id) => `Allow sts:AssumeRole on arn:<AWS::Partition>:iam::${id}:role/SecurityResponseMember-exemptions`),
    );
    expect(resourceOf(fn.executionRole).Properties.Path).toBe(exemptionsRolePath('ResponseActionsService'));
  });

  it('gives the ingest function the environment its wiring reads, and the rules file shipped in its bundle', () => {
    // Prepare
    const fn = built.serviceStack.findings.function;
    const variables = evaluate((resourceOf(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables, symbolic) as Record<string, string>;

    // Assess
    expect(Object.keys(variables).sort()).toEqual(
      [
        'NODE_OPTIONS', 'HISTORY_TABLE_NAME', 'CLOUD_ACTION_STATE_MACHINES', 'RESPONDER_STATE_MACHINE_ARN', 'PICKUP_DEADLINE_SECONDS', 'COMPLETION_DEADLINE_SECONDS',
        'APPROVAL_REQUIRED', 'APPROVAL_TTL_SECONDS', 'CLOUD_PLAN_FUNCTIONS', 'TARGET_ACCOUNTS', 'MEMBER_ROLE_NAME', 'MEMBER_ROLE_EXTERNAL_ID', 'PROTECTED_TARGETS', 'AUTOMATION_RULES',
        'AUTOMATION_RULES_SHA256', 'PLAYBOOKS', 'PLAYBOOKS_SHA256', 'PLAYBOOK_RUN_DEADLINE_SECONDS', 'PLAYBOOK_STATE_MACHINE_ARN', 'TRAIL_BUCKET',
      ].sort(),
    );
    expect(JSON.parse(variables['CLOUD_PLAN_FUNCTIONS'] ?? '')).toEqual(
      Object.fromEntries(Object.entries(built.serviceStack.families).map(([name, family]) => [name, render(family.stepFunction.functionName)])),
    );
    expect(variables).toMatchObject({
      AUTOMATION_RULES: '/var/task/automation-rules.json',
      AUTOMATION_RULES_SHA256: createHash('sha256').update(readFileSync(configuredRulesFile)).digest('hex'),
      PLAYBOOKS: '/var/task/playbooks.json',
      PLAYBOOKS_SHA256: createHash('sha256').update(readFileSync(configuredPlaybooksFile)).digest('hex'),
      PLAYBOOK_RUN_DEADLINE_SECONDS: String(settings.playbookRunDeadlineSeconds),
      PLAYBOOK_STATE_MACHINE_ARN: render(built.serviceStack.playbooks.stateMachine.stateMachineArn),
      APPROVAL_REQUIRED: settings.approvalRequired,
      APPROVAL_TTL_SECONDS: '7200',
      TARGET_ACCOUNTS: settings.targetAccounts,
      MEMBER_ROLE_NAME: settings.memberRoleName,
    });
    // The rules and the playbooks they may name, as JSON of the operator's YAML (the digests above are of the YAML).
    const files = built.serviceStack.api.functionPropsFor(findingsIngest).files ?? {};
    expect(Object.keys(files).sort()).toEqual(['automation-rules.json', 'playbooks.json']);
    expect(JSON.parse(files['automation-rules.json'] ?? '')).toEqual(parseContent(readFileSync(configuredRulesFile), configuredRulesFile, 'yaml'));
    expect(JSON.parse(files['playbooks.json'] ?? '')).toEqual(parseContent(readFileSync(configuredPlaybooksFile), configuredPlaybooksFile, 'yaml'));
  });

  it('fails synthesis when a function with the exemptions need is not on the path the exemptions role trusts', () => {
    // Prepare: what ServiceApi.functionPropsFor would have put on the role, left out
    const stack = new Stack(new App({ context: testContext() }), 'OffPath');
    const fn = new ServiceFunction(stack, 'Decider', { entry: 'functions/events/eventbridge-target.ts' });
    const automation = { planFunctions: {}, memberEnvironment: {}, exemptionsRoleArns: ['arn:aws:iam::111111111111:role/M-exemptions'], exemptionsRolePath: exemptionsRolePath('Svc'), rules: undefined, approvals: { required: '', ttlSeconds: 3600 } };

    // Act
    const act = (): void => {
      grantExemptions(fn, automation);
    };

    // Assess
    expect(act).toThrow(/OffPath\/Decider needs exemptions but its role is not on \/Svc-exemptions\//);
  });

  it('lets the delegated administrator\'s account forward only finding events to the default bus', () => {
    // Prepare
    const policies = resourcesOf(template, 'AWS::Events::EventBusPolicy').map(([, policy]) => evaluate(policy.Properties, symbolic));

    // Assess
    expect(policies).toEqual([
      {
        EventBusName: 'default',
        StatementId: 'response-actions-findings-from-333333333333',
        Statement: {
          Effect: 'Allow',
          Principal: { AWS: 'arn:<AWS::Partition>:iam::333333333333:root' },
          Action: 'events:PutEvents',
          Resource: 'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default',
          Condition: {
            StringEquals: {
              'events:source': ['aws.guardduty', 'aws.securityhub'],
              'events:detail-type': ['GuardDuty Finding', 'Security Hub Findings - Imported', 'Security Hub Findings - Custom Action', 'Findings Imported V2'],
            },
          },
        },
      },
    ]);
  });
});
