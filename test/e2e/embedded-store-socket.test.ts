/**
 * The embedded DynamoDB on its unix socket under many concurrent calls: a unix socket refuses a
 * connection at once (connect EAGAIN) when more are pending than its listen backlog holds, unlike
 * TCP, which waits. `npm run bench -- load` (1,000 actions) ended 74 actions in Error that way
 * while the store's agent opened a socket per call in flight. Every call must succeed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';

let dir: string;
let store: EmbeddedDynamoDb;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'store-socket-'));
  store = await startEmbeddedDynamoDb({ socketPath: join(dir, 'dynamodb.sock') });
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('embedded store on a unix socket', () => {
  it('answers 3,000 concurrent calls, none refused at connect', async () => {
    const endpoint = { endpoint: store.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, ...(store.httpAgent === undefined ? {} : { httpAgent: store.httpAgent }) };
    expect(store.httpAgent).toBeDefined();
    await ensureHistoryTable(endpoint, 'history');
    const client = createHistoryClient(endpoint);
    await client.send(new PutCommand({ TableName: 'history', Item: { pk: 'ACTION#one', sk: 'RECORD', value: 'kept' } }));

    const outcomes = await Promise.allSettled(
      Array.from({ length: 3000 }, () => client.send(new GetCommand({ TableName: 'history', Key: { pk: 'ACTION#one', sk: 'RECORD' } }))),
    );

    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []));
    expect(refused.slice(0, 3)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value.Item?.['value'] === 'kept')).toHaveLength(3000);
    client.destroy();
  });
});
