import { CreateQueueCommand, QueueDeletedRecently, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { respondScope } from '#shared/auth/scopes.ts';
import { systemClock } from '#shared/clock.ts';
import { HttpProblem, problemFor } from '#shared/http/problem.ts';
import { ResponderQueues } from '#shared/responders/queues.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';

/**
 * SQS refuses to make a queue again for 60 s after it was deleted (a sweep or a deregistration):
 * a responder registering again in that minute gets 429 with Retry-After, which it retries, not a
 * 500 and not a refusal that stops it.
 */
describe('registering again within a minute of the queue being removed', () => {
  const sqs = mockClient(SQSClient);
  // The mock patches the client class for the whole worker, which files share (vitest.config.ts: isolate false).
  afterAll(() => {
    sqs.restore();
  });

  afterEach(() => {
    sqs.reset();
  });

  it('answers 429 with Retry-After 60 (the responder retries it), not a 500', async () => {
    // Prepare
    sqs.on(CreateQueueCommand).rejects(new QueueDeletedRecently({ message: 'deleted recently', $metadata: {} }));
    const registered: string[] = [];
    const service = new ResponderService({
      repository: { get: () => Promise.resolve(null), transition: () => Promise.reject(new Error('unused')), recordProgress: () => Promise.reject(new Error('unused')) },
      store: {
        register: (request) => {
          registered.push(request.name);
          return Promise.resolve({ id: `host/${request.name}`, kind: 'host', name: request.name, version: '1', capabilities: [], registeredAt: 'x', lastSeen: 'x' });
        },
        touch: () => Promise.resolve(null),
        list: () => Promise.resolve([]),
        all: async function* () {},
        get: () => Promise.resolve(null),
        names: () => Promise.resolve([]),
        getDispatch: () => Promise.resolve(null),
        remove: () => Promise.resolve(false),
      },
      queues: new ResponderQueues({ client: new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), prefix: 'ResponseActions' }),
      callbacks: { heartbeat: () => Promise.resolve(), succeed: () => Promise.resolve(), fail: () => Promise.resolve() },
      signingKey: () => Promise.resolve(workSigningKeyFromJwk(generateWorkSigningJwk()).publicJwk),
      clock: systemClock,
    });
    const caller = { sub: 'responder-1', scopes: new Set([respondScope]), responder: { kind: 'host' as const, name: 'web-1' } };

    // Act
    const error = await service.register(caller, { kind: 'host', name: 'web-1', version: '1', capabilities: [] }).then(() => undefined, (failure: unknown) => problemFor(failure));

    // Assess
    expect(error).toBeInstanceOf(HttpProblem);
    expect((error as HttpProblem).status).toBe(429);
    expect((error as HttpProblem).headers).toEqual({ 'retry-after': '60' });
    expect(registered).toEqual(['web-1']);
  });
});
