import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponderRecord } from '#shared/responders/protocol.ts';
import { startResponderHarness, type ResponderHarness } from '#test/support/responder-harness.ts';

let harness: ResponderHarness;

beforeAll(async () => {
  harness = await startResponderHarness();
});

afterAll(async () => {
  await harness.close();
});

const host = (name: string) => ({ kind: 'host' as const, name });

async function register(name: string): Promise<string> {
  const token = await harness.responderToken(name);
  const answer = await harness.call('POST', '/v1/responders', token, { kind: 'host', name, version: '1', capabilities: [] });
  expect(answer.status).toBe(200);
  return token;
}

async function registered(): Promise<string[]> {
  const { body } = await harness.call('GET', '/v1/responders', await harness.analyst());
  return (body as { items: ResponderRecord[] }).items.map((record) => record.name);
}

describe('per-responder queues', () => {
  it('exist from registration on, and go with their dead-letter queue when the responder deregisters', async () => {
    // Prepare
    const token = await register('retire-1');
    const existed = await harness.service.responders.queues.exists(host('retire-1'));

    // Act
    const answer = await harness.call('POST', '/v1/responders/host/retire-1/deregister', token);
    const again = await harness.call('POST', '/v1/responders/host/retire-1/deregister', token);

    // Assess
    expect(existed).toBe(true);
    expect(answer).toMatchObject({ status: 200, body: { deregistered: 'host/retire-1' } });
    expect(again.status).toBe(404);
    expect(await harness.service.responders.queues.exists(host('retire-1'))).toBe(false);
    expect(await registered()).not.toContain('retire-1');
  });

  it('go, with the registration, for a responder silent past the retention; a responder seen since keeps both', async () => {
    // Prepare
    await register('silent-1');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await register('alive-1');

    // Act
    const swept = await harness.service.responders.sweep(1);

    // Assess
    expect(swept.removed).toEqual(['host/silent-1']);
    expect(await harness.service.responders.queues.exists(host('silent-1'))).toBe(false);
    expect(await harness.service.responders.queues.exists(host('alive-1'))).toBe(true);
    expect(await registered()).toEqual(expect.arrayContaining(['alive-1']));
    expect(await registered()).not.toContain('silent-1');
  });
});
