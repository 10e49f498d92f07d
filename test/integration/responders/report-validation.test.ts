/**
 * Reports through the real HTTP layer (local service: dynalite, fauxqs, the shipped ASL): what a
 * stolen responder token could forge into prior/applied/result is refused with 400 naming the
 * field, the record stays as it was and the execution keeps waiting; what the real responder code
 * reports passes, and a quarantine it made is undone through the service.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respondScope } from '#shared/auth/scopes.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { JsonObject } from '#shared/json.ts';
import { hostActions } from '../../../responders/host/actions.ts';
import { spawnSleeper } from '../host-responder/support/processes.ts';
import { quarantineReport, startResponderHarness, startTestResponder, type ResponderHarness, type TestResponder } from '#test/support/responder-harness.ts';

let harness: ResponderHarness;
let files: string;
const responders: TestResponder[] = [];

beforeAll(async () => {
  harness = await startResponderHarness();
  files = await mkdtemp(join(tmpdir(), 'report-validation-'));
});

afterAll(async () => {
  for (const responder of responders) await responder.stop();
  await harness.close();
  await rm(files, { recursive: true, force: true });
});

const ended = (record: ActionRecord): boolean => record.status === 'Completed' || record.status === 'Error';
const cluster = { 'kubernetes.namespace.name': 'payments' };

async function tokenFor(kind: 'host' | 'kubernetes', name: string): Promise<string> {
  return harness.service.issuer.issue({ sub: `responder-${name}`, scopes: [respondScope], responder: { kind, name } });
}

async function record(id: string): Promise<ActionRecord> {
  return (await harness.call('GET', `/v1/actions/${id}`, await harness.analyst())).body as ActionRecord;
}

/** An action of `type` picked up by a responder speaking the protocol by hand: Running, its message deleted. */
async function pickedUp(kind: 'host' | 'kubernetes', name: string, type: string, inputs: Readonly<Record<string, unknown>>): Promise<{ action: ActionRecord; token: string }> {
  const token = await tokenFor(kind, name);
  await harness.call('POST', '/v1/responders', token, { kind, name, version: '1', capabilities: [type] });
  const created = await harness.call('POST', '/v1/actions', await harness.analyst(), { type, inputs });
  if (created.status !== 202) throw new Error(`create answered ${String(created.status)}: ${JSON.stringify(created.body)}`);
  const action = created.body as ActionRecord;
  await harness.until(action.id, (current) => current.status === 'Enqueued');
  const [delivery] = await harness.service.responders.queues.receive({ kind, name }, 1, 5);
  if (delivery === undefined) throw new Error('no work was delivered');
  const running = await harness.call('POST', `/v1/actions/${action.id}/reports`, token, { status: 'Running' });
  if (running.status !== 200) throw new Error(`pickup answered ${String(running.status)}: ${JSON.stringify(running.body)}`);
  await harness.service.responders.queues.delete({ kind, name }, delivery.receipt);
  return { action, token };
}

/** Posts each forged report; every one must be a 4xx problem naming its field. */
async function expectRefused(actionId: string, token: string, cases: readonly (readonly [unknown, string])[]): Promise<void> {
  for (const [report, field] of cases) {
    // Act
    const answer = await harness.call('POST', `/v1/actions/${actionId}/reports`, token, report);

    // Assess
    const label = `${field}: ${JSON.stringify(report).slice(0, 200)}`;
    expect(answer.status, label).toBe(400);
    expect(answer.contentType, label).toBe('application/problem+json');
    expect((answer.body as { errors?: { path: string }[] }).errors?.map((error) => error.path), label).toContain(field);
  }
}

/** An object nested `depth` levels deep, each level as wide as `width`. */
function nested(depth: number, width: number): JsonObject {
  let value: JsonObject = { leaf: 'x'.repeat(10) };
  for (let level = 0; level < depth; level += 1) value = Object.fromEntries(Array.from({ length: width }, (_, index) => [`k${String(index)}`, value]));
  return value;
}

describe('a forged file-quarantine report', () => {
  it('is refused with 400 naming the field, writes nothing, and leaves the execution waiting for a genuine one', async () => {
    // Prepare
    const path = '/srv/forge-1/dropper';
    const { action, token } = await pickedUp('host', 'forge-1', 'file-quarantine', { 'host.id': 'forge-1', 'path.absolute': path });
    const genuine = quarantineReport(path, action.id);
    const before = await record(action.id);
    const applied = (changes: JsonObject): JsonObject => ({ status: 'Running', applied: { ...genuine.applied, ...changes } });
    const completed = (changes: JsonObject): JsonObject => ({ status: 'Completed', ...genuine, applied: { ...genuine.applied, ...changes } });

    // Act + Assess
    await expectRefused(action.id, token, [
      [applied({ restoreSetuid: true }), 'applied.restoreSetuid'],
      [applied({ quarantinePath: '/var/lib/response-actions/quarantine/../../../etc/cron.d/x' }), 'applied.quarantinePath'],
      [applied({ quarantinePath: 'quarantine/x' }), 'applied.quarantinePath'],
      [applied({ quarantinePath: '/var/lib/response-actions/quarantine/x\u0000' }), 'applied.quarantinePath'],
      [applied({ quarantinePath: '/var/lib/response-actions//quarantine/x' }), 'applied.quarantinePath'],
      [applied({ mode: '04755' }), 'applied.mode'],
      [applied({ mode: 0o17777 }), 'applied.mode'],
      [applied({ mode: -1 }), 'applied.mode'],
      [applied({ mode: 420.5 }), 'applied.mode'],
      [applied({ uid: -1 }), 'applied.uid'],
      [applied({ gid: 2 ** 32 }), 'applied.gid'],
      [applied({ path: '/etc/shadow', resolvedPath: '/etc/shadow' }), 'applied.path'],
      [applied({ containerId: 'f00d' }), 'applied.containerId'],
      [applied({ linkTarget: 'x'.repeat(5000) }), 'applied.linkTarget'],
      [{ status: 'Running', prior: { ...genuine.prior, mode: '04755' } }, 'prior.mode'],
      [{ status: 'Running', prior: { ...genuine.prior, extra: nested(6, 3) } }, 'prior.extra'],
      [{ status: 'Running', prior: nested(8, 2) }, 'prior.k0'],
      [{ status: 'Running', prior: [genuine.prior] }, 'prior'],
      [completed({ quarantinePath: '/tmp/../root/.ssh/authorized_keys' }), 'applied.quarantinePath'],
      [{ status: 'Completed', ...genuine, result: { ...genuine.result, size: '7' } }, 'result.size'],
      [{ status: 'Completed', ...genuine, result: { ...genuine.result, notes: Array.from({ length: 10_000 }, () => 'n') } }, 'result.notes'],
      [{ status: 'Error', error: { code: 'Failed', message: 'm' }, applied: { ...genuine.applied, mode: '4755' } }, 'applied.mode'],
    ]);
    expect(await record(action.id)).toEqual(before);

    // Act: the token was never completed, so the genuine report still ends the action.
    const accepted = await harness.call('POST', `/v1/actions/${action.id}/reports`, token, { status: 'Completed', ...genuine });
    const done = await harness.until(action.id, ended);

    // Assess
    expect(accepted.status).toBe(200);
    expect(done.status).toBe('Completed');
    expect([done.prior, done.applied, done.result]).toEqual([genuine.prior, genuine.applied, genuine.result]);
  });
});

describe('forged reports of other action types', () => {
  it.each([
    [
      'kill-process',
      'host' as const,
      { 'process.id': 4242 },
      [
        [{ status: 'Running', prior: { pid: '4242' } }, 'prior.pid'],
        [{ status: 'Running', applied: { pid: 1, startTime: '2026-03-01T12:00:00.000Z', signal: 'SIGKILL' } }, 'applied.pid'],
        [{ status: 'Running', applied: { pid: 4242, startTime: '2026-03-01T12:00:00.000Z', signal: 'SIGSTOP' } }, 'applied.signal'],
      ],
    ],
    [
      'stop-container',
      'host' as const,
      { 'container.id': 'c0ffee' },
      [
        [{ status: 'Running', applied: { containerId: 'c0ffee11', name: null, runtime: 'docker', namespace: null, stopped: 'yes' } }, 'applied.stopped'],
        [{ status: 'Running', applied: { containerId: 'beef', name: null, runtime: 'docker', namespace: null, stopped: true } }, 'applied.containerId'],
        [{ status: 'Running', applied: { containerId: 'c0ffee11', name: null, runtime: 'podman', namespace: null, stopped: true } }, 'applied.runtime'],
      ],
    ],
    [
      'acquire-file',
      'host' as const,
      { 'path.absolute': '/srv/evidence.log' },
      [[{ status: 'Running', applied: { moved: '/srv/evidence.log' } }, 'applied']],
    ],
    [
      'capture-process-state',
      'host' as const,
      { 'container.id': 'c0ffee' },
      [
        [{ status: 'Completed', result: { scope: 'host', containerId: null, processes: [] } }, 'result.processes'],
        [{ status: 'Completed', result: { scope: 'container', containerId: 7 } }, 'result.containerId'],
        [{ status: 'Running', applied: { captured: true } }, 'applied'],
      ],
    ],
    [
      'scale-workload',
      'kubernetes' as const,
      { ...cluster, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment', 'kubernetes.workload.replicas': 0 },
      [
        [{ status: 'Running', prior: { replicas: '3', currentReplicas: 3 } }, 'prior.replicas'],
        [{ status: 'Running', prior: { replicas: 3, currentReplicas: 3, hpa: true } }, 'prior.hpa'],
        [{ status: 'Running', applied: { replicas: { from: 3, to: -1 } } }, 'applied.replicas.to'],
      ],
    ],
    [
      'isolate-network',
      'kubernetes' as const,
      { ...cluster, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' },
      [
        [
          { status: 'Running', applied: { policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'allow-all', namespace: 'kube-system' }] } },
          'applied.policies.0.namespace',
        ],
        [{ status: 'Running', applied: { policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 7, namespace: 'payments' }] } }, 'applied.policies.0.name'],
      ],
    ],
    [
      'kubernetes-volume-snapshot',
      'kubernetes' as const,
      { ...cluster, 'kubernetes.persistentvolume.claim.name': ['data'] },
      [
        [{ status: 'Running', applied: { snapshots: [{ name: 'ra-snap-data', namespace: 'payments', pvc: 'data', uid: null, owner: 'x' }] } }, 'applied.snapshots.0.owner'],
        [{ status: 'Running', applied: { snapshots: 'ra-snap-data' } }, 'applied.snapshots'],
      ],
    ],
  ] as const)('%s: refused with 400 naming the field, the record unchanged', async (type, kind, inputs, cases) => {
    // Prepare
    const name = `forge-${type}`;
    const target = kind === 'host' ? { 'host.id': name } : { 'kubernetes.cluster.name': name };
    const { action, token } = await pickedUp(kind, name, type, { ...target, ...inputs });
    const before = await record(action.id);

    // Act + Assess
    await expectRefused(action.id, token, cases);
    expect(await record(action.id)).toEqual(before);
  });
});

describe('what the real host responder reports', () => {
  let quarantineDir: string;

  beforeAll(async () => {
    quarantineDir = join(files, 'state', 'quarantine');
    responders.push(await startTestResponder(harness, { name: 'real-1', actions: hostActions({ quarantineDir }) }));
  });

  const create = async (type: string, inputs: JsonObject): Promise<ActionRecord> => {
    const created = await harness.call('POST', '/v1/actions', await harness.analyst(), { type, inputs: { 'host.id': 'real-1', ...inputs } });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    return harness.until((created.body as ActionRecord).id, ended);
  };

  it('passes for file-quarantine, and its undo through the service restores the file', async () => {
    // Prepare
    const path = join(files, 'implant.sh');
    await writeFile(path, '#!/bin/sh\necho implant\n', { mode: 0o4755 });

    // Act
    const quarantined = await create('file-quarantine', { 'path.absolute': path });
    const undo = await harness.call('POST', `/v1/actions/${quarantined.id}/undo`, await harness.analyst(), {});
    const undone = await harness.until((undo.body as ActionRecord).id, ended);

    // Assess
    expect(quarantined.status, JSON.stringify(quarantined.error)).toBe('Completed');
    expect(quarantined.applied).toMatchObject({ path, quarantinePath: join(quarantineDir, quarantined.id), mode: 0o4755, method: 'rename' });
    expect(undone.status, JSON.stringify(undone.error)).toBe('Completed');
    expect(await readFile(path, 'utf8')).toBe('#!/bin/sh\necho implant\n');
  });

  it('passes for capture-process-state, its listings stored as evidence', async () => {
    // Act
    const captured = await create('capture-process-state', {});

    // Assess
    expect(captured.status, JSON.stringify(captured.error)).toBe('Completed');
    expect(captured.result).toMatchObject({ scope: 'host', containerId: null, processes: { truncated: false } });
    expect(Object.keys((captured.result as { evidence: JsonObject }).evidence)).toEqual(['processes', 'processesText', 'sockets', 'socketsText']);
  });

  it('passes for acquire-file and kill-process', async () => {
    // Prepare
    const path = join(files, 'access.log');
    await writeFile(path, 'GET /admin 200\n');
    const sleeper = await spawnSleeper();

    // Act
    const acquired = await create('acquire-file', { 'path.absolute': path });
    const killed = await create('kill-process', { 'process.id': sleeper.pid });
    sleeper.stop();

    // Assess
    expect(acquired.status, JSON.stringify(acquired.error)).toBe('Completed');
    expect(acquired.result).toMatchObject({ path, size: 15 });
    expect(killed.status, JSON.stringify(killed.error)).toBe('Completed');
    expect(killed.applied).toMatchObject({ pid: sleeper.pid, signal: 'SIGKILL' });
  });
});

describe('an undo of a record whose applied was forged before the schemas existed', () => {
  it('is refused with 409 naming the field, and no undo is created', async () => {
    // Prepare: written straight to the store, as an old or tampered record would be.
    const path = '/usr/bin/passwd';
    const original = createdRecord(
      {
        id: crypto.randomUUID(),
        type: 'file-quarantine',
        category: 'containment',
        executor: 'host',
        inputs: { 'host.id': 'old-1', 'path.absolute': path },
        resources: [{ key: `host/old-1/file/${path}`, kind: 'file' }],
        createdBy: 'analyst-1',
        undoType: 'file-unquarantine',
      },
      new Date(),
    );
    const repository = harness.service.repository;
    await repository.create(original);
    await repository.transition(original.id, 'Enqueued');
    await repository.transition(original.id, 'Running');
    const forged = { ...quarantineReport(path, original.id).applied, quarantinePath: '/home/mallory/../mallory/evil', mode: 0o4755 };
    await repository.transition(original.id, 'Completed', { applied: forged, result: quarantineReport(path, original.id).result });
    const before = await record(original.id);

    // Act
    const undo = await harness.call('POST', `/v1/actions/${original.id}/undo`, await harness.analyst(), {});

    // Assess
    expect(undo.status).toBe(409);
    expect(undo.contentType).toBe('application/problem+json');
    expect((undo.body as { errors?: { path: string }[] }).errors?.map((error) => error.path)).toContain('applied.quarantinePath');
    expect(await record(original.id)).toEqual(before);
    expect(before.undo).toMatchObject({ available: true, actionId: null });
  });
});
