/**
 * The local stand-in for Step Functions: runs the shipped `state-machines/cloud-action.asl.json`
 * with aws-local-stepfunctions, its Task states bound in-process to the same handler functions
 * the Lambda entry points export (functions/steps/*), called the way `lambda:invoke` calls them.
 * Host and Kubernetes actions run `state-machines/responder-action.asl.json` the same way, with
 * the `.waitForTaskToken` callback supplied here (LocalTaskTokens).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STSClient } from '@aws-sdk/client-sts';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { createActionStepHandler } from '#shared/actions/action-step.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { createMarkStatusHandler, endInError } from '#shared/actions/mark-status.ts';
import { StsMemberSessions, type MemberSessionSource } from '#shared/adapters/member-session.ts';
import { NoStateMachineError, markEnqueued } from '#shared/adapters/sfn-work-starter.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import { isTerminal } from '#shared/history/status.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import type { JsonValue } from '#shared/json.ts';
import type { WorkStarter } from '#shared/ports.ts';
import { responderExecutionInput, type ResponderDeadlines, type ResponderExecutionInput } from '#shared/responders/starter.ts';
import { TaskTokenExpiredError, type TaskCallbacks } from '#shared/responders/task-callbacks.ts';

type Overrides = NonNullable<RunOptions['overrides']>;
type TaskHandler = NonNullable<Overrides['taskResourceLocalHandlers']>[string];
type JsonForMachine = Parameters<TaskHandler>[0];
type Execution = ReturnType<StateMachine['run']>;
/** One entry of an execution's event history (StateEntered, StateRetried, ExecutionFailed, ...). */
export type ExecutionEvent = Execution['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;

export const defaultStateMachineFile = fileURLToPath(new URL('../state-machines/cloud-action.asl.json', import.meta.url));

/** The function ARNs the local runtime substitutes into the definition (never called: every Task is bound in-process). */
export const localFunctionArns = {
  markStatus: 'arn:aws:lambda:us-east-1:000000000000:function:response-actions-local-mark-status',
  dispatchWork: 'arn:aws:lambda:us-east-1:000000000000:function:response-actions-local-dispatch-work',
  action: (family: string) => `arn:aws:lambda:us-east-1:000000000000:function:response-actions-local-${family}-action`,
};

/** The definition substitutions CDK makes in AWS, made here the same way. */
export function substituteDefinition(text: string, substitutions: Readonly<Record<string, string>>): string {
  const substituted = text.replace(/\$\{(\w+)\}/g, (placeholder, name: string) => substitutions[name] ?? placeholder);
  const left = /\$\{\w+\}/.exec(substituted);
  if (left !== null) throw new Error(`the state machine definition has a placeholder with no substitution: ${left[0]}`);
  return substituted;
}

export interface LocalCloudActionsOptions {
  readonly repository: Pick<HistoryWriter, 'get' | 'transition' | 'recordProgress' | 'releaseUndo'>;
  readonly config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets' | 'memberRole' | 'deadlines'>;
  readonly clock: Clock;
  /** Member-account sessions; by default STS (following AWS_ENDPOINT_URL) with the configured member role. */
  readonly memberSessions?: MemberSessionSource;
  readonly stateMachineFile?: string;
  /** The families to run; the IAM family by default. Tests add their own through the same interface. */
  readonly families?: readonly CloudActionFamily[];
  /** Shorter retry pauses and waits for tests (aws-local-stepfunctions' overrides, by state name). */
  readonly retryIntervalOverrides?: Overrides['retryIntervalOverrides'];
  readonly waitTimeOverrides?: Overrides['waitTimeOverrides'];
  /** After the deadline aborts an execution, how long a step already running may finish (so its `applied` is recorded). */
  readonly deadlineGraceMs?: number;
  readonly logger?: Logger;
}

export interface LocalCloudActions {
  readonly starter: WorkStarter;
  /** Resolves when no execution runs (tests, clean shutdown). */
  idle(): Promise<void>;
  /** Stops every execution (their records stay as they are, for restart recovery) and releases clients. */
  close(): Promise<void>;
  /** The event history of an action's execution in this process, oldest first. */
  history(actionId: string): readonly ExecutionEvent[];
}

interface Running {
  readonly actionId: string;
  readonly events: ExecutionEvent[];
  /** Handler invocations in progress, so a deadline can let a running step record what it changed. */
  readonly inFlight: Set<Promise<unknown>>;
  abort: () => void;
  done: Promise<void>;
}

/** Runs cloud actions locally on the shipped state machine; see LocalCloudActions. */
export function createLocalCloudActions(options: LocalCloudActionsOptions): LocalCloudActions {
  return new LocalCloudActionRunner(options);
}

class LocalCloudActionRunner implements LocalCloudActions {
  readonly starter: WorkStarter;
  readonly #options: LocalCloudActionsOptions;
  readonly #machines = new Map<string, { machine: StateMachine; definition: StateMachineDefinition }>();
  readonly #familyOfType = new Map<string, string>();
  readonly #markStatus: (event: unknown) => Promise<unknown>;
  readonly #steps = new Map<string, (event: unknown) => Promise<unknown>>();
  readonly #running = new Map<string, Running>();
  /** Every action id ever started here: one execution per action, like Step Functions' execution names. */
  readonly #started = new Set<string>();
  readonly #histories = new Map<string, ExecutionEvent[]>();
  readonly #ownedSts: STSClient | undefined;
  readonly #ownedSessions: StsMemberSessions | undefined;
  readonly #logger: Logger;
  #closed = false;

  constructor(options: LocalCloudActionsOptions) {
    this.#options = options;
    this.#logger = options.logger ?? defaultLogger;
    let sessions = options.memberSessions;
    if (sessions === undefined) {
      // The SDK's standard settings, as API.md promises: credentials from the default chain,
      // AWS_ENDPOINT_URL followed because no endpoint is given here.
      this.#ownedSts = new STSClient({ region: process.env['AWS_REGION'] ?? 'us-east-1' });
      this.#ownedSessions = new StsMemberSessions({
        sts: this.#ownedSts,
        roleName: options.config.memberRole.name,
        externalId: options.config.memberRole.externalId,
      });
      sessions = this.#ownedSessions;
    }
    this.#markStatus = createMarkStatusHandler({ repository: options.repository });
    const text = readFileSync(options.stateMachineFile ?? defaultStateMachineFile, 'utf8');
    for (const family of options.families ?? [iamFamily]) {
      const definition = JSON.parse(
        substituteDefinition(text, {
          Partition: 'aws',
          MarkStatusFunctionArn: localFunctionArns.markStatus,
          ActionFunctionArn: localFunctionArns.action(family.name),
        }),
      ) as StateMachineDefinition;
      // The constructor validates the definition (asl-validator, ARNs and paths checked).
      this.#machines.set(family.name, { machine: new StateMachine(definition), definition });
      this.#steps.set(
        family.name,
        createActionStepHandler({ repository: options.repository, config: options.config, sessions, family, clock: options.clock }),
      );
      for (const action of family.actions) this.#familyOfType.set(action.type, family.name);
    }
    this.starter = { start: (record) => this.#start(record) };
  }

  async idle(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running.values()].map((running) => running.done));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const running of this.#running.values()) running.abort();
    await this.idle();
    await this.#ownedSessions?.close();
    this.#ownedSts?.destroy();
  }

  history(actionId: string): readonly ExecutionEvent[] {
    return this.#histories.get(actionId) ?? [];
  }

  async #start(record: ActionRecord): Promise<void> {
    if (this.#closed) throw new Error('the local cloud action runtime is closed');
    const family = this.#familyOfType.get(record.type);
    const machine = family === undefined ? undefined : this.#machines.get(family);
    if (family === undefined || machine === undefined) throw new NoStateMachineError(record.type, family);
    // A second start of the same action counts as started, as ExecutionAlreadyExists does in AWS.
    if (!this.#started.has(record.id)) {
      this.#started.add(record.id);
      this.#launch(record.id, family, machine);
    }
    await markEnqueued(this.#options.repository, record.id);
  }

  #launch(actionId: string, family: string, { machine, definition }: { machine: StateMachine; definition: StateMachineDefinition }): void {
    const running: Running = { actionId, events: [], inFlight: new Set(), abort: () => undefined, done: Promise.resolve() };
    const execution = machine.run(
      { actionId },
      {
        overrides: {
          taskResourceLocalHandlers: this.#bindTasks(definition, family, running),
          ...(this.#options.retryIntervalOverrides === undefined ? {} : { retryIntervalOverrides: this.#options.retryIntervalOverrides }),
          ...(this.#options.waitTimeOverrides === undefined ? {} : { waitTimeOverrides: this.#options.waitTimeOverrides }),
        },
        noThrowOnAbort: true,
      },
    );
    running.abort = execution.abort;
    this.#histories.set(actionId, running.events);
    // Histories are for tests and debugging; a long-running process keeps the latest few hundred.
    if (this.#histories.size > 500) {
      const oldest = this.#histories.keys().next().value;
      if (oldest !== undefined) this.#histories.delete(oldest);
    }
    void collectEvents(execution.eventLogs, running.events);
    running.done = this.#drive(running, execution).catch((error: unknown) => {
      this.#logger.error('local cloud action execution could not be closed out', { actionId, error });
    });
    this.#running.set(actionId, running);
    void running.done.finally(() => {
      this.#running.delete(actionId);
    });
  }

  /** Each Task state calls `lambda:invoke` on one of two functions; both are bound to their in-process handlers. */
  #bindTasks(definition: StateMachineDefinition, family: string, running: Running): Record<string, TaskHandler> {
    const functions = new Map<string, (event: unknown) => Promise<unknown>>([[localFunctionArns.markStatus, this.#markStatus]]);
    const step = this.#steps.get(family);
    if (step !== undefined) functions.set(localFunctionArns.action(family), step);
    const bound: Record<string, TaskHandler> = {};
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      const parameters = 'Parameters' in state ? state.Parameters : undefined;
      const functionName = typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters['FunctionName'] : undefined;
      const handler = typeof functionName === 'string' ? functions.get(functionName) : undefined;
      if (!state.Resource.endsWith(':states:::lambda:invoke') || handler === undefined) {
        throw new Error(`the local runtime cannot bind Task state ${name} (${state.Resource}, ${typeof functionName === 'string' ? functionName : 'no FunctionName'})`);
      }
      bound[name] = (input) => {
        const invocation = invokeLikeLambda(handler, input);
        running.inFlight.add(invocation);
        void invocation.finally(() => running.inFlight.delete(invocation)).catch(() => undefined);
        return invocation;
      };
    }
    return bound;
  }

  /** Waits for the execution or its deadline, whichever comes first, and makes sure the record ends. */
  async #drive(running: Running, execution: Execution): Promise<void> {
    const deadlineSeconds = this.#options.config.deadlines.completionSeconds;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ readonly kind: 'deadline' }>((resolve) => {
      timer = setTimeout(() => {
        resolve({ kind: 'deadline' });
      }, deadlineSeconds * 1000);
    });
    const finished = execution.result.then(
      () => ({ kind: 'finished' }) as const,
      (error: unknown) => ({ kind: 'failed', error }) as const,
    );
    const first = await Promise.race([finished, deadline]);
    clearTimeout(timer);
    if (first.kind === 'deadline') {
      running.abort();
      await this.#settle(running);
      await endInError(this.#options.repository, running.actionId, {
        code: 'DeadlineExceeded',
        message: `the action did not finish within ${deadlineSeconds} seconds of its start; prior/applied as recorded, undo can clean up`,
      });
      return;
    }
    await this.#settle(running);
    if (first.kind === 'failed' && !this.#closed) {
      // MarkError normally ended the record; if even that failed, the record must still not stay Running.
      const record = await this.#options.repository.get(running.actionId);
      if (record !== null && !isTerminal(record.status)) {
        const cause = first.error instanceof Error && first.error.cause instanceof Error ? first.error.cause : first.error;
        await endInError(this.#options.repository, running.actionId, {
          code: 'ExecutionFailed',
          message: `the execution failed without recording why: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
        });
      }
    }
  }

  /** Lets handler invocations still in progress finish, for a bounded time. */
  async #settle(running: Running): Promise<void> {
    if (running.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.deadlineGraceMs ?? 10_000);
    });
    await Promise.race([Promise.allSettled([...running.inFlight]), grace]);
    clearTimeout(timer);
  }
}

/**
 * Calls a handler as Step Functions' `lambda:invoke` would: the Task's Parameters carry the
 * function's event under Payload, the answer comes back under Payload, and a thrown error keeps
 * its name (the Lambda errorType the Retry and Catch rules match) with the Lambda error object,
 * as JSON, as its cause.
 */
async function invokeLikeLambda(handler: (event: unknown) => Promise<unknown>, input: JsonForMachine): Promise<JsonForMachine> {
  const event: unknown = typeof input === 'object' && input !== null && !Array.isArray(input) ? roundTrip(input['Payload'] ?? null) : null;
  try {
    const answer = await handler(event);
    return { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: roundTrip(answer ?? null) };
  } catch (error) {
    throw new LambdaFunctionError(error);
  }
}

/** A handler's failure as Step Functions sees it: name = errorType, message = the Lambda error object. */
class LambdaFunctionError extends Error {
  constructor(error: unknown) {
    const errorType = error instanceof Error ? error.name : 'Error';
    const errorMessage = error instanceof Error ? error.message : String(error);
    super(JSON.stringify({ errorType, errorMessage }), { cause: error });
    this.name = errorType;
  }
}

/** What crosses a Lambda boundary is JSON: nothing else may leak between steps. */
function roundTrip(value: unknown): JsonForMachine {
  return JSON.parse(JSON.stringify(value)) as JsonForMachine;
}

async function collectEvents(events: Execution['eventLogs'], into: ExecutionEvent[]): Promise<void> {
  for await (const event of events) {
    into.push(event);
    if (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed' || event.type === 'ExecutionAborted' || event.type === 'ExecutionTimeout') {
      return;
    }
  }
}

export const defaultResponderStateMachineFile = fileURLToPath(new URL('../state-machines/responder-action.asl.json', import.meta.url));

/** The task's heartbeat timer ran out: Step Functions' States.HeartbeatTimeout. */
class HeartbeatTimeoutError extends Error {
  constructor(seconds: number) {
    super(`no heartbeat within ${seconds} s`);
    this.name = 'States.HeartbeatTimeout';
  }
}

/** The task's TimeoutSeconds ran out: Step Functions' States.Timeout. */
class TaskTimeoutError extends Error {
  constructor(seconds: number) {
    super(`the task did not finish within ${seconds} s`);
    this.name = 'States.Timeout';
  }
}

/** SendTaskFailure as a Catch sees it: the error is the name, the cause the message. */
class TaskFailureError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** The local runtime stopped while a task waited. */
class TaskAbandonedError extends Error {
  override readonly name = 'States.Runtime';
}

interface PendingTask {
  readonly resolve: (output: JsonValue) => void;
  readonly reject: (error: Error) => void;
  readonly heartbeatSeconds: number;
  heartbeatTimer: NodeJS.Timeout;
  readonly timeoutTimer: NodeJS.Timeout;
}

/**
 * The local `.waitForTaskToken` callback: aws-local-stepfunctions has none, so the Dispatch state's
 * handler opens a token here and waits on it. SendTaskHeartbeat/Success/Failure become
 * `heartbeat`, `succeed` and `fail`; the heartbeat and timeout timers raise States.HeartbeatTimeout
 * and States.Timeout into the state machine's own Catch rules. Tokens are random, live in memory
 * only (a restart forgets them: see local/recovery.ts) and are never logged.
 */
export class LocalTaskTokens implements TaskCallbacks {
  readonly #pending = new Map<string, PendingTask>();

  /** Tasks waiting now. */
  get size(): number {
    return this.#pending.size;
  }

  /** A new token and what it settles to. */
  open(timers: { readonly heartbeatSeconds: number; readonly timeoutSeconds: number }): { token: string; settled: Promise<JsonValue> } {
    const token = randomBytes(48).toString('base64url');
    const settled = new Promise<JsonValue>((resolve, reject) => {
      const pending: PendingTask = {
        resolve,
        reject,
        heartbeatSeconds: timers.heartbeatSeconds,
        heartbeatTimer: this.#heartbeatTimer(token, timers.heartbeatSeconds),
        timeoutTimer: setTimeout(() => {
          this.#settle(token)?.reject(new TaskTimeoutError(timers.timeoutSeconds));
        }, timers.timeoutSeconds * 1000),
      };
      this.#pending.set(token, pending);
    });
    return { token, settled };
  }

  /** Forgets a token whose dispatch failed (the task fails with the dispatch's own error). */
  cancel(token: string): void {
    this.#settle(token);
  }

  heartbeat(taskToken: string): Promise<void> {
    const pending = this.#pending.get(taskToken);
    if (pending === undefined) return Promise.reject(expired());
    clearTimeout(pending.heartbeatTimer);
    pending.heartbeatTimer = this.#heartbeatTimer(taskToken, pending.heartbeatSeconds);
    return Promise.resolve();
  }

  succeed(taskToken: string, output: JsonValue): Promise<void> {
    const pending = this.#settle(taskToken);
    if (pending === undefined) return Promise.reject(expired());
    pending.resolve(output);
    return Promise.resolve();
  }

  fail(taskToken: string, error: string, cause: string): Promise<void> {
    const pending = this.#settle(taskToken);
    if (pending === undefined) return Promise.reject(expired());
    pending.reject(new TaskFailureError(error, cause));
    return Promise.resolve();
  }

  /** Fails every waiting task (the runtime is stopping) and clears the timers. */
  close(): void {
    for (const token of [...this.#pending.keys()]) this.#settle(token)?.reject(new TaskAbandonedError('the local runtime stopped'));
  }

  #heartbeatTimer(token: string, seconds: number): NodeJS.Timeout {
    return setTimeout(() => {
      this.#settle(token)?.reject(new HeartbeatTimeoutError(seconds));
    }, seconds * 1000);
  }

  #settle(token: string): PendingTask | undefined {
    const pending = this.#pending.get(token);
    if (pending === undefined) return undefined;
    this.#pending.delete(token);
    clearTimeout(pending.heartbeatTimer);
    clearTimeout(pending.timeoutTimer);
    return pending;
  }
}

function expired(): TaskTokenExpiredError {
  return new TaskTokenExpiredError('the execution no longer waits for this report (its task ended or timed out)');
}

export interface LocalResponderActionsOptions {
  readonly repository: Pick<HistoryWriter, 'get' | 'transition' | 'recordProgress' | 'releaseUndo'>;
  readonly config: Pick<ServiceConfig, 'deadlines'>;
  /** The dispatch-work handler (functions/steps/dispatch-work.ts's), bound to this runtime's queues, store and key. */
  readonly dispatch: (event: unknown) => Promise<unknown>;
  /** The callback registry; the responder routes need the same one. A new one by default. */
  readonly taskTokens?: LocalTaskTokens;
  readonly stateMachineFile?: string;
  /** Shorter retry pauses for tests (aws-local-stepfunctions' overrides, by state name). */
  readonly retryIntervalOverrides?: Overrides['retryIntervalOverrides'];
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
  readonly #running = new Map<string, Running>();
  readonly #started = new Set<string>();
  readonly #histories = new Map<string, ExecutionEvent[]>();
  readonly #logger: Logger;
  #closed = false;

  constructor(options: LocalResponderActionsOptions) {
    this.#options = options;
    this.#logger = options.logger ?? defaultLogger;
    this.callbacks = options.taskTokens ?? new LocalTaskTokens();
    this.#markStatus = createMarkStatusHandler({ repository: options.repository });
    const text = readFileSync(options.stateMachineFile ?? defaultResponderStateMachineFile, 'utf8');
    const definition = JSON.parse(
      substituteDefinition(text, {
        Partition: 'aws',
        MarkStatusFunctionArn: localFunctionArns.markStatus,
        DispatchFunctionArn: localFunctionArns.dispatchWork,
      }),
    ) as StateMachineDefinition;
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

  async idle(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running.values()].map((running) => running.done));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const running of this.#running.values()) running.abort();
    this.callbacks.close();
    await this.idle();
  }

  history(actionId: string): readonly ExecutionEvent[] {
    return this.#histories.get(actionId) ?? [];
  }

  /** One execution per action id, as Step Functions' execution names make it in AWS. */
  #start(record: ActionRecord, deadlines: ResponderDeadlines): void {
    if (this.#closed) throw new Error('the local responder action runtime is closed');
    const input = responderExecutionInput(record, deadlines);
    if (this.#started.has(record.id)) return;
    this.#started.add(record.id);
    const running: Running = { actionId: record.id, events: [], inFlight: new Set(), abort: () => undefined, done: Promise.resolve() };
    const execution = this.#machine.run(input as unknown as JsonForMachine, {
      overrides: {
        taskResourceLocalHandlers: this.#bindTasks(input, running),
        ...(this.#options.retryIntervalOverrides === undefined ? {} : { retryIntervalOverrides: this.#options.retryIntervalOverrides }),
      },
      noThrowOnAbort: true,
      // What `$$.Task.Token` reads; the Dispatch handler replaces it with a token of its own per attempt.
      context: { Task: { Token: 'issued-by-the-local-runtime' } },
    });
    running.abort = execution.abort;
    this.#histories.set(record.id, running.events);
    if (this.#histories.size > 500) {
      const oldest = this.#histories.keys().next().value;
      if (oldest !== undefined) this.#histories.delete(oldest);
    }
    void collectEvents(execution.eventLogs, running.events);
    running.done = this.#drive(running, execution).catch((error: unknown) => {
      this.#logger.error('local responder action execution could not be closed out', { actionId: record.id, error });
    });
    this.#running.set(record.id, running);
    void running.done.finally(() => {
      this.#running.delete(record.id);
    });
  }

  /**
   * Dispatch (`lambda:invoke.waitForTaskToken`) opens a token with the execution's deadlines, calls
   * the dispatch-work handler with it as `lambda:invoke` would, and then waits on the token;
   * ExplainLapse, MarkCompleted and MarkError are plain `lambda:invoke`s.
   */
  #bindTasks(input: ResponderExecutionInput, running: Running): Record<string, TaskHandler> {
    const functions = new Map<string, (event: unknown) => Promise<unknown>>([
      [localFunctionArns.markStatus, this.#markStatus],
      [localFunctionArns.dispatchWork, this.#options.dispatch],
    ]);
    const bound: Record<string, TaskHandler> = {};
    for (const [name, state] of Object.entries(this.#definition.States)) {
      if (state.Type !== 'Task') continue;
      const parameters = 'Parameters' in state ? state.Parameters : undefined;
      const functionName = typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters['FunctionName'] : undefined;
      const handler = typeof functionName === 'string' ? functions.get(functionName) : undefined;
      const waits = state.Resource.endsWith(':states:::lambda:invoke.waitForTaskToken');
      if ((!waits && !state.Resource.endsWith(':states:::lambda:invoke')) || handler === undefined) {
        throw new Error(`the local runtime cannot bind Task state ${name} (${state.Resource}, ${typeof functionName === 'string' ? functionName : 'no FunctionName'})`);
      }
      const invoke = (taskInput: JsonForMachine): Promise<JsonForMachine> => {
        if (this.#closed) return Promise.reject(new TaskAbandonedError('the local runtime stopped'));
        return waits ? this.#waitForTaskToken(handler, taskInput, input.deadlines) : invokeLikeLambda(handler, taskInput);
      };
      bound[name] = (taskInput) => {
        const invocation = invoke(taskInput);
        running.inFlight.add(invocation);
        void invocation.finally(() => running.inFlight.delete(invocation)).catch(() => undefined);
        return invocation;
      };
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
    return roundTrip(await settled);
  }

  /** Waits for the execution; if it failed without ending the record (MarkError itself failed), ends it here. */
  async #drive(running: Running, execution: Execution): Promise<void> {
    const outcome = await execution.result.then(
      () => ({ kind: 'finished' }) as const,
      (error: unknown) => ({ kind: 'failed', error }) as const,
    );
    if (outcome.kind === 'finished' || this.#closed) return;
    const record = await this.#options.repository.get(running.actionId);
    if (record !== null && !isTerminal(record.status)) {
      const cause = outcome.error instanceof Error && outcome.error.cause instanceof Error ? outcome.error.cause : outcome.error;
      await endInError(this.#options.repository, running.actionId, {
        code: 'ExecutionFailed',
        message: `the execution failed without recording why: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      });
    }
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
