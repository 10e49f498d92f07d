import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { Policy } from 'aws-cdk-lib/aws-iam';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { buildApp, stackNames } from '#infra/build-app.ts';
import { cloudActionAslPath, cloudActionSubstitutionNames } from '#infra/constructs/cloud-action-definition.ts';
import { familyFunctionTimeout } from '#infra/constructs/cloud-action-family.ts';
import { dispatchWorkTimeout } from '#infra/constructs/responder-dispatch.ts';
import { responderActionAslPath, responderActionSubstitutionNames } from '#infra/constructs/responder-action-definition.ts';
import { assertQueuePrefixApart, cloudActionStepRolePath, deadLetterWarnings } from '#infra/stacks/service-stack.ts';
import { cloudActionFamilyDeployments } from '#shared/actions/families.ts';
import { loadConfig } from '#shared/config/config.ts';
import { evaluate, grantsOfPolicy, symbolic } from './support/intrinsics.ts';
import { makeTempDir, testContext } from './support/synth.ts';
import { resourceById, resourcesOf } from './support/template.ts';
import type { TemplateResource } from './support/template.ts';
import { account, baseGrants, built, grantsOf, trailGrants, logicalIdOf, render, resourceOf, settings, template, useServiceStack } from './support/service-stack-synthesis.ts';

// The cloud-action and responder state machines, their functions, grants, logs and dead letters.
useServiceStack();

describe('ServiceStack', () => {
  describe('cloud-action path', () => {
    const shippedAsl = (): unknown => JSON.parse(readFileSync(cloudActionAslPath, 'utf8'));

    it('deploys one state machine per cloud action family, the responder state machine and the playbook state machine', () => {
      // Assess
      template.resourceCountIs('AWS::StepFunctions::StateMachine', cloudActionFamilyDeployments.length + 2);
      expect(Object.keys(built.serviceStack.families).sort()).toEqual(cloudActionFamilyDeployments.map((family) => family.name).sort());
    });

    it.each(cloudActionFamilyDeployments.map((family) => [family.name] as const))(
      '%s: the deployed definition is the shipped ASL plus TimeoutSeconds, with exactly its substitutions',
      (name) => {
        // Prepare
        const family = built.serviceStack.families[name];
        if (family === undefined) throw new Error(`no ${name} family`);
        const machine = resourceOf(family.stateMachine).Properties;
        const definitionString = machine.DefinitionString;
        if (typeof definitionString !== 'string') throw new Error('the definition is not a plain string');
        const { TimeoutSeconds, ...deployed } = JSON.parse(definitionString) as Record<string, unknown>;

        // Assess
        expect(deployed).toEqual(shippedAsl());
        expect(TimeoutSeconds).toBe(settings.completionDeadlineSeconds);
        expect(machine.DefinitionSubstitutions).toEqual({
          Partition: { Ref: 'AWS::Partition' },
          MarkStatusFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatus), 'Arn'] },
          ActionFunctionArn: { 'Fn::GetAtt': [logicalIdOf(family.stepFunction), 'Arn'] },
        });
        expect(Object.keys(machine.DefinitionSubstitutions as object).sort()).toEqual([...cloudActionSubstitutionNames].sort());
      },
    );

    it('silences cfn-lint only for E3601 on the state machines (it cannot substitute ${Partition}; asl-validator checks instead)', () => {
      // Prepare
      const resources = (template.toJSON() as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> }).Resources;
      const silenced = Object.values(resources).filter((resource) => resource.Metadata?.['cfn-lint'] !== undefined);

      // Assess
      expect(silenced.map((resource) => resource.Type)).toEqual([...cloudActionFamilyDeployments, 'responder', 'playbook'].map(() => 'AWS::StepFunctions::StateMachine'));
      for (const resource of silenced) expect(resource.Metadata?.['cfn-lint']).toEqual({ config: { ignore_checks: ['E3601'] } });
    });

    it('deploys a definition that is valid ASL once CloudFormation substitutes it', () => {
      for (const family of Object.values(built.serviceStack.families)) {
        // Prepare
        const definition = String(resourceOf(family.stateMachine).Properties.DefinitionString)
          .replaceAll('${Partition}', 'aws')
          .replaceAll('${MarkStatusFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:mark-status`)
          .replaceAll('${ActionFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:steps`);

        // Act
        const validation = aslValidator(JSON.parse(definition) as object, { checkArn: true, checkPaths: true });

        // Assess
        expect(validation.errorsText('\n')).toBe('');
        expect(validation.isValid).toBe(true);
        expect(definition).not.toContain('${');
      }
    });

    it('logs every execution event (without execution data) with a retention, and traces with X-Ray', () => {
      for (const family of Object.values(built.serviceStack.families)) {
        // Prepare
        const machine = resourceOf(family.stateMachine).Properties as {
          LoggingConfiguration: { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] };
          TracingConfiguration: unknown;
        };
        const [destination] = machine.LoggingConfiguration.Destinations;
        const logGroupId = (destination?.CloudWatchLogsLogGroup.LogGroupArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

        // Assess
        expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
        expect(machine.TracingConfiguration).toEqual({ Enabled: true });
        expect(resourceById(template, logGroupId).Properties.RetentionInDays).toBeGreaterThan(0);
      }
    });

    it('lets each state machine invoke exactly its two functions, and use logs and X-Ray', () => {
      for (const family of Object.values(built.serviceStack.families)) {
        // Prepare
        const policy = family.stateMachine.role.node.tryFindChild('DefaultPolicy');
        if (!(policy instanceof Policy)) throw new Error('no state machine policy');
        const grants = grantsOfPolicy(template, logicalIdOf(policy));

        // Assess
        expect(grants.filter((grant) => !grant.endsWith(' on *'))).toEqual(
          [
            `Allow lambda:InvokeFunction on <${logicalIdOf(built.serviceStack.markStatus)}.Arn>`,
            `Allow lambda:InvokeFunction on <${logicalIdOf(family.stepFunction)}.Arn>`,
          ].sort(),
        );
        const starActions = grants.filter((grant) => grant.endsWith(' on *')).map((grant) => grant.split(' ')[1] ?? '');
        expect(starActions.every((action) => /^(logs:\w+|xray:\w+)$/.test(action))).toBe(true);
      }
    });

    it.each(cloudActionFamilyDeployments.map((family) => [family.name, family] as const))(
      '%s steps: a timeout under the ASL task timeout, its own family role path, its environment and exactly its grants',
      (name, deployment) => {
        // Prepare
        const family = built.serviceStack.families[name];
        if (family === undefined) throw new Error(`no ${name} family`);
        const fn = family.stepFunction;
        const properties = resourceOf(fn).Properties;
        const environment = (properties.Environment as { Variables: unknown }).Variables;
        const variables = evaluate(environment, symbolic) as Record<string, string>;
        const table = render(built.statefulStack.historyTable.tableArn);
        const { bucket, key } = built.statefulStack.evidence;
        const expected = [...new Set([
          ...baseGrants(fn),
          `Allow dynamodb:GetItem on ${table}`,
          `Allow dynamodb:UpdateItem on ${table}`,
          // Its own family's member role only: never another family's, never the base name.
          `Allow sts:AssumeRole on arn:<AWS::Partition>:iam::111111111111:role/SecurityResponseMember-${name}`,
          `Allow sts:AssumeRole on arn:<AWS::Partition>:iam::222222222222:role/SecurityResponseMember-${name}`,
          ...trailGrants(),
          ...(deployment.writesEvidence === true
            ? [
                `Allow s3:PutObject on ${render(bucket.bucketArn)}/actions/*`,
                `Allow kms:GenerateDataKey on ${render(key.keyArn)} if {"StringEquals":{"kms:ViaService":"s3.<AWS::Region>.amazonaws.com"}}`,
              ]
            : []),
        ])].sort();

        // Assess
        expect(properties.Timeout).toBe(familyFunctionTimeout.toSeconds());
        expect(familyFunctionTimeout.toSeconds()).toBeLessThan(300);
        expect(resourceOf(fn.executionRole).Properties.Path).toBe(cloudActionStepRolePath(stackNames.service, name));
        expect(grantsOf(fn)).toEqual(expected);
        expect(variables).toMatchObject({
          TARGET_ACCOUNTS: settings.targetAccounts,
          MEMBER_ROLE_NAME: settings.memberRoleName,
          MEMBER_ROLE_EXTERNAL_ID: settings.memberExternalId,
          HISTORY_TABLE_NAME: render(built.statefulStack.historyTable.tableName),
        });
        expect('EVIDENCE_BUCKET' in variables).toBe(deployment.writesEvidence === true);
        // The function's own configuration accepts what it is given, once CloudFormation filled it in.
        const deployedVariables = evaluate(environment, { partition: 'aws', account, region: 'eu-west-1' }) as Record<string, string>;
        expect(() => loadConfig(deployedVariables, ['HISTORY_TABLE_NAME'])).not.toThrow();
      },
    );

    it('runs mark-status with GetItem and UpdateItem on the table alone, and a dead-letter queue', () => {
      // Prepare
      const fn = built.serviceStack.markStatus;
      const table = render(built.statefulStack.historyTable.tableArn);
      const queue = `<${logicalIdOf(built.serviceStack.markStatusDeadLetterQueue)}.Arn>`;

      // Assess
      expect(grantsOf(fn)).toEqual(
        [...baseGrants(fn), `Allow dynamodb:GetItem on ${table}`, `Allow dynamodb:UpdateItem on ${table}`, `Allow sqs:SendMessage on ${queue}`, ...trailGrants()].sort(),
      );
      expect(resourceOf(fn).Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatusDeadLetterQueue), 'Arn'] } });
    });

    it('gives mark-status the namespace and service its ActionOutcome metrics are published under', () => {
      // Prepare
      const variables = (resourceOf(built.serviceStack.markStatus).Properties.Environment as { Variables: Record<string, unknown> }).Variables;

      // Assess: the stack's own namespace, like its dead-letter metric's
      expect(variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: stackNames.service, POWERTOOLS_SERVICE_NAME: 'response-actions' });
    });

    it('sends failed, timed-out and aborted executions of these machines and the responder\'s to mark-status, with a DLQ on the target', () => {
      // Prepare
      const [, rule] = resourcesOf(template, 'AWS::Events::Rule').find(([, candidate]) => JSON.stringify(candidate.Properties.EventPattern ?? {}).includes('aws.states')) ?? [];
      const machineRefs = [...Object.values(built.serviceStack.families).map((family) => family.stateMachine), built.serviceStack.responder.stateMachine].map(
        (machine) => ({ Ref: logicalIdOf(machine) }),
      );

      // Assess
      // The others are the hourly responder sweep's schedule, the playbook machine's own ended-execution rule
      // (playbook-runner.test.ts) and the four finding rules (findings-ingest.test.ts).
      template.resourceCountIs('AWS::Events::Rule', 3 + Object.keys(built.serviceStack.findings.rules).length);
      expect(rule?.Properties.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: machineRefs },
      });
      expect(rule?.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatus), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatusDeadLetterQueue), 'Arn'] } },
        }),
      ]);
    });

    it('keeps the dead-letter queue encrypted and TLS-only', () => {
      // Assess
      expect(resourceOf(built.serviceStack.markStatusDeadLetterQueue).Properties).toMatchObject({ SqsManagedSseEnabled: true });
      const [[, queuePolicy] = []] = resourcesOf(template, 'AWS::SQS::QueuePolicy');
      expect((queuePolicy?.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });
  });

  describe('responder path', () => {
    const shippedAsl = (): unknown => JSON.parse(readFileSync(responderActionAslPath, 'utf8'));
    const machineOf = (): TemplateResource => resourceOf(built.serviceStack.responder.stateMachine);

    it('deploys the shipped responder ASL unchanged, with exactly its substitutions', () => {
      // Prepare
      const machine = machineOf().Properties;
      const definitionString = machine.DefinitionString;
      if (typeof definitionString !== 'string') throw new Error('the definition is not a plain string');

      // Assess: the deadlines stay per execution (HeartbeatSecondsPath, TimeoutSecondsPath), nothing is added
      expect(JSON.parse(definitionString)).toEqual(shippedAsl());
      expect(machine.DefinitionSubstitutions).toEqual({
        Partition: { Ref: 'AWS::Partition' },
        DispatchFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.responder.dispatchFunction), 'Arn'] },
        MarkStatusFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.markStatus), 'Arn'] },
      });
      expect(Object.keys(machine.DefinitionSubstitutions as object).sort()).toEqual([...responderActionSubstitutionNames].sort());
      expect(machine.StateMachineType).toBe('STANDARD');
    });

    it('deploys a definition that is valid ASL once CloudFormation substitutes it', () => {
      // Prepare
      const definition = String(machineOf().Properties.DefinitionString)
        .replaceAll('${Partition}', 'aws')
        .replaceAll('${DispatchFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:dispatch-work`)
        .replaceAll('${MarkStatusFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:mark-status`);

      // Act
      const validation = aslValidator(JSON.parse(definition) as object, { checkArn: true, checkPaths: true });

      // Assess
      expect(validation.errorsText('\n')).toBe('');
      expect(validation.isValid).toBe(true);
      expect(definition).not.toContain('${');
    });

    it('logs every execution event (without execution data) to the shared execution log group, and traces with X-Ray', () => {
      // Prepare
      const machine = machineOf().Properties as {
        LoggingConfiguration: { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[] };
        TracingConfiguration: unknown;
      };
      const familyMachine = Object.values(built.serviceStack.families)[0]?.stateMachine;
      if (familyMachine === undefined) throw new Error('no family');
      const familyLogging = (resourceOf(familyMachine).Properties as { LoggingConfiguration: unknown }).LoggingConfiguration;

      // Assess
      expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
      expect(machine.LoggingConfiguration).toEqual(familyLogging);
      expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    });

    it('lets the state machine invoke exactly dispatch-work and mark-status, and use logs and X-Ray', () => {
      // Prepare
      const policy = built.serviceStack.responder.stateMachine.role.node.tryFindChild('DefaultPolicy');
      if (!(policy instanceof Policy)) throw new Error('no state machine policy');
      const grants = grantsOfPolicy(template, logicalIdOf(policy));

      // Assess
      expect(grants.filter((grant) => !grant.endsWith(' on *'))).toEqual(
        [
          `Allow lambda:InvokeFunction on <${logicalIdOf(built.serviceStack.markStatus)}.Arn>`,
          `Allow lambda:InvokeFunction on <${logicalIdOf(built.serviceStack.responder.dispatchFunction)}.Arn>`,
        ].sort(),
      );
      const starActions = grants.filter((grant) => grant.endsWith(' on *')).map((grant) => grant.split(' ')[1] ?? '');
      expect(starActions.every((action) => /^(logs:\w+|xray:\w+)$/.test(action))).toBe(true);
    });

    it('runs dispatch-work with exactly its grants: the record and its dispatch item, the signing key, the work queues', () => {
      // Prepare
      const fn = built.serviceStack.responder.dispatchFunction;
      const table = render(built.statefulStack.historyTable.tableArn);
      const queues = `arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${settings.responderQueuePrefix}-*`;

      // Assess
      expect(grantsOf(fn)).toEqual(
        [
          ...baseGrants(fn),
          ...['GetItem', 'PutItem', 'UpdateItem'].map((action) => `Allow dynamodb:${action} on ${table}`),
          `Allow secretsmanager:GetSecretValue on ${render(built.statefulStack.workSigningKey.secretArn)}`,
          ...['CreateQueue', 'GetQueueAttributes', 'GetQueueUrl', 'SendMessage'].map((action) => `Allow sqs:${action} on ${queues}`),
          ...trailGrants(),
        ].sort(),
      );
    });

    it('gives dispatch-work the environment it reads, and a timeout under the ASL\'s 60 s ExplainLapse task', () => {
      // Prepare
      const properties = resourceOf(built.serviceStack.responder.dispatchFunction).Properties;
      const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;

      // Assess
      expect(Object.keys(variables).sort()).toEqual(['HISTORY_TABLE_NAME', 'NODE_OPTIONS', 'RESPONDER_QUEUE_PREFIX', 'TRAIL_BUCKET', 'WORK_SIGNING_KEY_SECRET_ARN']);
      expect(evaluate(variables['HISTORY_TABLE_NAME'], symbolic)).toBe(render(built.statefulStack.historyTable.tableName));
      expect(evaluate(variables['WORK_SIGNING_KEY_SECRET_ARN'], symbolic)).toBe(render(built.statefulStack.workSigningKey.secretArn));
      expect(variables['RESPONDER_QUEUE_PREFIX']).toBe(settings.responderQueuePrefix);
      expect(properties.Timeout).toBe(dispatchWorkTimeout.toSeconds());
      expect(dispatchWorkTimeout.toSeconds()).toBeLessThan(60);
      expect(resourceOf(built.serviceStack.responder.dispatchFunction).Properties).not.toHaveProperty('DeadLetterConfig');
    });

    it('counts the warnings the hourly sweep logs for dead-lettered work, and alarms on them', () => {
      // Prepare
      const sweepLogs = { Ref: logicalIdOf(built.serviceStack.sweepResponders.logGroup) };
      const filters = resourcesOf(template, 'AWS::Logs::MetricFilter').map(([, filter]) => filter.Properties).filter((filter) => JSON.stringify(filter.LogGroupName) === JSON.stringify(sweepLogs));
      const source = readFileSync(new URL('../../shared/use-cases/responder-fleet.ts', import.meta.url), 'utf8');

      // Assess: one filter, on the sweep's log group, matching the warning the use case logs
      expect(filters).toHaveLength(1);
      const [filter] = filters;
      expect(filter?.LogGroupName).toEqual({ Ref: logicalIdOf(built.serviceStack.sweepResponders.logGroup) });
      expect(filter?.MetricTransformations).toEqual([{ MetricNamespace: stackNames.service, MetricName: 'ResponderWorkLeftForDeadLetterQueue', MetricValue: '1' }]);
      for (const warning of deadLetterWarnings) expect(String(filter?.FilterPattern)).toContain(`$.message = "${warning}"`);
      expect(source).toMatch(/\.warn\(deadLetterWarning, /);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: stackNames.service,
        MetricName: 'ResponderWorkLeftForDeadLetterQueue',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmDescription: Match.stringLikeRegexp(`${settings.responderQueuePrefix}-\\*-dlq`),
      });
    });

    it('refuses a queue prefix whose grant would cover the service stack\'s own queues', () => {
      // Assess
      const check = (prefix: string, stackName: string) => (): void => {
        assertQueuePrefixApart(prefix, stackName);
      };
      expect(check('ResponseActionsService', 'ResponseActionsService')).toThrow(/would let the responder queue grant/);
      expect(check('Response', 'Response-Service')).toThrow(/Response-\*/);
      expect(check('ResponseActions', 'ResponseActionsService')).not.toThrow();
      expect(check(settings.responderQueuePrefix, stackNames.service)).not.toThrow();
      const outdir = makeTempDir('prefix');
      try {
        expect(() => buildApp({ outdir: outdir.path, context: testContext({ responderQueuePrefix: stackNames.service }) })).toThrow(/responderQueuePrefix/);
      } finally {
        outdir.remove();
      }
    });
  });
});
