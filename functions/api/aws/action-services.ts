/**
 * The action and approval use cases of an API function in AWS. Environment: HISTORY_TABLE_NAME,
 * APPROVAL_REQUIRED, APPROVAL_TTL_SECONDS (approvals live in the history table).
 */
import { randomBytes } from 'node:crypto';
import { ApprovalStore } from '#shared/approvals/approval-store.ts';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import type { ActionServiceDeps } from '#shared/use-cases/action-service.ts';
import { createActionServices } from '#shared/use-cases/action-services.ts';

export function actionServicesFromEnv(
  env: Environment,
  repository: HistoryRepository,
  options: Pick<ActionServiceDeps, 'starters' | 'planner'> & { readonly cursorKey?: Buffer },
): ReturnType<typeof createActionServices> {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const approvalStore = new ApprovalStore({
    client: createHistoryClient(),
    tableName: config.historyTableName ?? '',
    cursors: new CursorCodec(options.cursorKey ?? randomBytes(32)),
  });
  return createActionServices({
    repository,
    starters: options.starters,
    clock: systemClock,
    approvalRequired: config.approvalRequired,
    approvalStore,
    approvalTtlSeconds: config.approvalTtlSeconds,
    ...(options.planner === undefined ? {} : { planner: options.planner }),
  });
}
