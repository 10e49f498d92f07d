import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponderRecord } from '#shared/responders/protocol.ts';
import { startResponderHarness, type ResponderHarness } from '#test/support/responder-harness.ts';

/*
 * The responder routes against the weakest credentials: a read-only token, an analyst's exec
 * token, no token, and host A's token with slashes encoded into the path to reach host B.
 */

let harness: ResponderHarness;
let tokenA: string;
let reader: string;

beforeAll(async () => {
  harness = await startResponderHarness();
  tokenA = await harness.responderToken('host-a');
  reader = await harness.service.issuer.issue({ sub: 'reader', scopes: ['containment-response-actions.read'] });
  for (const name of ['host-a', 'host-b']) {
    const token = await harness.responderToken(name);
    expect((await harness.call('POST', '/v1/responders', token, { kind: 'host', name, version: '1', capabilities: [] })).status).toBe(200);
  }
});
afterAll(async () => {
  await harness.close();
});

const registered = async (): Promise<string[]> => {
  const { body } = await harness.call('GET', '/v1/responders', await harness.analyst());
  return (body as { items: ResponderRecord[] }).items.map((item) => item.id).sort();
};

describe('queue-credentials and deregister against weak credentials', () => {
  it('answers a read-only token and an analyst 403, no token 401, and deregisters nobody', async () => {
    // Prepare
    const analyst = await harness.analyst();

    // Act
    const statuses: number[] = [];
    for (const route of ['queue-credentials', 'deregister']) {
      statuses.push((await harness.call('POST', `/v1/responders/host/host-a/${route}`, reader)).status);
      statuses.push((await harness.call('POST', `/v1/responders/host/host-a/${route}`, analyst)).status);
      statuses.push((await fetch(`${harness.service.url}/v1/responders/host/host-a/${route}`, { method: 'POST' })).status);
    }

    // Assess
    expect(statuses).toEqual([403, 403, 401, 403, 403, 401]);
    expect(await registered()).toEqual(['host/host-a', 'host/host-b']);
  });

  it("refuses host A's token with encoded slashes or dots meant to reach host B, and deregisters nobody", async () => {
    // Act
    const paths = [
      '/v1/responders/host/host-a%2F..%2Fhost-b/deregister',
      '/v1/responders/host/host-a%2F..%2F..%2Fhost%2Fhost-b/deregister',
      '/v1/responders/host%2Fhost-b/host-a/deregister',
      '/v1/responders/host/%2E%2E/deregister',
      '/v1/responders/host/host-a%2F..%2Fhost-b/queue-credentials',
    ];
    const answers = await Promise.all(paths.map(async (path) => (await harness.call('POST', path, tokenA)).status));
    const dotted = await fetch(`${harness.service.url}/v1/responders/host/host-a/../host-b/deregister`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenA}` },
    });

    // Assess
    // A decoded slash is no name (400); URL parsing resolves an encoded `..` segment to a route that is none (404).
    expect(answers).toEqual([400, 400, 400, 404, 400]);
    // fetch resolves the dots, so this is host B's route, and host A's token is refused on it.
    expect(dotted.status).toBe(403);
    expect(await registered()).toEqual(['host/host-a', 'host/host-b']);
  });
});

describe('GET /v1/responders to a read-only token', () => {
  it('shows the public record only: no queue URL, ARN or key', async () => {
    // Act
    const listed = await harness.call('GET', '/v1/responders', reader);

    // Assess
    expect(listed.status).toBe(200);
    const items = (listed.body as { items: Record<string, unknown>[] }).items;
    expect(items).toHaveLength(2);
    for (const item of items) expect(Object.keys(item).sort()).toEqual(['capabilities', 'id', 'kind', 'lastSeen', 'name', 'registeredAt', 'version']);
    expect(JSON.stringify(listed.body)).not.toMatch(/sqs|arn:|https?:|queue|kid|jwk/i);
  });
});

describe('GET /v1/openapi.json with no token', () => {
  it('describes the API only: no account id, ARN, URL of this service, data directory or token issuer', async () => {
    // Act
    const response = await fetch(`${harness.service.url}/v1/openapi.json`);
    const text = await response.text();

    // Assess
    expect(response.status).toBe(200);
    expect(text).not.toMatch(/\b\d{12}\b|arn:aws|127\.0\.0\.1|localhost|amazonaws\.com/);
    expect(text).not.toContain(harness.dataDir);
    expect(text).not.toContain(new URL(harness.service.url).port === '' ? harness.service.url : `:${new URL(harness.service.url).port}`);
    expect((JSON.parse(text) as Record<string, unknown>)['servers']).toBeUndefined();
  });
});
