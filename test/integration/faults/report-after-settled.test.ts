import { randomBytes } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHandler as createReportHandler } from '#functions/api/report-action.ts';
import { createLocalResponderActions, type LocalResponderActions } from '#local/runners/responder-runner.ts';
import { systemClock } from '#shared/clock.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { ActionStatus } from '#shared/history/status.ts';
import { createDispatchWorkHandler } from '#shared/responders/dispatch.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { postReport, startFaultyHistory, statusesOf, storedHostRecord, type FaultyHistory } from '#test/support/dynamo-faults.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';

// A final report that arrives after another one settled the execution's task token, but before
// MarkCompleted has written the ending (the record still reads Running), must be refused (409)
// with nothing written. Real parts throughout: dynalite (through the fault proxy, which injects
// nothing here), the shipped responder state machine on the local runtime, the report route. The
// only addition is a hold point on the runtime's own history writes: MarkCompleted's Completed
// transition waits until the test lets it go, so the late report lands in that window every time
// (the write itself is the real one, made when released).

/** The runtime's repository: the real one, with its Completed transitions held until released. */
function holdingCompleted(repository: HistoryRepository): { repository: HistoryRepository; held: Promise<void>; release: () => void } {
  let reached: () => void = () => undefined;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const holding = new Proxy(repository, {
    get(target, property, receiver) {
      if (property !== 'transition') return Reflect.get(target, property, receiver) as unknown;
      return async (id: string, to: ActionStatus, ...rest: unknown[]) => {
        if (to === 'Completed') {
          reached();
          await gate;
        }
        return (target.transition as (...args: unknown[]) => unknown).call(target, id, to, ...rest);
      };
    },
  });
  return { repository: holding, held, release };
}

const applied = (stopped: boolean) => ({ containerId: 'c0ffee', name: null, runtime: 'docker', namespace: null, stopped });
const prior = { containerId: 'c0ffee', name: null, runtime: 'docker', namespace: null, status: 'running', pid: null, image: null, startedAt: null, restartPolicy: null };

describe('a final report after another one settled the task, before its ending is written', () => {
  let faulty: FaultyHistory;
  let sqs: SQSClient;

  beforeAll(async () => {
    faulty = await startFaultyHistory();
    sqs = new SQSClient({ endpoint: inject('motoEndpoint'), region: 'us-east-1', credentials: emulatorCredentials });
  });

  afterAll(async () => {
    sqs.destroy();
    await faulty.close();
  });

  it.each(['Completed', 'Error'] as const)('%s with applied: 409, and the record (applied, updatedAt) stays as the settling report left it', async (lateStatus) => {
    // Prepare: the shipped state machine dispatches the work, the responder picks it up, and its Completed report settles the token.
    const hold = holdingCompleted(faulty.repository);
    const queues = new ResponderQueues({ client: sqs, prefix: `RAlate-${randomBytes(4).toString('hex')}` });
    const runtime: LocalResponderActions = createLocalResponderActions({
      repository: hold.repository,
      config: { deadlines: { pickupSeconds: 120, completionSeconds: 300 } },
      dispatch: createDispatchWorkHandler({ repository: faulty.repository, store: faulty.store, queues, signingKey: workSigningKeyFromJwk(generateWorkSigningJwk()), clock: systemClock }),
      retryIntervalOverrides: { Dispatch: 0, ExplainLapse: 0, MarkCompleted: 0, MarkError: 0 },
    });
    const report = createReportHandler({ responders: new ResponderService({ repository: faulty.repository, store: faulty.store, callbacks: runtime.callbacks, clock: systemClock }) });
    try {
      const host = `late-report-${lateStatus.toLowerCase()}`;
      const record = await storedHostRecord(faulty.repository, host);
      await runtime.resume(record, { pickupSeconds: 120, completionSeconds: 300 });
      for (let tries = 0; (await faulty.store.getDispatch(record.id)) === null; tries += 1) {
        if (tries > 400) throw new Error('the work was not dispatched');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect((await postReport(report, host, record.id, { status: 'Running', prior })).status).toBe(200);
      const settling = await postReport(report, host, record.id, { status: 'Completed', applied: applied(true), result: { containerId: 'c0ffee', changed: true } });
      expect(settling.status).toBe(200);
      await hold.held;
      const beforeLate = await faulty.repository.get(record.id);
      expect(beforeLate?.status).toBe('Running');

      // Act: the late report, in the window between the token settling and MarkCompleted's write.
      const late = await postReport(
        report,
        host,
        record.id,
        lateStatus === 'Completed'
          ? { status: 'Completed', applied: applied(false), result: { containerId: 'c0ffee', changed: false } }
          : { status: 'Error', applied: applied(false), error: { code: 'ContainerNotFound', message: 'late' } },
      );
      const afterLate = await faulty.repository.get(record.id);
      hold.release();
      await runtime.idle();

      // Assess
      expect(late.status).toBe(409);
      expect(afterLate).toEqual(beforeLate);
      const final = await faulty.repository.get(record.id);
      expect(statusesOf(final)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
      expect(final?.applied).toEqual(applied(true));
      expect(final?.result).toEqual({ containerId: 'c0ffee', changed: true });
    } finally {
      hold.release();
      await runtime.close();
    }
  });
});
