/**
 * The local stand-in for Step Functions for playbook runs: runs the shipped
 * `state-machines/playbook-run.asl.json` with aws-local-stepfunctions, its Advance and FailRun
 * Task states bound in-process to the playbook step handler (functions/playbooks/playbook-step.ts's
 * in AWS), called the way `lambda:invoke` calls it. One execution per run id.
 */
import { fileURLToPath } from 'node:url';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import type { PlaybookRun, PlaybookStepEvent, RunStarter } from '#shared/playbooks/types.ts';
import { Executions, unrecordedFailure, type ExecutionEvent, type Running, type Track } from './executions.ts';
import { invokeLikeLambda, runWithHandlers, type Execution, type RetryIntervalOverrides, type TaskHandler, type WaitTimeOverrides } from './lambda-invoke.ts';
import { lambdaTasksOf, localFunctionArns, readStateMachineDefinition } from './state-machine-definition.ts';

export const defaultPlaybookStateMachineFile = fileURLToPath(new URL('../../state-machines/playbook-run.asl.json', import.meta.url));

export interface LocalPlaybookRunsOptions {
  /** The PlaybookStepEvent handler (shared/playbooks/advance.ts's createPlaybookStepHandler), bound to this runtime's stores. */
  readonly handler: (event: PlaybookStepEvent) => Promise<unknown>;
  readonly stateMachineFile?: string;
  /** Shorter retry pauses and waits for tests (aws-local-stepfunctions' overrides, by state name: Advance, FailRun, WaitForStep). */
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  readonly waitTimeOverrides?: WaitTimeOverrides;
  readonly logger?: Logger;
}

export interface LocalPlaybookRuns {
  /** What PlaybookRunService starts runs with (StartExecution named after the run id, in AWS); only the id is read. */
  readonly starter: RunStarter & { start(run: Pick<PlaybookRun, 'id'>): Promise<void> };
  /** Resolves when no execution runs (tests, clean shutdown). */
  idle(): Promise<void>;
  /** Stops every execution (the runs stay as they are, for restart recovery). */
  close(): Promise<void>;
  /** The event history of a run's execution in this process, oldest first. */
  history(runId: string): readonly ExecutionEvent[];
}

/** Runs playbook runs locally on the shipped state machine; see LocalPlaybookRuns. */
export function createLocalPlaybookRuns(options: LocalPlaybookRunsOptions): LocalPlaybookRuns {
  return new LocalPlaybookRunner(options);
}

class LocalPlaybookRunner implements LocalPlaybookRuns {
  readonly starter: LocalPlaybookRuns['starter'];
  readonly #options: LocalPlaybookRunsOptions;
  readonly #definition: StateMachineDefinition;
  readonly #machine: StateMachine;
  readonly #executions: Executions;
  #closed = false;

  constructor(options: LocalPlaybookRunsOptions) {
    this.#options = options;
    this.#executions = new Executions('local playbook run', options.logger ?? defaultLogger);
    this.#definition = readStateMachineDefinition(options.stateMachineFile ?? defaultPlaybookStateMachineFile, {
      PlaybookStepFunctionArn: localFunctionArns.playbookStep,
    });
    // The constructor validates the definition (asl-validator, ARNs and paths checked).
    this.#machine = new StateMachine(this.#definition);
    this.starter = { start: (run) => this.#start(run) };
  }

  idle(): Promise<void> {
    return this.#executions.idle();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#executions.abortAll();
    await this.idle();
  }

  history(runId: string): readonly ExecutionEvent[] {
    return this.#executions.history(runId);
  }

  #start(run: Pick<PlaybookRun, 'id'>): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the local playbook runtime is closed'));
    const recorded = { failure: false };
    this.#executions.launch(
      run.id,
      (track) => runWithHandlers(this.#machine, { runId: run.id }, this.#bindTasks(track, recorded), this.#options),
      (running, execution) => this.#drive(running, execution, recorded),
    );
    return Promise.resolve();
  }

  /**
   * Both Task states call `lambda:invoke` on the playbook step function, bound to the in-process
   * handler; a FailRun that returned marks the run's failure as recorded.
   */
  #bindTasks(track: Track, recorded: { failure: boolean }): Record<string, TaskHandler> {
    // The event is the Task's Payload, shaped by the shipped definition as in AWS; the handler checks the run id.
    const step = (event: unknown): Promise<unknown> => this.#options.handler(event as PlaybookStepEvent);
    const functions = new Map([[localFunctionArns.playbookStep, step]]);
    const bound: Record<string, TaskHandler> = {};
    for (const { name, handler } of lambdaTasksOf(this.#definition, functions, { allowWait: false })) {
      bound[name] = async (input) => {
        const output = await track(invokeLikeLambda(handler, input));
        if (name === 'FailRun') recorded.failure = true;
        return output;
      };
    }
    return bound;
  }

  /**
   * Waits for the execution. If it failed without FailRun having ended the run (FailRun itself
   * failed every attempt), the run is ended here, so no run stays Running.
   */
  async #drive(running: Running, execution: Execution, recorded: { readonly failure: boolean }): Promise<void> {
    const outcome = await execution.result.then(
      () => ({ kind: 'finished' }) as const,
      (error: unknown) => ({ kind: 'failed', error }) as const,
    );
    if (outcome.kind === 'finished' || recorded.failure || this.#closed) return;
    const event: PlaybookStepEvent = { step: 'fail', runId: running.actionId, error: { Error: 'ExecutionFailed', Cause: unrecordedFailure(outcome.error) } };
    await this.#options.handler(event);
  }
}
