import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { actionPartitionKey, itemToRecord, recordSortKey } from './items.ts';
import type { ActionRecord } from './record.ts';

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
