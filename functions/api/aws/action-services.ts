/**
 * The action and approval use cases of an API function in AWS. Environment: HISTORY_TABLE_NAME,
 * APPROVAL_REQUIRED, APPROVAL_TTL_SECONDS (approvals live in the history table).
 */
import { randomBytes } from 'node:crypto';
import { ApprovalStore } from '#shared/approvals/approval-store.ts';
import { DynamoRateLimiter } from '#shared/automation/store/index.ts';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { ActionServiceDeps } from '#shared/use-cases/action-service.ts';
import { createActionServices, type ActionServicesDeps } from '#shared/use-cases/action-services.ts';

export function actionServicesFromEnv(
  env: Environment,
  repository: HistoryRepository,
  options: Pick<ActionServiceDeps, 'starters' | 'planner'> & Pick<ActionServicesDeps, 'runs'> & { readonly cursorKey?: Buffer },
): ReturnType<typeof createActionServices> {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  // One client (one credential resolution, one connection pool) for both stores of the history table.
  const client = createHistoryClient();
  const approvalStore = new ApprovalStore({
    client,
    tableName: config.historyTableName ?? '',
    cursors: new CursorCodec(options.cursorKey ?? randomBytes(32)),
  });
  const rates = new DynamoRateLimiter({ client, tableName: config.historyTableName ?? '' });
  return createActionServices({
    repository,
    starters: options.starters,
    clock: systemClock,
    approvalRequired: config.approvalRequired,
    approvalStore,
    approvalTtlSeconds: config.approvalTtlSeconds,
    // Actions created by approving a rule's request count towards its limits (API.md), in every function that approves.
    onApproved: async (_approval, _outcome, countAs) => {
      if (countAs !== null) await rates.count({ id: countAs.ruleId }, countAs, systemClock.now());
    },
    ...(options.planner === undefined ? {} : { planner: options.planner }),
    // Approving a playbook approval creates the run (playbook-runs.ts wires it where runs are served).
    ...(options.runs === undefined ? {} : { runs: options.runs }),
  });
}
