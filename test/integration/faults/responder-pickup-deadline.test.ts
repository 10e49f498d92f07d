import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createLocalResponderActions, type LocalResponderActions } from '#local/runners/responder-runner.ts';
import { systemClock } from '#shared/clock.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { storedHostRecord } from '#test/support/dynamo-faults.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';

// Issue 15: deadlines.test.ts once saw the pickup deadline recorded 104 ms before Enqueued plus the
// deadline. The local timer opened with the Dispatch task, before Dispatch signed the order (whose
// pickupDeadline is issuedAt + pickupSeconds) and recorded Enqueued; a slow dispatch (a cold start,
// a loaded machine) moved both later while the timer kept its start. Here the dispatch is slow on
// purpose (it waits before doing its work, as a cold start does), so the difference is large and
// the test decides on recorded times only: the record's Error entry, its Enqueued entry and the
// signed order's pickupDeadline.

const coldStartMs = 800;
const pickupSeconds = 1;

let dynalite: EmbeddedDynamoDb;
let repository: HistoryRepository;
let store: ResponderStore;
let sqs: SQSClient;
let queues: ResponderQueues;
let runtime: LocalResponderActions;

beforeAll(async () => {
  dynalite = await startEmbeddedDynamoDb();
  const history = await freshHistory(dynalite.endpoint, systemClock);
  repository = history.repository;
  store = new ResponderStore({ client: createHistoryClient(history.store), tableName: history.tableName, clock: systemClock });
  sqs = new SQSClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
  queues = new ResponderQueues({ client: sqs, prefix: `RAfault-${randomBytes(4).toString('hex')}` });
  const dispatch = createDispatchWorkHandler({ repository, store, queues, signingKey: workSigningKeyFromJwk(generateWorkSigningJwk()), clock: systemClock });
  runtime = createLocalResponderActions({
    repository,
    config: { deadlines: { pickupSeconds, completionSeconds: 30 } },
    dispatch: async (event) => {
      if ((event as { step?: unknown }).step === 'dispatch') await sleep(coldStartMs);
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

describe('the pickup deadline of a slow dispatch', () => {
  it('is recorded no earlier than the deadline signed into the work order, nor than Enqueued plus the deadline', async () => {
    // Prepare
    const record = await storedHostRecord(repository, 'slow-dispatch-1');

    // Act
    await runtime.resume(record, { pickupSeconds, completionSeconds: 30 });
    await runtime.idle();

    // Assess
    const final = await repository.get(record.id);
    const dispatched = await store.getDispatch(record.id);
    if (final === null || dispatched === null) throw new Error('the action was not dispatched');
    expect(final.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Error']);
    expect(final.error?.code).toBe('PickupDeadlineExceeded');
    const [, enqueued, lapsed] = final.statusHistory;
    const lapsedAt = Date.parse(lapsed?.at ?? '');
    expect(lapsedAt).toBeGreaterThanOrEqual(Date.parse(dispatched.pickupDeadline));
    expect(lapsedAt).toBeGreaterThanOrEqual(Date.parse(enqueued?.at ?? '') + pickupSeconds * 1000);
  });
});
