import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultResponderStateMachineFile } from '#local/runners/responder-runner.ts';
import { substituteDefinition } from '#local/runners/state-machine-definition.ts';
import { systemClock } from '#shared/clock.ts';
import { ConfigError } from '#shared/errors.ts';
import { createdRecord } from '#shared/history/record.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import { queueNameFor, ResponderQueues } from '#shared/responders/queues.ts';
import { responderExecutionInput, SfnResponderWorkStarter } from '#shared/responders/starter.ts';
import { SfnTaskCallbacks, TaskTokenExpiredError } from '#shared/responders/task-callbacks.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';

let sfn: SFNClient;
let sqs: SQSClient;
let stateMachineArn: string;

beforeAll(async () => {
  sfn = new SFNClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
  sqs = new SQSClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
  const definition = substituteDefinition(readFileSync(defaultResponderStateMachineFile, 'utf8'), {
    Partition: 'aws',
    MarkStatusFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:mark-status',
    DispatchFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dispatch-work',
  });
  const created = await sfn.send(
    new CreateStateMachineCommand({ name: `responder-actions-${randomUUID().slice(0, 8)}`, definition, roleArn: 'arn:aws:iam::123456789012:role/state-machine' }),
  );
  stateMachineArn = created.stateMachineArn ?? '';
});

afterAll(() => {
  sfn.destroy();
  sqs.destroy();
});

const hostRecord = (host: string) =>
  createdRecord(
    {
      id: randomUUID(),
      type: 'kill-process',
      category: 'containment',
      executor: 'host',
      inputs: { 'host.id': host, 'process.id': 4242 },
      resources: [{ key: `host/${host}`, kind: 'host' }],
      createdBy: 'analyst-1',
      undoType: null,
    },
    systemClock.now(),
  );

describe('SfnResponderWorkStarter on moto Step Functions', () => {
  it('starts one execution per action, named after it, with the target and the deadlines as input', async () => {
    // Prepare
    const starter = new SfnResponderWorkStarter({ client: sfn, stateMachineArn, deadlines: { pickupSeconds: 120, completionSeconds: 900 } });
    const record = hostRecord('node-7');

    // Act
    await starter.start(record);
    await starter.start(record);

    // Assess
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${record.id}`;
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(execution.name).toBe(record.id);
    expect(JSON.parse(execution.input ?? '{}')).toEqual({
      actionId: record.id,
      target: { kind: 'host', name: 'node-7', label: 'host node-7' },
      deadlines: { pickupSeconds: 120, completionSeconds: 900 },
    });
    await sfn.send(new StopExecutionCommand({ executionArn }));
  });

  it('keeps the pickup window shorter than the completion deadline, as Step Functions requires', () => {
    // Act
    const input = responderExecutionInput(hostRecord('node-8'), { pickupSeconds: 900, completionSeconds: 900 });

    // Assess
    expect(input.deadlines).toEqual({ pickupSeconds: 899, completionSeconds: 900 });
  });
});

describe('SfnTaskCallbacks', () => {
  it('passes callbacks to Step Functions (moto accepts them) and turns a token Step Functions stopped waiting on into TaskTokenExpiredError, without quoting it', async () => {
    // Prepare: moto takes any token, so the refusals come from a stub with Step Functions' own errors.
    const token = `task-token-${randomBytes(8).toString('hex')}`;
    const [accepted] = await Promise.allSettled([new SfnTaskCallbacks(sfn).heartbeat(token)]);
    const refusing = mockClient(SFNClient);
    refusing
      .on(SendTaskHeartbeatCommand)
      .rejects(new TaskTimedOut({ message: `Task Timed Out: '${token}'`, $metadata: {} }))
      .on(SendTaskSuccessCommand)
      .rejects(new TaskDoesNotExist({ message: `Task does not exist: ${token}`, $metadata: {} }))
      .on(SendTaskFailureCommand)
      .rejects(new InvalidToken({ message: `Invalid token ${token}`, $metadata: {} }));
    const stubbed = new SfnTaskCallbacks(new SFNClient({ region: 'us-east-1', credentials: emulatorCredentials }));

    // Act
    const outcomes = await Promise.allSettled([stubbed.heartbeat(token), stubbed.succeed(token, { result: null }), stubbed.fail(token, 'X', 'y')]);
    refusing.restore();

    // Assess
    expect(accepted.status).toBe('fulfilled');
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = outcome.status === 'rejected' ? (outcome.reason as Error) : undefined;
      expect(reason).toBeInstanceOf(TaskTokenExpiredError);
      expect(reason?.message).not.toContain(token);
    }
  });
});

describe('ResponderQueues on moto SQS', () => {
  it('makes one queue per target with a dead-letter queue, under the prefix, with safe and distinct names', async () => {
    // Prepare
    const prefix = `RAq-${randomBytes(3).toString('hex')}`;
    const queues = new ResponderQueues({ client: sqs, prefix, visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const dotted = { kind: 'host' as const, name: 'web.prod:7' };
    const dashed = { kind: 'host' as const, name: 'web-prod-7' };
    const long = { kind: 'kubernetes' as const, name: 'c'.repeat(253) };

    // Act
    const urls = await Promise.all([queues.ensure(dotted), queues.ensure(dashed), queues.ensure(long), queues.ensure(dotted)]);
    await queues.send(dotted, 'not a work message');
    for (let round = 0; round < 3; round += 1) {
      await queues.receive(dotted, 10, 1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }

    // Assess
    const names = [dotted, dashed, long].map((target) => queueNameFor(prefix, target));
    expect(new Set(names).size).toBe(3);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,76}$/);
      expect(name.startsWith(`${prefix}-`)).toBe(true);
    }
    expect(names[2]?.startsWith(`${prefix}-k8s-`)).toBe(true);
    expect(urls[0]).toBe(urls[3]);
    expect(await queues.counts(dotted)).toEqual({ queued: 0, inFlight: 0, deadLetters: 1 });
  });
});

describe('loadResponderConfig', () => {
  it('reads the prefix and ARNs, and names the variable that is wrong', () => {
    // Act
    const defaults = loadResponderConfig({});
    const set = loadResponderConfig({
      RESPONDER_QUEUE_PREFIX: 'RA-prod',
      RESPONDER_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:responder-actions',
      WORK_SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:work-signing-key-AbCdEf',
    });

    // Assess
    expect(defaults).toEqual({
      queuePrefix: 'ResponseActions',
      stateMachineArn: undefined,
      signingKeySecretArn: undefined,
      queueRoleArn: undefined,
      queueCredentialSeconds: 3600,
      retentionHours: 168,
      queueForUnregistered: false,
    });
    expect(set.queuePrefix).toBe('RA-prod');
    expect(() => loadResponderConfig({ RESPONDER_QUEUE_PREFIX: 'has spaces' })).toThrow(ConfigError);
    expect(() => loadResponderConfig({}, ['WORK_SIGNING_KEY_SECRET_ARN'])).toThrow(/WORK_SIGNING_KEY_SECRET_ARN/);
    expect(() => loadResponderConfig({ RESPONDER_STATE_MACHINE_ARN: 'nope' })).toThrow(/RESPONDER_STATE_MACHINE_ARN/);
    expect(loadResponderConfig({ RESPONDER_QUEUE_ROLE_ARN: 'arn:aws:iam::123456789012:role/ResponderQueueAccess', RESPONDER_QUEUE_CREDENTIAL_SECONDS: '900', RESPONDER_RETENTION_HOURS: '24' })).toMatchObject({
      queueRoleArn: 'arn:aws:iam::123456789012:role/ResponderQueueAccess',
      queueCredentialSeconds: 900,
      retentionHours: 24,
    });
    // Role chaining caps AssumeRole at an hour; STS's minimum is 15 minutes.
    expect(() => loadResponderConfig({ RESPONDER_QUEUE_CREDENTIAL_SECONDS: '7200' })).toThrow(/RESPONDER_QUEUE_CREDENTIAL_SECONDS/);
    expect(() => loadResponderConfig({ RESPONDER_QUEUE_CREDENTIAL_SECONDS: '60' })).toThrow(/RESPONDER_QUEUE_CREDENTIAL_SECONDS/);
    expect(() => loadResponderConfig({ RESPONDER_RETENTION_HOURS: '0' })).toThrow(/RESPONDER_RETENTION_HOURS/);
    expect(() => loadResponderConfig({ RESPONDER_QUEUE_ROLE_ARN: 'role/x' })).toThrow(/RESPONDER_QUEUE_ROLE_ARN/);
  });
});
