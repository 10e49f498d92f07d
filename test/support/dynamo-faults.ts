/**
 * What the DynamoDB fault tests share: dynalite on a loopback port behind the fault-injecting proxy
 * (dynamo-fault-proxy.ts), a fresh history table and responder store through the proxy, and host
 * action records to move.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { respondScope } from '#shared/auth/scopes.ts';
import { systemClock } from '#shared/clock.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { startDynamoFaultProxy, type DynamoFaultProxy } from './dynamo-fault-proxy.ts';
import { freshHistory } from './history-store.ts';

export interface FaultyHistory {
  readonly proxy: DynamoFaultProxy;
  readonly repository: HistoryRepository;
  readonly store: ResponderStore;
  close(): Promise<void>;
}

/** dynalite, the proxy in front of it, and a history table and responder store reached through the proxy. */
export async function startFaultyHistory(): Promise<FaultyHistory> {
  const dynalite: EmbeddedDynamoDb = await startEmbeddedDynamoDb();
  const proxy = await startDynamoFaultProxy(dynalite.endpoint);
  const history = await freshHistory(proxy.endpoint, systemClock);
  const store = new ResponderStore({ client: createHistoryClient(history.store), tableName: history.tableName, clock: systemClock });
  return {
    proxy,
    repository: history.repository,
    store,
    close: async () => {
      await proxy.close();
      await dynalite.close();
    },
  };
}

/** A Created stop-container record for `host/<host>`, stored. */
export async function storedHostRecord(repository: HistoryRepository, host: string): Promise<ActionRecord> {
  const record = createdRecord(
    {
      id: randomUUID(),
      type: 'stop-container',
      category: 'containment',
      executor: 'host',
      inputs: { 'host.id': host, 'container.id': 'c0ffee' },
      resources: [{ key: `host/${host}/container/c0ffee`, kind: 'container' }],
      createdBy: 'analyst-1',
      undoType: 'start-container',
    },
    systemClock.now(),
  );
  await repository.create(record);
  return record;
}

/** The statuses a record went through, in order. */
export const statusesOf = (record: ActionRecord | null): string[] => record?.statusHistory.map((change) => change.status) ?? [];

/** POST /v1/actions/{id}/reports as API Gateway hands it to the route's handler, from `host/<host>`'s responder. */
export async function postReport(
  handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<{ statusCode?: number; body?: string; headers?: Record<string, unknown> }>,
  host: string,
  actionId: string,
  report: unknown,
): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  const event = {
    routeKey: 'POST /v1/actions/{id}/reports',
    rawPath: `/v1/actions/${actionId}/reports`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { id: actionId },
    body: JSON.stringify(report),
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      authorizer: { jwt: { claims: { sub: `responder-${host}`, scope: respondScope, ra_responder: `host/${host}` }, scopes: null } },
    },
  };
  const response = await handler(event as unknown as APIGatewayProxyEventV2WithJWTAuthorizer, {} as Context);
  return { status: response.statusCode ?? 0, body: JSON.parse(response.body ?? 'null'), headers: response.headers ?? {} };
}
