import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import aslValidator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import { createLocalResponderActions, defaultResponderStateMachineFile, type LocalResponderActions } from '#local/runners/responder-runner.ts';
import { localFunctionArns, substituteDefinition } from '#local/runners/state-machine-definition.ts';
import { systemClock } from '#shared/clock.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import type { ResponderDeadlines } from '#shared/responders/starter.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { TaskTokenExpiredError } from '#shared/responders/task-callbacks.ts';
import { generateWorkSigningJwk, TrustedWorkKeys, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';

const shipped = readFileSync(defaultResponderStateMachineFile, 'utf8');
const signingKey = workSigningKeyFromJwk(generateWorkSigningJwk());

let dynalite: EmbeddedDynamoDb;
let repository: HistoryRepository;
let store: ResponderStore;
let sqs: SQSClient;
let queues: ResponderQueues;
let runtime: LocalResponderActions;
/** Every event the Dispatch and ExplainLapse states sent, in order. */
const dispatched: Record<string, unknown>[] = [];
/** Action ids whose next dispatch fails as Lambda's own service errors do. */
const failOnce = new Set<string>();

beforeAll(async () => {
  dynalite = await startEmbeddedDynamoDb();
  const history = await freshHistory(dynalite.endpoint, systemClock);
  repository = history.repository;
  const { createHistoryClient } = await import('#shared/adapters/dynamodb.ts');
  store = new ResponderStore({ client: createHistoryClient(history.store), tableName: history.tableName, clock: systemClock });
  // The work queues on moto_server's SQS, with a prefix of their own.
  sqs = new SQSClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
  queues = new ResponderQueues({ client: sqs, prefix: `RAtest-${randomBytes(4).toString('hex')}` });
  const dispatch = createDispatchWorkHandler({ repository, store, queues, signingKey, clock: systemClock });
  runtime = createLocalResponderActions({
    repository,
    config: { deadlines: { pickupSeconds: 120, completionSeconds: 900 } },
    dispatch: async (event) => {
      const fields = event as Record<string, unknown>;
      dispatched.push(fields);
      const actionId = String(fields['actionId']);
      if (fields['step'] === 'dispatch' && failOnce.delete(actionId)) {
        const error = new Error('Lambda was unable to run the function');
        error.name = 'Lambda.ServiceException';
        throw error;
      }
      return dispatch(event);
    },
    retryIntervalOverrides: { Dispatch: 0, ExplainLapse: 0, MarkCompleted: 0, MarkError: 0 },
  });
});

afterAll(async () => {
  await runtime.close();
  sqs.destroy();
  await dynalite.close();
});

function hostRecord(host: string, fields: { undoOf?: string } = {}): ActionRecord {
  return createdRecord(
    {
      id: randomUUID(),
      type: fields.undoOf === undefined ? 'stop-container' : 'start-container',
      category: 'containment',
      executor: 'host',
      inputs: { 'host.id': host, 'container.id': 'c0ffee' },
      resources: [{ key: `host/${host}/container/c0ffee`, kind: 'container' }],
      createdBy: 'analyst-1',
      undoType: fields.undoOf === undefined ? 'start-container' : null,
      ...(fields.undoOf === undefined ? {} : { undoOf: fields.undoOf }),
    },
    systemClock.now(),
  );
}

/** Starts the execution and waits until the work is out (the token stored, the record Enqueued). */
async function dispatchedAction(record: ActionRecord, deadlines: ResponderDeadlines): Promise<string> {
  await repository.create(record);
  await runtime.resume(record, deadlines);
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const item = await store.getDispatch(record.id);
    const current = await repository.get(record.id);
    if (item !== null && current?.status !== 'Created') return item.taskToken;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`action ${record.id} was not dispatched`);
}

async function settled(id: string): Promise<ActionRecord> {
  await runtime.idle();
  const record = await repository.get(id);
  if (record === null) throw new Error(`record ${id} vanished`);
  return record;
}

const entered = (events: readonly ExecutionEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));
const retried = (events: readonly ExecutionEvent[], state: string): number =>
  events.filter((event) => event.type === 'StateRetried' && event.state.name === state).length;

describe('the shipped responder-action state machine', () => {
  it('is valid ASL as shipped and as deployed, and every Task retries transient Lambda errors and ends in MarkError', () => {
    // Prepare
    const substituted = substituteDefinition(shipped, {
      Partition: 'aws',
      MarkStatusFunctionArn: localFunctionArns.markStatus,
      DispatchFunctionArn: localFunctionArns.dispatchWork,
    });

    // Act
    const asShipped = aslValidator(JSON.parse(shipped) as object, { checkArn: false, checkPaths: true });
    const deployed = aslValidator(JSON.parse(substituted) as object, { checkArn: true, checkPaths: true });

    // Assess
    expect(asShipped.isValid, asShipped.errorsText()).toBe(true);
    expect(deployed.isValid, deployed.errorsText()).toBe(true);
    const definition = JSON.parse(shipped) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    expect(definition.StartAt).toBe('Dispatch');
    const dispatch = definition.States['Dispatch'] ?? {};
    expect(dispatch['Resource']).toBe('arn:${Partition}:states:::lambda:invoke.waitForTaskToken');
    expect(dispatch['HeartbeatSecondsPath']).toBe('$.deadlines.pickupSeconds');
    expect(dispatch['TimeoutSecondsPath']).toBe('$.deadlines.completionSeconds');
    expect((dispatch['Catch'] as { ErrorEquals: string[] }[]).map((rule) => rule.ErrorEquals[0])).toEqual([
      'States.HeartbeatTimeout',
      'States.Timeout',
      'DispatchFailedError',
      'States.ALL',
    ]);
    for (const [name, state] of Object.entries(definition.States)) {
      if (state['Type'] !== 'Task') continue;
      expect(JSON.stringify(state['Retry']), name).toContain('Lambda.ServiceException');
      if (name !== 'MarkError') expect(JSON.stringify(state['Catch']), name).toContain('MarkError');
    }
  });

  it('sends signed work without the task token and completes with the result the responder reports', async () => {
    // Prepare
    const record = hostRecord('sm-happy');
    const token = await dispatchedAction(record, { pickupSeconds: 30, completionSeconds: 60 });
    const [message] = await queues.receive({ kind: 'host', name: 'sm-happy' }, 1, 5);
    if (message === undefined) throw new Error('no work in the queue');

    // Act
    await runtime.callbacks.heartbeat(token);
    await repository.transition(record.id, 'Running');
    await runtime.callbacks.succeed(token, { result: { stopped: 'c0ffee' } });
    const final = await settled(record.id);

    // Assess
    expect(message.body).not.toContain(token);
    const order = await new TrustedWorkKeys([signingKey.publicJwk]).verify(message.body);
    expect(order).toMatchObject({ v: 1, actionId: record.id, type: 'stop-container', target: { kind: 'host', name: 'sm-happy' }, undoOf: null });
    expect(Date.parse(order.pickupDeadline) - Date.parse(order.issuedAt)).toBe(30_000);
    expect(Date.parse(order.completionDeadline) - Date.parse(order.issuedAt)).toBe(60_000);
    expect(final.status).toBe('Completed');
    expect(final.result).toEqual({ stopped: 'c0ffee' });
    expect(final.statusHistory[1]).toMatchObject({ status: 'Enqueued', detail: "sent to host sm-happy's queue" });
    expect(entered(runtime.history(record.id))).toEqual(['Dispatch', 'MarkCompleted']);
    await expect(runtime.callbacks.succeed(token, { result: null })).rejects.toBeInstanceOf(TaskTokenExpiredError);
  });

  it("ends in Error with the responder's own code and message when it reports a failure", async () => {
    // Prepare
    const record = hostRecord('sm-fail');
    const token = await dispatchedAction(record, { pickupSeconds: 30, completionSeconds: 60 });

    // Act
    await runtime.callbacks.fail(token, 'ContainerNotFound', 'no container c0ffee on host sm-fail');
    const final = await settled(record.id);

    // Assess
    expect(final.error).toEqual({ code: 'ContainerNotFound', message: 'no container c0ffee on host sm-fail' });
    expect(entered(runtime.history(record.id))).toEqual(['Dispatch', 'MarkError', 'Failed']);
  });

  it('ends in Error PickupDeadlineExceeded when no heartbeat comes within the pickup deadline', async () => {
    // Prepare
    const record = hostRecord('sm-nobody');

    // Act
    await dispatchedAction(record, { pickupSeconds: 1, completionSeconds: 10 });
    const final = await settled(record.id);

    // Assess
    expect(final.error).toEqual({ code: 'PickupDeadlineExceeded', message: 'no responder for host sm-nobody picked up the work within 1 s' });
    expect(entered(runtime.history(record.id))).toEqual(['Dispatch', 'PickupLapsed', 'ExplainLapse', 'MarkError', 'Failed']);
  });

  it('ends in Error CompletionDeadlineExceeded when the responder keeps heartbeating past the completion deadline', async () => {
    // Prepare
    const record = hostRecord('sm-slow');
    const token = await dispatchedAction(record, { pickupSeconds: 1, completionSeconds: 2 });
    await repository.transition(record.id, 'Running');
    const keepAlive = setInterval(() => {
      runtime.callbacks.heartbeat(token).catch(() => undefined);
    }, 300);

    // Act
    const final = await settled(record.id).finally(() => {
      clearInterval(keepAlive);
    });

    // Assess
    expect(final.error).toEqual({
      code: 'CompletionDeadlineExceeded',
      message: 'the responder started but did not finish within 2 s; prior/applied as recorded, undo can clean up',
    });
    expect(entered(runtime.history(record.id))).toEqual(['Dispatch', 'CompletionLapsed', 'ExplainLapse', 'MarkError', 'Failed']);
  });

  it('ends in Error DispatchFailed, without a message sent, when the work cannot be made (an undo whose original is gone)', async () => {
    // Prepare
    const record = hostRecord('sm-orphan', { undoOf: randomUUID() });
    await repository.create(record);

    // Act
    await runtime.resume(record, { pickupSeconds: 5, completionSeconds: 10 });
    const final = await settled(record.id);

    // Assess
    expect(final.error?.code).toBe('DispatchFailed');
    expect(final.error?.message).toMatch(/which .* undoes, does not exist any more$/);
    expect(entered(runtime.history(record.id))).toEqual(['Dispatch', 'DispatchFailed', 'MarkError', 'Failed']);
    expect(await store.getDispatch(record.id)).toBeNull();
  });

  it("retries Dispatch on Lambda's transient errors with a new token, and hands an undo the original's prior, applied and result", async () => {
    // Prepare
    const original = hostRecord('sm-undo');
    await repository.create(original);
    await repository.transition(original.id, 'Enqueued');
    // Shaped as responders/host/stop-container.ts reports them: Dispatch refuses any other shape.
    const container = { containerId: `c0ffee${'0'.repeat(58)}`, name: 'web', runtime: 'docker', namespace: null, status: 'running', pid: 4242, image: 'nginx:1.27', startedAt: '2026-03-01T12:00:00Z', restartPolicy: 'no' };
    const applied = { containerId: container.containerId, name: 'web', runtime: 'docker', namespace: null, stopped: true };
    const result = { ...container, changed: true, gracePeriodSeconds: 10, statusBefore: 'running', statusAfter: 'exited', notes: [] };
    await repository.transition(original.id, 'Running', { prior: container });
    await repository.transition(original.id, 'Completed', { applied, result });
    const undo = hostRecord('sm-undo', { undoOf: original.id });
    failOnce.add(undo.id);

    // Act
    const token = await dispatchedAction(undo, { pickupSeconds: 30, completionSeconds: 60 });
    const [message] = await queues.receive({ kind: 'host', name: 'sm-undo' }, 10, 5);
    await runtime.callbacks.fail(token, 'Cancelled', 'test over');
    await settled(undo.id);

    // Assess
    expect(retried(runtime.history(undo.id), 'Dispatch')).toBe(1);
    const tokens = dispatched.filter((event) => event['actionId'] === undo.id && event['step'] === 'dispatch').map((event) => event['taskToken']);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
    await expect(runtime.callbacks.heartbeat(String(tokens[0]))).rejects.toBeInstanceOf(TaskTokenExpiredError);
    const order = await new TrustedWorkKeys([signingKey.publicJwk]).verify(message?.body ?? '');
    expect(order.undoOf).toEqual({
      actionId: original.id,
      type: 'stop-container',
      prior: container,
      applied,
      result,
    });
  });
});
