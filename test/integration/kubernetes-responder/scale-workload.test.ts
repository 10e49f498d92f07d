import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UndoSource } from '#shared/responders/protocol.ts';
import { execute, executeFailing, harness } from './support/harness.ts';
import type { Harness } from './support/harness.ts';
import { clusterName, namespace, notFound, ok, scale } from './support/kubernetes-objects.ts';
import type { Reply } from './support/test-api-server.ts';
import { TestApiServer } from './support/test-api-server.ts';
import { validatePatchedScale } from './support/validate.ts';

let server: TestApiServer;
let h: Harness;

beforeAll(async () => {
  server = await TestApiServer.start();
  h = harness(server);
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

const scalePath = (resource: string, name: string) => `/apis/apps/v1/namespaces/${namespace}/${resource}/${name}/scale`;
const inputs = (type: string, name: string, replicas?: number) => ({
  'kubernetes.cluster.name': clusterName,
  'kubernetes.namespace.name': namespace,
  'kubernetes.workload.name': name,
  'kubernetes.workload.type': type,
  ...(replicas === undefined ? {} : { 'kubernetes.workload.replicas': replicas }),
});
const scaledBy = (from: number, to: number): UndoSource => ({
  actionId: '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6',
  type: 'scale-workload',
  prior: { replicas: from, currentReplicas: from },
  applied: { replicas: { from, to } },
  result: null,
});
const conflict: Reply = {
  status: 409,
  json: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    reason: 'Conflict',
    details: { name: 'web', group: 'apps', kind: 'deployments' },
    code: 409,
  },
};

describe('scale-workload', () => {
  it('saves the replica count and scales to 0 through the scale subresource, guarded by the resourceVersion it read', async () => {
    // Prepare
    const path = scalePath('deployments', 'web');
    const body = { metadata: { resourceVersion: '48213' }, spec: { replicas: 0 } };
    server.expect(
      { method: 'GET', path, reply: ok(scale('web', 3)) },
      { method: 'PATCH', path, contentType: 'application/merge-patch+json', body, reply: ok(scale('web', 0, 3, '48290')) },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'scale-workload', inputs: inputs('deployment', 'web') });

    // Assess
    server.assertDone();
    validatePatchedScale(scale('web', 3), body);
    expect(outcome).toEqual({
      prior: { replicas: 3, currentReplicas: 3 },
      applied: { replicas: { from: 3, to: 0 } },
      result: { workload: { type: 'deployment', name: 'web', namespace }, replicas: 0, previousReplicas: 3, changed: true },
    });
    expect(run.progress).toEqual([{ prior: { replicas: 3, currentReplicas: 3 } }]);
  });

  it('scales a StatefulSet and a ReplicaSet to the count asked for', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: scalePath('statefulsets', 'db'), reply: ok(scale('db', 2)) },
      { method: 'PATCH', path: scalePath('statefulsets', 'db'), contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '48213' }, spec: { replicas: 1 } }, reply: ok(scale('db', 1, 2)) },
      { method: 'GET', path: scalePath('replicasets', 'web-7d9f8c6b5'), reply: ok(scale('web-7d9f8c6b5', 3)) },
      { method: 'PATCH', path: scalePath('replicasets', 'web-7d9f8c6b5'), contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '48213' }, spec: { replicas: 0 } }, reply: ok(scale('web-7d9f8c6b5', 0, 3)) },
    );

    // Act
    const statefulSet = await execute(h, { type: 'scale-workload', inputs: inputs('statefulset', 'db', 1) });
    const replicaSet = await execute(h, { type: 'scale-workload', inputs: inputs('replicaset', 'web-7d9f8c6b5') });

    // Assess
    server.assertDone();
    expect(statefulSet.outcome.applied).toEqual({ replicas: { from: 2, to: 1 } });
    expect(replicaSet.outcome.applied).toEqual({ replicas: { from: 3, to: 0 } });
  });

  it('changes nothing, and applies nothing, when the workload already has that count', async () => {
    // Prepare
    server.expect({ method: 'GET', path: scalePath('deployments', 'web'), reply: ok(scale('web', 0, 0)) });

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

  it('fails with Conflict when the count changed between the read and the write, and TargetNotFound for a missing workload', async () => {
    // Prepare
    const path = scalePath('deployments', 'web');
    server.expect(
      { method: 'GET', path, reply: ok(scale('web', 3)) },
      { method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '48213' }, spec: { replicas: 0 } }, reply: conflict },
      { method: 'GET', path: scalePath('deployments', 'api'), reply: notFound('deployments', 'api', 'apps') },
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
  it('puts back the saved count, with no drift when the count is still what scale-workload set', async () => {
    // Prepare
    const path = scalePath('deployments', 'web');
    server.expect(
      { method: 'GET', path, reply: ok(scale('web', 0, 0, '48290')) },
      { method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '48290' }, spec: { replicas: 3 } }, reply: ok(scale('web', 3, 0, '48301')) },
    );

    // Act
    const { outcome } = await execute(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(3, 0) });

    // Assess
    server.assertDone();
    expect(outcome).toEqual({
      prior: { replicas: 0, currentReplicas: 0 },
      applied: { replicas: { from: 0, to: 3 } },
      result: { workload: { type: 'deployment', name: 'web', namespace }, replicas: 3, previousReplicas: 0, drift: null, changed: true },
    });
  });

  it('reports drift when someone scaled the workload since, and restores the saved count anyway', async () => {
    // Prepare
    const path = scalePath('deployments', 'web');
    server.expect(
      { method: 'GET', path, reply: ok(scale('web', 1, 1, '48355')) },
      { method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '48355' }, spec: { replicas: 3 } }, reply: ok(scale('web', 3, 1)) },
      { method: 'GET', path, reply: ok(scale('web', 3, 3)) },
    );

    // Act
    const drifted = await execute(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(3, 0) });
    const alreadyBack = await execute(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: scaledBy(3, 0) });

    // Assess
    server.assertDone();
    expect(drifted.outcome.result).toMatchObject({ drift: { expected: 0, actual: 1 }, previousReplicas: 1, replicas: 3, changed: true });
    expect(drifted.outcome.applied).toEqual({ replicas: { from: 1, to: 3 } });
    expect(alreadyBack.outcome.result).toMatchObject({ drift: { expected: 0, actual: 3 }, changed: false });
    expect(alreadyBack.outcome.applied).toBeUndefined();
  });

  it('refuses without a saved count', async () => {
    // Act
    const noUndo = await executeFailing(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web') });
    const noCount = await executeFailing(h, { type: 'restore-workload-scale', inputs: inputs('deployment', 'web'), undoOf: { ...scaledBy(3, 0), prior: null } });

    // Assess
    expect(noUndo.error.code).toBe('NothingToUndo');
    expect(noCount.error.message).toBe('restore-workload-scale needs the replica count a scale-workload saved; action 0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6 saved none');
    expect(server.received).toEqual([]);
  });
});
