import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { historyTableActions, responderRegistrationPartition } from '#infra/constructs/grant-history-table.ts';
import { responderQueueActions } from '#infra/constructs/grant-responder-queues.ts';
import type { ResponderQueueUse } from '#infra/constructs/grant-responder-queues.ts';
import { systemClock } from '#shared/clock.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { ResponderStore } from '#shared/responders/store.ts';

/**
 * The grants of the responder path checked against the code they are for, so the two cannot
 * drift apart: each queue use runs the very `ResponderQueues` calls of its routes against a
 * stubbed SQS client, and the registration grants' partition is the one the store writes.
 */
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const target = { kind: 'host', name: 'node-7.example' } as const;

/** The document client's commands by the DynamoDB operation (and IAM action) each one is. */
const documentOperations: Readonly<Record<string, string>> = { Get: 'GetItem', Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' };

/** The IAM action of each SDK command sent, e.g. `sqs:CreateQueue`, `dynamodb:UpdateItem`. */
function actionsOf(calls: readonly { args: readonly unknown[] }[], service: string): string[] {
  const operations = calls.map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ''));
  return [...new Set(operations.map((operation) => `${service}:${documentOperations[operation] ?? operation}`))].sort();
}

describe('responder queue grants (grant-responder-queues.ts) against shared/responders/queues.ts', () => {
  const sqs = mockClient(SQSClient);
  // The mock patches the client class for the whole worker, which files share (vitest.config.ts: isolate false).
  afterAll(() => {
    sqs.restore();
  });

  afterEach(() => {
    sqs.reset();
  });

  /** What each use's functions call, per shared/use-cases/responders.ts and shared/responders/dispatch.ts. */
  const scenarios: Readonly<Record<ResponderQueueUse, (queues: ResponderQueues) => Promise<unknown>>> = {
    // register: queues.ensure, asked afresh (the queue exists from registration on).
    register: (queues) => queues.ensure(target, { fresh: true }),
    // queueCredentials: queues.ensure afresh, then the queue's ARN for the session policy.
    credentials: async (queues) => {
      await queues.ensure(target, { fresh: true });
      await queues.arnOf(target);
    },
    // deregister: queues.remove (the queue and its dead-letter queue).
    remove: (queues) => queues.remove(target),
    // sweepSilent: counts of a kept responder's queues, remove of a silent one's.
    sweep: async (queues) => {
      await queues.counts(target);
      await queues.remove({ kind: 'host', name: 'silent-1' });
    },
    // dispatch-work: queues.send of the signed work.
    dispatch: (queues) => queues.send(target, 'eyJhbGciOiJFZERTQSJ9.e30.c2ln'),
  };

  it.each(Object.keys(scenarios) as ResponderQueueUse[])('%s: grants exactly the SQS actions the code calls', async (use) => {
    // Prepare: the dead-letter queue exists already with other attributes, so ensure falls back to GetQueueUrl
    sqs
      .on(CreateQueueCommand)
      .rejectsOnce(new QueueNameExists({ message: 'exists', $metadata: {} }))
      .resolves({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ResponseActions-host-node-7-example-abc' });
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ResponseActions-host-node-7-example-abc-dlq' });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:ResponseActions-host-node-7-example-abc-dlq' } });
    sqs.on(DeleteQueueCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    const queues = new ResponderQueues({ client: new SQSClient({ region: 'eu-west-1', credentials }), prefix: 'ResponseActions' });

    // Act
    await scenarios[use](queues);

    // Assess
    expect(actionsOf(sqs.calls(), 'sqs')).toEqual([...responderQueueActions[use]].sort());
  });

  it('names every queue under the prefix the grants are held to', async () => {
    // Prepare
    sqs.on(CreateQueueCommand).resolves({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q' });
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:q-dlq' } });
    const queues = new ResponderQueues({ client: new SQSClient({ region: 'eu-west-1', credentials }), prefix: 'SecurityResponse' });

    // Act
    await queues.ensure({ kind: 'kubernetes', name: 'prod-cluster' });

    // Assess
    const names = sqs.commandCalls(CreateQueueCommand).map((call) => call.args[0].input.QueueName ?? '');
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^SecurityResponse-k8s-.+/);
    expect(names.filter((name) => name.endsWith('-dlq'))).toHaveLength(1);
  });
});

describe('registration grants (grant-history-table.ts) against shared/responders/store.ts', () => {
  const dynamodb = mockClient(DynamoDBDocumentClient);
  // The mock patches the client class for the whole worker, which files share (vitest.config.ts: isolate false).
  afterAll(() => {
    dynamodb.restore();
  });

  afterEach(() => {
    dynamodb.reset();
  });

  const store = (): ResponderStore =>
    new ResponderStore({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials })),
      tableName: 'history',
      clock: systemClock,
    });
  const registration = { pk: responderRegistrationPartition, sk: 'host#node-7.example', kind: 'host', name: 'node-7.example', version: '1', capabilities: [], registeredAt: 'x', lastSeen: 'x' };

  it('register and heartbeat update only registrations, under the partition the grant is held to', async () => {
    // Prepare
    dynamodb.on(UpdateCommand).resolves({ Attributes: registration });

    // Act
    await store().register({ kind: 'host', name: 'node-7.example', version: '1', capabilities: [] }, 'responder-sub');
    await store().touch(target);

    // Assess
    expect(actionsOf(dynamodb.calls(), 'dynamodb')).toEqual([...historyTableActions.registrationUpdate]);
    for (const call of dynamodb.commandCalls(UpdateCommand)) expect(call.args[0].input.Key).toMatchObject({ pk: responderRegistrationPartition });
  });

  it('deregister and the sweep delete only registrations, under the partition the grant is held to', async () => {
    // Prepare
    dynamodb.on(DeleteCommand).resolves({ Attributes: registration });

    // Act
    await store().remove(target);
    await store().remove(target, '2026-01-01T00:00:00.000Z');

    // Assess
    expect(actionsOf(dynamodb.calls(), 'dynamodb')).toEqual([...historyTableActions.registrationDelete]);
    expect(historyTableActions.registrationSweep).toEqual(['dynamodb:Query', 'dynamodb:DeleteItem']);
    for (const call of dynamodb.commandCalls(DeleteCommand)) expect(call.args[0].input.Key).toMatchObject({ pk: responderRegistrationPartition });
  });

  it('list queries only the registrations\' partition', async () => {
    // Prepare
    dynamodb.on(QueryCommand).resolves({ Items: [registration] });

    // Act
    const listed = await store().list();

    // Assess
    expect(listed).toHaveLength(1);
    expect(actionsOf(dynamodb.calls(), 'dynamodb')).toEqual([...historyTableActions.registrationQuery]);
    const [query] = dynamodb.commandCalls(QueryCommand);
    expect(query?.args[0].input).toMatchObject({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': responderRegistrationPartition } });
    expect(query?.args[0].input.IndexName).toBeUndefined();
  });
});
