/**
 * The local API server runs at most `maxConcurrentHandlers` handlers at once and queues the rest
 * in arrival order (local/handler-slots.ts): a burst of a thousand POSTs used to start every
 * handler at once, each then ran past its 30 s budget and middy answered 500 for actions it had
 * created (npm run bench -- load: 375 of 1,000 lost). The handlers here wait on gates the test
 * opens, so what is counted is which handlers had started, not how long anything took.
 */
import type { Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HandlerSlots } from '#local/handler-slots.ts';
import { createLocalApiServer, listen, maxConcurrentHandlers } from '#local/http-server.ts';

async function until(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 6000 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('the condition never held');
}

describe('the local API server under a burst', () => {
  it(`runs at most ${String(maxConcurrentHandlers)} handlers at once, queues the rest and answers every request`, async () => {
    // Prepare
    const burst = maxConcurrentHandlers + 8;
    const gates: (() => void)[] = [];
    let running = 0;
    let mostAtOnce = 0;
    let started = 0;
    const server: Server = createLocalApiServer(
      [
        {
          method: 'POST',
          path: '/v1/slow',
          public: true,
          handler: async () => {
            started += 1;
            running += 1;
            mostAtOnce = Math.max(mostAtOnce, running);
            await new Promise<void>((resolve) => gates.push(resolve));
            running -= 1;
            return { statusCode: 200, body: '{}' };
          },
        },
      ],
      () => Promise.reject(new Error('no token is needed on a public route')),
    );
    const url = await listen(server, 0);

    try {
      // Act
      const answers = Array.from({ length: burst }, () => fetch(`${url}/v1/slow`, { method: 'POST', body: '{}' }).then((response) => response.status));
      await until(() => started === maxConcurrentHandlers);
      const startedWhileFull = started;
      let opened = 0;
      while (opened < burst) {
        await until(() => gates.length > 0);
        gates.shift()?.();
        opened += 1;
      }
      const statuses = await Promise.all(answers);

      // Assess
      expect(startedWhileFull).toBe(maxConcurrentHandlers);
      expect(mostAtOnce).toBe(maxConcurrentHandlers);
      expect(started).toBe(burst);
      expect(statuses).toEqual(Array.from({ length: burst }, () => 200));
    } finally {
      for (const open of gates) open();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives a freed slot to the request that waited longest, also when a handler fails', async () => {
    // Prepare
    const slots = new HandlerSlots(1);
    const order: string[] = [];
    let release: () => void = () => undefined;
    const first = slots.run(() => new Promise<void>((resolve) => { release = resolve; }).then(() => { throw new Error('handler failed'); }));

    // Act
    const second = slots.run(() => { order.push('second'); return Promise.resolve(); });
    const third = slots.run(() => { order.push('third'); return Promise.resolve(); });
    const waitingWhileFull = slots.counts.waiting;
    release();
    const failed = await first.then(() => null, (error: unknown) => (error as Error).message);
    await Promise.all([second, third]);

    // Assess
    expect(waitingWhileFull).toBe(2);
    expect(failed).toBe('handler failed');
    expect(order).toEqual(['second', 'third']);
    expect(slots.counts).toEqual({ running: 0, waiting: 0 });
  });
});
