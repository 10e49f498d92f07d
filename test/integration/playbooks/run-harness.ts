import { randomBytes } from 'node:crypto';
import { ApprovalStore } from '#shared/approvals/approval-store.ts';
import type { ApprovalService } from '#shared/approvals/approval-service.ts';
import type { Caller } from '#shared/auth/scopes.ts';
import type { FixedClock } from '#shared/clock.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { JsonValue } from '#shared/json.ts';
import { createPlaybookStepHandler } from '#shared/playbooks/advance.ts';
import { PlaybookRunService } from '#shared/playbooks/run-service.ts';
import { RunStore } from '#shared/playbooks/run-store.ts';
import type { PlaybookDefinition, PlaybookRun, PlaybookStepEvent, PlaybookStepResult, RunStarter } from '#shared/playbooks/types.ts';
import { loadConfig } from '#shared/config/config.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { WorkStarter } from '#shared/ports.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { createActionServices } from '#shared/use-cases/action-services.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { catalogueOf, playbook, step, textInput } from './run-fixtures.ts';

export type Outcome = 'complete' | 'fail' | 'hold';

/**
 * An executor stand-in (host and cloud): takes each action's work and, by its type, completes it,
 * fails it, or holds it Running until the test says. The real executors are tested on their own;
 * this is the one place a run's steps finish on command, so the engine's rules can be driven.
 */
export class ScriptedWork implements WorkStarter {
  /** Types of the actions started, in order. */
  readonly started: string[] = [];
  readonly #repository: HistoryRepository;
  readonly #script = new Map<string, Outcome>();

  constructor(repository: HistoryRepository) {
    this.#repository = repository;
  }

  readonly #results = new Map<string, JsonValue>();

  /** How actions of `type` end from now on (default: complete), and what a completed one reports as its result. */
  script(type: string, outcome: Outcome, result?: JsonValue): void {
    this.#script.set(type, outcome);
    if (result !== undefined) this.#results.set(type, result);
  }

  async start(record: ActionRecord): Promise<void> {
    this.started.push(record.type);
    await this.#repository.transition(record.id, 'Enqueued', { detail: 'test executor took the work' });
    await this.#repository.transition(record.id, 'Running');
    const outcome = this.#script.get(record.type) ?? 'complete';
    if (outcome !== 'hold') await this.finish(record.id, outcome, this.#results.get(record.type));
  }

  /** Ends a held action. */
  async finish(id: string, outcome: 'complete' | 'fail', result: JsonValue = { done: true }): Promise<void> {
    if (outcome === 'complete') {
      await this.#repository.transition(id, 'Completed', { applied: { changes: ['test change'] }, result });
    } else {
      await this.#repository.transition(id, 'Error', { error: { code: 'TestExecutorFailed', message: 'the test executor failed it' } });
    }
  }
}

/**
 * The run starter of these tests: instead of a Step Functions execution, it calls the step handler
 * (the same one the state machine's Task invokes) until the run is done or waits on a held action.
 */
export class DrivingStarter implements RunStarter {
  readonly started: string[] = [];
  failNext = false;
  /** Only record the start: the test advances the run itself (a crash, a race). */
  manual = false;
  handler: ((event: PlaybookStepEvent) => Promise<PlaybookStepResult>) | undefined;

  async start(run: PlaybookRun): Promise<void> {
    if (this.failNext) throw new Error('the state machine is not deployed');
    this.started.push(run.id);
    if (!this.manual) await this.drive(run.id);
  }

  async drive(runId: string): Promise<PlaybookStepResult> {
    if (this.handler === undefined) throw new Error('the step handler is wired after the service');
    return this.handler({ step: 'advance', runId });
  }
}

export const hostPlaybook = playbook(
  'host-breach',
  [textInput('host.id'), textInput('container.id'), textInput('path.absolute', false)],
  [
    step('acquire', 'acquire-file', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }, { when: [{ present: 'path.absolute' }] }),
    step('pause', 'pause-container', { 'host.id': { input: 'host.id' }, 'container.id': { input: 'container.id' } }),
    step('kill', 'kill-container', { 'host.id': { input: 'host.id' }, 'container.id': { input: 'container.id' } }),
  ],
);

/** As hostPlaybook, but a failed file acquisition or pause does not stop the run. */
export const tolerantHostPlaybook = playbook('host-breach-tolerant', hostPlaybook.inputs, [
  { ...(hostPlaybook.steps[0] ?? step('x', 'acquire-file', {})), continueOnError: true },
  { ...(hostPlaybook.steps[1] ?? step('x', 'pause-container', {})), continueOnError: true },
  hostPlaybook.steps[2] ?? step('x', 'kill-container', {}),
]);

/** Evidence in the cloud, then two containments with undo types. */
export const credentialPlaybook = playbook(
  'credential-breach',
  [textInput('aws.resource.arn'), textInput('fromTimestamp'), textInput('toTimestamp')],
  [
    step('cloudtrail', 'fetch-cloud-logs', {
      'aws.account.id': { input: 'aws.resource.arn', part: 'arn.account' },
      'aws.region': { value: 'us-east-1' },
      'ct.user.arn': { input: 'aws.resource.arn' },
      fromTimestamp: { input: 'fromTimestamp' },
      toTimestamp: { input: 'toTimestamp' },
    }),
    step('quarantine', 'iam-quarantine', { 'aws.resource.arn': { input: 'aws.resource.arn' } }),
    step('access-keys', 'deactivate-access-keys', { 'aws.resource.arn': { input: 'aws.resource.arn' } }),
  ],
);

export const hostInputs = { 'host.id': 'node-7', 'container.id': 'c0ffee', 'path.absolute': '/tmp/dropper' };
export const userArn = 'arn:aws:iam::111122223333:user/mallory';
export const credentialInputs = { 'aws.resource.arn': userArn, fromTimestamp: '2026-11-19T10:00:00Z', toTimestamp: '2026-11-20T09:00:00Z' };

export const bothExec = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'];
export function callerOf(sub: string, scopes: readonly string[] = bothExec): Caller {
  return { sub, scopes: new Set(scopes) };
}

export interface RunWorld {
  readonly repository: HistoryRepository;
  readonly store: RunStore;
  readonly actions: ActionService;
  readonly approvals: ApprovalService;
  readonly runs: PlaybookRunService;
  readonly work: ScriptedWork;
  readonly starter: DrivingStarter;
  readonly advance: (event: PlaybookStepEvent) => Promise<PlaybookStepResult>;
  /** Every action record in the table. */
  allActions(): Promise<ActionRecord[]>;
}

/**
 * The run engine as every runtime wires it, on a fresh history table in dynalite: the real
 * ActionService and ApprovalService, the RunStore, the PlaybookRunService and the step handler.
 */
export async function runWorld(
  endpoint: string,
  clock: FixedClock,
  options: { approvalRequired?: readonly string[]; planner?: Planner; playbooks?: readonly PlaybookDefinition[] } = {},
): Promise<RunWorld> {
  const { repository, client, tableName } = await freshHistory(endpoint, clock);
  const cursors = new CursorCodec(randomBytes(32));
  const store = new RunStore({ client, tableName, cursors });
  const work = new ScriptedWork(repository);
  const starter = new DrivingStarter();
  // Cloud plans need a member role: without a cloud planner they come back refused (NoExecutor), still plans.
  const planner: Planner = options.planner ?? new PlanService({ cloud: undefined, config: loadConfig({}), repository, clock });
  // The approvals start approved runs through the run service, which needs the approvals first.
  const wired: { runs?: PlaybookRunService } = {};
  const { actions, approvals } = createActionServices({
    repository,
    starters: { cloud: work, host: work },
    clock,
    approvalRequired: options.approvalRequired ?? [],
    approvalStore: new ApprovalStore({ client, tableName, cursors }),
    approvalTtlSeconds: 3600,
    runs: {
      createOnBehalf: (principal, name, request, runOptions) => {
        if (wired.runs === undefined) throw new Error('runs are wired below');
        return wired.runs.createOnBehalf(principal, name, request, runOptions);
      },
    },
  });
  const runs = new PlaybookRunService({
    playbooks: catalogueOf(options.playbooks ?? [hostPlaybook, tolerantHostPlaybook, credentialPlaybook]),
    store,
    records: repository,
    planner,
    starter,
    approvalRequired: options.approvalRequired ?? [],
    approvals,
    clock,
    runDeadlineSeconds: 3600,
    idempotency: repository.idempotency,
  });
  wired.runs = runs;
  const advance = createPlaybookStepHandler({ store, actions, records: repository, clock });
  starter.handler = advance;
  return {
    repository,
    store,
    actions,
    approvals,
    runs,
    work,
    starter,
    advance,
    allActions: async () => (await repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items,
  };
}
