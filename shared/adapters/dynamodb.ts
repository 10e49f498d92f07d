import type { Agent } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { historyTableDesign } from '#shared/history/table-design.ts';
import { traced } from '#shared/observability/tracing.ts';

export interface StoreEndpoint {
  /**
   * The service's own store endpoint. Always explicit where set: the service's stores never
   * follow AWS_ENDPOINT_URL, which points cloud actions at the target accounts.
   */
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Locally: the agent that reaches the embedded store's unix socket. */
  readonly httpAgent?: Agent;
}

/** A document client for the history table; create it once at module scope. */
export function createHistoryClient(store: StoreEndpoint = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoDbClient(store), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}

function createDynamoDbClient(store: StoreEndpoint): DynamoDBClient {
  return traced(new DynamoDBClient({
    ...(store.endpoint === undefined ? {} : { endpoint: store.endpoint }),
    ...(store.region === undefined ? {} : { region: store.region }),
    ...(store.credentials === undefined ? {} : { credentials: store.credentials }),
    ...(store.httpAgent === undefined ? {} : { requestHandler: { httpAgent: store.httpAgent } }),
    maxAttempts: 5,
    // The service's own store never follows AWS_ENDPOINT_URL (that points at target accounts).
    ignoreConfiguredEndpointUrls: true,
  }));
}

/**
 * Creates the history table from its design when it does not exist (local runtime, tests,
 * benchmarks; in AWS the CDK stateful stack creates it from the same design).
 */
export async function ensureHistoryTable(store: StoreEndpoint, tableName: string): Promise<void> {
  const client = createDynamoDbClient(store);
  try {
    await createTableIfMissing(client, tableName);
  } finally {
    client.destroy();
  }
}

async function createTableIfMissing(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const indexes = Object.entries(historyTableDesign.indexes);
  const keyAttributes = new Set<string>([historyTableDesign.partitionKey, historyTableDesign.sortKey]);
  for (const [, index] of indexes) {
    keyAttributes.add(index.partitionKey);
    keyAttributes.add(index.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...keyAttributes].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));
  const globalSecondaryIndexes: GlobalSecondaryIndex[] = indexes.map(([name, index]) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  }));
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributeDefinitions,
      KeySchema: [
        { AttributeName: historyTableDesign.partitionKey, KeyType: 'HASH' },
        { AttributeName: historyTableDesign.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: globalSecondaryIndexes,
    }),
  );
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the history table ${tableName} did not become ACTIVE`);
}
