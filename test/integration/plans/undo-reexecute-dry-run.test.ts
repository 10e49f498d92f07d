import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiRoutes } from '#functions/api/routes.ts';
import { ApprovalStore } from '#shared/approvals/approval-store.ts';
import { FixedClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import { planResponseSchema } from '#shared/plans/plan-schema.ts';
import type { Plan } from '#shared/plans/types.ts';
import { createActionServices } from '#shared/use-cases/action-services.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { CompletingHostStarter, planHost as host } from './host-starter.ts';
import { routePathParameters } from '#test/support/route-path.ts';

/*
 * POST /v1/actions/{id}/undo?dryRun=true and /reexecute?dryRun=true through the route handlers
 * (functions/api/routes.ts) on a history table in dynalite, wired as every runtime wires them:
 * the real route's checks in its order, then 200 with the plan, and not one item of the table
 * (records, undo claims, idempotency items, approvals) written or changed. Plans carry the
 * NoEvidenceFirst warning the create would record.
 */

const containmentExec = 'containment-response-actions.exec';
const containmentRead = 'containment-response-actions.read';
const dataGatheringExec = 'data-gathering-response-actions.exec';
const bothExec = [containmentExec, dataGatheringExec];
const stopContainer = { type: 'stop-container', inputs: { 'host.id': host, 'container.id': 'c0ffee' }, reason: 'Falco: shell in container' };
const killProcess = { type: 'kill-process', inputs: { 'host.id': host, 'process.id': 4242 }, reason: 'Falco: reverse shell' };
const missingId = '00000000-0000-4000-8000-000000000000';

const dynalite = useDynalite();

interface Answer {
  readonly status: number;
  readonly body: { plan?: unknown; detail?: string; errors?: { path: string }[]; approval?: unknown; id?: string };
}

interface World {
  readonly repository: HistoryRepository;
  readonly approvals: ApprovalStore;
  call(method: 'POST' | 'GET', path: string, scopes: readonly string[], body?: unknown): Promise<Answer>;
  /** Every item of the history table, in key order: records, undo claims, idempotency items, approvals. */
  table(): Promise<unknown[]>;
}

async function world(approvalRequired: readonly string[] = []): Promise<World> {
  const clock = new FixedClock('2026-11-20T10:00:00.000Z');
  const { repository, client, tableName } = await freshHistory(dynalite.endpoint, clock);
  const approvals = new ApprovalStore({ client, tableName, cursors: new CursorCodec(randomBytes(32)) });
  const config = loadConfig({ TARGET_ACCOUNTS: '123456789012', MEMBER_ROLE_EXTERNAL_ID: 'ext-id' });
  const planner = new PlanService({ cloud: undefined, config, repository, clock });
  const services = createActionServices({
    repository,
    starters: { host: new CompletingHostStarter(repository) },
    clock,
    approvalRequired,
    approvalStore: approvals,
    approvalTtlSeconds: 3600,
    planner,
  });
  const handlers = apiRoutes.map((route) => ({ route, handler: route.create({ service: services.actions, approvals: services.approvals, planner }) }));
  return {
    repository,
    approvals,
    call: async (method, path, scopes, body) => {
      const [rawPath = '', rawQuery = ''] = path.split('?');
      const found = handlers.flatMap(({ route, handler }) => {
        const parameters = route.method === method ? routePathParameters(route.path, rawPath) : undefined;
        return parameters === undefined ? [] : [{ route, handler, parameters }];
      })[0];
      if (found === undefined) throw new Error(`no route ${method} ${rawPath}`);
      const event = {
        routeKey: `${method} ${found.route.path}`,
        rawPath,
        rawQueryString: rawQuery,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        queryStringParameters: rawQuery === '' ? undefined : Object.fromEntries(new URLSearchParams(rawQuery)),
        pathParameters: found.parameters,
        body: body === undefined ? undefined : JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: { requestId: 'request-1', authorizer: { jwt: { claims: { sub: 'analyst-1', scope: scopes.join(' ') }, scopes: null } } },
      };
      const response = await found.handler(event as unknown as APIGatewayProxyEventV2WithJWTAuthorizer, {} as Context);
      return { status: response.statusCode ?? 0, body: JSON.parse(typeof response.body === 'string' ? response.body : 'null') as Answer['body'] };
    },
    table: async () => {
      const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      return Items.map((item) => JSON.stringify(item)).sort();
    },
  };
}

function planOf(answer: Answer): Plan {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return planResponseSchema.parse(answer.body).plan;
}

let w: World;

/** A Completed action created through POST /v1/actions, as a person would. */
async function completed(request: unknown): Promise<ActionRecord> {
  const created = await w.call('POST', '/v1/actions', bothExec, request);
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  const record = await w.repository.get(String(created.body.id));
  expect(record?.status).toBe('Completed');
  if (record === null) throw new Error('the created action is not in the history');
  return record;
}

describe('POST /v1/actions/{id}/undo?dryRun=true', () => {
  beforeEach(async () => {
    w = await world();
  });

  it('answers 200 with the plan of undoing this action, writing nothing; its undo stays available', async () => {
    // Prepare
    const stopped = await completed(stopContainer);
    const before = await w.table();
    // Act
    const plan = planOf(await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=true`, bothExec, { reason: 'false positive' }));
    // Assess
    expect(plan).toMatchObject({ type: 'start-container', resource: stopped.resources[0], allowed: true, refusal: null, prior: null, undo: null, warnings: [] });
    expect(plan.changes.map((change) => change.call)).toEqual(['responder:dispatch', 'host:start-container']);
    expect(plan.changes[1]?.detail).toContain('c0ffee');
    expect(await w.table()).toEqual(before);
    expect((await w.repository.get(stopped.id))?.undo).toEqual({ available: true, type: 'start-container', actionId: null });
  });

  it('refuses a caller without any exec scope with 403 before the 404 of a missing action and the 400 of a bad body', async () => {
    // Act
    const answer = await w.call('POST', `/v1/actions/${missingId}/undo?dryRun=true`, [containmentRead], { reason: 7, extra: true });
    // Assess
    expect(answer.status).toBe(403);
  });

  it('refuses a caller who reads the action but may not run its undo with 403 before the 400 of a bad body', async () => {
    // Prepare
    const stopped = await completed(stopContainer);
    const before = await w.table();
    // Act
    const answer = await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=true`, [containmentRead, dataGatheringExec], { reason: 7 });
    // Assess
    expect(answer.status).toBe(403);
    expect(await w.table()).toEqual(before);
  });

  it('answers 404 for an action of a category the caller may not read, as the undo does', async () => {
    // Prepare
    const stopped = await completed(stopContainer);
    // Act
    const answer = await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=true`, [dataGatheringExec]);
    // Assess
    expect(answer.status).toBe(404);
  });

  it('answers 400 naming the body field the undo refuses, after the scope is settled', async () => {
    // Prepare
    const stopped = await completed(stopContainer);
    // Act
    const answer = await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=true`, bothExec, { reason: 7, extra: true });
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((error) => error.path).sort()).toEqual(['extra', 'reason']);
  });

  it('answers 409 for a type without undo and for an action already undone, writing nothing', async () => {
    // Prepare
    const killed = await completed(killProcess);
    const stopped = await completed(stopContainer);
    const undone = await w.call('POST', `/v1/actions/${stopped.id}/undo`, bothExec);
    const before = await w.table();
    // Act
    const noUndo = await w.call('POST', `/v1/actions/${killed.id}/undo?dryRun=true`, bothExec);
    const again = await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=true`, bothExec);
    // Assess
    expect(undone.status).toBe(202);
    expect(noUndo.status).toBe(409);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('already has an undo');
    expect(await w.table()).toEqual(before);
  });

  it('treats dryRun=false as the undo itself and any other value as a 400 naming dryRun', async () => {
    // Prepare
    const stopped = await completed(stopContainer);
    const before = await w.table();
    // Act
    const yes = await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=yes`, bothExec);
    const afterYes = await w.table();
    const real = await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=false`, bothExec);
    // Assess
    expect(yes.status).toBe(400);
    expect(yes.body.errors?.map((error) => error.path)).toEqual(['dryRun']);
    expect(afterYes).toEqual(before);
    expect(real.status).toBe(202);
    expect((await w.repository.get(stopped.id))?.undo.actionId).toBe(real.body.id);
  });
});

describe('POST /v1/actions/{id}/reexecute?dryRun=true', () => {
  beforeEach(async () => {
    w = await world();
  });

  it('answers 200 with the plan of the same type and inputs, writing nothing', async () => {
    // Prepare
    const killed = await completed(killProcess);
    const before = await w.table();
    // Act
    const plan = planOf(await w.call('POST', `/v1/actions/${killed.id}/reexecute?dryRun=true`, bothExec));
    // Assess
    expect(plan).toMatchObject({ type: 'kill-process', resource: killed.resources[0], allowed: true, refusal: null });
    expect(plan.changes.map((change) => change.call)).toEqual(['responder:dispatch', 'host:kill-process']);
    expect(await w.table()).toEqual(before);
  });

  it('refuses a caller without any exec scope with 403 before the 404 of a missing action', async () => {
    // Act
    const answer = await w.call('POST', `/v1/actions/${missingId}/reexecute?dryRun=true`, [containmentRead]);
    // Assess
    expect(answer.status).toBe(403);
  });

  it('refuses a caller who reads the action but may not run its type with 403', async () => {
    // Prepare
    const killed = await completed(killProcess);
    // Act
    const answer = await w.call('POST', `/v1/actions/${killed.id}/reexecute?dryRun=true`, [containmentRead, dataGatheringExec]);
    // Assess
    expect(answer.status).toBe(403);
  });

  it('answers 404 for an action of a category the caller may not read, as the re-execution does', async () => {
    // Prepare
    const killed = await completed(killProcess);
    // Act
    const answer = await w.call('POST', `/v1/actions/${killed.id}/reexecute?dryRun=true`, [dataGatheringExec]);
    // Assess
    expect(answer.status).toBe(404);
    expect(answer.body.plan).toBeUndefined();
  });

  it('answers 404 for a missing action and 409 for an undo, as the re-execution does', async () => {
    // Prepare
    const stopped = await completed(stopContainer);
    const undo = await w.call('POST', `/v1/actions/${stopped.id}/undo`, bothExec);
    const before = await w.table();
    // Act
    const missing = await w.call('POST', `/v1/actions/${missingId}/reexecute?dryRun=true`, bothExec);
    const ofUndo = await w.call('POST', `/v1/actions/${String(undo.body.id)}/reexecute?dryRun=true`, bothExec);
    // Assess
    expect(missing.status).toBe(404);
    expect(ofUndo.status).toBe(409);
    expect(await w.table()).toEqual(before);
  });

  it('treats any dryRun but true or false as a 400 naming dryRun, writing nothing', async () => {
    // Prepare
    const killed = await completed(killProcess);
    const before = await w.table();
    // Act
    const answer = await w.call('POST', `/v1/actions/${killed.id}/reexecute?dryRun=yes`, bothExec);
    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((error) => error.path)).toEqual(['dryRun']);
    expect(await w.table()).toEqual(before);
  });
});

describe('dry runs where APPROVAL_REQUIRED matches', () => {
  it('answers the plans and requests no approval', async () => {
    // Prepare: the originals were approved before the target came under APPROVAL_REQUIRED.
    w = await world();
    const stopped = await completed(stopContainer);
    const killed = await completed(killProcess);
    const gated = await world([`host/${host}*`]);
    const copy = async (record: ActionRecord): Promise<void> => {
      await gated.repository.create(record);
    };
    await copy(stopped);
    await copy(killed);
    w = gated;
    const before = await w.table();
    // Act
    const undo = await w.call('POST', `/v1/actions/${stopped.id}/undo?dryRun=true`, bothExec);
    const again = await w.call('POST', `/v1/actions/${killed.id}/reexecute?dryRun=true`, bothExec);
    const after = await w.table();
    // The real re-execution asks for an approval: the dry run above did not only because it plans.
    const real = await w.call('POST', `/v1/actions/${killed.id}/reexecute`, bothExec);
    // Assess
    expect(planOf(undo).type).toBe('start-container');
    expect(planOf(again).type).toBe('kill-process');
    expect(after).toEqual(before);
    expect(real.status).toBe(202);
    expect(real.body.approval).toBeDefined();
  });
});

describe('warnings on plans', () => {
  beforeEach(async () => {
    w = await world();
  });

  it('plans a destructive create with no evidence gathered first with the NoEvidenceFirst warning the create records', async () => {
    // Act
    const plan = planOf(await w.call('POST', '/v1/actions?dryRun=true', bothExec, killProcess));
    const created = await w.call('POST', '/v1/actions', bothExec, killProcess);
    // Assess
    expect(plan.warnings).toEqual([
      { code: 'NoEvidenceFirst', message: expect.stringContaining(`host/${host}`) as unknown, evidenceTypes: ['capture-process-state', 'get-logs'] },
    ]);
    expect((await w.repository.get(String(created.body.id)))?.warnings).toEqual(plan.warnings);
  });

  it('plans a kill-container and a re-execution with no warning once evidence was gathered', async () => {
    // Prepare
    const killContainer = { type: 'kill-container', inputs: { 'host.id': host, 'container.id': 'c0ffee' } };
    const killed = await completed(killProcess);
    const warnedBefore = planOf(await w.call('POST', '/v1/actions?dryRun=true', bothExec, killContainer)).warnings;
    const reexecutedBefore = planOf(await w.call('POST', `/v1/actions/${killed.id}/reexecute?dryRun=true`, bothExec)).warnings;
    await completed({ type: 'capture-process-state', inputs: { 'host.id': host } });
    // Act
    const create = planOf(await w.call('POST', '/v1/actions?dryRun=true', bothExec, killContainer));
    const reexecute = planOf(await w.call('POST', `/v1/actions/${killed.id}/reexecute?dryRun=true`, bothExec));
    // Assess
    expect(warnedBefore.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
    expect(reexecutedBefore.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
    expect(create.warnings).toEqual([]);
    expect(reexecute.warnings).toEqual([]);
  });
});
