import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import { planResponseSchema } from '#shared/plans/plan-schema.ts';
import type { Plan } from '#shared/plans/types.ts';
import { CompletingStarter, startLocalApi, type LocalApi } from '#test/support/local-api.ts';
import { CompletingHostStarter } from './host-starter.ts';

/*
 * POST /v1/actions?dryRun=true through the local HTTP server (real routes, real JWT verification,
 * the history on dynalite): the same scope and input checks as a create, then 200 with the plan,
 * and nothing written, whatever the request.
 */

const exec = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'];
const killProcess = { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': 4242 }, reason: 'Falco: reverse shell' };
const config = loadConfig({ TARGET_ACCOUNTS: '123456789012', MEMBER_ROLE_EXTERNAL_ID: 'ext-id' });

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

let api: LocalApi;
let repository: HistoryRepository;

async function post(path: string, body: unknown, options: { scopes?: readonly string[]; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await api.token(options.scopes ?? exec)}`, 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
  });
}

/** Every action the history holds, in both categories. */
async function historyCount(): Promise<number> {
  return (await repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items.length;
}

async function start(withPlanner: boolean): Promise<void> {
  const clock = new FixedClock('2026-11-20T10:00:00.000Z');
  api = await startLocalApi({
    clock,
    starters: (history) => {
      repository = history;
      return { host: new CompletingHostStarter(history), cloud: new CompletingStarter(history) };
    },
    ...(withPlanner ? { planner: (history: HistoryRepository) => new PlanService({ cloud: undefined, config, repository: history, clock }) } : {}),
  });
}

afterEach(async () => {
  await api.close();
});

describe('POST /v1/actions?dryRun=true', () => {
  beforeEach(async () => {
    await start(true);
  });

  it('answers 200 with the plan and writes nothing; the Idempotency-Key is ignored, so a later create may use it', async () => {
    // Prepare
    const before = await historyCount();
    // Act
    const response = await post('/v1/actions?dryRun=true', killProcess, { headers: { 'idempotency-key': 'incident-42' } });
    const body: unknown = await response.json();
    const after = await historyCount();
    // Another request under the same key: a claimed key would answer 409 here.
    const created = await post('/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'arn:aws:iam::123456789012:user/alice' } }, { headers: { 'idempotency-key': 'incident-42' } });
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    const { plan } = planResponseSchema.parse(body);
    expect(plan).toMatchObject({ type: 'kill-process', resource: { key: 'host/node-7', kind: 'host' }, allowed: true, refusal: null, prior: null, undo: null });
    expect(plan.changes.map((change) => change.call)).toEqual(['responder:dispatch', 'host:kill-process']);
    expect(after).toBe(before);
    expect(created.status).toBe(202);
    expect(await historyCount()).toBe(before + 1);
  });

  it('takes an Idempotency-Key a create would refuse, since a plan is not repeated work', async () => {
    // Act
    const response = await post('/v1/actions?dryRun=true', killProcess, { headers: { 'idempotency-key': 'has spaces' } });
    // Assess
    expect(response.status).toBe(200);
    expect(await historyCount()).toBe(0);
  });

  it('refuses a caller without the category exec scope with 403 before looking at its bad inputs, writing nothing', async () => {
    // Act
    const response = await post(
      '/v1/actions?dryRun=true',
      { type: 'kill-process', inputs: { 'host.id': '', 'process.id': 'x' }, extra: true },
      { scopes: ['data-gathering-response-actions.exec'] },
    );
    // Assess
    expect(response.status).toBe(403);
    expect(((await response.json()) as Problem).detail).toContain('containment-response-actions.exec');
    expect(await historyCount()).toBe(0);
  });

  it('refuses a caller with only the read scopes with 403: a plan (prior state, calls) is an exec caller\'s', async () => {
    // Act
    const response = await post('/v1/actions?dryRun=true', killProcess, { scopes: ['containment-response-actions.read', 'data-gathering-response-actions.read'] });
    // Assess
    expect(response.status).toBe(403);
    expect(await historyCount()).toBe(0);
  });

  it('answers bad inputs with 400 naming each field, the body\'s unknown fields included, writing nothing', async () => {
    // Act
    const response = await post('/v1/actions?dryRun=true', { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': 0 }, extra: 1 });
    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as Problem).errors?.map((error) => error.path).sort()).toEqual(['extra', 'inputs.process.id']);
    expect(await historyCount()).toBe(0);
  });

  it.each(['yes', 'TRUE', '1', ''])('answers dryRun=%j with 400 naming dryRun and creates nothing, even for a valid body', async (value) => {
    // Act
    const response = await post(`/v1/actions?dryRun=${value}`, killProcess);
    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors).toEqual([{ path: 'dryRun', message: 'must be true (plan only, nothing written) or false' }]);
    expect(await historyCount()).toBe(0);
  });

  it('creates as usual with dryRun=false', async () => {
    // Act
    const response = await post('/v1/actions?dryRun=false', { type: 'stop-container', inputs: { 'host.id': 'node-7', 'container.id': 'abc123' } });
    // Assess
    expect(response.status).toBe(202);
    expect(await historyCount()).toBe(1);
  });

  it('plans a cloud target outside TARGET_ACCOUNTS as refused (200, allowed false), never a 5xx', async () => {
    // Act
    const response = await post('/v1/actions?dryRun=true', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'arn:aws:iam::999999999999:user/alice' } });
    // Assess
    expect(response.status).toBe(200);
    const { plan } = planResponseSchema.parse(await response.json()) as { plan: Plan };
    expect(plan).toMatchObject({ allowed: false, refusal: { code: 'TargetAccountNotAllowed' }, changes: [], undo: null });
    expect(await historyCount()).toBe(0);
  });

  it('answers a directly posted undo type with nothing to undo as 409, writing nothing', async () => {
    // Act
    const response = await post('/v1/actions?dryRun=true', { type: 'start-container', inputs: { 'host.id': 'node-7', 'container.id': 'abc123' } });
    // Assess
    expect(response.status).toBe(409);
    expect(((await response.json()) as Problem).detail).toContain('nothing to undo: no Completed stop-container on host/node-7/container/abc123');
    expect(await historyCount()).toBe(0);
  });

  it('plans the undo of the newest Completed original a create would undo, and leaves that undo available', async () => {
    // Prepare
    const stop = { type: 'stop-container', inputs: { 'host.id': 'node-7', 'container.id': 'abc123' } };
    const original = (await (await post('/v1/actions', stop)).json()) as { id: string; status: string };
    const before = await historyCount();
    expect(original.status).toBe('Completed');
    // Act
    const response = await post('/v1/actions?dryRun=true', { type: 'start-container', inputs: stop.inputs });
    // Assess
    expect(response.status).toBe(200);
    const { plan } = planResponseSchema.parse(await response.json());
    expect(plan.type).toBe('start-container');
    expect(plan.changes[1]).toEqual({
      call: 'host:start-container',
      target: 'host/node-7/container/abc123',
      detail: 'starts container abc123 on host node-7 again, only if the stop-container it undoes stopped it',
    });
    expect(await historyCount()).toBe(before);
    expect((await repository.get(original.id))?.undo).toMatchObject({ available: true, actionId: null });
  });
});

describe('POST /v1/actions?dryRun=true on a runtime without a planner', () => {
  beforeEach(async () => {
    await start(false);
  });

  it('answers 503 and writes nothing', async () => {
    // Act
    const response = await post('/v1/actions?dryRun=true', killProcess);
    // Assess
    expect(response.status).toBe(503);
    expect(await historyCount()).toBe(0);
  });
});
