import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { markerAction, quarantineReport, startResponderHarness, startTestResponder, timesActed, type ResponderHarness } from '#test/support/responder-harness.ts';

const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';
const harnesses: ResponderHarness[] = [];

afterAll(async () => {
  for (const harness of harnesses) await harness.close().catch(() => undefined);
});

// Work is queued here for hosts whose responders start only after the restart (or never), so the
// service is told to queue it rather than refuse it (409) as it does by default.
async function started(options: Parameters<typeof startResponderHarness>[0] = {}): Promise<ResponderHarness> {
  const harness = await startResponderHarness({ ...options, env: { QUEUE_FOR_UNREGISTERED_RESPONDERS: 'true', ...options.env } });
  harnesses.push(harness);
  return harness;
}

async function restarted(harness: ResponderHarness): Promise<ResponderHarness> {
  await harness.stop();
  const again = await harness.restart();
  harnesses.push(again);
  return again;
}

describe('a restart of the local service with host actions in flight', () => {
  it('starts Created actions again, sends Enqueued work again, and ends Running actions in Error InterruptedByRestart', async () => {
    // Prepare: one action of each kind in flight, no responder running.
    const markers = await mkdtemp(join(tmpdir(), 'markers-'));
    const before = await started();
    const now = new Date();
    const createdOnly = createdRecord(
      {
        id: randomUUID(),
        type: 'file-quarantine',
        category: 'containment',
        executor: 'host',
        inputs: { 'host.id': 'restart-1', 'path.absolute': '/srv/created' },
        resources: [{ key: 'host/restart-1/file//srv/created', kind: 'file' }],
        createdBy: 'analyst-1',
        undoType: 'file-unquarantine',
      },
      now,
    );
    await before.service.repository.create(createdOnly);
    const enqueued = await before.createHostAction('restart-1', '/srv/enqueued');
    await before.until(enqueued.id, (record) => record.status === 'Enqueued');
    const token = await before.responderToken('restart-2');
    await before.call('POST', '/v1/responders', token, { kind: 'host', name: 'restart-2', version: '1', capabilities: ['file-quarantine'] });
    const running = await before.createHostAction('restart-2', '/srv/running');
    const [delivery] = await before.receiveWork('restart-2');
    if (delivery === undefined) throw new Error('no work was delivered');
    await before.call('POST', `/v1/actions/${running.id}/reports`, token, { status: 'Running', prior: quarantineReport('/srv/running', running.id).prior });
    await before.service.responders.queues.delete({ kind: 'host', name: 'restart-2' }, delivery.receipt);

    // Act
    const after = await restarted(before);
    const responder = await startTestResponder(after, { name: 'restart-1', actions: [markerAction(markers)] });
    const createdDone = await after.until(createdOnly.id, ended);
    const enqueuedDone = await after.until(enqueued.id, ended);
    const runningDone = await after.until(running.id, ended);
    const late = await after.call('POST', `/v1/actions/${running.id}/reports`, await after.responderToken('restart-2'), {
      status: 'Completed',
      result: quarantineReport('/srv/running', running.id).result,
    });
    await responder.stop();

    // Assess
    expect(after.service.recovery).toMatchObject({
      restarted: [createdOnly.id],
      redispatched: [enqueued.id],
      interrupted: [running.id],
      expired: [],
      failedToRestart: [],
      left: [],
    });
    expect(createdDone.status).toBe('Completed');
    expect(enqueuedDone.status).toBe('Completed');
    expect(enqueuedDone.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Running', 'Completed']);
    expect(await timesActed(markers, enqueued.id)).toBe(1);
    expect(runningDone.error).toEqual({
      code: 'InterruptedByRestart',
      message: 'interrupted by restart while the responder for host restart-2 was running it; prior/applied as recorded, undo can clean up',
    });
    expect(runningDone.prior).toEqual(quarantineReport('/srv/running', running.id).prior);
    expect(late.status).toBe(409);
  });

  it('ends Enqueued work in Error when its pickup deadline passed while the service was down', async () => {
    // Prepare
    const before = await started({ env: { PICKUP_DEADLINE_SECONDS: '1' } });
    const enqueued = await before.createHostAction('restart-3');
    await before.until(enqueued.id, (record) => record.status === 'Enqueued');
    await before.stop();
    await new Promise((resolve) => setTimeout(resolve, 1200));

    // Act
    const after = await before.restart();
    harnesses.push(after);
    const done = await after.until(enqueued.id, ended);

    // Assess
    expect(after.service.recovery.expired).toEqual([enqueued.id]);
    expect(done.error).toEqual({
      code: 'PickupDeadlineExceeded',
      message: 'no responder for host restart-3 picked up the work within 1 s (the service restarted meanwhile)',
    });
  });
});
