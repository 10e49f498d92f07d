import { describe, expect, it } from 'vitest';
import { execute, executeFailing } from './support/harness.ts';
import { clusterName, deployment, forbidden, namespace, notFound, objectMeta, ok } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import { mergePatch, validatePatchedWorkload } from './support/validate.ts';

useTestApiServer();

const restartPatch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-03-01T12:00:00Z' } } } } };
const workInputs = (type: string, name: string) => ({
  'kubernetes.cluster.name': clusterName,
  'kubernetes.namespace.name': namespace,
  'kubernetes.workload.name': name,
  'kubernetes.workload.type': type,
});

function statefulSet(updateStrategy: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta('db'),
    spec: {
      serviceName: 'db',
      replicas: 2,
      selector: { matchLabels: { app: 'db' } },
      updateStrategy: { type: updateStrategy },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'postgres', image: 'postgres:17' }] } },
    },
  };
}

describe('rollout-restart', () => {
  it('sets restartedAt on the pod template with a strategic merge patch, as kubectl does', async () => {
    // Prepare
    const path = `/apis/apps/v1/namespaces/${namespace}/deployments/web`;
    server.expect(
      { method: 'GET', path, reply: ok(deployment('web')) },
      {
        method: 'PATCH',
        path,
        contentType: 'application/strategic-merge-patch+json',
        body: restartPatch,
        reply: ok(mergePatch(deployment('web'), { ...restartPatch, metadata: { generation: 4, resourceVersion: '48214' } })),
      },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'rollout-restart', inputs: workInputs('deployment', 'web') });

    // Assess
    server.assertDone();
    validatePatchedWorkload('Deployment', deployment('web'), server.bodiesOf('PATCH', path)[0]);
    expect(outcome).toEqual({
      prior: { restartedAt: '2026-02-01T09:00:00Z', generation: 3, updateStrategy: 'RollingUpdate' },
      applied: { annotation: 'kubectl.kubernetes.io/restartedAt', value: '2026-03-01T12:00:00Z' },
      result: {
        workload: { kind: 'Deployment', name: 'web', namespace },
        restartedAt: '2026-03-01T12:00:00Z',
        previousRestartedAt: '2026-02-01T09:00:00Z',
        generation: 4,
        rollsPods: true,
      },
    });
    expect(run.progress).toEqual([{ prior: outcome.prior }]);
  });

  it('restarts a StatefulSet and says an OnDelete strategy replaces pods only as they are deleted', async () => {
    // Prepare
    const path = `/apis/apps/v1/namespaces/${namespace}/statefulsets/db`;
    server.expect(
      { method: 'GET', path, reply: ok(statefulSet('OnDelete')) },
      { method: 'PATCH', path, contentType: 'application/strategic-merge-patch+json', body: restartPatch, reply: ok(mergePatch(statefulSet('OnDelete'), restartPatch)) },
    );

    // Act
    const { outcome } = await execute(h, { type: 'rollout-restart', inputs: workInputs('statefulset', 'db') });

    // Assess
    server.assertDone();
    validatePatchedWorkload('StatefulSet', statefulSet('OnDelete'), server.bodiesOf('PATCH', path)[0]);
    expect(outcome.prior).toEqual({ restartedAt: null, generation: 3, updateStrategy: 'OnDelete' });
    expect(outcome.result).toMatchObject({ rollsPods: false, note: 'the OnDelete update strategy replaces each pod only when it is deleted' });
  });

  it('refuses a paused Deployment, as kubectl does, without patching', async () => {
    // Prepare
    server.expect({ method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/deployments/web`, reply: ok(deployment('web', { paused: true })) });

    // Act
    const { error } = await executeFailing(h, { type: 'rollout-restart', inputs: workInputs('deployment', 'web') });

    // Assess
    server.assertDone();
    expect(error.code).toBe('WorkloadPaused');
    expect(error.message).toBe(`deployment web in namespace ${namespace} is paused: resume it (kubectl rollout resume) before restarting, as kubectl requires`);
  });

  it('maps a missing DaemonSet to TargetNotFound and a refused patch to AccessDenied', async () => {
    // Prepare
    const path = `/apis/apps/v1/namespaces/${namespace}/deployments/web`;
    server.expect(
      { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/daemonsets/agent`, reply: notFound('daemonsets', 'agent', 'apps') },
      { method: 'GET', path, reply: ok(deployment('web')) },
      { method: 'PATCH', path, contentType: 'application/strategic-merge-patch+json', body: restartPatch, reply: forbidden('patch', 'deployments', 'apps', namespace, 'web') },
    );

    // Act
    const missing = await executeFailing(h, { type: 'rollout-restart', inputs: workInputs('daemonset', 'agent') });
    const refused = await executeFailing(h, { type: 'rollout-restart', inputs: workInputs('deployment', 'web') });

    // Assess
    server.assertDone();
    expect(missing.error.code).toBe('TargetNotFound');
    expect(missing.error.message).toContain('daemonsets "agent" in namespace shop does not exist');
    expect(refused.error.code).toBe('AccessDenied');
    expect(refused.error.message).toContain('may not patch deployments (API group apps) "web" in namespace shop: grant "patch" on "deployments" in group "apps"');
  });
});
