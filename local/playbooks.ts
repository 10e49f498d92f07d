/**
 * The local runtime's playbook runs: the same PlaybookRunService, RunStore and step handler as in
 * AWS, on the embedded history table, with the shipped playbook-run state machine on the local
 * runner (runners/playbook-runner.ts) in place of Step Functions.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApprovalService } from '#shared/approvals/approval-service.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import type { CursorCodec } from '#shared/history/cursor.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { createPlaybookStepHandler } from '#shared/playbooks/advance.ts';
import { PlaybookRunService } from '#shared/playbooks/run-service.ts';
import { RunStore } from '#shared/playbooks/run-store.ts';
import type { PlaybookCatalogue } from '#shared/playbooks/types.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { resumePlaybookRuns, type PlaybookRecoveryReport } from './playbook-recovery.ts';
import { createLocalPlaybookRuns, type LocalPlaybookRuns, type LocalPlaybookRunsOptions } from './runners/playbook-runner.ts';

/** Test settings of the local playbook runner (shorter waits between a step's checks). */
export type LocalPlaybookRunnerSettings = Pick<LocalPlaybookRunsOptions, 'waitTimeOverrides' | 'retryIntervalOverrides'>;

export interface LocalPlaybooksOptions {
  readonly config: Pick<ServiceConfig, 'approvalRequired' | 'playbookRunDeadlineSeconds'>;
  /** The playbooks in force (loadPlaybookCatalogue of PLAYBOOKS, checked at start-up). */
  readonly catalogue: PlaybookCatalogue;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly cursors: CursorCodec;
  readonly repository: HistoryRepository;
  /** Each step is an ordinary action, created on the run's authority. */
  readonly actions: ActionService;
  /** A person's run on a target under APPROVAL_REQUIRED becomes an approval request. */
  readonly approvals: ApprovalService;
  readonly planner: Planner;
  readonly clock: Clock;
  readonly runner?: LocalPlaybookRunnerSettings;
}

export interface LocalPlaybooks {
  readonly runs: PlaybookRunService;
  readonly runtime: LocalPlaybookRuns;
  /** Starts again every run a previous process left Created or Running (after actions are recovered). */
  resume(): Promise<PlaybookRecoveryReport>;
  close(): Promise<void>;
}

export function createLocalPlaybooks(options: LocalPlaybooksOptions): LocalPlaybooks {
  const { repository, clock } = options;
  const store = new RunStore({ client: options.client, tableName: options.tableName, cursors: options.cursors });
  const runtime = createLocalPlaybookRuns({
    handler: createPlaybookStepHandler({ store, actions: options.actions, records: repository, clock }),
    ...options.runner,
  });
  const runs = new PlaybookRunService({
    playbooks: options.catalogue,
    store,
    records: repository,
    planner: options.planner,
    starter: runtime.starter,
    approvalRequired: options.config.approvalRequired,
    approvals: options.approvals,
    clock,
    runDeadlineSeconds: options.config.playbookRunDeadlineSeconds,
    idempotency: repository.idempotency,
  });
  return {
    runs,
    runtime,
    resume: () => resumePlaybookRuns(store, runtime.starter, clock),
    close: () => runtime.close(),
  };
}
