import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { CompletingStarter, startLocalApi, type LocalApi } from '#test/support/local-api.ts';

const containmentExec = 'containment-response-actions.exec';
const containmentRead = 'containment-response-actions.read';
const dataExec = 'data-gathering-response-actions.exec';
const dataRead = 'data-gathering-response-actions.read';
const respond = 'response-actions.respond';

const quarantine = { type: 'iam-quarantine', inputs: { 'aws.resource.arn': 'arn:aws:iam::123456789012:user/alice' } };
const snapshot = { type: 'cloud-volume-snapshot', inputs: { 'aws.resource.arn': 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0' } };

let api: LocalApi;
let containmentRecord: ActionRecord;
let dataRecord: ActionRecord;

async function call(method: string, path: string, scopes: readonly string[] | null, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (scopes !== null) {
    headers['authorization'] = `Bearer ${await api.token(scopes, scopes.includes(respond) ? { responder: 'host/node-7' } : {})}`;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

beforeAll(async () => {
  api = await startLocalApi({ clock: systemClock, starters: (repository) => ({ cloud: new CompletingStarter(repository) }) });
  containmentRecord = (await (await call('POST', '/v1/actions', [containmentExec], quarantine)).json()) as ActionRecord;
  dataRecord = (await (await call('POST', '/v1/actions', [dataExec], snapshot)).json()) as ActionRecord;
});
afterAll(async () => {
  await api.close();
});

describe('authorization on every route', () => {
  const routes = (): [string, string, unknown][] => [
    ['GET', '/v1/action-types', undefined],
    ['POST', '/v1/actions', quarantine],
    ['GET', '/v1/actions', undefined],
    ['GET', `/v1/actions/${containmentRecord.id}`, undefined],
    ['POST', `/v1/actions/${containmentRecord.id}/undo`, undefined],
    ['POST', `/v1/actions/${containmentRecord.id}/reexecute`, undefined],
    ['GET', `/v1/actions/${containmentRecord.id}/evidence`, undefined],
  ];

  it('answers 401 problem+json without a token, with a malformed one, and with a forged one', async () => {
    for (const [method, path, body] of routes()) {
      // Act
      const none = await call(method, path, null, body);
      const garbage = await fetch(`${api.url}${path}`, { method, headers: { authorization: 'Bearer not.a.jwt' } });
      const token = await api.token([containmentExec]);
      const forged = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
      });

      // Assess
      for (const response of [none, garbage, forged]) {
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        const problem = (await response.json()) as { status: number; title: string };
        expect(problem.status).toBe(401);
      }
    }
  });

  it.each([
    // scopes, create containment, create data-gathering, read containment record, read data record
    [[containmentExec], 202, 403, 200, 404],
    [[containmentRead], 403, 403, 200, 404],
    [[dataExec], 403, 202, 404, 200],
    [[dataRead], 403, 403, 404, 200],
    [[containmentRead, dataRead], 403, 403, 200, 200],
    [[respond], 403, 403, 404, 404],
    [[], 403, 403, 404, 404],
  ] as const)('scopes %j: create %i/%i, read %i/%i', async (scopes, createContainment, createData, readContainment, readData) => {
    // Act
    const created = [
      (await call('POST', '/v1/actions', scopes, quarantine)).status,
      (await call('POST', '/v1/actions', scopes, snapshot)).status,
    ];
    const read = [
      (await call('GET', `/v1/actions/${containmentRecord.id}`, scopes)).status,
      (await call('GET', `/v1/actions/${dataRecord.id}`, scopes)).status,
    ];
    const evidence = [
      (await call('GET', `/v1/actions/${containmentRecord.id}/evidence`, scopes)).status,
      (await call('GET', `/v1/actions/${dataRecord.id}/evidence`, scopes)).status,
    ];

    // Assess
    expect(created).toEqual([createContainment, createData]);
    expect(read).toEqual([readContainment, readData]);
    expect(evidence).toEqual([readContainment, readData]);
  });

  it('lets any of the four category scopes read the catalogue, and nothing else', async () => {
    for (const scope of [containmentExec, containmentRead, dataExec, dataRead]) {
      expect((await call('GET', '/v1/action-types', [scope])).status).toBe(200);
    }
    expect((await call('GET', '/v1/action-types', [respond])).status).toBe(403);
    expect((await call('GET', '/v1/action-types', [])).status).toBe(403);
  });

  it('lists only the categories the caller may read', async () => {
    // Act
    const containmentOnly = (await (await call('GET', '/v1/actions', [containmentRead])).json()) as { items: ActionRecord[] };
    const dataOnly = (await (await call('GET', '/v1/actions', [dataRead])).json()) as { items: ActionRecord[] };
    const nothing = await call('GET', '/v1/actions', [respond]);
    const nothingWithBadFilter = await call('GET', '/v1/actions?status=Nope', [respond]);
    const typeOfOther = (await (await call('GET', '/v1/actions?type=cloud-volume-snapshot', [containmentRead])).json()) as {
      items: ActionRecord[];
    };

    // Assess
    expect(containmentOnly.items.length).toBeGreaterThan(0);
    expect(containmentOnly.items.every((record) => record.category === 'containment')).toBe(true);
    expect(dataOnly.items.length).toBeGreaterThan(0);
    expect(dataOnly.items.every((record) => record.category === 'data-gathering')).toBe(true);
    // No category scope at all: 403 before the filters are looked at (scope before input).
    expect(nothing.status).toBe(403);
    expect(nothingWithBadFilter.status).toBe(403);
    expect(typeOfOther.items).toEqual([]);
  });

  it('needs the exec scope of the new action for undo and re-execute, and hides other categories', async () => {
    // Prepare
    const fresh = (await (await call('POST', '/v1/actions', [containmentExec], quarantine)).json()) as ActionRecord;

    // Act + Assess
    expect((await call('POST', `/v1/actions/${fresh.id}/undo`, [containmentRead])).status).toBe(403);
    expect((await call('POST', `/v1/actions/${fresh.id}/undo`, [dataExec])).status).toBe(404);
    expect((await call('POST', `/v1/actions/${fresh.id}/reexecute`, [containmentRead])).status).toBe(403);
    expect((await call('POST', `/v1/actions/${fresh.id}/reexecute`, [dataExec])).status).toBe(404);
    const undo = await call('POST', `/v1/actions/${fresh.id}/undo`, [containmentExec]);
    expect(undo.status).toBe(202);
    const reexecuted = await call('POST', `/v1/actions/${fresh.id}/reexecute`, [containmentExec]);
    expect(reexecuted.status).toBe(202);
    expect(((await reexecuted.json()) as ActionRecord).reexecuteOf).toBe(fresh.id);
  });
});
