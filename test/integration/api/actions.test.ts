import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { WorkStarter } from '#shared/ports.ts';
import { CompletingStarter, startLocalApi, type LocalApi } from '#test/support/local-api.ts';

const exec = ['containment-response-actions.exec', 'data-gathering-response-actions.exec'];
const alice = 'arn:aws:iam::123456789012:user/alice';
const quarantine = { type: 'iam-quarantine', inputs: { 'aws.resource.arn': alice }, reason: 'GuardDuty finding 42' };

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  correlationId?: string;
  errors?: { path: string; message: string }[];
}

let api: LocalApi;
let clock: FixedClock;
let starter: CompletingStarter;

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await api.token(exec)}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function get(path: string): Promise<Response> {
  return fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${await api.token(exec)}` } });
}

async function history(): Promise<ActionRecord[]> {
  return ((await (await get('/v1/actions?limit=100')).json()) as { items: ActionRecord[] }).items;
}

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  api = await startLocalApi({
    clock,
    starters: (repository) => {
      starter = new CompletingStarter(repository);
      return { cloud: starter };
    },
  });
});
afterEach(async () => {
  await api.close();
});

describe('POST /v1/actions', () => {
  it('records the action, hands it to its executor and answers 202 with the record', async () => {
    // Act
    const response = await post('/v1/actions', quarantine);
    const record = (await response.json()) as ActionRecord;

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/actions/${record.id}`);
    expect(record).toMatchObject({
      type: 'iam-quarantine',
      category: 'containment',
      executor: 'cloud',
      inputs: quarantine.inputs,
      reason: 'GuardDuty finding 42',
      resource: { key: alice, kind: 'aws.iam.user' },
      createdBy: 'analyst-1',
      status: 'Completed',
      undo: { available: true, type: 'iam-unquarantine', actionId: null },
      undoOf: null,
      reexecuteOf: null,
    });
    expect(record.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(starter.started).toEqual([record.id]);
    expect(await (await get(`/v1/actions/${record.id}`)).json()).toEqual(record);
  });

  it('ends an action whose executor is not deployed in Error, saying so', async () => {
    // Act
    const response = await post('/v1/actions', { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': 4242 } });
    const record = (await response.json()) as ActionRecord;

    // Assess
    expect(response.status).toBe(202);
    expect(record.status).toBe('Error');
    expect(record.error).toEqual({ code: 'NoExecutor', message: 'no host executor is configured in this deployment' });
  });

  it('ends an action in Error when handing it over fails, and says why', async () => {
    // Prepare
    await api.close();
    const failing: WorkStarter = { start: () => Promise.reject(new Error('StartExecution: throttled')) };
    api = await startLocalApi({ clock, starters: () => ({ cloud: failing }) });

    // Act
    const record = (await (await post('/v1/actions', quarantine)).json()) as ActionRecord;

    // Assess
    expect(record.status).toBe('Error');
    expect(record.error?.code).toBe('StartFailed');
    expect(record.error?.message).toContain('throttled');
  });

  it('returns the same record for the same Idempotency-Key and body, and 409 for another body', async () => {
    // Act
    const first = await post('/v1/actions', quarantine, { 'idempotency-key': 'incident-42' });
    const again = await post('/v1/actions', quarantine, { 'idempotency-key': 'incident-42' });
    const other = await post('/v1/actions', { ...quarantine, reason: 'another' }, { 'idempotency-key': 'incident-42' });

    // Assess
    const firstRecord = (await first.json()) as ActionRecord;
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(((await again.json()) as ActionRecord).id).toBe(firstRecord.id);
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(starter.started).toEqual([firstRecord.id]);
    expect(await history()).toHaveLength(1);
  });
});

describe('rejected requests', () => {
  const invalid: [string, () => Promise<Response>, number, string | null][] = [
    ['malformed JSON', () => post('/v1/actions', '{"type": "iam-quarantine",'), 400, 'body'],
    ['a JSON array', () => post('/v1/actions', '[]'), 400, 'body'],
    ['an empty body', () => post('/v1/actions', ''), 400, 'body'],
    ['a wrong content type', () => post('/v1/actions', JSON.stringify(quarantine), { 'content-type': 'text/plain' }), 415, null],
    ['a body too large', () => post('/v1/actions', { ...quarantine, reason: 'x'.repeat(70 * 1024) }), 413, null],
    ['a body far too large', () => post('/v1/actions', 'x'.repeat(2 * 1024 * 1024)), 413, null],
    ['an unknown type', () => post('/v1/actions', { type: 'format-disk', inputs: {} }), 400, 'type'],
    ['a missing type', () => post('/v1/actions', { inputs: {} }), 400, 'type'],
    ['inputs not an object', () => post('/v1/actions', { type: 'iam-quarantine', inputs: 'alice' }), 400, 'inputs'],
    [
      'a wrong input type',
      () => post('/v1/actions', { type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': '4242' } }),
      400,
      'inputs.process.id',
    ],
    [
      'an unknown input',
      () => post('/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': alice, force: true } }),
      400,
      'inputs.force',
    ],
    ['an unknown body field', () => post('/v1/actions', { ...quarantine, priority: 'high' }), 400, 'priority'],
    ['a reason that is not text', () => post('/v1/actions', { ...quarantine, reason: 42 }), 400, 'reason'],
    [
      'an ARN of the wrong kind',
      () => post('/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'arn:aws:s3:::bucket' } }),
      400,
      'inputs.aws.resource.arn',
    ],
    ['a bad Idempotency-Key', () => post('/v1/actions', quarantine, { 'idempotency-key': 'has space' }), 400, 'Idempotency-Key'],
    ['a bad history filter', () => get('/v1/actions?status=Done'), 400, 'status'],
    ['an unknown history filter', () => get('/v1/actions?owner=me'), 400, 'owner'],
    ['a bad limit', () => get('/v1/actions?limit=1000'), 400, 'limit'],
    ['a bad time', () => get('/v1/actions?from=yesterday'), 400, 'from'],
    ['a forged cursor', () => get('/v1/actions?cursor=abc.def'), 400, 'cursor'],
    ['an unknown action', () => get('/v1/actions/00000000-0000-4000-8000-000000000000'), 404, null],
    ['a malformed action id', () => get('/v1/actions/..%2F..%2Fetc'), 404, null],
    ['an unknown route', () => get('/v1/nothing'), 404, null],
    ['a wrong method', () => fetch(`${api.url}/v1/action-types`, { method: 'DELETE' }), 405, null],
  ];

  it.each(invalid)('answers %s with problem+json naming the field, and writes nothing', async (_, send, status, path) => {
    // Act
    const response = await send();
    const text = await response.text();

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = JSON.parse(text) as Problem;
    expect(problem.status).toBe(status);
    for (const field of [problem.type, problem.title, problem.detail]) expect(field).toMatch(/\S/);
    if (path !== null) expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    expect(await history()).toEqual([]);
    expect(starter.started).toEqual([]);
  });

  it('names every bad input at once', async () => {
    // Act
    const response = await post('/v1/actions', { type: 'kill-process', inputs: { 'process.id': -1, 'container.id': '' } });
    const problem = (await response.json()) as Problem;

    // Assess
    expect(response.status).toBe(400);
    expect(problem.errors?.map((error) => error.path).sort()).toEqual(
      expect.arrayContaining(['inputs.host.id', 'inputs.process.id']),
    );
  });

  it('answers a real fault with a plain 500 and a correlation id, logs it, and leaks nothing', async () => {
    // Prepare: the history store goes away
    await api.close();
    api = await startLocalApi({ clock, starters: () => ({}), dynamoEndpoint: 'http://127.0.0.1:9' });
    const logged: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    const token = await api.token(exec);

    // Act
    const response = await fetch(`${api.url}/v1/actions/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    spy.mockRestore();
    const problem = (await response.json()) as Problem;

    // Assess
    expect(response.status).toBe(500);
    expect(problem.detail).toBe(`an unexpected error occurred; quote correlation id ${problem.correlationId ?? ''}`);
    expect(JSON.stringify(problem)).not.toContain('127.0.0.1');
    const line = logged.find((entry) => entry.includes(problem.correlationId ?? 'none'));
    expect(line).toBeDefined();
    expect(logged.join('')).not.toContain(token);
  });
});

describe('undo and re-execute', () => {
  it('undoes once, links both ways, and refuses a second undo while the first stands', async () => {
    // Prepare
    const original = (await (await post('/v1/actions', quarantine)).json()) as ActionRecord;

    // Act
    const undoResponse = await post(`/v1/actions/${original.id}/undo`, { reason: 'false positive' });
    const undo = (await undoResponse.json()) as ActionRecord;
    const second = await post(`/v1/actions/${original.id}/undo`, {});
    const after = (await (await get(`/v1/actions/${original.id}`)).json()) as ActionRecord;

    // Assess
    expect(undoResponse.status).toBe(202);
    expect(undo).toMatchObject({
      type: 'iam-unquarantine',
      undoOf: original.id,
      inputs: { 'aws.resource.arn': alice },
      resource: original.resource,
      reason: 'false positive',
    });
    expect(second.status).toBe(409);
    expect(after.undo).toEqual({ available: false, type: 'iam-unquarantine', actionId: undo.id });
    expect((await post(`/v1/actions/${undo.id}/undo`, {})).status).toBe(409);
    expect((await post(`/v1/actions/${undo.id}/reexecute`, {})).status).toBe(409);
  });

  it('undoes the newest Completed pair when an undo type is posted directly, and 409 when there is none', async () => {
    // Prepare
    const older = (await (await post('/v1/actions', quarantine)).json()) as ActionRecord;
    clock.advance(1000);
    const newer = (await (await post('/v1/actions', quarantine)).json()) as ActionRecord;

    // Act
    const first = (await (await post('/v1/actions', { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': alice } })).json()) as ActionRecord;
    const second = (await (await post('/v1/actions', { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': alice } })).json()) as ActionRecord;
    const third = await post('/v1/actions', { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': alice } });
    const elsewhere = await post('/v1/actions', {
      type: 'iam-unquarantine',
      inputs: { 'aws.resource.arn': 'arn:aws:iam::123456789012:user/bob' },
    });

    // Assess
    expect(first.undoOf).toBe(newer.id);
    expect(second.undoOf).toBe(older.id);
    expect(third.status).toBe(409);
    expect(((await third.json()) as Problem).detail).toMatch(/^nothing to undo/);
    expect(elsewhere.status).toBe(409);
  });

  it('answers a repeated direct undo with the same Idempotency-Key with the same undo', async () => {
    // Prepare
    const original = (await (await post('/v1/actions', quarantine)).json()) as ActionRecord;
    const undoBody = { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': alice } };

    // Act
    const first = await post('/v1/actions', undoBody, { 'idempotency-key': 'undo-42' });
    const again = await post('/v1/actions', undoBody, { 'idempotency-key': 'undo-42' });
    const otherBody = await post('/v1/actions', { ...undoBody, reason: 'changed' }, { 'idempotency-key': 'undo-42' });

    // Assess
    const firstRecord = (await first.json()) as ActionRecord;
    expect(first.status).toBe(202);
    expect(firstRecord.undoOf).toBe(original.id);
    expect(again.status).toBe(202);
    expect(((await again.json()) as ActionRecord).id).toBe(firstRecord.id);
    expect(otherBody.status).toBe(409);
  });

  it('refuses to undo what has no undo type, or changed nothing', async () => {
    // Prepare
    await api.close();
    api = await startLocalApi({
      clock,
      starters: (repository) => ({ cloud: new CompletingStarter(repository, () => ({ changes: [] })) }),
    });
    const logs = (await (await post('/v1/actions', {
      type: 'fetch-cloud-logs',
      inputs: {
        'aws.account.id': '123456789012',
        'aws.region': 'us-east-1',
        'ct.user': 'alice',
        fromTimestamp: '2026-11-19T00:00:00Z',
        toTimestamp: '2026-11-20T00:00:00Z',
      },
    })).json()) as ActionRecord;

    const alreadyContained = (await (await post('/v1/actions', quarantine)).json()) as ActionRecord;

    // Act
    const noUndoType = await post(`/v1/actions/${logs.id}/undo`, {});
    const changedNothing = await post(`/v1/actions/${alreadyContained.id}/undo`, {});
    const direct = await post('/v1/actions', { type: 'iam-unquarantine', inputs: { 'aws.resource.arn': alice } });

    // Assess
    expect(logs.status).toBe('Completed');
    expect(noUndoType.status).toBe(409);
    expect(((await noUndoType.json()) as Problem).detail).toBe('fetch-cloud-logs cannot be undone');
    expect(alreadyContained.undo.available).toBe(false);
    expect(changedNothing.status).toBe(409);
    expect(((await changedNothing.json()) as Problem).detail).toMatch(/changed nothing/);
    expect(direct.status).toBe(409);
  });

  it('re-executes with the same type and inputs as a new action', async () => {
    // Prepare
    const original = (await (await post('/v1/actions', quarantine)).json()) as ActionRecord;

    // Act
    const again = (await (await post(`/v1/actions/${original.id}/reexecute`, {})).json()) as ActionRecord;

    // Assess
    expect(again).toMatchObject({ type: original.type, inputs: original.inputs, reexecuteOf: original.id, status: 'Completed' });
    expect(again.id).not.toBe(original.id);
  });
});

describe('history over HTTP', () => {
  it('pages per resource and fleet-wide with opaque cursors, newest first', async () => {
    // Prepare
    const created: ActionRecord[] = [];
    for (let index = 0; index < 7; index += 1) {
      clock.advance(1000);
      const arn = `arn:aws:iam::123456789012:user/${index % 2 === 0 ? 'alice' : 'bob'}`;
      created.push((await (await post('/v1/actions', { type: 'iam-quarantine', inputs: { 'aws.resource.arn': arn } })).json()) as ActionRecord);
    }

    // Act
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const page = (await (await get(`/v1/actions?resource=${encodeURIComponent(alice)}&limit=2${next === null ? '' : `&cursor=${encodeURIComponent(next)}`}`)).json()) as {
        items: ActionRecord[];
        nextCursor: string | null;
      };
      seen.push(...page.items.map((record) => record.id));
      next = page.nextCursor;
    } while (next !== null);
    const fleet = (await (await get('/v1/actions?limit=100&status=Completed&createdBy=analyst-1')).json()) as { items: ActionRecord[] };

    // Assess
    expect(seen).toEqual(created.filter((_, index) => index % 2 === 0).map((record) => record.id).reverse());
    expect(fleet.items.map((record) => record.id)).toEqual(created.map((record) => record.id).reverse());
  });
});
