import { randomBytes } from 'node:crypto';
import { SendTaskHeartbeatCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock } from '#shared/clock.ts';
import type { Logger } from '#shared/log.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { SfnTaskCallbacks } from '#shared/responders/task-callbacks.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { startFaultyHistory, statusesOf, storedHostRecord, type FaultyHistory } from '#test/support/dynamo-faults.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';

// Dispatch in AWS restarts the pickup window (the Dispatch task's HeartbeatSeconds) with
// SendTaskHeartbeat once the work is sent. The history is dynalite and the queue moto_server's SQS,
// both real; Step Functions is aws-sdk-client-mock around the real SfnTaskCallbacks, because no
// Step Functions server runs here (aws-local-stepfunctions has no task-token API): the mock only
// records the call and, at that moment, asks the real queue whether the work is already in it.

const sfn = mockClient(SFNClient);

describe('dispatch-work heartbeats the task once the work is sent', () => {
  let faulty: FaultyHistory;
  let sqs: SQSClient;
  let queues: ResponderQueues;
  const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message: string, fields?: Record<string, unknown>) => { warnings.push({ message, fields }); },
    error: () => undefined,
  };

  beforeAll(async () => {
    faulty = await startFaultyHistory();
    sqs = new SQSClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
    queues = new ResponderQueues({ client: sqs, prefix: `RAbeat-${randomBytes(4).toString('hex')}` });
  });

  afterEach(() => {
    sfn.reset();
    warnings.length = 0;
  });

  afterAll(async () => {
    sqs.destroy();
    await faulty.close();
  });

  const dispatchFor = async (host: string) => {
    const record = await storedHostRecord(faulty.repository, host);
    const taskToken = `token-${randomBytes(24).toString('base64url')}`;
    const handler = createDispatchWorkHandler({
      repository: faulty.repository,
      store: faulty.store,
      queues,
      signingKey: workSigningKeyFromJwk(generateWorkSigningJwk()),
      clock: systemClock,
      logger,
      callbacks: new SfnTaskCallbacks(new SFNClient({ region: 'us-east-1', credentials: emulatorCredentials })),
    });
    const event = { step: 'dispatch', actionId: record.id, taskToken, deadlines: { pickupSeconds: 60, completionSeconds: 300 } };
    return { record, taskToken, run: () => handler(event) };
  };

  it('sends SendTaskHeartbeat with the task token after the message is in the queue', async () => {
    // Prepare
    const { record, taskToken, run } = await dispatchFor('beat-1');
    const queuedAtHeartbeat: number[] = [];
    sfn.on(SendTaskHeartbeatCommand).callsFake(async () => {
      queuedAtHeartbeat.push((await queues.counts({ kind: 'host', name: 'beat-1' })).queued);
      return {};
    });

    // Act
    const output = await run();

    // Assess
    expect(output).toMatchObject({ actionId: record.id, messageId: expect.any(String) as unknown });
    expect(sfn.commandCalls(SendTaskHeartbeatCommand).map((call) => call.args[0].input)).toEqual([{ taskToken }]);
    expect(queuedAtHeartbeat).toEqual([1]);
    expect(warnings).toEqual([]);
  });

  it.each([
    ['the task already stopped waiting (TaskTimedOut)', new TaskTimedOut({ message: 'Task Timed Out: token-abc', $metadata: {} })],
    ['Step Functions is unreachable', Object.assign(new Error('connect ECONNREFUSED'), { name: 'NetworkingError' })],
  ])('goes on when the heartbeat fails because %s: the work is out, the record Enqueued, a warning without the token', async (_why, failure) => {
    // Prepare
    const { record, taskToken, run } = await dispatchFor(`beat-fail-${String(warnings.length)}-${randomBytes(3).toString('hex')}`);
    sfn.on(SendTaskHeartbeatCommand).rejects(failure);

    // Act
    const output = await run();

    // Assess
    expect(output).toMatchObject({ actionId: record.id, messageId: expect.any(String) as unknown });
    expect(sfn.commandCalls(SendTaskHeartbeatCommand)).toHaveLength(1);
    expect(statusesOf(await faulty.repository.get(record.id))).toEqual(['Created', 'Enqueued']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ actionId: record.id });
    expect(JSON.stringify(warnings)).not.toContain(taskToken);
    expect(JSON.stringify(warnings)).not.toContain('token-');
  });
});
