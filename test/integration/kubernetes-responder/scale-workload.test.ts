import { describe, expect, it } from 'vitest';
import type { UndoSource } from '#shared/responders/protocol.ts';
import { actionId, execute, executeFailing } from './support/harness.ts';
import { clusterName, conflicting, namespace, notFound, ok, scalable } from './support/kubernetes-objects.ts';
import type { ScalableOptions } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import type { Reply } from './support/test-api-server.ts';
import { mergePatch, validatePatchedWorkload } from './support/validate.ts';

useTestApiServer();

const scaledFrom = 'response-actions.io/scaled-from';
const originalId = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const record = (id: string, replicas: number) => JSON.stringify({ actionId: id, replicas });
const workloadPath = (resource: string, name: string) => `/apis/apps/v1/namespaces/${namespace}/${resource}/${name}`;
const webPath = workloadPath('deployments', 'web');
const web = (options: ScalableOptions) => scalable('deployment', 'web', options);
/** The object after `patch`, with the resourceVersion the API server gives it. */
const patched = (object: Record<string, unknown>, patch: unknown, resourceVersion = '48290'): Reply => {
  const after = mergePatch(object, patch) as Record<string, unknown>;
  return ok({ ...after, metadata: { ...(after['metadata'] as Record<string, unknown>), resourceVersion } });
};
const inputs = (type: string, name: string, replicas?: number) => ({
  'kubernetes.cluster.name': clusterName,
  'kubernetes.namespace.name': namespace,
  'kubernetes.workload.name': name,
  'kubernetes.workload.type': type,
  ...(replicas === undefined ? {} : { 'kubernetes.workload.replicas': replicas }),
});
const scaledBy = (from: number, to: number): UndoSource => ({
  actionId: originalId,
  type: 'scale-workload',
  prior: { replicas: from, currentReplicas: from },
  applied: { replicas: { from, to } },
  result: null,
});
const conflict = conflicting('deployments', 'web', 'apps');

describe('scale-workload', () => {
  it('saves the replica count and scales to 0, recording the count on the workload in the same patch, guarded by the resourceVersion it read', async () => {
    // Prepare
    const before = web({ replicas: 3 });
    const body = { metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: record(actionId, 3) } }, spec: { replicas: 0 } };
    server.expect(
      { method: 'GET', path: webPath, reply: ok(before) },
      { method: 'PATCH', path: webPath, contentType: 'application/merge-patch+json', body, reply: patched(before, body) },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'scale-workload', inputs: inputs('deployment', 'web') });

    // Assess
    server.assertDone();
    validatePatchedWorkload('Deployment', before, body);
    expect(outcome).toEqual({
      prior: { replicas: 3, currentReplicas: 3 },
      applied: { replicas: { from: 3, to: 0 } },
      result: { workload: { type: 'deployment', name: 'web', namespace }, replicas: 0, previousReplicas: 3, changed: true },
    });
    expect(run.progress).toEqual([{ prior: { replicas: 3, currentReplicas: 3 } }]);
  });

  it('scales a StatefulSet and a ReplicaSet to the count asked for', async () => {
    // Prepare
    const db = scalable('statefulset', 'db', { replicas: 2 });
    const dbBody = { metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: record(actionId, 2) } }, spec: { replicas: 1 } };
    const rs = scalable('replicaset', 'web-7d9f8c6b5', { replicas: 3 });
    const rsBody = { metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: record(actionId, 3) } }, spec: { replicas: 0 } };
    server.expect(
      { method: 'GET', path: workloadPath('statefulsets', 'db'), reply: ok(db) },
      { method: 'PATCH', path: workloadPath('statefulsets', 'db'), contentType: 'application/merge-patch+json', body: dbBody, reply: patched(db, dbBody) },
      { method: 'GET', path: workloadPath('replicasets', 'web-7d9f8c6b5'), reply: ok(rs) },
      { method: 'PATCH', path: workloadPath('replicasets', 'web-7d9f8c6b5'), contentType: 'application/merge-patch+json', body: rsBody, reply: patched(rs, rsBody) },
    );

    // Act
    const statefulSet = await execute(h, { type: 'scale-workload', inputs: inputs('statefulset', 'db', 1) });
    const replicaSet = await execute(h, { type: 'scale-workload', inputs: inputs('replicaset', 'web-7d9f8c6b5') });

    // Assess
    server.assertDone();
    validatePatchedWorkload('StatefulSet', db, dbBody);
    expect(statefulSet.outcome.applied).toEqual({ replicas: { from: 2, to: 1 } });
    expect(replicaSet.outcome.applied).toEqual({ replicas: { from: 3, to: 0 } });
  });

  it('changes nothing, and applies nothing, when the workload already has that count', async () => {
    // Prepare
    server.expect({ method: 'GET', path: webPath, reply: ok(web({ replicas: 0 })) });

    // Act
    const { outcome, run } = await execute(h, { type: 'scale-workload', inputs: inputs('deployment', 'web') });

    // Assess
    server.assertDone();
    expect(outcome).toEqual({
      prior: { replicas: 0, currentReplicas: 0 },
      result: { workload: { type: 'deployment', name: 'web', namespace }, replicas: 0, previousReplicas: 0, changed: false },
    });
    expect(run.progress).toEqual([]);
  });

  it('keeps the record an earlier scale left, so the count before any containment is what an undo restores', async () => {
    // Prepare
    const before = web({ replicas: 1, annotations: { [scaledFrom]: record(originalId, 3) } });
    const body = { metadata: { resourceVersion: '48213' }, spec: { replicas: 0 } };
    server.expect(
      { method: 'GET', path: webPath, reply: ok(before) },
      { method: 'PATCH', path: webPath, contentType: 'application/merge-patch+json', body, reply: patched(before, body) },
    );

    // Act
    const { outcome } = await execute(h, { type: 'scale-workload', inputs: inputs('deployment', 'web') });

    // Assess
    server.assertDone();
    expect(outcome.applied).toEqual({ replicas: { from: 1, to: 0 } });
  });

  it('fails with Conflict when the workload changed between the read and the write, and TargetNotFound for a missing workload', async () => {
    // Prepare
    const body = { metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: record(actionId, 3) } }, spec: { replicas: 0 } };
    server.expect(
      { method: 'GET', path: webPath, reply: ok(web({ replicas: 3 })) },
      { method: 'PATCH', path: webPath, contentType: 'application/merge-patch+json', body, reply: conflict },
      { method: 'GET', path: workloadPath('deployments', 'api'), reply: notFound('deployments', 'api', 'apps') },
    );

    // Act
    const raced = await executeFailing(h, { type: 'scale-workload', inputs: inputs('deployment', 'web') });
    const missing = await executeFailing(h, { type: 'scale-workload', inputs: inputs('deployment', 'api') });

    // Assess
    server.assertDone();
    expect(raced.error.code).toBe('Conflict');
    expect(raced.error.message).toContain('the object has been modified');
    expect(missing.error.code).toBe('TargetNotFound');
  });
});

describe('restore-workload-scale', () => {
  const restoreBody = (replicas: number, resourceVersion: string) => ({ metadata: { resourceVersion, annotations: { [scaledFrom]: null } }, spec: { replicas } });

  it('puts back exactly the count recorded on the workload and removes the record in the same patch, with no drift when the count is still what scale-workload set', async () => {
    // Prepare
    const now = web({ replicas: 0, resourceVersion: '48290', annotations: { [scaledFrom]: record(originalId, 3) } });
    const body = restoreBody(3, '48290');
    server.expect(
      { method: 'GET', path: webPath, reply: ok(now) },
      { method: 'PATCH', path: webPath, contentType: 'application/merge-patch+json', body, reply: patched(now, body, '48301') },
    );

    // Act
    const { outcome } = await execute(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(3, 0) });

    // Assess
    server.assertDone();
    validatePatchedWorkload('Deployment', now, body);
    expect(outcome).toEqual({
      prior: { replicas: 0, currentReplicas: 0 },
      applied: { replicas: { from: 0, to: 3 } },
      result: { workload: { type: 'deployment', name: 'web', namespace }, replicas: 3, previousReplicas: 0, drift: null, changed: true },
    });
  });

  it('refuses a forged report whose prior count is not the one recorded on the workload (UndoMismatch), and patches nothing', async () => {
    // Prepare: a stolen responder token reported prior.replicas 100000 for the scale that took 3 to 0.
    server.expect({ method: 'GET', path: webPath, reply: ok(web({ replicas: 0, annotations: { [scaledFrom]: record(originalId, 3) } })) });

    // Act
    const forged = await executeFailing(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(100_000, 0) });

    // Assess
    server.assertDone();
    expect(forged.error.code).toBe('UndoMismatch');
    expect(forged.error.message).toBe(
      `deployment web in namespace ${namespace} recorded 3 replicas before action ${originalId}, but the action's report says 100000; nothing was changed`,
    );
    expect(server.received.map((request) => request.method)).toEqual(['GET']);
    expect(forged.run.progress).toEqual([]);
  });

  it('refuses when the record on the workload is missing, malformed, edited or another action’s, and patches nothing', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: webPath, reply: ok(web({ replicas: 0 })) },
      { method: 'GET', path: webPath, reply: ok(web({ replicas: 0, annotations: { [scaledFrom]: '{"actionId":"x","replicas":"3"}' } })) },
      { method: 'GET', path: webPath, reply: ok(web({ replicas: 0, annotations: { [scaledFrom]: record(originalId, 50) } })) },
      { method: 'GET', path: webPath, reply: ok(web({ replicas: 0, annotations: { [scaledFrom]: record(actionId, 3) } })) },
    );
    const undo = { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(3, 0) };

    // Act
    const missing = await executeFailing(h, undo);
    const malformed = await executeFailing(h, undo);
    const edited = await executeFailing(h, undo);
    const another = await executeFailing(h, undo);

    // Assess
    server.assertDone();
    expect([missing, malformed, edited, another].map(({ error }) => error.code)).toEqual(['UndoMismatch', 'UndoMismatch', 'UndoMismatch', 'UndoMismatch']);
    expect(missing.error.message).toContain(`carries no ${scaledFrom} annotation`);
    expect(malformed.error.message).toContain('is not scale-workload');
    expect(edited.error.message).toContain('recorded 50 replicas before action');
    expect(another.error.message).toContain(`by action ${actionId}, not ${originalId}`);
    expect(server.received.map((request) => request.method)).toEqual(['GET', 'GET', 'GET', 'GET']);
  });

  it('reports drift when someone scaled the workload since, restores the recorded count anyway, and removes the record even when the count is already back', async () => {
    // Prepare
    const drifted = web({ replicas: 1, resourceVersion: '48355', annotations: { [scaledFrom]: record(originalId, 3) } });
    const back = web({ replicas: 3, resourceVersion: '48360', annotations: { [scaledFrom]: record(originalId, 3) } });
    server.expect(
      { method: 'GET', path: webPath, reply: ok(drifted) },
      { method: 'PATCH', path: webPath, contentType: 'application/merge-patch+json', body: restoreBody(3, '48355'), reply: patched(drifted, restoreBody(3, '48355')) },
      { method: 'GET', path: webPath, reply: ok(back) },
      { method: 'PATCH', path: webPath, contentType: 'application/merge-patch+json', body: restoreBody(3, '48360'), reply: patched(back, restoreBody(3, '48360')) },
    );

    // Act
    const driftedUndo = await execute(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(3, 0) });
    const alreadyBack = await execute(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(3, 0) });

    // Assess
    server.assertDone();
    expect(driftedUndo.outcome.result).toMatchObject({ drift: { expected: 0, actual: 1 }, previousReplicas: 1, replicas: 3, changed: true });
    expect(driftedUndo.outcome.applied).toEqual({ replicas: { from: 1, to: 3 } });
    expect(alreadyBack.outcome.result).toMatchObject({ drift: { expected: 0, actual: 3 }, changed: false });
    expect(alreadyBack.outcome.applied).toBeUndefined();
  });

  it('refuses without a saved count', async () => {
    // Act
    const noUndo = await executeFailing(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web') });
    const noCount = await executeFailing(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: { ...scaledBy(3, 0), prior: null } });

    // Assess
    expect(noUndo.error.code).toBe('NothingToUndo');
    expect(noCount.error.message).toBe(`restore-workload-scale needs the replica count a scale-workload saved; action ${originalId} saved none`);
    expect(server.received).toEqual([]);
  });
});
