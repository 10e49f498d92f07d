import { describe, expect, it } from 'vitest';
import { readScopes, respondScope, type Caller } from '#shared/auth/scopes.ts';
import { systemClock } from '#shared/clock.ts';
import { problemFor } from '#shared/http/problem.ts';
import type { ResponderRecord } from '#shared/responders/protocol.ts';
import { ResponderService, type ResponderServiceDeps } from '#shared/use-cases/responders.ts';

/**
 * Each responder route's Lambda function wires only the ports its route calls
 * (functions/api/aws/responders.ts). A route reached on a function wired without one of its ports
 * is a wiring bug: it fails as a 500 naming the port, before anything is written.
 */

const caller: Caller = { sub: 'responder-1', scopes: new Set([respondScope]), responder: { kind: 'host', name: 'web-1' } };
const record: ResponderRecord = { id: 'host/web-1', kind: 'host', name: 'web-1', version: '1', capabilities: [], registeredAt: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:00:00.000Z' };

/** The history table only, recording every write; what each route's function always has. */
function tableOnly(): { deps: Pick<ResponderServiceDeps, 'repository' | 'store' | 'clock'>; writes: string[] } {
  const writes: string[] = [];
  const deps: Pick<ResponderServiceDeps, 'repository' | 'store' | 'clock'> = {
    repository: {
      get: () => Promise.resolve(null),
      transition: (id) => {
        writes.push(`transition ${id}`);
        return Promise.reject(new Error('unused'));
      },
      recordProgress: (id) => {
        writes.push(`progress ${id}`);
        return Promise.reject(new Error('unused'));
      },
    },
    store: {
      register: (request) => {
        writes.push(`register ${request.name}`);
        return Promise.resolve(record);
      },
      touch: (target) => {
        writes.push(`touch ${target.name}`);
        return Promise.resolve(record);
      },
      list: () => Promise.resolve([{ ...record, lastSeen: '2000-01-01T00:00:00.000Z' }]),
      all: async function* () {
        yield { ...record, lastSeen: '2000-01-01T00:00:00.000Z' };
        await Promise.resolve();
      },
      get: () => Promise.resolve(record),
      names: () => Promise.resolve([record.name]),
      getDispatch: () => Promise.resolve(null),
      remove: (target) => {
        writes.push(`remove ${target.name}`);
        return Promise.resolve(true);
      },
    },
    clock: systemClock,
  };
  return { deps, writes };
}

const unusedQueues: NonNullable<ResponderServiceDeps['queues']> = {
  ensure: () => Promise.resolve('https://sqs.example/queue'),
  arnOf: () => Promise.resolve('arn:aws:sqs:eu-west-1:123456789012:queue'),
  remove: () => Promise.resolve(),
  counts: () => Promise.resolve({ queued: 0, inFlight: 0, deadLetters: 0 }),
};

async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('a responder route on a function wired without a port it needs', () => {
  it.each([
    ['register without queues', (service: ResponderService) => service.register(caller, { kind: 'host', name: 'web-1', version: '1', capabilities: [] }), { signingKey: () => Promise.reject(new Error('unused')) }, 'queues'],
    ['register without the signing key', (service: ResponderService) => service.register(caller, { kind: 'host', name: 'web-1', version: '1', capabilities: [] }), { queues: unusedQueues }, 'signingKey'],
    ['deregister without queues', (service: ResponderService) => service.deregister(caller, 'host', 'web-1'), {}, 'queues'],
    [
      'queue-credentials without queues',
      (service: ResponderService) => service.queueCredentials(caller, 'host', 'web-1'),
      { queueAccess: { issue: () => Promise.reject(new Error('unused')) } },
      'queues',
    ],
    ['the sweep without queues', (service: ResponderService) => service.sweepSilent(60), {}, 'queues'],
  ] as const)('%s fails as a 500 naming the port, and writes nothing', async (_name, call, ports: Partial<ResponderServiceDeps>, port) => {
    // Prepare
    const { deps, writes } = tableOnly();
    const service = new ResponderService({ ...deps, ...ports });

    // Act
    const error = await failure(call(service));

    // Assess: no domain error (so the HTTP layer answers 500), the port named, the table untouched
    expect(error).toBeInstanceOf(Error);
    expect(problemFor(error)).toBeUndefined();
    expect((error as Error).message).toContain(`without ${port}`);
    expect(writes).toEqual([]);
  });

  it('serves heartbeat and the fleet listing with the history table alone', async () => {
    // Prepare
    const { deps, writes } = tableOnly();
    const service = new ResponderService(deps);
    const reader: Caller = { sub: 'analyst', scopes: new Set([readScopes.containment]) };

    // Act
    const beat = await service.heartbeat(caller, 'host', 'web-1');
    const listed = await service.list(reader);

    // Assess
    expect(beat).toEqual(record);
    expect(listed.map((each) => each.id)).toEqual(['host/web-1']);
    expect(writes).toEqual(['touch web-1']);
  });
});
