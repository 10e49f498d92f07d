import { createHash } from 'node:crypto';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRecord } from '#shared/history/record.ts';
import { ResponderActionError, type RegisterResponse, type ResponderRecord } from '#shared/responders/protocol.ts';
import { generateWorkSigningJwk, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
import { ActionJournal } from '../../../responders/common/journal.ts';
import { ResponderStartError, runResponder } from '../../../responders/common/runner.ts';
import { ConfigError } from '#shared/errors.ts';
import { createLogger } from '#shared/log.ts';
import {
  eventually,
  markerAction,
  quarantineReport,
  startResponderHarness,
  startTestResponder,
  timesActed,
  type ResponderHarness,
  type TestResponder,
} from '#test/support/responder-harness.ts';

let harness: ResponderHarness;
let markers: string;
const responders: TestResponder[] = [];

beforeAll(async () => {
  // A short visibility timeout, so a delivery not reported on comes back within the test.
  harness = await startResponderHarness({ responderQueues: { visibilityTimeoutSeconds: 2, maxReceiveCount: 3 } });
  markers = await mkdtemp(join(tmpdir(), 'markers-'));
});

afterAll(async () => {
  for (const responder of responders) await responder.stop();
  await harness.close();
});

async function responder(name: string, actions = [markerAction(markers)]): Promise<TestResponder> {
  const started = await startTestResponder(harness, { name, actions });
  responders.push(started);
  return started;
}

const target = (name: string) => ({ kind: 'host' as const, name });
const statuses = (record: ActionRecord): string[] => record.statusHistory.map((change) => change.status);
const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';

describe('a host action through the responder protocol', () => {
  let completed: ActionRecord;

  it('is sent to its host queue, picked up, run once and completed, with its result, prior, applied and evidence stored', async () => {
    // Prepare
    const evidence = new TextEncoder().encode('what the responder saw\n');
    await responder('node-1', [
      markerAction(markers, async (context) => {
        await context.uploadEvidence('observed.txt', 'text/plain', evidence);
      }),
    ]);

    // Act
    const created = await harness.createHostAction('node-1', '/srv/app/dropper');
    completed = await harness.until(created.id, ended);

    // Assess
    expect(created.status).toMatch(/^(Created|Enqueued)$/);
    expect(completed.status).toBe('Completed');
    expect(statuses(completed)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(completed.statusHistory[1]?.detail).toBe("sent to host node-1's queue");
    const report = quarantineReport('/srv/app/dropper', created.id);
    expect(completed.result).toEqual(report.result);
    expect(completed.prior).toEqual(report.prior);
    expect(completed.applied).toEqual(report.applied);
    expect(completed.undo).toMatchObject({ available: true, type: 'file-unquarantine' });
    expect(await timesActed(markers, created.id)).toBe(1);
    const listed = await harness.call('GET', `/v1/actions/${created.id}/evidence`, await harness.analyst());
    expect((listed.body as { items: { name: string; sha256: string; size: number }[] }).items).toEqual([
      expect.objectContaining({ name: 'observed.txt', size: evidence.byteLength, sha256: createHash('sha256').update(evidence).digest('hex') }),
    ]);
    await eventually(async () => (await harness.service.responders.queues.counts(target('node-1'))).inFlight === 0);
    expect(await harness.service.responders.queues.counts(target('node-1'))).toEqual({ queued: 0, inFlight: 0, deadLetters: 0 });
  });

  it('refuses a late report on an ended action with 409 and changes nothing', async () => {
    // Prepare
    const token = await harness.responderToken('node-1');

    // Act
    const late = await harness.call('POST', `/v1/actions/${completed.id}/reports`, token, { status: 'Error', error: { code: 'Late', message: 'too late' } });
    const lateRunning = await harness.call('POST', `/v1/actions/${completed.id}/reports`, token, { status: 'Running' });

    // Assess
    expect(late.status).toBe(409);
    expect(late.contentType).toBe('application/problem+json');
    expect(lateRunning.status).toBe(409);
    const after = await harness.call('GET', `/v1/actions/${completed.id}`, await harness.analyst());
    expect(after.body).toEqual(completed);
  });

  it('lists registered responders with their version, capabilities and lastSeen, to any action scope only', async () => {
    // Prepare
    const before = Date.now();
    await eventually(async () => {
      const { body } = await harness.call('GET', '/v1/responders', await harness.analyst());
      const node = (body as { items: ResponderRecord[] }).items.find((item) => item.id === 'host/node-1');
      return node !== undefined && Date.parse(node.lastSeen) >= before - 100;
    });

    // Act
    const listed = await harness.call('GET', '/v1/responders', await harness.service.issuer.issue({ sub: 'reader', scopes: ['data-gathering-response-actions.read'] }));
    const asResponder = await harness.call('GET', '/v1/responders', await harness.responderToken('node-1'));
    const anonymous = await fetch(`${harness.service.url}/v1/responders`);

    // Assess
    expect(listed.status).toBe(200);
    const node = (listed.body as { items: ResponderRecord[] }).items.find((item) => item.id === 'host/node-1');
    expect(node).toMatchObject({ kind: 'host', name: 'node-1', version: 'test-1', capabilities: ['file-quarantine'] });
    expect(Date.parse(node?.registeredAt ?? '')).toBeLessThanOrEqual(Date.parse(node?.lastSeen ?? ''));
    expect(asResponder.status).toBe(403);
    expect(anonymous.status).toBe(401);
  });

  it('acts once when the same work is delivered twice (a copy, and the original again after its visibility timeout)', async () => {
    // Prepare: the work waits in the queue, then a copy of the very message joins it.
    const queues = harness.service.responders.queues;
    // Registered before its responder runs, as a responder that restarts would be: work for an unregistered host is refused.
    const registered = await harness.call('POST', '/v1/responders', await harness.responderToken('dup-1'), { kind: 'host', name: 'dup-1', version: 'test-1', capabilities: ['file-quarantine'] });
    expect(registered.status).toBe(200);
    const created = await harness.createHostAction('dup-1');
    await harness.until(created.id, (record) => record.status === 'Enqueued');
    const [original] = await queues.receive(target('dup-1'), 1, 1);
    if (original === undefined) throw new Error('the work message is not in the queue');
    await queues.send(target('dup-1'), original.body);
    const slow = markerAction(markers, () => new Promise((resolve) => setTimeout(resolve, 2500)));

    // Act
    const dup = await responder('dup-1', [slow]);
    const done = await harness.until(created.id, ended);
    // A third delivery once the action ended: the service drops it instead of handing it out.
    await queues.send(target('dup-1'), original.body);
    await eventually(async () => {
      const counts = await queues.counts(target('dup-1'));
      return counts.queued + counts.inFlight === 0;
    });

    // Assess
    expect(done.status).toBe('Completed');
    expect(await timesActed(markers, created.id)).toBe(1);
    expect(dup.logs.filter((line) => line.includes('"acting"'))).toHaveLength(1);
    expect(dup.logs.some((line) => line.includes('duplicate delivery while running'))).toBe(true);
    expect((await queues.counts(target('dup-1'))).deadLetters).toBe(0);
  });

  it.each([
    ['done', true, 'Completed'],
    ['acting', false, 'Error'],
  ] as const)('on a delivery of work its journal holds as %s, re-reports or reports the interruption instead of acting again', async (state, journaled, expected) => {
    // Prepare: the responder picked the work up (Running) and then stopped; the same work comes again.
    const name = `journal-${state}`;
    const token = await harness.responderToken(name);
    await harness.call('POST', '/v1/responders', token, { kind: 'host', name, version: '1', capabilities: ['file-quarantine'] });
    const created = await harness.createHostAction(name);
    await harness.until(created.id, (record) => record.status === 'Enqueued');
    const [delivery] = await harness.receiveWork(name);
    if (delivery === undefined) throw new Error('no work was delivered');
    expect((await harness.call('POST', `/v1/actions/${created.id}/reports`, token, { status: 'Running' })).status).toBe(200);
    await harness.service.responders.queues.delete(target(name), delivery.receipt);
    await harness.service.responders.queues.send(target(name), delivery.body);
    const stateDir = join(harness.dataDir, 'test-responders', name);
    const journal = new ActionJournal(stateDir);
    await journal.prepare();
    const stored = quarantineReport(String(created.inputs['path.absolute']), created.id).result;
    await journal.write({ actionId: created.id, state, at: new Date().toISOString(), ...(journaled ? { outcome: { status: 'Completed', result: stored } } : {}) });

    // Act
    const restarted = await startTestResponder(harness, { name, actions: [markerAction(markers)], stateDir });
    responders.push(restarted);
    const done = await harness.until(created.id, ended);

    // Assess
    expect(done.status).toBe(expected);
    expect(await timesActed(markers, created.id)).toBe(0);
    if (state === 'done') expect(done.result).toEqual(stored);
    else expect(done.error?.code).toBe('ResponderInterrupted');
    await eventually(async () => (await harness.service.responders.queues.counts(target(name))).inFlight === 0);
    expect(await harness.service.responders.queues.counts(target(name))).toEqual({ queued: 0, inFlight: 0, deadLetters: 0 });
  });

  it('turns a ResponderActionError into its code and message, and anything else into ResponderFailed without its text', async () => {
    // Prepare
    await responder('fail-1', [
      {
        type: 'file-quarantine',
        execute: (context) =>
          Promise.reject(
            String(context.work.inputs['path.absolute']).endsWith('known')
              ? new ResponderActionError('FileNotFound', 'no file at /srv/known on host fail-1')
              : new Error('secret-ish internal detail /etc/shadow'),
          ),
      },
    ]);

    // Act
    const known = await harness.until((await harness.createHostAction('fail-1', '/srv/known')).id, ended);
    const unknown = await harness.until((await harness.createHostAction('fail-1', '/srv/other')).id, ended);

    // Assess
    expect(known.error).toEqual({ code: 'FileNotFound', message: 'no file at /srv/known on host fail-1' });
    expect(statuses(known)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(unknown.error?.code).toBe('ResponderFailed');
    expect(unknown.error?.message).toContain('file-quarantine failed unexpectedly on the responder for host fail-1');
    expect(unknown.error?.message).not.toContain('shadow');
  });
});

describe('responders see and report only their own work', () => {
  let otherAction: ActionRecord;
  let enqueued: ActionRecord;
  let tokenA: string;

  beforeAll(async () => {
    tokenA = await harness.responderToken('host-a');
    expect((await harness.call('POST', '/v1/responders', tokenA, { kind: 'host', name: 'host-a', version: '1', capabilities: [] })).status).toBe(200);
    // Host B's own responder registered (work for an unregistered host is refused), but runs no work loop here.
    expect((await harness.call('POST', '/v1/responders', await harness.responderToken('host-b'), { kind: 'host', name: 'host-b', version: '1', capabilities: [] })).status).toBe(200);
    otherAction = await harness.createHostAction('host-b');
    enqueued = await harness.until(otherAction.id, (record) => record.status === 'Enqueued');
  });

  it("refuses a token bound to host A that asks for host B's queue credentials, heartbeats, registers or deregisters as host B", async () => {
    // Act
    const credentials = await harness.call('POST', '/v1/responders/host/host-b/queue-credentials', tokenA);
    const heartbeat = await harness.call('POST', '/v1/responders/host/host-b/heartbeat', tokenA);
    const register = await harness.call('POST', '/v1/responders', tokenA, { kind: 'host', name: 'host-b', version: '1', capabilities: [] });
    const deregister = await harness.call('POST', '/v1/responders/host/host-b/deregister', tokenA);

    // Assess
    expect([credentials.status, heartbeat.status, register.status, deregister.status]).toEqual([403, 403, 403, 403]);
    expect(await harness.service.responders.queues.counts(target('host-b'))).toMatchObject({ queued: 1 });
  });

  it('stops a standalone responder pointed at the local service with the reason, instead of polling forever', async () => {
    // Prepare: no work source of its own, so it asks for queue credentials as it would in AWS.
    const stateDir = join(harness.dataDir, 'test-responders', 'standalone-1');

    // Act
    const outcome = await runResponder({
      apiUrl: harness.service.url,
      token: await harness.responderToken('standalone-1'),
      kind: 'host',
      name: 'standalone-1',
      version: '1',
      actions: [],
      signingKeys: [harness.service.responders.signingKey],
      stateDir,
      logger: createLogger(() => undefined),
      signal: new AbortController().signal,
      retryBackoffMs: 20,
    }).then(() => undefined, (error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(ResponderStartError);
    expect((outcome as Error).message).toMatch(/queue credentials refused: .*409.*its responder runs in-process/);
  });

  it('answers queue-credentials locally with 409 saying the local responder runs in-process (no credentials for the embedded queue)', async () => {
    // Act
    const answer = await harness.call('POST', '/v1/responders/host/host-a/queue-credentials', tokenA);

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.contentType).toBe('application/problem+json');
    expect((answer.body as { detail: string }).detail).toContain('its responder runs in-process');
  });

  it("answers 404 to host A's reports and upload requests on host B's action, and 403 to a caller that is no responder", async () => {
    // Act
    const report = await harness.call('POST', `/v1/actions/${otherAction.id}/reports`, tokenA, { status: 'Running' });
    const upload = await harness.call('POST', `/v1/actions/${otherAction.id}/evidence-uploads`, tokenA, {
      name: 'x.txt',
      contentType: 'text/plain',
      size: 1,
      sha256: 'a'.repeat(64),
    });
    const analyst = await harness.call('POST', `/v1/actions/${otherAction.id}/reports`, await harness.analyst(), { status: 'Running' });

    // Assess
    expect([report.status, upload.status, analyst.status]).toEqual([404, 404, 403]);
    const after = (await harness.call('GET', `/v1/actions/${otherAction.id}`, await harness.analyst())).body as ActionRecord;
    expect(after).toEqual(enqueued);
  });

  it('answers every malformed request with 4xx problem+json naming the field, and writes nothing', async () => {
    // Prepare
    const tokenB = await harness.responderToken('host-b');
    const before = (await harness.call('GET', `/v1/actions/${otherAction.id}`, await harness.analyst())).body as ActionRecord;
    const path = `/v1/actions/${otherAction.id}`;
    const cases: [string, string, unknown, string][] = [
      ['POST', `${path}/reports`, { status: 'Done' }, 'status'],
      ['POST', `${path}/reports`, { status: 'Error' }, 'error'],
      ['POST', `${path}/reports`, { status: 'Running', error: { code: 'X', message: 'y' } }, 'error'],
      ['POST', `${path}/reports`, { status: 'Running', result: { a: 1 } }, 'result'],
      ['POST', `${path}/reports`, { status: 'Running', extra: true }, 'extra'],
      ['POST', `${path}/reports`, { status: 'Error', error: { code: 'not a code', message: 'm' } }, 'error.code'],
      ['POST', `${path}/evidence-uploads`, { name: '../escape', contentType: 'text/plain', size: 1, sha256: 'a'.repeat(64) }, 'name'],
      ['POST', `${path}/evidence-uploads`, { name: 'ok.txt', contentType: 'text/plain', size: 1, sha256: 'nope' }, 'sha256'],
      ['POST', '/v1/responders', { kind: 'host', name: 'host-b', capabilities: [] }, 'version'],
      ['POST', '/v1/responders', { kind: 'vm', name: 'host-b', version: '1', capabilities: [] }, 'kind'],
      // Receipts stay with the responder now: a report carrying one is refused, naming it.
      ['POST', `${path}/reports`, { status: 'Running', receipt: 'AQEB' }, 'receipt'],
      ['POST', '/v1/responders/vm/host-b/queue-credentials', undefined, 'kind'],
      ['POST', '/v1/responders/vm/host-b/deregister', undefined, 'kind'],
    ];

    for (const [method, url, body, field] of cases) {
      // Act
      const answer = await harness.call(method, url, tokenB, body);

      // Assess
      expect(answer.status, `${url} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${url} ${JSON.stringify(body)}`).toBeLessThan(500);
      expect(answer.contentType).toBe('application/problem+json');
      const problem = answer.body as { errors?: { path: string }[] };
      expect(problem.errors?.map((error) => error.path), `${url} ${JSON.stringify(body)}`).toContain(field);
    }
    const after = (await harness.call('GET', `/v1/actions/${otherAction.id}`, await harness.analyst())).body as ActionRecord;
    expect(after).toEqual(before);
    expect(await harness.service.responders.queues.counts(target('host-b'))).toMatchObject({ queued: 1 });
  });

  it('grants evidence uploads only while the action runs', async () => {
    // Prepare
    const tokenB = await harness.responderToken('host-b');
    const request = { name: 'early.txt', contentType: 'text/plain', size: 1, sha256: 'a'.repeat(64) };

    // Act
    const early = await harness.call('POST', `/v1/actions/${otherAction.id}/evidence-uploads`, tokenB, request);

    // Assess
    expect(early.status).toBe(409);
  });
});

describe('the service key a responder trusts', () => {
  it('is pinned from configuration only: with no configured key, or a plain http URL off loopback, the responder does not start and pins nothing', async () => {
    // Prepare
    const stateDir = await mkdtemp(join(tmpdir(), 'no-tofu-'));
    const base = {
      apiUrl: harness.service.url,
      token: await harness.responderToken('no-tofu-1'),
      kind: 'host' as const,
      name: 'no-tofu-1',
      version: '1',
      actions: [markerAction(markers)],
      signingKeys: [harness.service.responders.signingKey],
      stateDir,
      logger: createLogger(() => undefined),
      pollWaitSeconds: 1,
      signal: new AbortController().signal,
    };

    // Act
    const keyless = await runResponder({ ...base, signingKeys: [] }).then(() => 'started', (error: unknown) => error);
    const plainHttp = await runResponder({ ...base, apiUrl: 'http://ra.example.com' }).then(() => 'started', (error: unknown) => error);

    // Assess
    expect(keyless).toBeInstanceOf(ConfigError);
    expect(keyless).toMatchObject({ message: expect.stringMatching(/^signingKeys: /) as unknown });
    expect(plainHttp).toBeInstanceOf(ConfigError);
    expect(plainHttp).toMatchObject({ message: expect.stringMatching(/^apiUrl: must be https/) as unknown });
    expect(await readdir(stateDir)).toEqual([]);
    const { body } = await harness.call('GET', '/v1/responders', await harness.analyst());
    expect((body as { items: ResponderRecord[] }).items.map((item) => item.id)).not.toContain('host/no-tofu-1');
  });

  it('announces the public half of the key the work is signed with, never the private part', async () => {
    // Act
    const answer = await harness.call('POST', '/v1/responders', await harness.responderToken('announce-1'), {
      kind: 'host',
      name: 'announce-1',
      version: '1',
      capabilities: ['file-quarantine'],
    });

    // Assess
    const registered = answer.body as RegisterResponse;
    expect(registered.signingKey).toEqual(harness.service.responders.signingKey);
    expect(registered.signingKey).not.toHaveProperty('d');
    expect(registered.id).toBe('host/announce-1');
    // A key made elsewhere has another kid: rotation is by kid.
    expect(workSigningKeyFromJwk(generateWorkSigningJwk()).keyId).not.toBe(registered.signingKey.kid);
  });
});
