/**
 * Lambda entry point of the cloud action state machines' MarkRunning, MarkCompleted and MarkError
 * states (and of an EventBridge rule on executions that ended without MarkError).
 * Environment: HISTORY_TABLE_NAME. Permissions: dynamodb:GetItem and dynamodb:UpdateItem on the history table.
 */
import { randomBytes } from 'node:crypto';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { createMarkStatusHandler, type MarkStatusDeps } from '#shared/actions/mark-status.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';

export { createMarkStatusHandler as createHandler };

/** The deployed wiring, read from the environment (fails fast naming a missing variable). */
export function defaultDeps(): MarkStatusDeps {
  const config = loadConfig(process.env, ['HISTORY_TABLE_NAME']);
  return {
    repository: new HistoryRepository({
      client: createHistoryClient(),
      tableName: config.historyTableName ?? '',
      // This function never lists history; the codec is only there because the repository requires one.
      cursors: new CursorCodec(randomBytes(32)),
      clock: systemClock,
    }),
  };
}

// Deps are built on the first invocation: importing this module (local runtime, tests) reads no environment.
export const handler = createMarkStatusHandler(defaultDeps);
