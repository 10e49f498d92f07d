import { readFileSync } from 'node:fs';
import { IAMServiceException } from '@aws-sdk/client-iam';
import aslValidator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { recoverInFlight } from '#local/recovery.ts';
import { createLocalCloudActions, defaultStateMachineFile, type LocalCloudActions, type LocalCloudActionsOptions } from '#local/runners/cloud-runner.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import { localFunctionArns, substituteDefinition } from '#local/runners/state-machine-definition.ts';
import type { CloudAction, CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { TargetNotFoundError, ThrottlingError } from '#shared/actions/errors.ts';
import { createMarkStatusHandler } from '#shared/actions/mark-status.ts';
import type { MemberSession, MemberSessionSource } from '#shared/adapters/member-session.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { recordFixture } from '#test/support/records.ts';

const shipped = readFileSync(defaultStateMachineFile, 'utf8');
const target = 'arn:aws:iam::111122223333:user/alice';
type NoClients = Record<string, never>;

/** Member sessions without STS: these scenarios are about the state machine, not IAM. */
const fakeSessions: MemberSessionSource = {
  sessionFor: ({ accountId, partition }) =>
    Promise.resolve<MemberSession>({
      accountId,
      partition,
      roleArn: `arn:${partition}:iam::${accountId}:role/ResponseActionsMember`,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing', expiration: new Date(Date.now() + 3_600_000) },
      clients: (_key, create) => create(),
    }),
};

/** A tiny action family bound through the same interface as the real ones. */
function family(name: string, actions: CloudAction<NoClients>[]): CloudActionFamily<NoClients> {
  return { name, actions, createClients: () => ({}) };
}

/** An action whose steps record and return fixed things; each step may be replaced. */
function testAction(type: string, steps: Partial<CloudAction<NoClients>> = {}): CloudAction<NoClients> & { calls: string[] } {
  const calls: string[] = [];
  return {
    type,
    calls,
    capture: async (context) => {
      calls.push('capture');
      await (steps.capture?.(context) ?? context.recordProgress({ prior: { settings: 'public' } }));
    },
    apply: async (context) => {
      calls.push('apply');
      if (steps.apply !== undefined) return steps.apply(context);
      await context.recordProgress({ applied: { changes: [{ action: 'MakePrivate' }] } });
      return { pending: false };
    },
    check: async (context) => {
      calls.push('check');
      return steps.check?.(context) ?? { pending: false };
    },
    verify: async (context) => {
      calls.push('verify');
      return steps.verify?.(context) ?? { private: true };
    },
    ...(steps.undoes === undefined ? {} : { undoes: steps.undoes }),
  };
}

const config = loadConfig({ TARGET_ACCOUNTS: '111122223333', MEMBER_ROLE_EXTERNAL_ID: 'test-external-id' });

let dynalite: EmbeddedDynamoDb;
let repository: HistoryRepository;
const runtimes: LocalCloudActions[] = [];

beforeAll(async () => {
  dynalite = await startEmbeddedDynamoDb();
  ({ repository } = await freshHistory(dynalite.endpoint, systemClock));
});

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  await dynalite.close();
});

function runtimeWith(families: CloudActionFamily<NoClients>[], options: Partial<LocalCloudActionsOptions> = {}): LocalCloudActions {
  const runtime = createLocalCloudActions({
    repository,
    config,
    clock: systemClock,
    memberSessions: fakeSessions,
    families,
    // Retries and waits as the definition says, minus the pauses.
    retryIntervalOverrides: { Apply: 0, Check: 0, Verify: 0, MarkError: 0 },
    waitTimeOverrides: { WaitForChange: 0 },
    ...options,
  });
  runtimes.push(runtime);
  return runtime;
}

function cloudRecord(type: string, fields: { undoOf?: ActionRecord } = {}): ActionRecord {
  const base = recordFixture({ type, at: systemClock.now(), resources: [target], undoType: null });
  return fields.undoOf === undefined ? base : createdRecord({ ...base, undoType: null, undoOf: fields.undoOf.id }, systemClock.now());
}

async function runToEnd(runtime: LocalCloudActions, record: ActionRecord): Promise<ActionRecord> {
  await repository.create(record);
  await runtime.starter.start(record);
  await runtime.idle();
  const final = await repository.get(record.id);
  if (final === null) throw new Error(`record ${record.id} vanished`);
  return final;
}

const statuses = (record: ActionRecord | null): string[] => (record?.statusHistory ?? []).map((change) => change.status);
const entered = (events: readonly ExecutionEvent[]): string[] =>
  events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));
const retried = (events: readonly ExecutionEvent[], state: string): number =>
  events.filter((event) => event.type === 'StateRetried' && event.state.name === state).length;

describe('the shipped cloud-action state machine', () => {
  it('is valid ASL as shipped and with the substitutions the local runtime and CDK make', () => {
    // Prepare
    const substituted = substituteDefinition(shipped, {
      Partition: 'aws',
      MarkStatusFunctionArn: localFunctionArns.markStatus,
      ActionFunctionArn: localFunctionArns.action('iam'),
    });

    // Act
    // As shipped, Resource holds arn:${Partition}:..., which only the substitution makes an ARN.
    const asShipped = aslValidator(JSON.parse(shipped) as object, { checkArn: false, checkPaths: true });
    const deployed = aslValidator(JSON.parse(substituted) as object, { checkArn: true, checkPaths: true });

    // Assess
    expect(asShipped.errorsText('\n')).toBe('');
    expect(asShipped.isValid).toBe(true);
    expect(deployed.errorsText('\n')).toBe('');
    expect(deployed.isValid).toBe(true);
  });

  it('gives every task a retry on throttling and transient Lambda errors and a catch into MarkError', () => {
    // Prepare
    const definition = JSON.parse(shipped) as {
      States: Record<string, { Type: string; Retry?: { ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number }[]; Catch?: { ErrorEquals: string[]; Next: string }[]; Next?: string }>;
    };
    const transient = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'ThrottlingError'];

    // Act
    const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');

    // Assess
    expect(tasks.map(([name]) => name).sort()).toEqual(['Apply', 'Capture', 'Check', 'MarkCompleted', 'MarkError', 'MarkRunning', 'Verify']);
    for (const [name, state] of tasks) {
      const retrier = state.Retry?.[0];
      expect(retrier?.ErrorEquals, name).toEqual(transient);
      expect(retrier?.JitterStrategy, name).toBe('FULL');
      expect(retrier?.BackoffRate, name).toBeGreaterThan(1);
      if (name === 'MarkError') {
        expect(state.Retry?.at(-1)?.ErrorEquals).toEqual(['States.ALL']);
        expect(state.Next).toBe('Failed');
      } else {
        expect(state.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'MarkError' }]);
      }
    }
  });

  it('happy path: Created → Enqueued → Running → Completed with the result, running each step once', async () => {
    // Prepare
    const action = testAction('test-happy');
    const runtime = runtimeWith([family('happy', [action])]);
    const record = cloudRecord('test-happy');

    // Act
    const final = await runToEnd(runtime, record);
    await runtime.starter.start(record);
    await runtime.idle();

    // Assess
    expect(statuses(final)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(final.statusHistory[1]?.detail).toBe('execution started');
    expect(final.result).toEqual({ private: true });
    expect(final.prior).toEqual({ settings: 'public' });
    expect(final.applied).toEqual({ changes: [{ action: 'MakePrivate' }] });
    expect(final.error).toBeNull();
    expect(entered(runtime.history(record.id))).toEqual(['MarkRunning', 'Capture', 'Apply', 'ApplyPending', 'Verify', 'MarkCompleted']);
    // The second start found the execution already there, as ExecutionAlreadyExists would.
    expect(action.calls).toEqual(['capture', 'apply', 'verify']);
    expect(statuses(await repository.get(record.id))).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
  });

  it('retry path: a step that throws ThrottlingError twice is retried and the action completes', async () => {
    // Prepare
    let attempts = 0;
    const action = testAction('test-throttled', {
      apply: async (context) => {
        attempts += 1;
        if (attempts <= 2) throw new ThrottlingError('AWS throttled iam:AttachUserPolicy in account 111122223333');
        await context.recordProgress({ applied: { changes: [{ action: 'MakePrivate' }] } });
        return { pending: false };
      },
    });
    const runtime = runtimeWith([family('throttled', [action])]);
    const record = cloudRecord('test-throttled');

    // Act
    const final = await runToEnd(runtime, record);

    // Assess
    expect(attempts).toBe(3);
    expect(retried(runtime.history(record.id), 'Apply')).toBe(2);
    expect(final.status).toBe('Completed');
    expect(final.error).toBeNull();
  });

  it('turns AWS errors into named errors: throttling is retried, access denied names the missing permission', async () => {
    // Prepare
    const awsError = (name: string, message: string, status: number) =>
      new IAMServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
    let throttled = 0;
    const action = testAction('test-aws-errors', {
      capture: async (context) => {
        throttled += 1;
        if (throttled <= 2) throw awsError('Throttling', 'Rate exceeded', 400);
        await context.recordProgress({ prior: { attached: [] } });
      },
      apply: () =>
        Promise.reject(
          awsError(
            'AccessDenied',
            'User: arn:aws:sts::111122223333:assumed-role/ResponseActionsMember/x is not authorized to perform: iam:AttachUserPolicy on resource: user alice',
            403,
          ),
        ),
    });
    const runtime = runtimeWith([family('aws-errors', [action])], { retryIntervalOverrides: { Capture: 0 } });
    const record = cloudRecord('test-aws-errors');

    // Act
    const final = await runToEnd(runtime, record);

    // Assess
    expect(retried(runtime.history(record.id), 'Capture')).toBe(2);
    expect(final.status).toBe('Error');
    expect(final.error?.code).toBe('AccessDenied');
    expect(final.error?.message).toContain('the member role needs iam:AttachUserPolicy');
    expect(final.error?.message).toContain('account 111122223333');
  });

  it('catch path: a failing step goes to MarkError, which records code and message and keeps what was applied', async () => {
    // Prepare
    const action = testAction('test-vanishing', {
      verify: () => Promise.reject(new TargetNotFoundError('S3 bucket evidence-bucket does not exist in account 111122223333')),
    });
    const original = cloudRecord('test-vanishing');
    const runtime = runtimeWith([family('vanishing', [action])]);

    // Act
    const final = await runToEnd(runtime, original);
    const events = runtime.history(original.id);

    // Assess
    expect(statuses(final)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(final.error).toEqual({ code: 'TargetNotFound', message: 'S3 bucket evidence-bucket does not exist in account 111122223333' });
    // A failure after the change still leaves undo the truth.
    expect(final.applied).toEqual({ changes: [{ action: 'MakePrivate' }] });
    expect(entered(events).slice(-2)).toEqual(['MarkError', 'Failed']);
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', Error: 'TargetNotFoundError' });
  });

  it('catch path for an undo: ending in Error unlinks it from the action it undoes, so undo may be retried', async () => {
    // Prepare
    const runtime = runtimeWith([
      family('undoable', [testAction('test-undoable'), testAction('test-undo', { undoes: 'test-undoable', apply: () => Promise.reject(new TypeError('a defect')) })]),
    ]);
    const original = await runToEnd(runtime, { ...cloudRecord('test-undoable'), undo: { available: false, type: 'test-undo', actionId: null } });
    const undo = cloudRecord('test-undo', { undoOf: original });
    await repository.claimUndo(original.id, undo.id);

    // Act
    const final = await runToEnd(runtime, undo);

    // Assess
    expect(final.status).toBe('Error');
    expect(final.error).toEqual({ code: 'TypeError', message: 'a defect' });
    expect((await repository.get(original.id))?.undo).toEqual({ available: true, type: 'test-undo', actionId: null });
  });

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
    const started = Date.now();
    const final = await runToEnd(runtime, record);

    // Assess
    expect(Date.now() - started).toBeLessThan(5000);
    expect(final.status).toBe('Error');
    expect(final.error?.code).toBe('DeadlineExceeded');
    expect(final.error?.message).toContain('1 seconds');
    expect(final.applied).toEqual({ changes: [{ action: 'MakePrivate' }] });
    expect(action.calls).toEqual(['capture', 'apply']);
    expect(runtime.history(record.id).some((event) => event.type === 'ExecutionAborted')).toBe(true);
  });

  it('restart recovery: Created is started again, Enqueued and Running end in Error InterruptedByRestart, other executors are left alone', async () => {
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
    expect(report.restarted).toContain(created.id);
    expect(report.interrupted).toEqual(expect.arrayContaining([enqueued.id, runningUndo.id]));
    expect(report.left).toContain(hostWork.id);
    expect(statuses(await repository.get(created.id))).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(action.calls).toEqual(['capture', 'apply', 'verify']);
    const interrupted = await repository.get(runningUndo.id);
    expect(interrupted?.status).toBe('Error');
    expect(interrupted?.error).toEqual({
      code: 'InterruptedByRestart',
      message: 'interrupted by restart; prior/applied as recorded, undo can clean up',
    });
    expect(interrupted?.prior).toEqual({ settings: 'private' });
    expect((await repository.get(enqueued.id))?.error?.code).toBe('InterruptedByRestart');
    expect((await repository.get(original.id))?.undo.actionId).toBeNull();
    expect((await repository.get(hostWork.id))?.status).toBe('Enqueued');
  });

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
