import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRecord } from '#shared/history/record.ts';
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

// The same signed work message delivered more than once, as SQS's at-least-once delivery allows:
// copies in the queue at the same time (so one receive may hand out both), and copies after the
// action settled. protocol.test.ts covers a copy arriving while the action runs and the original
// coming back after its visibility timeout.

let harness: ResponderHarness;
let markers: string;
const responders: TestResponder[] = [];
const target = (name: string) => ({ kind: 'host' as const, name });
const statuses = (record: ActionRecord): string[] => record.statusHistory.map((change) => change.status);
const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';

beforeAll(async () => {
  harness = await startResponderHarness({ responderQueues: { visibilityTimeoutSeconds: 2, maxReceiveCount: 5 } });
  markers = await mkdtemp(join(tmpdir(), 'duplicate-markers-'));
});

afterAll(async () => {
  for (const responder of responders) await responder.stop();
  await harness.close();
});

/** An Enqueued action for `host/<name>` whose work message is in the queue `copies` times over, all visible. */
async function queuedTimes(name: string, copies: number): Promise<{ record: ActionRecord; body: string }> {
  const queues = harness.service.responders.queues;
  // Registered by hand first: the service refuses work for a host no responder has registered.
  await harness.call('POST', '/v1/responders', await harness.responderToken(name), { kind: 'host', name, version: 'test-1', capabilities: ['file-quarantine'] });
  const record = await harness.createHostAction(name);
  await harness.until(record.id, (current) => current.status === 'Enqueued');
  const [original] = await queues.receive(target(name), 1, 5);
  if (original === undefined) throw new Error('the work message is not in the queue');
  for (let copy = 1; copy < copies; copy += 1) await queues.send(target(name), original.body);
  await queues.release(target(name), original.receipt);
  return { record, body: original.body };
}

describe('duplicate delivery of the same work message', () => {
  it('runs it once and reports it once when several copies are received together', async () => {
    // Prepare: four copies; the responder receives up to four at a time and handles them concurrently.
    const { record } = await queuedTimes('batch-1', 4);

    // Act
    const responder = await startTestResponder(harness, { name: 'batch-1', actions: [markerAction(markers)] });
    responders.push(responder);
    const done = await harness.until(record.id, ended);
    await eventually(async () => JSON.stringify(await harness.service.responders.queues.counts(target('batch-1'))) === JSON.stringify({ queued: 0, inFlight: 0, deadLetters: 0 }), 20_000);

    // Assess
    expect(done.status).toBe('Completed');
    expect(statuses(done)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(await timesActed(markers, record.id)).toBe(1);
    expect(responder.logs.filter((line) => line.includes('"acting"'))).toHaveLength(1);
    expect(responder.logs.filter((line) => line.includes('"reported"') && line.includes('"outcome Completed"'))).toHaveLength(1);
  });

  it('answers copies delivered after the action settled from the journal: refused by the service (409), the record unchanged, the copies gone', async () => {
    // Prepare
    const { record, body } = await queuedTimes('settled-1', 1);
    const responder = await startTestResponder(harness, { name: 'settled-1', actions: [markerAction(markers)] });
    responders.push(responder);
    const done = await harness.until(record.id, ended);

    // Act: the same message twice more, and a second Completed report by hand with another result.
    await harness.service.responders.queues.send(target('settled-1'), body);
    await harness.service.responders.queues.send(target('settled-1'), body);
    await eventually(() => responder.logs.filter((line) => line.includes('duplicate delivery: stored outcome')).length === 2, 20_000);
    const again = quarantineReport(String(record.inputs['path.absolute']), record.id);
    const second = await harness.call('POST', `/v1/actions/${record.id}/reports`, await harness.responderToken('settled-1'), { status: 'Completed', ...again });

    // Assess
    expect(done.status).toBe('Completed');
    expect(await timesActed(markers, record.id)).toBe(1);
    expect(second.status).toBe(409);
    expect(second.contentType).toBe('application/problem+json');
    const refusals = responder.logs.filter((line) => line.includes('report not applied') && line.includes('"httpStatus":409'));
    expect(refusals).toHaveLength(2);
    expect((await harness.call('GET', `/v1/actions/${record.id}`, await harness.analyst())).body).toEqual(done);
    await eventually(async () => JSON.stringify(await harness.service.responders.queues.counts(target('settled-1'))) === JSON.stringify({ queued: 0, inFlight: 0, deadLetters: 0 }), 20_000);
  });
});
