/**
 * The playbook run use cases of a function in AWS, wired to the action and approval use cases: a
 * gated run requests an approval, and approving a playbook approval creates the run. Environment:
 * HISTORY_TABLE_NAME, PLAYBOOKS (unset: the built-in playbooks only), PLAYBOOK_RUN_DEADLINE_SECONDS,
 * APPROVAL_REQUIRED, APPROVAL_TTL_SECONDS; the starter's PLAYBOOK_STATE_MACHINE_ARN
 * (playbook-run-starter.ts, only in the functions with the `playbook-runs` need).
 */
import { randomBytes } from 'node:crypto';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { ConfigError } from '#shared/errors.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { PlaybookRunService } from '#shared/playbooks/run-service.ts';
import { RunStore } from '#shared/playbooks/run-store.ts';
import type { PlaybookCatalogue, RunStarter } from '#shared/playbooks/types.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import type { CloudPlanner, Planner } from '#shared/plans/types.ts';
import type { ActionServiceDeps } from '#shared/use-cases/action-service.ts';
import { actionServicesFromEnv } from './action-services.ts';
import { historyFromEnv } from './history.ts';
import { playbookCatalogueFromEnv } from './playbook-catalogue.ts';

/**
 * The starter of a function that reads runs but never starts one (no `playbook-runs` need, so no
 * StartExecution grant and no Step Functions client in its bundle): starting is a wiring defect.
 */
export const readOnlyRunStarter: RunStarter = {
  start: () => Promise.reject(new ConfigError('PLAYBOOK_STATE_MACHINE_ARN', 'is not given to this function: it only reads playbook runs')),
};

export interface PlaybookServicesOptions extends Pick<ActionServiceDeps, 'starters'> {
  /** Plans steps for `?dryRun=true` and for approvals; by default one without cloud plans (refused with NoExecutor). */
  readonly planner?: Planner;
  readonly runStarter: RunStarter;
  /** Signs run and approval cursors (the shared secret where cursors reach callers). */
  readonly cursorKey?: Buffer;
  /** The playbooks in force, when the caller has read them already (the automation checks its rules with them). */
  readonly catalogue?: PlaybookCatalogue;
}

/** The action, approval and playbook run use cases, wired to each other. */
export function playbookServicesFromEnv(
  env: Environment,
  repository: HistoryRepository,
  options: PlaybookServicesOptions,
): ReturnType<typeof actionServicesFromEnv> & { readonly playbooks: PlaybookRunService } {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const cursorKey = options.cursorKey ?? randomBytes(32);
  const planner = options.planner ?? new PlanService({ cloud: undefined, config, repository, clock: systemClock });
  const { actions, approvals } = actionServicesFromEnv(env, repository, {
    starters: options.starters,
    planner,
    cursorKey,
    // `playbooks` is built just below: approvals are only decided once both exist.
    runs: { createOnBehalf: (principal, name, request, runOptions) => playbooks.createOnBehalf(principal, name, request, runOptions) },
  });
  const playbooks = new PlaybookRunService({
    playbooks: options.catalogue ?? playbookCatalogueFromEnv(env),
    store: new RunStore({ client: createHistoryClient(), tableName: config.historyTableName ?? '', cursors: new CursorCodec(cursorKey) }),
    records: repository,
    planner,
    starter: options.runStarter,
    approvalRequired: config.approvalRequired,
    approvals,
    clock: systemClock,
    runDeadlineSeconds: config.playbookRunDeadlineSeconds,
    idempotency: repository.idempotency,
  });
  return { actions, approvals, playbooks };
}

/**
 * The run use cases of a playbook route's function: the history table (with `cursorKey` where
 * cursors reach callers), the planner (cloud plans only with the `cloud-plans` need), and the
 * starter (the real one only with the `playbook-runs` need). It creates no action itself: a run's
 * steps are created by the playbook step function, so no action starter is given.
 */
export function playbookRunsFromEnv(env: Environment, options: { readonly runStarter: RunStarter; readonly cursorKey?: Buffer; readonly cloud?: CloudPlanner }): PlaybookRunService {
  const repository = historyFromEnv(env, options.cursorKey);
  const planner = new PlanService({ cloud: options.cloud, config: loadConfig(env), repository, clock: systemClock });
  return playbookServicesFromEnv(env, repository, { starters: {}, planner, runStarter: options.runStarter, ...(options.cursorKey === undefined ? {} : { cursorKey: options.cursorKey }) }).playbooks;
}
