import { readFileSync } from 'node:fs';
import { Policy } from 'aws-cdk-lib/aws-iam';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { playbookRunAslPath, playbookRunSubstitutionNames } from '#infra/constructs/playbook-run-definition.ts';
import { playbookExecutionGraceSeconds, playbookStepEntry, playbookStepTimeout } from '#infra/constructs/playbook-runner.ts';
import { grantsOfPolicy, evaluate, symbolic } from './support/intrinsics.ts';
import { resourcesOf, type TemplateResource } from './support/template.ts';
import { account, baseGrants, built, grantsOf, trailGrants, logicalIdOf, render, resourceOf, settings, template, useServiceStack } from './support/service-stack-synthesis.ts';
import { historyTableDesign } from '#shared/history/table-design.ts';

// The playbook state machine and the playbook step function, as the fully configured app deploys them.
useServiceStack();

interface TaskState {
  readonly Type: string;
  readonly TimeoutSeconds?: number;
}

describe('ServiceStack: playbook runs', () => {
  const shippedAsl = (): { States: Record<string, TaskState> } => JSON.parse(readFileSync(playbookRunAslPath, 'utf8')) as { States: Record<string, TaskState> };
  const machineOf = (): TemplateResource => resourceOf(built.serviceStack.playbooks.stateMachine);

  it('deploys the shipped playbook ASL with exactly its substitutions and a TimeoutSeconds backstop past the run deadline', () => {
    // Prepare
    const machine = machineOf().Properties;
    const definitionString = machine.DefinitionString;
    if (typeof definitionString !== 'string') throw new Error('the definition is not a plain string');
    const deployed = JSON.parse(definitionString) as { TimeoutSeconds: number };

    // Assess: the file as shipped, plus the execution timeout only
    expect(deployed).toEqual({ ...shippedAsl(), TimeoutSeconds: settings.playbookRunDeadlineSeconds + playbookExecutionGraceSeconds });
    // Advance ends a run at its deadline; the execution's own timeout comes only after one more Advance could have.
    const advanceTimeout = shippedAsl().States['Advance']?.TimeoutSeconds ?? Infinity;
    expect(deployed.TimeoutSeconds - settings.playbookRunDeadlineSeconds).toBeGreaterThan(advanceTimeout);
    expect(machine.DefinitionSubstitutions).toEqual({
      Partition: { Ref: 'AWS::Partition' },
      PlaybookStepFunctionArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.playbooks.stepFunction), 'Arn'] },
    });
    expect(Object.keys(machine.DefinitionSubstitutions as object).sort()).toEqual([...playbookRunSubstitutionNames].sort());
    expect(machine.StateMachineType).toBe('STANDARD');
  });

  it('deploys a definition that is valid ASL once CloudFormation substitutes it', () => {
    // Prepare
    const definition = String(machineOf().Properties.DefinitionString)
      .replaceAll('${Partition}', 'aws')
      .replaceAll('${PlaybookStepFunctionArn}', `arn:aws:lambda:eu-west-1:${account}:function:playbook-step`);

    // Act
    const validation = aslValidator(JSON.parse(definition) as object, { checkArn: true, checkPaths: true });

    // Assess
    expect(validation.errorsText('\n')).toBe('');
    expect(validation.isValid).toBe(true);
    expect(definition).not.toContain('${');
  });

  it('logs every execution event (without execution data: run inputs stay in the table) to the shared execution log group, and traces with X-Ray', () => {
    // Prepare
    const machine = machineOf().Properties as { LoggingConfiguration: unknown; TracingConfiguration: unknown };
    const responderLogging = (resourceOf(built.serviceStack.responder.stateMachine).Properties as { LoggingConfiguration: unknown }).LoggingConfiguration;

    // Assess
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(machine.LoggingConfiguration).toEqual(responderLogging);
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('lets the state machine invoke exactly the playbook step function, and use logs and X-Ray', () => {
    // Prepare
    const policy = built.serviceStack.playbooks.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (!(policy instanceof Policy)) throw new Error('no state machine policy');
    const grants = grantsOfPolicy(template, logicalIdOf(policy));

    // Assess
    expect(grants.filter((grant) => !grant.endsWith(' on *'))).toEqual([`Allow lambda:InvokeFunction on <${logicalIdOf(built.serviceStack.playbooks.stepFunction)}.Arn>`]);
    const starActions = grants.filter((grant) => grant.endsWith(' on *')).map((grant) => grant.split(' ')[1] ?? '');
    expect(starActions.every((action) => /^(logs:\w+|xray:\w+)$/.test(action))).toBe(true);
  });

  it('runs the step function with exactly its grants: the history table (runs and records) and StartExecution on the action machines', () => {
    // Prepare
    const fn = built.serviceStack.playbooks.stepFunction;
    const table = render(built.statefulStack.historyTable.tableArn);
    const tableAndIndexes = [table, ...Object.keys(historyTableDesign.indexes).map((index) => `${table}/index/${index}`)];
    const machines = [...Object.values(built.serviceStack.families).map((family) => family.stateMachine), built.serviceStack.responder.stateMachine];

    // Assess
    expect(grantsOf(fn)).toEqual(
      [
        ...baseGrants(fn),
        ...['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'].flatMap((action) => tableAndIndexes.map((resource) => `Allow dynamodb:${action} on ${resource}`)),
        ...machines.map((machine) => `Allow states:StartExecution on ${render(machine.stateMachineArn)}`),
        // Lambda sends what fails of an asynchronous invocation (the ended-execution rule's) as the function.
        `Allow sqs:SendMessage on ${render(built.serviceStack.playbooks.deadLetterQueue.queueArn)}`,
        ...trailGrants(),
      ].sort(),
    );
  });

  it('gives the step function the environment its entry reads, and a timeout under the ASL\'s FailRun and Advance task timeouts', () => {
    // Prepare
    const properties = resourceOf(built.serviceStack.playbooks.stepFunction).Properties;
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const taskTimeouts = Object.values(shippedAsl().States).flatMap((state) => (state.Type === 'Task' ? [state.TimeoutSeconds ?? Infinity] : []));

    // Assess
    expect(Object.keys(variables).sort()).toEqual(
      ['COMPLETION_DEADLINE_SECONDS', 'CLOUD_ACTION_STATE_MACHINES', 'HISTORY_TABLE_NAME', 'NODE_OPTIONS', 'PICKUP_DEADLINE_SECONDS', 'RESPONDER_STATE_MACHINE_ARN', 'TRAIL_BUCKET'].sort(),
    );
    expect(evaluate(variables['RESPONDER_STATE_MACHINE_ARN'], symbolic)).toBe(render(built.serviceStack.responder.stateMachine.stateMachineArn));
    expect(String(evaluate(variables['CLOUD_ACTION_STATE_MACHINES'], symbolic))).toBe(
      Object.entries(built.serviceStack.families).map(([name, family]) => `${name}=${render(family.stateMachine.stateMachineArn)}`).join(','),
    );
    expect(taskTimeouts).toHaveLength(2);
    expect(properties.Timeout).toBe(playbookStepTimeout.toSeconds());
    for (const timeout of taskTimeouts) expect(playbookStepTimeout.toSeconds()).toBeLessThan(timeout);
    expect(properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.playbooks.deadLetterQueue), 'Arn'] } });
    expect(playbookStepEntry).toBe('functions/playbooks/playbook-step.ts');
  });

  it('hands an execution that failed, timed out or was aborted to the step function\'s fail, naming the run by the execution\'s name, with a DLQ', () => {
    // Prepare
    const [[, rule] = []] = resourcesOf(template, 'AWS::Events::Rule').filter(([, candidate]) => JSON.stringify(candidate.Properties.EventPattern ?? null).includes(logicalIdOf(built.serviceStack.playbooks.stateMachine)));
    const [target] = (rule?.Properties.Targets ?? []) as { Arn: unknown; DeadLetterConfig: unknown; RetryPolicy: unknown; InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
    if (target === undefined) throw new Error('no ended-execution rule on the playbook machine');
    const runId = '0b7a4c2e-9d1f-4e8a-b3c5-6f2d1e0a9b87';
    const values: Record<string, string> = { '$.detail.name': runId, '$.detail.status': 'TIMED_OUT' };

    // Act: what EventBridge sends for a timed-out execution of that run (a placeholder outside quotes takes the JSON value)
    const inputTemplate = target.InputTransformer.InputTemplate;
    const sent = inputTemplate.replace(/<([\w-]+)>/g, (_, name: string, offset: number) => {
      const value = values[target.InputTransformer.InputPathsMap[name] ?? ''] ?? '';
      // Inside a string literal (an odd number of quotes before it) the value goes in as it is.
      const insideString = (inputTemplate.slice(0, offset).match(/"/g) ?? []).length % 2 === 1;
      return insideString ? value : JSON.stringify(value);
    });

    // Assess
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: logicalIdOf(built.serviceStack.playbooks.stateMachine) }] },
    });
    expect(JSON.parse(sent)).toEqual({ step: 'fail', runId, error: { Error: 'Execution.TIMED_OUT', Cause: 'the execution ended without FailRun ending its run' } });
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalIdOf(built.serviceStack.playbooks.stepFunction), 'Arn'] });
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [logicalIdOf(built.serviceStack.playbooks.deadLetterQueue), 'Arn'] } });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 });
  });
});
