import { IAMServiceException } from '@aws-sdk/client-iam';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { localFunctionArns, substituteDefinition } from '#local/runners/state-machine-definition.ts';
import { TargetNotFoundError, ThrottlingError } from '#shared/actions/errors.ts';
import { cloudRecord, entered, family, repository, retried, runToEnd, runtimeWith, shipped, statuses, testAction, useCloudActionScenarios } from '#test/support/cloud-action-scenarios.ts';

// The definition as shipped, and its happy, retry and catch paths.
useCloudActionScenarios();

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
});
