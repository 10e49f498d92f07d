import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#shared/clock.ts';

/** What every automation store on the history table is built from (see table-design.ts for its items). */
export interface AutomationStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock?: Clock;
}

/** Epoch seconds for the table's `ttl` attribute: DynamoDB's TTL removes the item some time after. */
export function ttlSeconds(at: Date, keepSeconds: number): number {
  return Math.floor(at.getTime() / 1000) + keepSeconds;
}
