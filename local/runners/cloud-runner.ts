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
  const sts = new STSClient({ region: process.env['AWS_REGION'] ?? 'us-east-1' });
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
    this.#executions.launch(
      record.id,
      (track) => runWithHandlers(machine.machine, { actionId: record.id }, this.#bindTasks(family, machine, track), this.#options),
      (running, execution) => this.#drive(running, execution),
    );
    await markEnqueued(this.#options.repository, record.id);
  }

  /** Each Task state calls `lambda:invoke` on one of two functions; both are bound to their in-process handlers. */
  #bindTasks(family: string, { definition, step }: FamilyMachine, track: Track): Record<string, TaskHandler> {
    const functions = new Map([
      [localFunctionArns.markStatus, this.#markStatus],
      [localFunctionArns.action(family), step],
    ]);
    const bound: Record<string, TaskHandler> = {};
    for (const { name, handler } of lambdaTasksOf(definition, functions, { allowWait: false })) {
      bound[name] = (input) => track(invokeLikeLambda(handler, input));
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
