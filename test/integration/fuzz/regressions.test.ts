/**
 * What the API fuzzer found, each as a plain example, so the fix stays tested whatever the
 * fuzzer's seed draws. Against the local API server with the real routes and JWT checks, and the
 * local service for what only it serves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalService } from '#local/service.ts';
import { FixedClock } from '#shared/clock.ts';
import { CompletingStarter, startLocalApi, type LocalApi } from '#test/support/local-api.ts';
import { rawRequest } from '#test/support/raw-http.ts';

let api: LocalApi;

beforeAll(async () => {
  api = await startLocalApi({ clock: new FixedClock('2026-12-06T01:00:00.000Z'), starters: (repository) => ({ cloud: new CompletingStarter(repository) }) });
});
afterAll(async () => {
  await api.close();
});

describe('found by the API fuzzer', () => {
  it('answers headers too large to read (431) as problem+json, as every other 4xx', async () => {
    // Act
    const answer = await rawRequest(`${api.url}/v1/action-types`, { headers: { 'x-filler': 'f'.repeat(20_000) } });

    // Assess
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, detail: expect.stringContaining('headers') as unknown });
  });

  it('answers a request without a valid token 401 before looking at its path or body: a malformed escape or an oversized body teaches nothing', async () => {
    // Act
    const malformed = await rawRequest(`${api.url}/v1/actions/%E0%A4%A/undo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const oversized = await rawRequest(`${api.url}/v1/actions`, { method: 'POST', headers: { authorization: 'Bearer x.y.z', 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) });

    // Assess
    expect([malformed.status, oversized.status]).toEqual([401, 401]);
    expect(malformed.headers['content-type']).toBe('application/problem+json');
    expect(malformed.headers['www-authenticate']).toContain('Bearer');
  });

  it('answers a HEAD with headers too large with a 431 and no body, which a client would read as the next response', async () => {
    // Act
    const answer = await rawRequest(`${api.url}/v1/action-types`, { method: 'HEAD', headers: { 'x-filler': 'f'.repeat(20_000) } });

    // Assess: node's client fails the request ("Data after Connection: close") when a body follows
    expect(answer.status).toBe(431);
    expect(answer.body).toBe('');
  });

  it('names the field at fault in the detail of local sign-in\'s 415, as its errors do', async () => {
    // Arrange
    const dataDir = await mkdtemp(join(tmpdir(), 'fuzz-regression-'));
    const service = await startLocalService({ dataDir, port: 0, env: {}, hostResponder: false });
    try {
      const own = new URL(service.url).host;

      // Act
      const answer = await rawRequest(`${service.url}/local/sign-in`, { method: 'POST', headers: { host: own, origin: `http://${own}`, 'content-type': 'text/plain' }, body: '{"scopes":["containment-response-actions.read"]}' });

      // Assess
      const problem = JSON.parse(answer.body) as { detail: string; errors: { path: string }[] };
      expect(answer.status).toBe(415);
      expect(problem.errors.map((error) => error.path)).toEqual(['content-type']);
      expect(problem.detail).toContain('content-type');
    } finally {
      await service.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
