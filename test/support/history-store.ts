import { randomBytes, randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHistoryClient, ensureHistoryTable, type StoreEndpoint } from '#shared/adapters/dynamodb.ts';
import type { Clock } from '#shared/clock.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { HistoryRepository } from '#shared/history/repository.ts';

/** Fixed dummy credentials: emulators accept any, and no test may reach a real account. */
export const emulatorCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** A fresh history table (unique name) on the given DynamoDB API endpoint, and a repository on it. */
export async function freshHistory(
  endpoint: string,
  clock: Clock,
  options: { maxExaminedPerPage?: number; idempotencyWaitMs?: number } = {},
): Promise<{ repository: HistoryRepository; tableName: string; store: StoreEndpoint; client: DynamoDBDocumentClient }> {
  const store: StoreEndpoint = { endpoint, region: 'us-east-1', credentials: emulatorCredentials };
  const tableName = `history-${randomUUID()}`;
  await ensureHistoryTable(store, tableName);
  const client = createHistoryClient(store);
  const repository = new HistoryRepository({
    client,
    tableName,
    cursors: new CursorCodec(randomBytes(32)),
    clock,
    ...options,
  });
  return { repository, tableName, store, client };
}
