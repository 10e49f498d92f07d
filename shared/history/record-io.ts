import { BatchGetCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { indexPartitionAttribute, type IndexPageFetcher } from './index-streams.ts';
import { actionPartitionKey, itemToRecord, recordSortKey } from './items.ts';
import type { ActionRecord } from './record.ts';
import type { HistoryIndexName } from './table-design.ts';

/** One record by id, read consistently: every piece of the history (writer, reader, idempotency) needs it. */
export async function readRecord(client: DynamoDBDocumentClient, table: string, id: string): Promise<ActionRecord | null> {
  const { Item } = await client.send(
    new GetCommand({
      TableName: table,
      Key: { pk: actionPartitionKey(id), sk: recordSortKey },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? null : itemToRecord(Item);
}

/** The month-bucket floor item: the oldest month any record was created in. */
export const metaKey = { pk: 'META', sk: 'BUCKETS' };

/** Jittered exponential wait between retries of a batch the store partly refused. */
export async function backoff(attempt: number): Promise<void> {
  const delay = Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
  await new Promise((resolve) => setTimeout(resolve, delay));
}

/**
 * The items with these partition keys and one sort key, read consistently in BatchGetItem calls
 * (at most 100 keys each), retrying what the store leaves unprocessed; mapped by partition key.
 */
export async function batchGetByPartition<T>(
  client: DynamoDBDocumentClient,
  table: string,
  partitionKeys: readonly string[],
  sortKey: string,
  map: (item: Record<string, unknown>) => T,
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const unique = [...new Set(partitionKeys)];
  for (let start = 0; start < unique.length; start += 100) {
    let pending: Record<string, unknown>[] = unique.slice(start, start + 100).map((pk) => ({ pk, sk: sortKey }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await backoff(attempt);
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[table] ?? []) found.set(String(item['pk']), map(item));
      pending = (UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
      if (attempt > 8 && pending.length > 0) throw new Error(`the history store kept refusing a batch read of ${table}`);
    }
  }
  return found;
}

/**
 * Pages of one key-only index of the history table, newest first, `createdSk` between `lower`
 * (empty: open) and `upper`: what an IndexStream walks, for every month-bucketed listing.
 */
export function indexPages(
  client: DynamoDBDocumentClient,
  table: string,
  index: HistoryIndexName,
  range: { readonly lower: string; readonly upper: string },
  pageSize: number,
): IndexPageFetcher {
  const { lower, upper } = range;
  return async (partitionKey, startKey) => {
    const { Items, LastEvaluatedKey } = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: index,
        // DynamoDB refuses an empty string in a key condition, so an open lower bound is `<=`.
        KeyConditionExpression: lower === '' ? '#p = :p AND createdSk <= :upper' : '#p = :p AND createdSk BETWEEN :lower AND :upper',
        ExpressionAttributeNames: { '#p': indexPartitionAttribute[index] },
        ExpressionAttributeValues: lower === '' ? { ':p': partitionKey, ':upper': upper } : { ':p': partitionKey, ':lower': lower, ':upper': upper },
        ScanIndexForward: false,
        Limit: pageSize,
        ExclusiveStartKey: startKey,
      }),
    );
    return { keys: (Items ?? []).map((item) => ({ pk: String(item['pk']), createdSk: String(item['createdSk']) })), next: LastEvaluatedKey };
  };
}
