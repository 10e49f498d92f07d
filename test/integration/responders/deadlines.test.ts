import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRecord } from '#shared/history/record.ts';
import { createHmac, sign } from 'node:crypto';
import { openWorkSigningKey } from '#local/work-signing-key.ts';
import { generateWorkSigningJwk, signWorkOrder, workJwsType, workSigningKeyFromJwk } from '#shared/responders/work-signing.ts';
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

const pickupSeconds = 2;
const completionSeconds = 4;

let harness: ResponderHarness;
let markers: string;
const responders: TestResponder[] = [];

beforeAll(async () => {
  harness = await startResponderHarness({
    env: { PICKUP_DEADLINE_SECONDS: String(pickupSeconds), COMPLETION_DEADLINE_SECONDS: String(completionSeconds) },
    responderQueues: { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 },
  });
  markers = await mkdtemp(join(tmpdir(), 'markers-'));
});

afterAll(async () => {
  for (const responder of responders) await responder.stop();
  await harness.close();
});

const target = (name: string) => ({ kind: 'host' as const, name });
const statuses = (record: ActionRecord): string[] => record.statusHistory.map((change) => change.status);
const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';

/**
 * Registers `host/<name>` by hand, as its responder would: the service refuses work for a host no
 * responder has registered, and these tests queue work before (or without) a responder running.
 */
async function registered(name: string): Promise<void> {
  const answer = await harness.call('POST', '/v1/responders', await harness.responderToken(name), { kind: 'host', name, version: 'test-1', capabilities: ['file-quarantine'] });
  if (answer.status !== 200 && answer.status !== 201) throw new Error(`registration of host/${name} answered ${String(answer.status)}`);
}

describe('deadlines of host actions', () => {
  it('ends work nobody picks up in Error once the pickup deadline passes', async () => {
    // Prepare
    await registered('nobody-1');

    // Act
    const created = await harness.createHostAction('nobody-1');
    const done = await harness.until(created.id, ended);

    // Assess
    expect(statuses(done)).toEqual(['Created', 'Enqueued', 'Error']);
    expect(done.error).toEqual({
      code: 'PickupDeadlineExceeded',
      message: `no responder for host nobody-1 picked up the work within ${pickupSeconds} s`,
    });
    // Decided on recorded times only, never on how long the test waited: the lapse is recorded no
    // earlier than the pickup deadline signed into the work order (issuedAt + pickupSeconds) and no
    // earlier than Enqueued + pickupSeconds. (Once, the timer started with the Dispatch task, before
    // the order was signed and Enqueued recorded, and fired 104 ms before both.)
    const [work] = await harness.receiveWork('nobody-1');
    if (work === undefined) throw new Error('the work order was not in the queue');
    const order = JSON.parse(Buffer.from(work.body.split('.')[1] ?? '', 'base64url').toString('utf8')) as { issuedAt: string; pickupDeadline: string };
    const lapsedAt = Date.parse(done.statusHistory[2]?.at ?? '');
    expect(Date.parse(order.pickupDeadline) - Date.parse(order.issuedAt)).toBe(pickupSeconds * 1000);
    expect(lapsedAt).toBeGreaterThanOrEqual(Date.parse(order.pickupDeadline));
    expect(lapsedAt).toBeGreaterThanOrEqual(Date.parse(done.statusHistory[1]?.at ?? '') + pickupSeconds * 1000);
  });

  it('ends work the responder started but did not finish in Error at the completion deadline, and aborts the action', async () => {
    // Prepare: an action that runs until its signal aborts, while the runner keeps the heartbeat alive.
    let aborted = false;
    const slow = await startTestResponder(harness, {
      name: 'slow-1',
      actions: [
        markerAction(markers, ({ signal }) => new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        })),
      ],
    });
    responders.push(slow);
    await registered('slow-1');

    // Act
    const created = await harness.createHostAction('slow-1');
    const done = await harness.until(created.id, ended);

    // Assess
    expect(statuses(done)).toEqual(['Created', 'Enqueued', 'Running', 'Error']);
    expect(done.error).toEqual({
      code: 'CompletionDeadlineExceeded',
      message: `the responder started but did not finish within ${completionSeconds} s; prior/applied as recorded, undo can clean up`,
    });
    expect(done.prior).toEqual(quarantineReport(String(created.inputs['path.absolute']), created.id).prior);
    await eventually(() => aborted);
    // Its own Error report came after the deadline: refused, and the record stays as the deadline left it.
    await eventually(() => slow.logs.some((line) => line.includes('report not applied') && line.includes('409')));
    expect((await harness.call('GET', `/v1/actions/${created.id}`, await harness.analyst())).body).toEqual(done);
  });

  it('says the responder went quiet when it picked the work up and then stopped heartbeating', async () => {
    // Prepare: a responder speaking the protocol by hand, which picks up and then says nothing.
    const token = await harness.responderToken('quiet-1');
    await harness.call('POST', '/v1/responders', token, { kind: 'host', name: 'quiet-1', version: '1', capabilities: ['file-quarantine'] });
    const created = await harness.createHostAction('quiet-1');
    const [delivery] = await harness.receiveWork('quiet-1');
    if (delivery === undefined) throw new Error('no work was delivered');

    // Act
    const running = await harness.call('POST', `/v1/actions/${created.id}/reports`, token, { status: 'Running' });
    const done = await harness.until(created.id, ended);

    // Assess
    expect(running.status).toBe(200);
    expect((running.body as ActionRecord).status).toBe('Running');
    expect(done.error?.code).toBe('ResponderLost');
    expect(done.error?.message).toBe(
      `the responder for host quiet-1 started the work but then stopped reporting (no heartbeat for ${pickupSeconds} s); prior/applied as recorded, undo can clean up`,
    );
  });
});

describe('work a responder cannot trust', () => {
  it('is refused, not acted on and not reported on when signed by a key the responder does not trust; the pickup deadline ends it', async () => {
    // Prepare: this responder pins a key that is not the service's.
    const stranger = workSigningKeyFromJwk(generateWorkSigningJwk());
    const wary = await startTestResponder(harness, { name: 'forged-1', actions: [markerAction(markers)], signingKeys: [stranger.publicJwk] });
    responders.push(wary);
    await registered('forged-1');

    // Act
    const created = await harness.createHostAction('forged-1');
    const done = await harness.until(created.id, ended);

    // Assess
    expect(done.error?.code).toBe('PickupDeadlineExceeded');
    expect(statuses(done)).toEqual(['Created', 'Enqueued', 'Error']);
    expect(await timesActed(markers, created.id)).toBe(0);
    expect(wary.logs.some((line) => line.includes('work refused') && line.includes('unknown-key'))).toBe(true);
    expect(wary.logs.some((line) => line.includes('"reported"'))).toBe(false);
  });

  it('is refused when the JWS was altered, forged under the service kid, unsigned (alg none), HS256, or carries crit; never acted on', async () => {
    // Prepare: the real work for a real action, forged five ways and put back into the queue.
    const watcher = await startTestResponder(harness, { name: 'tamper-1', actions: [markerAction(markers)] });
    responders.push(watcher);
    await watcher.stop();
    await registered('tamper-1');
    const created = await harness.createHostAction('tamper-1');
    await harness.until(created.id, (record) => record.status === 'Enqueued');
    const queues = harness.service.responders.queues;
    const [message] = await queues.receive(target('tamper-1'), 1, 2);
    if (message === undefined) throw new Error('no work was sent');
    // The genuine message leaves the queue: only the forged ones remain.
    await queues.delete(target('tamper-1'), message.receipt);
    const [header = '', payload = '', signature = ''] = message.body.split('.');
    const order = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const serviceKey = await openWorkSigningKey(harness.dataDir);
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const altered = b64({ ...order, inputs: { 'host.id': 'tamper-1', 'path.absolute': '/etc/passwd' } });
    const stranger = workSigningKeyFromJwk(generateWorkSigningJwk());
    const strangerSigned = (await signWorkOrder(order as never, stranger)).split('.');
    const hsHeader = b64({ alg: 'HS256', kid: serviceKey.keyId, typ: workJwsType });
    const critHeader = b64({ alg: 'EdDSA', kid: serviceKey.keyId, typ: workJwsType, crit: ['exp'], exp: 1 });
    const forged = [
      `${header}.${altered}.${signature}`,
      `${header}.${strangerSigned[1] ?? ''}.${strangerSigned[2] ?? ''}`,
      `${b64({ alg: 'none', kid: serviceKey.keyId, typ: workJwsType })}.${payload}.`,
      `${hsHeader}.${payload}.${createHmac('sha256', serviceKey.publicJwk.x).update(`${hsHeader}.${payload}`).digest('base64url')}`,
      // Signed with the service's own key: only the crit header makes it untrusted.
      `${critHeader}.${payload}.${sign(null, Buffer.from(`${critHeader}.${payload}`), serviceKey.privateKey).toString('base64url')}`,
    ];
    for (const body of forged) await queues.send(target('tamper-1'), body);

    // Act
    const again = await startTestResponder(harness, { name: 'tamper-1', actions: [markerAction(markers)] });
    responders.push(again);
    await eventually(() => again.logs.filter((line) => line.includes('work refused')).length >= 5);
    const done = await harness.until(created.id, ended);

    // Assess
    // Each forgery may be delivered twice (maxReceiveCount 2) before it reaches the dead-letter queue.
    const refusals = again.logs.filter((line) => line.includes('work refused')).map((line) => JSON.parse(line) as { reason: string; detail: string });
    expect(new Set(refusals.map((refusal) => refusal.reason))).toEqual(new Set(['header', 'signature']));
    const details = refusals.map((refusal) => refusal.detail).join('\n');
    expect(details).toContain('alg must be EdDSA, not "none"');
    expect(details).toContain('alg must be EdDSA, not "HS256"');
    expect(details).toContain('carries crit, exp');
    expect(again.logs.some((line) => line.includes('"reported"'))).toBe(false);
    expect(done.error?.code).toBe('PickupDeadlineExceeded');
    expect(statuses(done)).toEqual(['Created', 'Enqueued', 'Error']);
    expect(await timesActed(markers, created.id)).toBe(0);
  });

  it('is acted on when it is a JWS made by hand with node:crypto (another implementation) and the service key', async () => {
    // Prepare: the genuine order, re-signed outside the code under test.
    const queues = harness.service.responders.queues;
    await registered('handmade-1');
    const created = await harness.createHostAction('handmade-1');
    await harness.until(created.id, (record) => record.status === 'Enqueued');
    const [message] = await queues.receive(target('handmade-1'), 1, 2);
    if (message === undefined) throw new Error('no work was sent');
    await queues.delete(target('handmade-1'), message.receipt);
    const serviceKey = await openWorkSigningKey(harness.dataDir);
    const input = `${Buffer.from(JSON.stringify({ typ: workJwsType, kid: serviceKey.keyId, alg: 'EdDSA' })).toString('base64url')}.${message.body.split('.')[1] ?? ''}`;
    await queues.send(target('handmade-1'), `${input}.${sign(null, Buffer.from(input), serviceKey.privateKey).toString('base64url')}`);

    // Act
    responders.push(await startTestResponder(harness, { name: 'handmade-1', actions: [markerAction(markers)] }));
    const done = await harness.until(created.id, ended);

    // Assess
    expect(done.status).toBe('Completed');
    expect(await timesActed(markers, created.id)).toBe(1);
  });

  it('ends in the dead-letter queue when it is unreadable, after the queue\'s deliveries run out', async () => {
    // Prepare
    const queues = harness.service.responders.queues;
    await queues.send(target('poison-1'), '{ this is not a work message');
    const reader = await startTestResponder(harness, { name: 'poison-1', actions: [markerAction(markers)] });
    responders.push(reader);

    // Act
    await eventually(async () => (await queues.counts(target('poison-1'))).deadLetters === 1, 15_000);

    // Assess
    expect(await queues.counts(target('poison-1'))).toEqual({ queued: 0, inFlight: 0, deadLetters: 1 });
    expect(reader.logs.some((line) => line.includes('"acting"'))).toBe(false);
  });
});
