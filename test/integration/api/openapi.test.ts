import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '#functions/api/routes.ts';
import { systemClock } from '#shared/clock.ts';
import { openApiDocument } from '#shared/http/openapi.ts';
import { CompletingStarter, startLocalApi, type LocalApi } from '#test/support/local-api.ts';

let api: LocalApi;

beforeAll(async () => {
  api = await startLocalApi({ clock: systemClock, starters: (repository) => ({ cloud: new CompletingStarter(repository) }) });
});
afterAll(async () => {
  await api.close();
});

describe('GET /v1/openapi.json on the local runtime', () => {
  it('serves the document without a token, and with a forged one, as API Gateway does without an authorizer', async () => {
    // Act
    const anonymous = await fetch(`${api.url}/v1/openapi.json`);
    const forged = await fetch(`${api.url}/v1/openapi.json`, { headers: { authorization: 'Bearer not.a.jwt' } });

    // Assess
    for (const response of [anonymous, forged]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual(openApiDocument());
    }
  });

  it('still refuses every other route without a token: being public is this route\'s alone', async () => {
    // Prepare
    const others = apiRoutes.filter((route) => route.path !== '/v1/openapi.json');

    for (const route of others) {
      // Act
      const response = await fetch(`${api.url}${route.path.replaceAll(/\{\w+\}/g, 'x')}`, { method: route.method });

      // Assess
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
      expect(response.headers.get('content-type'), `${route.method} ${route.path}`).toBe('application/problem+json');
    }
    expect((await api.repository.list({ limit: 100 }, ['containment', 'data-gathering'])).items).toEqual([]);
  });

  it('allows only GET on the document', async () => {
    // Act
    const response = await fetch(`${api.url}/v1/openapi.json`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});
