import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHandler } from '#functions/api/undo-action.ts';
import { systemClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { planResponseSchema } from '#shared/plans/plan-schema.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { attachUserPolicy, createUser } from '#test/support/moto-iam.ts';
import { readOnly, readOnlyRequest, startPlanCloudSuite, unique, type PlanCloudHarness } from './plan-cloud-harness.ts';

/*
 * POST /v1/actions/{id}/undo?dryRun=true of an iam-quarantine, through the route's handler, the
 * real in-process cloud planner and moto_server: the plan names the detach of exactly the policy
 * that quarantine attached, on its user (not the newest quarantine's), with reads only against
 * the target account and nothing written to the history table.
 */

let h: PlanCloudHarness;

beforeAll(async () => {
  ({ h } = await startPlanCloudSuite(inject('motoEndpoint')));
});

afterAll(async () => {
  await h.close();
});

async function quarantined(): Promise<{ userArn: string; record: ActionRecord }> {
  const name = unique('mallory');
  const userArn = await createUser(h.iam, name);
  await attachUserPolicy(h.iam, name, readOnly);
  const record = await h.harness.run(h.harness.newRecord('iam-quarantine', { 'aws.resource.arn': userArn }));
  expect(record.status, JSON.stringify(record.error)).toBe('Completed');
  return { userArn, record };
}

async function table(): Promise<string[]> {
  const { client, tableName } = h.harness.historyTable;
  const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.map((item) => JSON.stringify(item)).sort();
}

async function undoDryRun(id: string): Promise<{ status: number; body: unknown }> {
  const service = new ActionService({ repository: h.harness.repository, starters: {}, clock: systemClock });
  const handler = createHandler({ service, planner: h.plans });
  const event = {
    routeKey: 'POST /v1/actions/{id}/undo',
    rawPath: `/v1/actions/${id}/undo`,
    rawQueryString: 'dryRun=true',
    headers: {},
    queryStringParameters: { dryRun: 'true' },
    pathParameters: { id },
    isBase64Encoded: false,
    requestContext: { requestId: 'request-1', authorizer: { jwt: { claims: { sub: 'analyst-1', scope: 'containment-response-actions.exec' }, scopes: null } } },
  };
  const response = await handler(event as unknown as APIGatewayProxyEventV2WithJWTAuthorizer, {} as Context);
  return { status: response.statusCode ?? 0, body: JSON.parse(typeof response.body === 'string' ? response.body : 'null') };
}

describe('the undo dry run of an iam-quarantine, on moto', () => {
  it('names the detach of exactly the AWSDenyAll that quarantine attached, on its own user, writing nothing', async () => {
    // Prepare: a newer quarantine of another user too, whose detach must not appear in this plan.
    const first = await quarantined();
    const second = await quarantined();
    const before = await table();
    const from = h.harness.front.requests.length;
    // Act
    const answer = await undoDryRun(first.record.id);
    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const { plan } = planResponseSchema.parse(answer.body);
    expect(plan).toMatchObject({ type: 'iam-unquarantine', resource: first.record.resources[0], allowed: true, refusal: null, warnings: [] });
    expect(plan.changes).toEqual([{ call: 'iam:DetachUserPolicy', target: first.userArn, detail: expect.stringContaining('arn:aws:iam::aws:policy/AWSDenyAll') as unknown }]);
    expect(plan.changes.some((change) => change.target === second.userArn || change.detail.includes('ReadOnlyAccess'))).toBe(false);
    expect(h.requestsSince(from).filter((request) => !readOnlyRequest.test(request))).toEqual([]);
    expect(await table()).toEqual(before);
  });
});
