import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { CompletingStarter, startLocalApi, type LocalApi } from '#test/support/local-api.ts';
import { rawRequest } from '#test/support/raw-http.ts';

/** Requests an attacker with one low-privilege credential would send: each refused with 4xx problem+json, nothing written. */

const containmentExec = 'containment-response-actions.exec';
const containmentRead = 'containment-response-actions.read';
const dataExec = 'data-gathering-response-actions.exec';
const exec = [containmentExec, dataExec];
const alice = 'arn:aws:iam::123456789012:user/alice';
const quarantine = { type: 'iam-quarantine', inputs: { 'aws.resource.arn': alice }, reason: 'GuardDuty finding 42' };

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

let api: LocalApi;

async function send(
  method: string,
  path: string,
  options: { scopes?: readonly string[]; sub?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const token = await api.token(options.scopes ?? exec, options.sub === undefined ? {} : { sub: options.sub });
  return fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...options.headers },
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
}

async function stored(): Promise<ActionRecord[]> {
  return (await api.repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items;
}

async function problemOf(response: Response): Promise<Problem> {
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return (await response.json()) as Problem;
}

beforeEach(async () => {
  api = await startLocalApi({
    clock: new FixedClock('2026-11-20T10:00:00.000Z'),
    starters: (repository) => ({ cloud: new CompletingStarter(repository) }),
  });
});
afterEach(async () => {
  await api.close();
});

describe('hostile input through the HTTP layer', () => {
  it('answers a malformed percent-encoding in the path with 400, not 500', async () => {
    // Act
    const read = await send('GET', '/v1/actions/%E0%A4%A');
    const undo = await send('POST', '/v1/actions/%E0%A4%A/undo', { body: {} });

    // Assess
    expect(read.status).toBe(400);
    expect((await problemOf(read)).errors).toEqual([{ path: 'id', message: 'is not valid percent-encoded UTF-8' }]);
    expect(undo.status).toBe(400);
    await problemOf(undo);
    expect(await stored()).toEqual([]);
  });

  it('answers a request target starting with // (read as a host by a URL parser) with 400, not the route its tail names', async () => {
    // Prepare: fetch would keep the path, but the raw request line is what is tested
    const token = await api.token(exec);
    const raw = async (target: string): Promise<{ status: number; type: string | undefined; body: string }> => {
      const answer = await rawRequest(`${api.url}/`, { path: target, headers: { authorization: `Bearer ${token}` } });
      return { status: answer.status, type: answer.headers['content-type'], body: answer.body };
    };

    // Act
    const answers = await Promise.all(['//evil.example/v1/action-types', '//v1/action-types', '//x/v1/actions'].map(raw));
    const plain = await raw('/v1/action-types');

    // Assess
    for (const answer of answers) {
      expect(answer.status, answer.body.slice(0, 200)).toBe(400);
      expect(answer.type).toContain('application/problem+json');
    }
    expect(plain.status).toBe(200);
  });

  it('refuses a body nested deeper than DynamoDB stores (32 levels) with 400 naming the body', async () => {
    // Prepare: thousands deep, and just one level too deep
    const deep = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
    let justTooDeep: unknown = 'x';
    // The body is level 1, `inputs` level 2: 32 nested objects in `inputs` make 33 levels.
    for (let level = 0; level < 32; level += 1) justTooDeep = { a: justTooDeep };

    // Act
    const thousands = await send('POST', '/v1/actions', { body: `{"type":"iam-quarantine","inputs":{"aws.resource.arn":${deep}}}` });
    const thirtyThree = await send('POST', '/v1/actions', { body: { ...quarantine, inputs: justTooDeep } });

    // Assess
    for (const response of [thousands, thirtyThree]) {
      expect(response.status).toBe(400);
      expect((await problemOf(response)).errors).toEqual([{ path: 'body', message: 'must not nest deeper than 32 levels' }]);
    }
    expect(await stored()).toEqual([]);
  });

  it('keeps idempotency keys of different callers apart, even when caller#key strings collide', async () => {
    // Prepare: `alice` with key `k1#x` and `alice#k1` with key `x` both used to be item `I#alice#k1#x`
    const first = await send('POST', '/v1/actions', { sub: 'alice', body: quarantine, headers: { 'idempotency-key': 'k1#x' } });
    const aliceRecord = (await first.json()) as ActionRecord;

    // Act
    const sameBody = await send('POST', '/v1/actions', { sub: 'alice#k1', body: quarantine, headers: { 'idempotency-key': 'x' } });
    const otherBody = { ...quarantine, reason: 'another request' };
    const otherCaller = await send('POST', '/v1/actions', { sub: 'alice#k1', body: otherBody, headers: { 'idempotency-key': 'x' } });
    const reusedByAlice = await send('POST', '/v1/actions', { sub: 'alice', body: otherBody, headers: { 'idempotency-key': 'k1#x' } });

    // Assess: the second caller gets its own action, never alice's record or id
    expect(first.status).toBe(202);
    expect(sameBody.status).toBe(202);
    const theirs = (await sameBody.json()) as ActionRecord;
    expect(theirs.id).not.toBe(aliceRecord.id);
    expect(theirs.createdBy).toBe('alice#k1');
    expect(otherCaller.status).toBe(409);
    expect(reusedByAlice.status).toBe(409);
    for (const conflict of [otherCaller, reusedByAlice]) {
      const text = JSON.stringify(await problemOf(conflict));
      expect(text).not.toContain(aliceRecord.id);
      expect(text).not.toContain(theirs.id);
    }
    expect((await stored()).map((record) => record.createdBy).sort()).toEqual(['alice', 'alice#k1']);
  });

  it('refuses a token whose subject holds a line break, an invisible formatting character or runs to 3,000 characters with 401', async () => {
    // Act
    const newline = await send('POST', '/v1/actions', { sub: 'analyst-1\nlevel=admin', body: quarantine });
    const long = await send('POST', '/v1/actions', { sub: 'a'.repeat(3000), body: quarantine });
    const control = await send('GET', '/v1/actions', { sub: 'analyst\u0000-1' });
    // Invisible formatting characters would let one subject pose as another in listings and logs.
    const bidiOverride = await send('POST', '/v1/actions', { sub: 'analyst-\u202e1-tsylana', body: quarantine });
    const zeroWidth = await send('POST', '/v1/actions', { sub: 'ana\u200blyst-1', body: quarantine });

    // Assess
    for (const response of [newline, long, control, bidiOverride, zeroWidth]) {
      expect(response.status).toBe(401);
      expect((await problemOf(response)).detail).toContain('sub');
    }
    expect(await stored()).toEqual([]);
  });

  it('decides scope before inputs: an invalid request without the exec scope answers 403, not 400', async () => {
    // Prepare: one action to undo and re-execute
    const created = (await (await send('POST', '/v1/actions', { body: quarantine })).json()) as ActionRecord;
    const before = (await stored()).length;

    // Act
    const wrongCategoryBadInputs = await send('POST', '/v1/actions', {
      scopes: [containmentExec],
      body: { type: 'cloud-volume-snapshot', inputs: { 'aws.resource.arn': 'not an arn' }, extra: 1 },
    });
    const readOnlyBadJson = await send('POST', '/v1/actions', { scopes: [containmentRead], body: '{not json' });
    const readOnlyBadKey = await send('POST', '/v1/actions', {
      scopes: [containmentRead],
      body: { ...quarantine, extra: true },
      headers: { 'idempotency-key': 'has spaces in it' },
    });
    const dataOnlyBadUndo = await send('POST', `/v1/actions/${created.id}/undo`, { scopes: [dataExec], body: { reason: 7, extra: 1 } });
    const readOnlyBadUndo = await send('POST', `/v1/actions/${created.id}/undo`, { scopes: [containmentRead], body: { reason: 7 } });
    const readOnlyReexecute = await send('POST', `/v1/actions/${created.id}/reexecute`, { scopes: [containmentRead] });

    // Assess: data-only sees no containment record (404), the others 403; never 400
    expect(wrongCategoryBadInputs.status).toBe(403);
    expect(readOnlyBadJson.status).toBe(403);
    expect(readOnlyBadKey.status).toBe(403);
    expect(dataOnlyBadUndo.status).toBe(404);
    expect(readOnlyBadUndo.status).toBe(403);
    expect(readOnlyReexecute.status).toBe(403);
    for (const response of [wrongCategoryBadInputs, readOnlyBadJson, readOnlyBadKey, readOnlyBadUndo, readOnlyReexecute]) {
      expect((await problemOf(response)).errors).toBeUndefined();
    }
    expect(await stored()).toHaveLength(before);
  });
});
