/**
 * People are warned, not stopped (issue 13): a destructive action with no evidence gathered on
 * its resource in the hour before is accepted as ever, with a NoEvidenceFirst warning on its
 * record. ActionService on real history (dynalite); the executors are CompletingStarter.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Caller } from '#shared/auth/scopes.ts';
import { FixedClock } from '#shared/clock.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { CompletingStarter } from '#test/support/local-api.ts';

const dynalite = useDynalite();
const analyst: Caller = {
  sub: 'analyst-1',
  scopes: new Set(['containment-response-actions.exec', 'data-gathering-response-actions.exec']),
};
const minutes = 60 * 1000;
const container = (id: string) => ({ 'host.id': 'node-7', 'container.id': id });
const killContainer = { type: 'kill-container', inputs: container('c0ffee'), reason: 'crypto miner' };
const cluster = { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'shop' };
const scaleWeb = {
  type: 'scale-workload',
  inputs: { ...cluster, 'kubernetes.workload.name': 'web', 'kubernetes.workload.type': 'deployment' },
  reason: 'web shell',
};
const podOf = (pod: string, namespace = 'shop') => ({ ...cluster, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': pod });

let clock: FixedClock;
let repository: HistoryRepository;
let service: ActionService;

beforeEach(async () => {
  clock = new FixedClock('2026-11-20T10:00:00.000Z');
  ({ repository } = await freshHistory(dynalite.endpoint, clock));
  const completing = new CompletingStarter(repository);
  service = new ActionService({ repository, starters: { host: completing, kubernetes: completing }, clock });
});

/** Creates `request` as it was `minutesBefore` the test's now, then puts the clock back. */
async function createBefore(minutesBefore: number, request: { type: string; inputs: object }, on = service): Promise<ActionRecord> {
  const now = clock.now();
  clock.set(new Date(now.getTime() - minutesBefore * minutes));
  try {
    return await created(request, on);
  } finally {
    clock.set(now);
  }
}

async function created(request: { type: string; inputs: object; reason?: string }, on = service): Promise<ActionRecord> {
  const outcome = await on.create(analyst, request);
  if (!('record' in outcome)) throw new Error('expected an action, got an approval');
  return outcome.record;
}

/**
 * The same hook on an action with no evidence warns: an assertion of no warning beside it holds
 * only because the evidence counted, not because nothing warns at all.
 */
async function expectWarned(request: { type: string; inputs: object }): Promise<void> {
  expect((await stored(await created(request))).warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
}

/** The record as stored: the warning is on the record, not only in the answer. */
async function stored(record: ActionRecord): Promise<ActionRecord> {
  const read = await repository.get(record.id);
  if (read === null) throw new Error(`no record ${record.id}`);
  return read;
}

describe('a destructive action with no evidence first', () => {
  it('is accepted and carried out as ever, its record warning and naming the evidence types', async () => {
    // Act
    const record = await created(killContainer);

    // Assess
    expect(record.status).toBe('Completed');
    expect((await stored(record)).warnings).toEqual([
      {
        code: 'NoEvidenceFirst',
        message:
          'No evidence was gathered on host/node-7/container/c0ffee in the hour before this kill-container: ' +
          'get-logs, capture-process-state or acquire-file would have preserved what it destroys. The action was accepted.',
        evidenceTypes: ['get-logs', 'capture-process-state', 'acquire-file'],
      },
    ]);
  });

  it('carries no warning when get-logs Completed on the same container 10 minutes before', async () => {
    // Prepare
    const logs = await createBefore(10, { type: 'get-logs', inputs: container('c0ffee') });

    // Act
    const record = await created(killContainer);

    // Assess
    expect(logs.status).toBe('Completed');
    expect((await stored(record)).warnings).toEqual([]);
    await expectWarned({ type: 'kill-container', inputs: container('c0ffee2') });
  });

  it('warns when the only evidence is two hours old', async () => {
    // Prepare
    await createBefore(120, { type: 'get-logs', inputs: container('c0ffee') });

    // Act
    const record = await created(killContainer);

    // Assess
    expect((await stored(record)).warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });

  it('warns when the evidence action ended in Error', async () => {
    // Prepare: no host executor, so get-logs ends in Error (NoExecutor)
    const noExecutors = new ActionService({ repository, starters: {}, clock });
    const failed = await createBefore(10, { type: 'get-logs', inputs: container('c0ffee') }, noExecutors);

    // Act
    const record = await created(killContainer);

    // Assess
    expect(failed.status).toBe('Error');
    expect((await stored(record)).warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });

  it('warns when the evidence is about another container', async () => {
    // Prepare
    await createBefore(10, { type: 'get-logs', inputs: container('c0ffee2') });
    await createBefore(5, { type: 'get-logs', inputs: { 'host.id': 'node-8', 'container.id': 'c0ffee' } });

    // Act
    const record = await created(killContainer);

    // Assess
    expect((await stored(record)).warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });

  it('counts a file acquired inside the container (a key beneath it)', async () => {
    // Prepare
    await createBefore(30, { type: 'acquire-file', inputs: { ...container('c0ffee'), 'path.absolute': '/tmp/xmrig' } });

    // Act
    const record = await created(killContainer);

    // Assess
    expect((await stored(record)).warnings).toEqual([]);
    await expectWarned({ type: 'kill-container', inputs: container('c0ffee2') });
  });

  it('counts container logs for a process killed on its host (a key beneath the host)', async () => {
    // Prepare
    await createBefore(30, { type: 'get-logs', inputs: container('c0ffee') });

    // Act
    const record = await created({ type: 'kill-process', inputs: { 'host.id': 'node-7', 'process.id': 4242 } });

    // Assess
    expect((await stored(record)).warnings).toEqual([]);
    await expectWarned({ type: 'kill-process', inputs: { 'host.id': 'node-8', 'process.id': 4242 } });
  });

  it('does not count evidence of a type that does not preserve what it destroys', async () => {
    // Prepare: a file copied out of the container keeps nothing of a process's state
    await createBefore(10, { type: 'acquire-file', inputs: { ...container('c0ffee'), 'path.absolute': '/tmp/xmrig' } });

    // Act
    const record = await created({ type: 'kill-process', inputs: { ...container('c0ffee'), 'process.id': 4242 } });

    // Assess
    expect((await stored(record)).warnings.map((warning) => warning.evidenceTypes)).toEqual([['capture-process-state', 'get-logs']]);
  });
});

describe('a workload scaled to zero', () => {
  it('carries no warning when one of its pods had its state captured', async () => {
    // Prepare
    await createBefore(15, { type: 'capture-pod-state', inputs: podOf('web-7d4b9c-x2x9z') });

    // Act
    const record = await created(scaleWeb);

    // Assess
    expect((await stored(record)).warnings).toEqual([]);
    await expectWarned({ ...scaleWeb, inputs: { ...scaleWeb.inputs, 'kubernetes.workload.name': 'api' } });
  });

  it('warns when the captured pod is another workload’s or in another namespace', async () => {
    // Prepare
    await createBefore(15, { type: 'capture-pod-state', inputs: podOf('webhook-5f6d-abcde') });
    await createBefore(10, { type: 'capture-pod-state', inputs: podOf('web-7d4b9c-x2x9z', 'staging') });

    // Act
    const record = await created(scaleWeb);

    // Assess
    expect((await stored(record)).warnings).toEqual([
      expect.objectContaining({
        code: 'NoEvidenceFirst',
        evidenceTypes: ['capture-pod-state', 'get-logs', 'kubernetes-volume-snapshot'],
      }),
    ]);
  });
});

describe('actions that never warn', () => {
  const workload = { ...cluster, 'kubernetes.workload.name': 'web', 'kubernetes.workload.type': 'deployment' };
  it.each([
    ['pause-container', killContainer, { type: 'pause-container', inputs: container('c0ffee') }],
    ['get-logs', killContainer, { type: 'get-logs', inputs: container('c0ffee') }],
    ['isolate-network', scaleWeb, { type: 'isolate-network', inputs: workload }],
    ['cordon-node', scaleWeb, { type: 'cordon-node', inputs: { 'kubernetes.cluster.name': 'prod', 'kubernetes.node.name': 'node-7' } }],
  ])('%s, with no evidence before it (where a destructive action warns)', async (_name, destructive, request) => {
    // Prepare
    await expectWarned(destructive);

    // Act
    const record = await created(request);

    // Assess
    expect((await stored(record)).warnings).toEqual([]);
  });
});

describe('re-executions and undos', () => {
  it('warns on a re-executed kill-container when its evidence is now more than an hour old', async () => {
    // Prepare
    await createBefore(70, { type: 'get-logs', inputs: container('c0ffee') });
    const first = await createBefore(60, killContainer);

    // Act
    const outcome = await service.reexecute(analyst, first.id);

    // Assess
    expect(first.warnings).toEqual([]);
    if (!('record' in outcome)) throw new Error('expected an action');
    expect((await stored(outcome.record)).warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });

  it('warns on a restore-workload-scale (a destructive undo) with no evidence on the workload’s pods', async () => {
    // Prepare: the pod's state captured before the scale, which is more than an hour before the undo
    await createBefore(80, { type: 'capture-pod-state', inputs: podOf('web-7d4b9c-x2x9z') });
    const scaled = await scaledWeb(75);

    // Act
    const outcome = await service.undo(analyst, scaled.id, 'false positive');

    // Assess
    expect(scaled.warnings).toEqual([]);
    if (!('record' in outcome)) throw new Error('expected an action');
    expect(outcome.record.type).toBe('restore-workload-scale');
    expect((await stored(outcome.record)).warnings.map((warning) => warning.code)).toEqual(['NoEvidenceFirst']);
  });
});

/** scale-workload of web from 3 to 0, Completed with the report the Kubernetes responder sends. */
async function scaledWeb(minutesBefore: number): Promise<ActionRecord> {
  const reporting = new ActionService({ repository, starters: { kubernetes: { start: () => Promise.resolve() } }, clock });
  const record = await createBefore(minutesBefore, scaleWeb, reporting);
  await repository.transition(record.id, 'Enqueued');
  await repository.transition(record.id, 'Running');
  return repository.transition(record.id, 'Completed', {
    prior: { replicas: 3, currentReplicas: 3 },
    applied: { replicas: { from: 3, to: 0 } },
    result: { workload: { type: 'deployment', name: 'web', namespace: 'shop' }, replicas: 0, previousReplicas: 3, changed: true },
  });
}
