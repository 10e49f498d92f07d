import { describe, expect, it } from 'vitest';
import { recoverInFlight } from '#local/recovery.ts';
import { createMarkStatusHandler } from '#shared/actions/mark-status.ts';
import { FixedClock, systemClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { cloudRecord, config, entered, fakeSessions, family, repository, runToEnd, runtimeWith, statuses, testAction, useCloudActionScenarios } from '#test/support/cloud-action-scenarios.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { recordFixture } from '#test/support/records.ts';

// Waits and their bound, the deadline, restart recovery, one execution per action, the account guard, mark-status.
const dynalite = useCloudActionScenarios();

describe('the shipped cloud-action state machine', () => {
  it('wait loop: a change pending twice is waited for and checked until done', async () => {
    // Prepare
    let checks = 0;
    const action = testAction('test-slow', {
      apply: () => Promise.resolve({ pending: true, waitSeconds: 5 }),
      check: () => {
        checks += 1;
        return Promise.resolve(checks < 2 ? { pending: true, waitSeconds: 5 } : { pending: false });
      },
    });
    const runtime = runtimeWith([family('slow', [action])]);
    const record = cloudRecord('test-slow');

    // Act
    const final = await runToEnd(runtime, record);

    // Assess
    expect(final.status).toBe('Completed');
    expect(action.calls).toEqual(['capture', 'apply', 'check', 'check', 'verify']);
    expect(entered(runtime.history(record.id)).filter((state) => state === 'WaitForChange')).toHaveLength(2);
  });

  it('wait loop bound: a change still pending after 20 checks ends in Error StillPending', async () => {
    // Prepare
    const action = testAction('test-stuck', {
      apply: () => Promise.resolve({ pending: true, waitSeconds: 30 }),
      check: () => Promise.resolve({ pending: true, waitSeconds: 30 }),
    });
    const runtime = runtimeWith([family('stuck', [action])]);
    const record = cloudRecord('test-stuck');

    // Act
    const final = await runToEnd(runtime, record);

    // Assess
    expect(final.status).toBe('Error');
    expect(final.error?.code).toBe('StillPending');
    expect(final.error?.message).toMatch(/^the change was still pending after 20 checks/);
    expect(action.calls.filter((call) => call === 'check')).toHaveLength(20);
    expect(action.calls).not.toContain('verify');
  });

  it('deadline: an execution still running at config.deadlines.completionSeconds is aborted and ends in Error DeadlineExceeded', async () => {
    // Prepare
    const action = testAction('test-hanging', {
      apply: async (context) => {
        // A slow change that lands after the deadline, within the grace a running step gets.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await context.recordProgress({ applied: { changes: [{ action: 'MakePrivate' }] } });
        return { pending: false };
      },
    });
    const runtime = runtimeWith([family('hanging', [action])], {
      config: { ...config, deadlines: { ...config.deadlines, completionSeconds: 1 } },
      deadlineGraceMs: 3000,
    });
    const record = cloudRecord('test-hanging');

    // Act
    const final = await runToEnd(runtime, record);

    // Assess: aborted at the deadline is decided by the execution's own history (ExecutionAborted,
    // Verify never called), not by how long the test waited.
    expect(final.status).toBe('Error');
    expect(final.error?.code).toBe('DeadlineExceeded');
    expect(final.error?.message).toContain('1 seconds');
    expect(final.applied).toEqual({ changes: [{ action: 'MakePrivate' }] });
    expect(action.calls).toEqual(['capture', 'apply']);
    expect(runtime.history(record.id).some((event) => event.type === 'ExecutionAborted')).toBe(true);
  });

  it('restart recovery: Created is started again, Enqueued and Running are resumed (prior kept from the first capture), other executors are left alone', async () => {
    // Prepare: a table of its own, since recovery looks at every record in flight.
    const { repository } = await freshHistory(dynalite.endpoint, systemClock);
    const action = testAction('test-recovered');
    const runtime = runtimeWith([family('recovered', [action, testAction('test-recovered-undo', { undoes: 'test-recovered' })])], { repository });
    const runToEnd = async (record: ActionRecord): Promise<ActionRecord> => {
      await repository.create(record);
      await runtime.starter.start(record);
      await runtime.idle();
      return (await repository.get(record.id)) ?? record;
    };
    const created = cloudRecord('test-recovered');
    await repository.create(created);
    const enqueued = cloudRecord('test-recovered');
    await repository.create(enqueued);
    await repository.transition(enqueued.id, 'Enqueued', { detail: 'execution started' });
    const original = await runToEnd({ ...cloudRecord('test-recovered'), undo: { available: false, type: 'test-recovered-undo', actionId: null } });
    const runningUndo = cloudRecord('test-recovered-undo', { undoOf: original });
    await repository.claimUndo(original.id, runningUndo.id);
    await repository.create(runningUndo);
    await repository.transition(runningUndo.id, 'Enqueued');
    await repository.transition(runningUndo.id, 'Running', { prior: { settings: 'private' } });
    const hostWork = recordFixture({ type: 'kill-process', executor: 'host', resources: ['host/node-7'], undoType: null, at: systemClock.now() });
    await repository.create(hostWork);
    await repository.transition(hostWork.id, 'Enqueued');
    action.calls.length = 0;

    // Act
    const report = await recoverInFlight(repository, runtime.starter);
    await runtime.idle();

    // Assess
    expect(report.restarted).toEqual(expect.arrayContaining([created.id, enqueued.id, runningUndo.id]));
    expect(report.interrupted).toEqual([]);
    expect(report.left).toContain(hostWork.id);
    expect(statuses(await repository.get(created.id))).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(statuses(await repository.get(enqueued.id))).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect([...action.calls].sort()).toEqual(['apply', 'apply', 'capture', 'capture', 'verify', 'verify']);
    const resumed = await repository.get(runningUndo.id);
    expect(statuses(resumed)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(resumed?.prior).toEqual({ settings: 'private' });
    expect((await repository.get(original.id))?.undo.actionId).toBe(runningUndo.id);
    expect((await repository.get(hostWork.id))?.status).toBe('Enqueued');
  });

  it('restart recovery keeps the completion deadline of the first start: a resumed action gets what is left, one past it ends in Error DeadlineExceeded without an execution', async () => {
    // Prepare: a table of its own; both actions began before the stop, the second 2 s after the
    // first, and the service comes back 1 s after the first one's deadline (the runtime's clock).
    const began = systemClock.now();
    const recorded = new FixedClock(began);
    const { repository } = await freshHistory(dynalite.endpoint, recorded);
    let land = (): void => undefined;
    const landed = new Promise<void>((resolve) => { land = resolve; });
    const action = testAction('test-stopped', {
      apply: async () => {
        await landed;
        return { pending: false };
      },
    });
    const completionMs = config.deadlines.completionSeconds * 1000;
    const back = new FixedClock(new Date(began.getTime() + completionMs + 1000));
    const runtime = runtimeWith([family('stopped', [action])], { repository, clock: back, deadlineGraceMs: 0 });
    const [expired, resumed] = [cloudRecord('test-stopped'), cloudRecord('test-stopped')];
    for (const record of [expired, resumed]) {
      await repository.create(record);
      await repository.transition(record.id, 'Enqueued', { detail: 'execution started' });
      await repository.transition(record.id, 'Running', { prior: { settings: 'public' } });
      recorded.advance(2000);
    }

    // Act: with the full deadline again, the resumed one would hang for completionSeconds (900 s), past this test's bound.
    const report = await recoverInFlight(repository, runtime.starter);
    await runtime.idle();
    land();

    // Assess
    expect(report.expired).toEqual([expired.id]);
    expect(report.restarted).toEqual([resumed.id]);
    const ended = await repository.get(expired.id);
    expect(statuses(ended)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(ended?.error?.code).toBe('DeadlineExceeded');
    expect(ended?.error?.message).toMatch(/^the action did not finish within 900 seconds of its start: the service was stopped past that, so it was not resumed/);
    expect(runtime.history(expired.id)).toEqual([]);
    const aborted = await repository.get(resumed.id);
    expect(aborted?.error?.code).toBe('DeadlineExceeded');
    expect(aborted?.prior).toEqual({ settings: 'public' });
    expect(action.calls).toEqual(['capture', 'apply']);
    expect(runtime.history(resumed.id).some((event) => event.type === 'ExecutionAborted')).toBe(true);
  }, 60_000);

  it('never runs two executions for one action id, and an action the API already enqueued still starts', async () => {
    // Prepare
    const action = testAction('test-once');
    const runtime = runtimeWith([family('once', [action])]);
    const record = cloudRecord('test-once');
    await repository.create(record);
    await repository.transition(record.id, 'Enqueued', { detail: 'execution started' });

    // Act
    await Promise.all([runtime.starter.start(record), runtime.starter.start(record), runtime.starter.start(record)]);
    await runtime.idle();

    // Assess
    expect(action.calls).toEqual(['capture', 'apply', 'verify']);
    expect(statuses(await repository.get(record.id))).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
  });

  it('refuses before any call: an account outside TARGET_ACCOUNTS never reaches the member session', async () => {
    // Prepare
    let sessions = 0;
    const action = testAction('test-guarded');
    const runtime = runtimeWith([family('guarded', [action])], {
      memberSessions: {
        sessionFor: (request) => {
          sessions += 1;
          return fakeSessions.sessionFor(request);
        },
      },
    });
    const record = { ...cloudRecord('test-guarded'), inputs: { 'aws.resource.arn': 'arn:aws:iam::999999999999:user/mallory' } };

    // Act
    const final = await runToEnd(runtime, record);

    // Assess
    expect(final.error?.code).toBe('TargetAccountNotAllowed');
    expect(final.error?.message).toContain('999999999999');
    expect(sessions).toBe(0);
    expect(action.calls).toEqual([]);
  });

  it('mark-status: Running enqueues a Created record first, Error reads the Lambda cause, and an execution that ended unseen ends its record', async () => {
    // Prepare
    const markStatus = createMarkStatusHandler({ repository });
    const created = cloudRecord('test-marks');
    await repository.create(created);
    const timedOut = cloudRecord('test-marks');
    await repository.create(timedOut);

    // Act
    await markStatus({ actionId: created.id, status: 'Running' });
    await markStatus({ actionId: created.id, status: 'Running' });
    await markStatus({
      actionId: created.id,
      status: 'Error',
      error: { Error: 'AccessDeniedError', Cause: JSON.stringify({ errorType: 'AccessDeniedError', errorMessage: 'access denied', trace: [] }) },
    });
    await markStatus({ actionId: created.id, status: 'Error', error: { Error: 'States.Timeout', Cause: '' } });
    await markStatus({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { name: timedOut.id, status: 'TIMED_OUT', executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:iam:x' },
    });

    // Assess
    const marked = await repository.get(created.id);
    expect(statuses(marked)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(marked?.statusHistory[1]?.detail).toBe('execution started');
    // The first ending stands: a repeated MarkError changes nothing.
    expect(marked?.error).toEqual({ code: 'AccessDenied', message: 'access denied' });
    expect((await repository.get(timedOut.id))?.error?.code).toBe('DeadlineExceeded');
    await expect(markStatus({ actionId: created.id, status: 'Paused' })).rejects.toThrow(/mark-status needs/);
  });
});
