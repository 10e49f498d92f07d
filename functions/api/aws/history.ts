/**
 * The history repository of an API function in AWS. Environment: HISTORY_TABLE_NAME.
 * Functions that hand cursors to callers (GET /v1/actions) sign them with the shared secret
 * (see cursor-secret.ts); the others only page within one request, so a key of their own will do.
 */
import { randomBytes } from 'node:crypto';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';

export function historyFromEnv(env: Environment, cursorKey: Buffer = randomBytes(32)): HistoryRepository {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  return new HistoryRepository({
    client: createHistoryClient(),
    tableName: config.historyTableName ?? '',
    cursors: new CursorCodec(cursorKey),
    clock: systemClock,
  });
}
