/**
 * The local stand-in for Step Functions for host and Kubernetes actions: runs the shipped
 * `state-machines/responder-action.asl.json` with aws-local-stepfunctions, the Dispatch state's
 * `.waitForTaskToken` callback supplied by LocalTaskTokens (task-tokens.ts).
 */
import { fileURLToPath } from 'node:url';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { createMarkStatusHandler } from '#shared/actions/mark-status.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import type { WorkStarter } from '#shared/ports.ts';
import { responderExecutionInput, type ResponderDeadlines, type ResponderExecutionInput } from '#shared/responders/starter.ts';
import { endFailedExecution, Executions, type ExecutionEvent, type Running, type Track } from './executions.ts';
import { invokeLikeLambda, roundTrip, runWithHandlers, type Execution, type JsonForMachine, type RetryIntervalOverrides, type TaskHandler } from './lambda-invoke.ts';
import { lambdaTasksOf, localFunctionArns, readStateMachineDefinition } from './state-machine-definition.ts';
import { LocalTaskTokens, TaskAbandonedError } from './task-tokens.ts';

export const defaultResponderStateMachineFile = fileURLToPath(new URL('../../state-machines/responder-action.asl.json', import.meta.url));

export interface LocalResponderActionsOptions {
  readonly repository: Pick<HistoryWriter, 'get' | 'transition' | 'recordProgress' | 'releaseUndo'>;
  readonly config: Pick<ServiceConfig, 'deadlines'>;
  /** The dispatch-work handler (functions/steps/dispatch-work.ts's), bound to this runtime's queues, store and key. */
  readonly dispatch: (event: unknown) => Promise<unknown>;
  /** The callback registry; the responder routes need the same one. A new one by default. */
  readonly taskTokens?: LocalTaskTokens;
  readonly stateMachineFile?: string;
  /** Shorter retry pauses for tests (aws-local-stepfunctions' overrides, by state name). */
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  readonly logger?: Logger;
}

export interface LocalResponderActions {
  /** Starts host and kubernetes actions (ActionService's `host` and `kubernetes` starters). */
  readonly starter: WorkStarter;
  /** What the report route calls back (the registry the Dispatch state waits on). */
  readonly callbacks: LocalTaskTokens;
  /** Dispatches an Enqueued action again after a restart, with what is left of its deadlines. */
  resume(record: ActionRecord, deadlines: ResponderDeadlines): Promise<void>;
  idle(): Promise<void>;
  close(): Promise<void>;
  history(actionId: string): readonly ExecutionEvent[];
}

/** Runs host and Kubernetes actions locally on the shipped responder state machine; see LocalResponderActions. */
export function createLocalResponderActions(options: LocalResponderActionsOptions): LocalResponderActions {
  return new LocalResponderActionRunner(options);
}

/**
 * Above any deadline the configuration allows (86400 s): the Dispatch state's own TimeoutSeconds
 * locally, so that aws-local-stepfunctions' timer (60 s when none is given) never fires before
 * the deadline timers of LocalTaskTokens.
 */
const localDispatchTimeoutSeconds = 86_400 + 600;

class LocalResponderActionRunner implements LocalResponderActions {
  readonly starter: WorkStarter;
  readonly callbacks: LocalTaskTokens;
  readonly #options: LocalResponderActionsOptions;
  readonly #machine: StateMachine;
  readonly #definition: StateMachineDefinition;
  readonly #markStatus: (event: unknown) => Promise<unknown>;
  readonly #executions: Executions;
  #closed = false;

  constructor(options: LocalResponderActionsOptions) {
    this.#options = options;
    this.#executions = new Executions('local responder action', options.logger ?? defaultLogger);
    this.callbacks = options.taskTokens ?? new LocalTaskTokens();
    this.#markStatus = createMarkStatusHandler({ repository: options.repository });
    const definition = readStateMachineDefinition(options.stateMachineFile ?? defaultResponderStateMachineFile, {
      MarkStatusFunctionArn: localFunctionArns.markStatus,
      DispatchFunctionArn: localFunctionArns.dispatchWork,
    });
    this.#definition = localTimers(definition);
    this.#machine = new StateMachine(this.#definition);
    this.starter = { start: (record) => this.resume(record, options.config.deadlines) };
  }

  resume(record: ActionRecord, deadlines: ResponderDeadlines): Promise<void> {
    try {
      this.#start(record, deadlines);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  idle(): Promise<void> {
    return this.#executions.idle();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#executions.abortAll();
    this.callbacks.close();
    await this.idle();
  }

  history(actionId: string): readonly ExecutionEvent[] {
    return this.#executions.history(actionId);
  }

  /** One execution per action id, as Step Functions' execution names make it in AWS. */
  #start(record: ActionRecord, deadlines: ResponderDeadlines): void {
    if (this.#closed) throw new Error('the local responder action runtime is closed');
    const input = responderExecutionInput(record, deadlines);
    this.#executions.launch(
      record.id,
      (track) =>
        // `$$.Task.Token` reads the context's token; the Dispatch handler replaces it with a token of its own per attempt.
        runWithHandlers(this.#machine, input as unknown as JsonForMachine, this.#bindTasks(input, track), this.#options, {
          Task: { Token: 'issued-by-the-local-runtime' },
        }),
      (running, execution) => this.#drive(running, execution),
    );
  }

  /**
   * Dispatch (`lambda:invoke.waitForTaskToken`) opens a token with the execution's deadlines, calls
   * the dispatch-work handler with it as `lambda:invoke` would, and then waits on the token;
   * ExplainLapse, MarkCompleted and MarkError are plain `lambda:invoke`s.
   */
  #bindTasks(input: ResponderExecutionInput, track: Track): Record<string, TaskHandler> {
    const functions = new Map([
      [localFunctionArns.markStatus, this.#markStatus],
      [localFunctionArns.dispatchWork, this.#options.dispatch],
    ]);
    const bound: Record<string, TaskHandler> = {};
    for (const { name, handler, waits } of lambdaTasksOf(this.#definition, functions, { allowWait: true })) {
      const invoke = (taskInput: JsonForMachine): Promise<JsonForMachine> => {
        if (this.#closed) return Promise.reject(new TaskAbandonedError('the local runtime stopped'));
        return waits ? this.#waitForTaskToken(handler, taskInput, input.deadlines) : invokeLikeLambda(handler, taskInput);
      };
      bound[name] = (taskInput) => track(invoke(taskInput));
    }
    return bound;
  }

  async #waitForTaskToken(handler: (event: unknown) => Promise<unknown>, taskInput: JsonForMachine, deadlines: ResponderDeadlines): Promise<JsonForMachine> {
    const { token, settled } = this.callbacks.open({ heartbeatSeconds: deadlines.pickupSeconds, timeoutSeconds: deadlines.completionSeconds });
    // Observed at once, so a timer firing while the dispatch still runs is never an unhandled rejection.
    settled.catch(() => undefined);
    const parameters = typeof taskInput === 'object' && taskInput !== null && !Array.isArray(taskInput) ? taskInput : {};
    const payload = parameters['Payload'];
    const withToken = { ...parameters, Payload: { ...(typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : {}), taskToken: token } };
    try {
      await invokeLikeLambda(handler, withToken);
    } catch (error) {
      this.callbacks.cancel(token);
      throw error;
    }
    // The pickup deadline the responder was promised is signed into the work order: issuedAt (taken
    // inside Dispatch) plus pickupSeconds. So the pickup timer starts now that the work is out and
    // the record Enqueued, not when the task opened: started then, it fired before that promise and
    // before Enqueued + pickupSeconds whenever the dispatch was slow (by 104 ms on a loaded machine,
    // and during the dispatch itself on a cold start). A token already settled has nothing to start.
    // In AWS dispatch-work itself sends this SendTaskHeartbeat right after the send (shared/responders/dispatch.ts).
    await this.callbacks.heartbeat(token).catch(() => undefined);
    return roundTrip(await settled);
  }

  /** Waits for the execution; if it failed without ending the record (MarkError itself failed), ends it here. */
  async #drive(running: Running, execution: Execution): Promise<void> {
    const outcome = await execution.result.then(
      () => ({ kind: 'finished' }) as const,
      (error: unknown) => ({ kind: 'failed', error }) as const,
    );
    if (outcome.kind === 'finished' || this.#closed) return;
    await endFailedExecution(this.#options.repository, running.actionId, outcome.error);
  }
}

/**
 * The definition as the local runtime runs it. aws-local-stepfunctions evaluates
 * TimeoutSecondsPath against the state's input after Parameters (Step Functions: against the
 * state input) and knows no HeartbeatSeconds at all; so the local copy of a `.waitForTaskToken`
 * state drops both paths, and LocalTaskTokens enforces both deadlines, from the same execution
 * input, raising the same errors. The shipped file is unchanged.
 */
function localTimers(definition: StateMachineDefinition): StateMachineDefinition {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]) => {
      if (state.Type !== 'Task' || !state.Resource.endsWith('.waitForTaskToken')) return [name, state];
      const { TimeoutSecondsPath: _timeout, HeartbeatSecondsPath: _heartbeat, HeartbeatSeconds: _seconds, ...rest } = state as typeof state & {
        HeartbeatSecondsPath?: string;
        HeartbeatSeconds?: number;
      };
      return [name, { ...rest, TimeoutSeconds: localDispatchTimeoutSeconds }];
    }),
  );
  return { ...definition, States: states };
}
