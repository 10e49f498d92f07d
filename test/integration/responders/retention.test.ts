import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponderRecord } from '#shared/responders/protocol.ts';
import { startResponderHarness, type ResponderHarness } from '#test/support/responder-harness.ts';

let harness: ResponderHarness;

beforeAll(async () => {
  // One delivery before the dead-letter queue, hidden for 1 s: dead letters come quickly.
  harness = await startResponderHarness({ responderQueues: { visibilityTimeoutSeconds: 1, maxReceiveCount: 1 } });
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

  it("are counted by the sweep when a kept responder's dead-letter queue holds work (what the dead-letter alarm counts)", async () => {
    // Prepare: a message its responder refuses (never deletes) runs out of deliveries.
    await register('refuser-1');
    await harness.service.responders.queues.send(host('refuser-1'), 'not.a.work-order');
    expect(await harness.receiveWork('refuser-1', 2)).toHaveLength(1);
    for (let attempt = 0; attempt < 20 && (await harness.service.responders.queues.counts(host('refuser-1'))).deadLetters === 0; attempt += 1) {
      await harness.receiveWork('refuser-1', 1);
    }

    // Act
    const swept = await harness.service.responders.sweep(3600);

    // Assess
    expect(swept.removed).toEqual([]);
    expect(swept.withDeadLetters).toEqual(['host/refuser-1']);
    expect(await harness.service.responders.queues.exists(host('refuser-1'))).toBe(true);
  });
});
