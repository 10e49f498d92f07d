import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '#shared/errors.ts';
import type { QueueCredentials } from '#shared/responders/protocol.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { emulatorCredentials } from '#test/support/history-store.ts';
import { SqsWorkSource } from '../../../responders/common/work-source.ts';

const region = 'us-east-1';
const target = { kind: 'host' as const, name: `source-${randomUUID().slice(0, 8)}` };
let sqs: SQSClient;
let queues: ResponderQueues;
let queueUrl: string;

beforeAll(async () => {
  sqs = new SQSClient({ endpoint: inject('motoEndpoint'), region, credentials: emulatorCredentials });
  queues = new ResponderQueues({ client: sqs, prefix: `WS${randomUUID().slice(0, 6)}` });
  queueUrl = await queues.ensure(target);
});

afterAll(() => {
  sqs.destroy();
});

/** The queue-credentials route's answer, as moto would hand it (moto accepts any keys). */
function access(expiresAt: number): QueueCredentials {
  return { queueUrl, region, credentials: { ...emulatorCredentials, sessionToken: 'session', expiration: new Date(expiresAt).toISOString() } };
}

describe('SqsWorkSource (the responder reading its own queue, against moto_server)', () => {
  it('fetches credentials once, then again only when they are within 5 minutes of expiring', async () => {
    // Prepare
    const start = Date.now();
    let now = start;
    let fetches = 0;
    const source = new SqsWorkSource(() => {
      fetches += 1;
      return Promise.resolve(access(start + 3_600_000));
    }, () => now);
    const signal = new AbortController().signal;

    // Act
    await source.receive(1, 0, signal);
    now = start + 3_600_000 - 301_000;
    await source.receive(1, 0, signal);
    const beforeMargin = fetches;
    now = start + 3_600_000 - 299_000;
    await source.receive(1, 0, signal);
    source.close();

    // Assess
    expect(beforeMargin).toBe(1);
    expect(fetches).toBe(2);
  });

  it('receives, deletes and hands back messages of its queue itself', async () => {
    // Prepare
    const source = new SqsWorkSource(() => Promise.resolve(access(Date.now() + 3_600_000)));
    const signal = new AbortController().signal;
    await queues.send(target, 'a.b.c');

    // Act
    const [first] = await source.receive(1, 1, signal);
    if (first === undefined) throw new Error('nothing received');
    await source.release(first.receipt);
    const [again] = await source.receive(1, 1, signal);
    if (again === undefined) throw new Error('the released message did not come back');
    await source.delete(again.receipt);
    const after = await source.receive(1, 0, signal);
    source.close();

    // Assess
    expect(first.body).toBe('a.b.c');
    expect(again.body).toBe('a.b.c');
    expect(after).toEqual([]);
    expect(await queues.counts(target)).toEqual({ queued: 0, inFlight: 0, deadLetters: 0 });
  });

  it('does not remember a failed credentials fetch: the next call asks again', async () => {
    // Prepare
    let fetches = 0;
    const source = new SqsWorkSource(() => {
      fetches += 1;
      return fetches === 1 ? Promise.reject(new Error('the service could not be reached')) : Promise.resolve(access(Date.now() + 3_600_000));
    });
    const signal = new AbortController().signal;

    // Act
    const failed = await source.receive(1, 0, signal).then(() => 'received', (error: unknown) => (error as Error).message);
    const received = await source.receive(1, 0, signal);
    source.close();

    // Assess
    expect(failed).toBe('the service could not be reached');
    expect(received).toEqual([]);
    expect(fetches).toBe(2);
  });

  it('refuses a queue URL over plain http off loopback: the credentials are never sent there', async () => {
    // Prepare
    const source = new SqsWorkSource(() => Promise.resolve({ ...access(Date.now() + 3_600_000), queueUrl: 'http://10.9.8.7/123456789012/ResponseActions-host-x' }));

    // Act
    const error = await source.receive(1, 0, new AbortController().signal).then(() => undefined, (failure: unknown) => failure);
    source.close();

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/queueUrl/);
  });
});
