import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { defaultStateMachineFile } from '#local/runners/cloud-runner.ts';
import { substituteDefinition } from '#local/runners/state-machine-definition.ts';
import { NoStateMachineError, SfnWorkStarter, parseStateMachineArns } from '#shared/adapters/sfn-work-starter.ts';
import { systemClock } from '#shared/clock.ts';
import { ConfigError } from '#shared/errors.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';
import { recordFixture } from '#test/support/records.ts';

let dynalite: EmbeddedDynamoDb;
let sfn: SFNClient;
let repository: HistoryRepository;
let stateMachineArn: string;

beforeAll(async () => {
  dynalite = await startEmbeddedDynamoDb();
  ({ repository } = await freshHistory(dynalite.endpoint, systemClock));
  // The service's own Step Functions client: an explicit endpoint, never AWS_ENDPOINT_URL.
  sfn = new SFNClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
  const definition = substituteDefinition(readFileSync(defaultStateMachineFile, 'utf8'), {
    Partition: 'aws',
    MarkStatusFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:mark-status',
    ActionFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:iam-action',
  });
  const created = await sfn.send(
    new CreateStateMachineCommand({
      name: `iam-actions-${randomUUID().slice(0, 8)}`,
      definition,
      roleArn: 'arn:aws:iam::123456789012:role/state-machine',
    }),
  );
  stateMachineArn = created.stateMachineArn ?? '';
});

afterAll(async () => {
  sfn.destroy();
  await dynalite.close();
});

const executionArn = (actionId: string): string => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${actionId}`;

describe('SfnWorkStarter on moto Step Functions', () => {
  it('starts an execution named after the action on its family state machine and marks the record Enqueued', async () => {
    // Prepare
    const starter = new SfnWorkStarter({ client: sfn, stateMachineArns: { iam: stateMachineArn }, repository });
    const record = recordFixture({ at: systemClock.now() });
    await repository.create(record);

    // Act
    await starter.start(record);

    // Assess
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(record.id) }));
    expect(execution.name).toBe(record.id);
    expect(JSON.parse(execution.input ?? '{}')).toEqual({ actionId: record.id });
    const enqueued = await repository.get(record.id);
    expect(enqueued?.status).toBe('Enqueued');
    expect(enqueued?.statusHistory.at(-1)?.detail).toBe('execution started');
  });

  it('counts ExecutionAlreadyExists as started and tolerates a record the execution already moved further', async () => {
    // Prepare
    const starter = new SfnWorkStarter({ client: sfn, stateMachineArns: { iam: stateMachineArn }, repository });
    const record = recordFixture({ at: systemClock.now() });
    await repository.create(record);
    await starter.start(record);
    // The execution got on with it, then finished: a second StartExecution is refused as already existing.
    await repository.transition(record.id, 'Running');
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn(record.id) }));

    // Act
    await starter.start(record);

    // Assess
    expect((await repository.get(record.id))?.status).toBe('Running');
  });

  it('refuses a type whose family has no state machine, changing nothing', async () => {
    // Prepare
    const starter = new SfnWorkStarter({ client: sfn, stateMachineArns: {}, repository });
    const record = recordFixture({ at: systemClock.now() });
    await repository.create(record);

    // Act
    const started = starter.start(record);

    // Assess
    await expect(started).rejects.toBeInstanceOf(NoStateMachineError);
    await expect(started).rejects.toThrow(/no state machine is configured for the iam family/);
    expect((await repository.get(record.id))?.status).toBe('Created');
  });

  it('reads the family → state machine map from its variable', () => {
    // Act
    const arns = parseStateMachineArns('iam=arn:aws:states:eu-west-1:123456789012:stateMachine:iam-actions, ec2=arn:aws:states:eu-west-1:123456789012:stateMachine:ec2');

    // Assess
    expect(arns).toEqual({
      iam: 'arn:aws:states:eu-west-1:123456789012:stateMachine:iam-actions',
      ec2: 'arn:aws:states:eu-west-1:123456789012:stateMachine:ec2',
    });
    expect(parseStateMachineArns(undefined)).toEqual({});
    expect(() => parseStateMachineArns('iam')).toThrow(ConfigError);
  });
});
