import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalPlaybookRuns, defaultPlaybookStateMachineFile, type LocalPlaybookRuns } from '#local/runners/playbook-runner.ts';
import type { ExecutionEvent } from '#local/runners/executions.ts';
import { localFunctionArns, substituteDefinition } from '#local/runners/state-machine-definition.ts';
import type { PlaybookStepEvent, PlaybookStepResult } from '#shared/playbooks/types.ts';

/*
 * The shipped playbook-run state machine on the local runner, its Task bound to a scripted
 * handler: these scenarios are about the definition (loop, retry, catch), not the run engine,
 * whose handler has tests of its own (test/unit|integration/playbooks).
 */

const shipped = readFileSync(defaultPlaybookStateMachineFile, 'utf8');
const runtimes: LocalPlaybookRuns[] = [];

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
});

/** A runtime whose handler answers `answers` in turn (a function may throw), recording every event. */
function scripted(answers: ((event: PlaybookStepEvent) => PlaybookStepResult | Promise<PlaybookStepResult>)[]): { runtime: LocalPlaybookRuns; events: PlaybookStepEvent[] } {
  const events: PlaybookStepEvent[] = [];
  const runtime = createLocalPlaybookRuns({
    handler: async (event) => {
      events.push(event);
      if (event.step === 'fail') return null;
      const answer = answers.shift();
      if (answer === undefined) throw new Error('the scenario ran out of answers');
      return answer(event);
    },
    retryIntervalOverrides: { Advance: 0, FailRun: 0 },
    waitTimeOverrides: { WaitForStep: 0 },
  });
  runtimes.push(runtime);
  return { runtime, events };
}

const wait = (): PlaybookStepResult => ({ next: 'wait', waitSeconds: 2, status: 'Running' });
const done = (): PlaybookStepResult => ({ next: 'done', waitSeconds: 0, status: 'Completed' });
const entered = (events: readonly ExecutionEvent[]): string[] => events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));

function lambdaError(name: string): Error {
  const error = new Error('Lambda was unable to run the function');
  error.name = name;
  return error;
}

describe('the shipped playbook-run state machine', () => {
  it('is valid ASL as shipped and with the substitutions the local runtime and CDK make', () => {
    // Prepare
    const substituted = substituteDefinition(shipped, { Partition: 'aws', PlaybookStepFunctionArn: localFunctionArns.playbookStep });

    // Act
    const asShipped = aslValidator(JSON.parse(shipped) as object, { checkArn: false, checkPaths: true });
    const deployed = aslValidator(JSON.parse(substituted) as object, { checkArn: true, checkPaths: true });

    // Assess
    expect(asShipped.errorsText('\n')).toBe('');
    expect(deployed.errorsText('\n')).toBe('');
    expect(deployed.isValid).toBe(true);
  });

  it('gives both tasks a jittered retry on transient Lambda errors, Advance a catch into FailRun, and FailRun a retry on anything', () => {
    // Prepare
    const definition = JSON.parse(shipped) as {
      States: Record<string, { Type: string; Comment?: string; Retry?: { ErrorEquals: string[]; JitterStrategy?: string }[]; Catch?: unknown[]; Next?: string }>;
    };
    const transient = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

    // Act
    const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');

    // Assess
    expect(tasks.map(([name]) => name).sort()).toEqual(['Advance', 'FailRun']);
    for (const [name, state] of tasks) {
      expect(state.Retry?.[0]?.ErrorEquals, name).toEqual(transient);
      expect(state.Retry?.[0]?.JitterStrategy, name).toBe('FULL');
      expect(state.Comment, name).toBeTruthy();
    }
    expect(definition.States['Advance']?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FailRun' }]);
    expect(definition.States['FailRun']?.Retry?.at(-1)?.ErrorEquals).toEqual(['States.ALL']);
    expect(definition.States['FailRun']?.Next).toBe('Failed');
  });

  it('happy path: advances, waits while a step is in flight, and succeeds once the run is done', async () => {
    // Prepare
    const { runtime, events } = scripted([wait, wait, done]);

    // Act
    await runtime.starter.start({ id: 'run-happy' });
    await runtime.starter.start({ id: 'run-happy' });
    await runtime.idle();

    // Assess
    expect(events).toEqual([
      { step: 'advance', runId: 'run-happy' },
      { step: 'advance', runId: 'run-happy' },
      { step: 'advance', runId: 'run-happy' },
    ]);
    const history = runtime.history('run-happy');
    expect(entered(history)).toEqual(['Advance', 'WaitOrDone', 'WaitForStep', 'Advance', 'WaitOrDone', 'WaitForStep', 'Advance', 'WaitOrDone', 'Done']);
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it('retry path: a Lambda service error on Advance is retried, and the run goes on', async () => {
    // Prepare
    const { runtime, events } = scripted([
      () => {
        throw lambdaError('Lambda.ServiceException');
      },
      done,
    ]);

    // Act
    await runtime.starter.start({ id: 'run-retried' });
    await runtime.idle();

    // Assess
    expect(events.map((event) => event.step)).toEqual(['advance', 'advance']);
    const history = runtime.history('run-retried');
    expect(history.filter((event) => event.type === 'StateRetried').length).toBe(1);
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it('catch path: any other failure of Advance ends the run through FailRun with the error, once', async () => {
    // Prepare
    const { runtime, events } = scripted([
      () => {
        const error = new Error('the run item could not be read');
        error.name = 'RunStoreError';
        throw error;
      },
    ]);

    // Act
    await runtime.starter.start({ id: 'run-caught' });
    await runtime.idle();

    // Assess
    const failures = events.filter((event) => event.step === 'fail');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ step: 'fail', runId: 'run-caught', error: { Error: 'RunStoreError' } });
    expect(JSON.parse((failures[0] as { error: { Cause: string } }).error.Cause)).toEqual({ errorType: 'RunStoreError', errorMessage: 'the run item could not be read' });
    expect(entered(runtime.history('run-caught'))).toEqual(['Advance', 'FailRun', 'Failed']);
  });

  it('an answer that is neither wait nor done ends the run through FailRun, saying so', async () => {
    // Prepare
    const { runtime, events } = scripted([() => ({ next: 'later', waitSeconds: 2, status: 'Running' }) as unknown as PlaybookStepResult]);

    // Act
    await runtime.starter.start({ id: 'run-odd' });
    await runtime.idle();

    // Assess
    expect(events.at(-1)).toEqual({
      step: 'fail',
      runId: 'run-odd',
      error: { Error: 'UnknownAdvanceAnswer', Cause: 'the playbook step function answered neither wait nor done' },
    });
  });

  it('when even FailRun fails, the runner ends the run itself with the execution failure', async () => {
    // Prepare
    const calls: PlaybookStepEvent[] = [];
    const runtime = createLocalPlaybookRuns({
      handler: (event) => {
        calls.push(event);
        // Advance fails for good; FailRun fails on every attempt the state machine makes.
        if (event.step === 'advance' || calls.filter((call) => call.step === 'fail').length <= 5) return Promise.reject(new Error('down'));
        return Promise.resolve(null);
      },
      retryIntervalOverrides: { Advance: 0, FailRun: 0 },
    });
    runtimes.push(runtime);

    // Act
    await runtime.starter.start({ id: 'run-unrecorded' });
    await runtime.idle();

    // Assess: FailRun's 1 + 4 retries, then the runner's own fail
    const failures = calls.filter((call) => call.step === 'fail');
    expect(failures).toHaveLength(6);
    expect(failures.at(-1)).toMatchObject({ runId: 'run-unrecorded', error: { Error: 'ExecutionFailed' } });
    expect((failures.at(-1) as { error: { Cause: string } }).error.Cause).toMatch(/^the execution failed without recording why: /);
  });
});
