import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponderHarness, type ResponderHarness } from '#test/support/responder-harness.ts';

/*
 * POST /v1/actions refuses host work for a host no responder has registered with 409, naming the
 * hosts that have one. Against the weakest credentials and the request's own problems: a
 * read-only token, a responder token and an exec token of the other category get 403 and learn no
 * name; a request with any problem of its own (inputs, Idempotency-Key, dryRun) gets 400 naming
 * it, not 409; and nothing is written. The local service as npm start wires it, with no host
 * responder of its own: host-a is registered by its token, nothing runs for it.
 */

let harness: ResponderHarness;
const unregistered = 'admission-nobody-7';
const work = { type: 'kill-process', inputs: { 'host.id': unregistered, 'process.id': 4242 } };

beforeAll(async () => {
  harness = await startResponderHarness();
  const token = await harness.responderToken('host-a');
  expect((await harness.call('POST', '/v1/responders', token, { kind: 'host', name: 'host-a', version: '1', capabilities: [] })).status).toBe(200);
});
afterAll(async () => {
  await harness.close();
});

const post = async (token: string, body: unknown, extra: { query?: string; headers?: Record<string, string> } = {}) => {
  const response = await fetch(`${harness.service.url}/v1/actions${extra.query ?? ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extra.headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
};

const written = async (): Promise<unknown[]> => {
  const { body } = await harness.call('GET', `/v1/actions?resource=${encodeURIComponent(`host/${unregistered}`)}`, await harness.analyst());
  return (body as { items: unknown[] }).items;
};

describe('host work for an unregistered host against weak credentials', () => {
  it('answers a read-only token, a responder token and the other category 403, naming no registered host', async () => {
    // Prepare
    const issuer = harness.service.issuer;
    const reader = await issuer.issue({ sub: 'reader', scopes: ['containment-response-actions.read'] });
    const gatherer = await issuer.issue({ sub: 'gatherer', scopes: ['data-gathering-response-actions.exec'] });
    const responder = await harness.responderToken('host-a');

    // Act
    const answers = [await post(reader, work), await post(responder, work), await post(gatherer, work)];

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 403]);
    for (const answer of answers) expect(answer.text).not.toContain('host-a');
    expect(await written()).toEqual([]);
  });
});

describe("host work for an unregistered host with the request's own problems", () => {
  it('answers 400 naming the field, not 409, for bad inputs, a bad Idempotency-Key and a bad dryRun', async () => {
    // Prepare
    const analyst = await harness.analyst();

    // Act
    const badInputs = await post(analyst, { ...work, inputs: { ...work.inputs, 'process.id': 'x' } });
    const badKey = await post(analyst, work, { headers: { 'idempotency-key': 'has spaces in it' } });
    const badDryRun = await post(analyst, work, { query: '?dryRun=maybe' });

    // Assess
    expect([badInputs.status, badKey.status, badDryRun.status]).toEqual([400, 400, 400]);
    expect(badInputs.text).toContain('inputs.process.id');
    expect(badKey.text).toContain('Idempotency-Key');
    expect(badDryRun.text).toContain('dryRun');
    for (const answer of [badInputs, badKey, badDryRun]) expect(answer.text).not.toContain('host-a');
    expect(await written()).toEqual([]);
  });

  it('answers a sound request 409 naming host.id and the registered host, with nothing written', async () => {
    // Act
    const refused = await post(await harness.analyst(), work, { headers: { 'idempotency-key': 'admission-1' } });

    // Assess
    expect(refused.status).toBe(409);
    const problem = JSON.parse(refused.text) as { detail: string; errors: { path: string }[] };
    expect(problem.errors.map((error) => error.path)).toEqual(['inputs.host.id']);
    expect(problem.detail).toContain('the hosts with a responder are: host-a (GET /v1/responders)');
    expect(await written()).toEqual([]);
  });
});

describe('host work repeated with its Idempotency-Key after the responder deregistered', () => {
  it('answers with the action the first request created, not 409: the replay comes before admission', async () => {
    // Prepare: host-r registered, its work accepted under a key, then the responder retires
    const token = await harness.responderToken('host-r');
    expect((await harness.call('POST', '/v1/responders', token, { kind: 'host', name: 'host-r', version: '1', capabilities: [] })).status).toBe(200);
    const analyst = await harness.analyst();
    const request = { type: 'kill-process', inputs: { 'host.id': 'host-r', 'process.id': 4242 } };
    const first = await post(analyst, request, { headers: { 'idempotency-key': 'admission-replay-1' } });
    expect(first.status).toBe(202);
    expect((await harness.call('POST', '/v1/responders/host/host-r/deregister', token)).status).toBe(200);

    // Act
    const again = await post(analyst, request, { headers: { 'idempotency-key': 'admission-replay-1' } });
    const fresh = await post(analyst, request, { headers: { 'idempotency-key': 'admission-replay-2' } });

    // Assess
    expect(again.status).toBe(202);
    expect((JSON.parse(again.text) as { id: string }).id).toBe((JSON.parse(first.text) as { id: string }).id);
    expect(fresh.status).toBe(409);
  });
});
