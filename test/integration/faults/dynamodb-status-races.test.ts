import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHandler as createReportHandler } from '#functions/api/report-action.ts';
import { createLocalResponderActions, type LocalResponderActions } from '#local/runners/responder-runner.ts';
import { ActionNotRunningError } from '#shared/actions/errors.ts';
import { endInError, markCompleted, markRunning } from '#shared/actions/mark-status.ts';
import { systemClock } from '#shared/clock.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { postReport, startFaultyHistory, statusesOf, storedHostRecord, type FaultyHistory } from '#test/support/dynamo-faults.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';

// Real races: two writers on the same record at once, through dynalite (the fault proxy in front of
// it injects nothing here). Whoever loses must find out from the store, not overwrite, and say so.

const rounds = 12;
let faulty: FaultyHistory;

beforeAll(async () => {
  faulty = await startFaultyHistory();
});

afterAll(async () => {
  await faulty.close();
});

async function runningRecord(host: string): Promise<string> {
  const record = await storedHostRecord(faulty.repository, host);
  await markRunning(faulty.repository, record.id);
  return record.id;
}

describe('two writers ending the same Running action at once', () => {
  it('records exactly one ending: the loser of Completed against Error learns it from the store and says which ending won', async () => {
    const failuresBefore = faulty.proxy.conditionFailures();
    for (let round = 0; round < rounds; round += 1) {
      // Prepare
      const id = await runningRecord(`race-end-${String(round)}`);

      // Act: the responder's Completed (MarkCompleted) against the completion deadline's Error (MarkError).
      const [completed, failed] = await Promise.allSettled([
        markCompleted(faulty.repository, id, { round }),
        endInError(faulty.repository, id, { code: 'CompletionDeadlineExceeded', message: 'the responder started but did not finish' }),
      ]);

      // Assess
      const final = await faulty.repository.get(id);
      expect(statusesOf(final)).toEqual(['Created', 'Enqueued', 'Running', final?.status]);
      expect(failed).toMatchObject({ status: 'fulfilled', value: { status: final?.status } });
      if (final?.status === 'Completed') {
        expect(completed).toMatchObject({ status: 'fulfilled', value: { status: 'Completed', result: { round } } });
        expect(final.error).toBeNull();
      } else {
        expect(final?.error?.code).toBe('CompletionDeadlineExceeded');
        expect(completed.status).toBe('rejected');
        const reason = (completed as PromiseRejectedResult).reason as unknown;
        expect(reason).toBeInstanceOf(ActionNotRunningError);
        expect((reason as Error).message).toBe(`action ${id} is Error and cannot become Completed`);
      }
    }
    // The writers did collide in the store (dynalite refused the loser's conditional write), not merely one after the other.
    expect(faulty.proxy.conditionFailures()).toBeGreaterThan(failuresBefore);
  });

  it('keeps the first of two Error endings with its own code and message, once', async () => {
    for (let round = 0; round < rounds; round += 1) {
      // Prepare
      const id = await runningRecord(`race-errors-${String(round)}`);

      // Act
      const endings = await Promise.all([
        endInError(faulty.repository, id, { code: 'ResponderLost', message: 'no heartbeat' }),
        endInError(faulty.repository, id, { code: 'InterruptedByRestart', message: 'the service restarted' }),
      ]);

      // Assess
      const final = await faulty.repository.get(id);
      expect(statusesOf(final)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
      expect(['ResponderLost', 'InterruptedByRestart']).toContain(final?.error?.code);
      expect(endings.map((ending) => ending?.error)).toEqual([final?.error, final?.error]);
    }
  });
});

describe('two writers starting the same action at once', () => {
  it('moves it Created -> Enqueued -> Running once when the starter and MarkRunning race', async () => {
    for (let round = 0; round < rounds; round += 1) {
      // Prepare
      const record = await storedHostRecord(faulty.repository, `race-start-${String(round)}`);

      // Act
      const started = await Promise.all([markRunning(faulty.repository, record.id), markRunning(faulty.repository, record.id)]);

      // Assess
      expect(started.map((each) => each.status)).toEqual(['Running', 'Running']);
      expect(statusesOf(await faulty.repository.get(record.id))).toEqual(['Created', 'Enqueued', 'Running']);
    }
  });
});

describe('two final reports of one host action at once, and one after it settled', () => {
  let sqs: SQSClient;
  let runtime: LocalResponderActions;
  let report: ReturnType<typeof createReportHandler>;

  beforeAll(() => {
    sqs = new SQSClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
    const queues = new ResponderQueues({ client: sqs, prefix: `RArace-${randomBytes(4).toString('hex')}` });
    const signingKey = workSigningKeyFromJwk(generateWorkSigningJwk());
    runtime = createLocalResponderActions({
      repository: faulty.repository,
      config: { deadlines: { pickupSeconds: 120, completionSeconds: 300 } },
      dispatch: createDispatchWorkHandler({ repository: faulty.repository, store: faulty.store, queues, signingKey, clock: systemClock }),
      retryIntervalOverrides: { Dispatch: 0, ExplainLapse: 0, MarkCompleted: 0, MarkError: 0 },
    });
    report = createReportHandler({ responders: new ResponderService({ repository: faulty.repository, store: faulty.store, callbacks: runtime.callbacks, clock: systemClock }) });
  });

  afterAll(async () => {
    await runtime.close();
    sqs.destroy();
  });

  it('applies exactly one (200), refuses the other (409), and refuses a late one without changing the record', async () => {
    for (let round = 0; round < 4; round += 1) {
      // Prepare: dispatched by the shipped state machine and picked up.
      const host = `race-report-${String(round)}`;
      const record = await storedHostRecord(faulty.repository, host);
      await runtime.resume(record, { pickupSeconds: 120, completionSeconds: 300 });
      for (let tries = 0; (await faulty.store.getDispatch(record.id)) === null; tries += 1) {
        if (tries > 400) throw new Error('the work was not dispatched');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect((await postReport(report, host, record.id, { status: 'Running' })).status).toBe(200);

      // Act
      const answers = await Promise.all([
        postReport(report, host, record.id, { status: 'Error', error: { code: 'ContainerNotFound', message: 'first' } }),
        postReport(report, host, record.id, { status: 'Error', error: { code: 'RuntimeUnavailable', message: 'second' } }),
      ]);
      await runtime.idle();
      const settled = await faulty.repository.get(record.id);
      const late = await postReport(report, host, record.id, { status: 'Error', error: { code: 'ResponderInterrupted', message: 'late' } });

      // Assess
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      const winner = answers.findIndex((answer) => answer.status === 200);
      expect(settled?.error).toEqual(winner === 0 ? { code: 'ContainerNotFound', message: 'first' } : { code: 'RuntimeUnavailable', message: 'second' });
      expect(statusesOf(settled)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
      expect(late.status).toBe(409);
      expect(await faulty.repository.get(record.id)).toEqual(settled);
    }
  });
});
