/**
 * The weakest credentials against every route `npm start` serves: an events-only token (what a
 * falcosidekick or an EventBridge forwarder holds) reaches POST /v1/events and nothing else, and a
 * responder's token may not post findings. The routes come from apiRoutes, so a route added later
 * is tried too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '#functions/api/routes.ts';
import { startLocalService, type LocalService } from '#local/service.ts';

let dataDir: string;
let service: LocalService;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'events-token-doors-'));
  service = await startLocalService({ dataDir, port: 0, env: {}, hostResponder: false });
});
afterAll(async () => {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

// A record's own reads answer 404 to anyone who may not read it (authorization.test.ts: no category scope), so it is not known to exist.
const hiddenAsAbsent = new Set(['GET /v1/actions/{id}', 'GET /v1/actions/{id}/evidence']);
const pathValues: Readonly<Record<string, string>> = { id: 'some-id', kind: 'host', name: 'node-7' };

async function status(method: string, path: string, bearer: string, body?: unknown): Promise<number> {
  const response = await fetch(`${service.url}${path.replace(/\{(\w+)\}/g, (_, name: string) => pathValues[name] ?? name)}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.body?.cancel();
  return response.status;
}

describe('the weakest credentials on every route', () => {
  it('an events-only token (any source, or bound to one Falco host) gets 403 (404 for a record\'s reads) on every route but POST /v1/events', async () => {
    // Arrange
    const tokens = [
      await service.issuer.issue({ sub: 'falcosidekick', scopes: ['response-actions.events'] }),
      await service.issuer.issue({ sub: 'falcosidekick', scopes: ['response-actions.events'], events: [{ source: 'falco', hostname: 'node-7' }] }),
    ];
    const guarded = apiRoutes.filter((route) => route.public !== true && !(route.method === 'POST' && route.path === '/v1/events'));

    // Act
    const answers: string[] = [];
    for (const bearer of tokens) {
      for (const route of guarded) answers.push(`${route.method} ${route.path} ${await status(route.method, route.path, bearer, route.method === 'POST' ? {} : undefined)}`);
    }

    // Assess
    expect(guarded.length).toBeGreaterThan(20);
    expect(answers).toEqual([...guarded, ...guarded].map((route) => `${route.method} ${route.path} ${hiddenAsAbsent.has(`${route.method} ${route.path}`) ? 404 : 403}`));
  });

  it('a responder token, bound to its host, may not post findings (403), not even about its own host', async () => {
    // Arrange
    const responder = await service.issuer.issue({ sub: 'node-7', scopes: ['response-actions.respond'], responder: { kind: 'host', name: 'node-7' } });
    const alert = { rule: 'Read sensitive file untrusted', priority: 'Warning', time: new Date().toISOString(), output: 'x', output_fields: {}, hostname: 'node-7' };

    // Act
    const answer = await status('POST', '/v1/events', responder, alert);

    // Assess
    expect(answer).toBe(403);
  });
});
