/**
 * The local stand-in for Step Functions for cloud actions: runs the shipped
 * `state-machines/cloud-action.asl.json` with aws-local-stepfunctions, one machine per family, its
 * Task states bound in-process to the same handler functions the Lambda entry points export
 * (functions/steps/*), called the way `lambda:invoke` calls them.
 */
import { fileURLToPath } from 'node:url';
import { STSClient } from '@aws-sdk/client-sts';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { createActionStepHandler } from '#shared/actions/action-step.ts';
import type { CloudActionFamily } from '#shared/actions/cloud-action.ts';
import { iamFamily } from '#shared/actions/iam/index.ts';
import { createMarkStatusHandler, endInError } from '#shared/actions/mark-status.ts';
import { StsMemberSessions, type MemberSessionSource } from '#shared/adapters/member-session.ts';
import { NoStateMachineError, markEnqueued } from '#shared/adapters/sfn-work-starter.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { ActionStatus } from '#shared/history/status.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import { logger as defaultLogger, type Logger } from '#shared/log.ts';
import type { WorkStarter } from '#shared/ports.ts';
import { endFailedExecution, Executions, type ExecutionEvent, type Running, type Track } from './executions.ts';
import { invokeLikeLambda, runWithHandlers, type Execution, type RetryIntervalOverrides, type TaskHandler, type WaitTimeOverrides } from './lambda-invoke.ts';
import { lambdaTasksOf, localFunctionArns, readStateMachineDefinition } from './state-machine-definition.ts';

export const defaultStateMachineFile = fileURLToPath(new URL('../../state-machines/cloud-action.asl.json', import.meta.url));

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
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  readonly waitTimeOverrides?: WaitTimeOverrides;
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

/** Member-account sessions and how to release them: the given ones (the caller's to close), or STS ones owned here. */
export interface LocalMemberSessions {
  readonly sessions: MemberSessionSource;
  close(): Promise<void>;
}

/**
 * `given`, or sessions of the configured member role through STS with the SDK's standard
 * settings, as API.md promises: credentials from the default chain, AWS_ENDPOINT_URL followed
 * because no endpoint is given here (the local runtime and the local planner share them).
 */
export function localMemberSessions(given: MemberSessionSource | undefined, config: Pick<ServiceConfig, 'memberRole'>): LocalMemberSessions {
  if (given !== undefined) return { sessions: given, close: () => Promise.resolve() };
  // Four attempts with the standard mode's jittered backoff, as every member-account client has.
  const sts = new STSClient({ region: process.env['AWS_REGION'] ?? 'us-east-1', maxAttempts: 4 });
  const sessions = new StsMemberSessions({ sts, roleName: config.memberRole.name, externalId: config.memberRole.externalId });
  return {
    sessions,
    close: async () => {
      await sessions.close();
      sts.destroy();
    },
  };
}

/** Runs cloud actions locally on the shipped state machine; see LocalCloudActions. */
export function createLocalCloudActions(options: LocalCloudActionsOptions): LocalCloudActions {
  return new LocalCloudActionRunner(options);
}

interface FamilyMachine {
  readonly machine: StateMachine;
  readonly definition: StateMachineDefinition;
  readonly step: (event: unknown) => Promise<unknown>;
}

class LocalCloudActionRunner implements LocalCloudActions {
  readonly starter: WorkStarter;
  readonly #options: LocalCloudActionsOptions;
  readonly #machines = new Map<string, FamilyMachine>();
  readonly #familyOfType = new Map<string, string>();
  readonly #markStatus: (event: unknown) => Promise<unknown>;
  readonly #executions: Executions;
  readonly #memberSessions: LocalMemberSessions;
  #closed = false;

  constructor(options: LocalCloudActionsOptions) {
    this.#options = options;
    this.#executions = new Executions('local cloud action', options.logger ?? defaultLogger);
    this.#memberSessions = localMemberSessions(options.memberSessions, options.config);
    const { sessions } = this.#memberSessions;
    this.#markStatus = createMarkStatusHandler({ repository: options.repository });
    for (const family of options.families ?? [iamFamily]) {
      const definition = readStateMachineDefinition(options.stateMachineFile ?? defaultStateMachineFile, {
        MarkStatusFunctionArn: localFunctionArns.markStatus,
        ActionFunctionArn: localFunctionArns.action(family.name),
      });
      this.#machines.set(family.name, {
        // The constructor validates the definition (asl-validator, ARNs and paths checked).
        machine: new StateMachine(definition),
        definition,
        step: createActionStepHandler({ repository: options.repository, config: options.config, sessions, family, clock: options.clock }),
      });
      for (const action of family.actions) this.#familyOfType.set(action.type, family.name);
    }
    this.starter = { start: (record) => this.#start(record) };
  }

  idle(): Promise<void> {
    return this.#executions.idle();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#executions.abortAll();
    await this.idle();
    await this.#memberSessions.close();
  }

  history(actionId: string): readonly ExecutionEvent[] {
    return this.#executions.history(actionId);
  }

  async #start(record: ActionRecord): Promise<void> {
    if (this.#closed) throw new Error('the local cloud action runtime is closed');
    const family = this.#familyOfType.get(record.type);
    const machine = family === undefined ? undefined : this.#machines.get(family);
    if (family === undefined || machine === undefined) throw new NoStateMachineError(record.type, family);
    const completionSeconds = this.#options.config.deadlines.completionSeconds;
    const deadlineMs = deadlineLeftMs(record, completionSeconds, this.#options.clock);
    if (deadlineMs === 0) {
      // Resumed after a stop that outlasted its deadline: a new execution would only be aborted at once.
      throw new CompletionDeadlinePassedError(
        `the action did not finish within ${String(completionSeconds)} seconds of its start: the service was stopped past that, so it was not resumed; prior/applied as recorded, undo can clean up`,
      );
    }
    const steps = new StepLog(record, this.#options.logger ?? defaultLogger);
    steps.started(record.status);
    this.#executions.launch(
      record.id,
      (track) => runWithHandlers(machine.machine, { actionId: record.id }, this.#bindTasks(family, machine, track, steps), this.#options),
      (running, execution) => this.#drive(running, execution, deadlineMs),
    );
    await markEnqueued(this.#options.repository, record.id);
  }

  /** Each Task state calls `lambda:invoke` on one of two functions; both are bound to their in-process handlers, each call logged. */
  #bindTasks(family: string, { definition, step }: FamilyMachine, track: Track, steps: StepLog): Record<string, TaskHandler> {
    const functions = new Map([
      [localFunctionArns.markStatus, this.#markStatus],
      [localFunctionArns.action(family), step],
    ]);
    const bound: Record<string, TaskHandler> = {};
    for (const { name, handler } of lambdaTasksOf(definition, functions, { allowWait: false })) {
      bound[name] = (input) => track(steps.around(name, invokeLikeLambda(handler, input)));
    }
    return bound;
  }

  /** Waits for the execution or its deadline (what is left of it, for an action resumed after a restart), and makes sure the record ends. */
  async #drive(running: Running, execution: Execution, deadlineMs: number): Promise<void> {
    const deadlineSeconds = this.#options.config.deadlines.completionSeconds;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ readonly kind: 'deadline' }>((resolve) => {
      timer = setTimeout(() => {
        resolve({ kind: 'deadline' });
      }, deadlineMs);
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
    if (first.kind === 'failed' && !this.#closed) await endFailedExecution(this.#options.repository, running.actionId, first.error);
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
 * Thrown by `start` for an action whose completion deadline passed before it could be resumed
 * (restart recovery ends it in Error DeadlineExceeded with this message); no execution is started.
 */
export class CompletionDeadlinePassedError extends Error {
  override readonly name = 'CompletionDeadlinePassedError';
}

/**
 * What is left of an action's completion deadline (0 once it passed), counted from when its execution first started
 * (its first Enqueued or Running mark): an action resumed after a restart does not get a new one.
 */
export function deadlineLeftMs(record: Pick<ActionRecord, 'statusHistory'>, completionSeconds: number, clock: Clock): number {
  const now = clock.now().getTime();
  const began = record.statusHistory.find((change) => change.status === 'Enqueued' || change.status === 'Running');
  const start = began === undefined ? now : Math.min(now, Date.parse(began.at));
  return Math.max(0, start + completionSeconds * 1000 - now);
}

/**
 * One log line per step of a cloud action (each Task state's invocation: MarkRunning, Capture,
 * Apply, Check, Verify, MarkCompleted, MarkError) with the action, its type and target, the
 * outcome and how long it took. Nothing of the member session reaches it: the step's event is
 * `{ actionId, step }`, its answer `{ pending, waitSeconds, result }`, and the logger redacts.
 */
export class StepLog {
  readonly #fields: { readonly actionId: string; readonly type: string; readonly target: string };
  readonly #logger: Logger;

  constructor(record: Pick<ActionRecord, 'id' | 'type' | 'inputs' | 'resource'>, logger: Logger) {
    const arn = record.inputs['aws.resource.arn'];
    this.#fields = { actionId: record.id, type: record.type, target: typeof arn === 'string' ? arn : record.resource.key };
    this.#logger = logger;
  }

  started(status: ActionStatus): void {
    const resumed = status === 'Enqueued' || status === 'Running';
    const what = resumed ? `resumed (was ${status} when the service stopped)` : 'started';
    this.#line(`execution ${what}`, { step: 'Start', outcome: resumed ? 'resumed' : 'started', durationMs: 0 });
  }

  /** Logs the step's outcome when `invocation` settles, and passes it on unchanged. */
  async around<Answer>(step: string, invocation: Promise<Answer>): Promise<Answer> {
    const began = performance.now();
    try {
      const answer = await invocation;
      this.#line(`${step} ok`, { step, outcome: pendingOf(answer) ?? 'ok', durationMs: Math.round(performance.now() - began) });
      return answer;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      const outcome = `failed ${name}: ${cause.slice(0, 300)}`;
      this.#line(`${step} ${outcome}`, { step, outcome, durationMs: Math.round(performance.now() - began) }, 'warn');
      throw error;
    }
  }

  #line(what: string, fields: { step: string; outcome: string; durationMs: number }, level: 'info' | 'warn' = 'info'): void {
    const { actionId, type, target } = this.#fields;
    this.#logger[level](`cloud action ${actionId} ${type} on ${target}: ${what} (${String(fields.durationMs)} ms)`, { ...this.#fields, ...fields });
  }
}

/** `pending, wait N s` when an apply or check answered pending. */
function pendingOf(answer: unknown): string | null {
  const payload = (answer as { Payload?: { pending?: unknown; waitSeconds?: unknown } } | null)?.Payload;
  return payload?.pending === true ? `pending, wait ${String(payload.waitSeconds)} s` : null;
}
