/**
 * The cluster responder's own action code, run against the Kubernetes test API server, reports
 * what the service's report schemas accept: its progress and its outcome, then the undo it feeds.
 */
import { describe, expect, it } from 'vitest';
import { reportProblems } from '#shared/responders/report-schemas/index.ts';
import type { JsonValue } from '#shared/json.ts';
import type { ResponderOutcome } from '#shared/responders/protocol.ts';
import { actionId, execute } from '../kubernetes-responder/support/harness.ts';
import { clusterName, deployment, namespace, ok, pod, replicaSet, scalable } from '../kubernetes-responder/support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from '../kubernetes-responder/support/test-api-server-hooks.ts';

useTestApiServer();

const where = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace };

/** Every report the run would have sent: each recordProgress, then the Completed outcome. */
function problemsOf(type: string, inputs: Readonly<Record<string, unknown>>, progress: readonly { prior?: JsonValue; applied?: JsonValue }[], outcome: ResponderOutcome) {
  const action = { type, executor: 'kubernetes', inputs };
  return [...progress.map((step) => reportProblems(action, step)), reportProblems(action, outcome)].flat();
}

describe('what the real cluster responder reports', () => {
  it('passes for delete-pod', async () => {
    // Prepare
    const podPath = `/api/v1/namespaces/${namespace}/pods/web-7d9f8c6b5-x8k2p`;
    const inputs = { ...where, 'kubernetes.pod.name': 'web-7d9f8c6b5-x8k2p' };
    server.expect(
      { method: 'GET', path: podPath, reply: ok(pod('web-7d9f8c6b5-x8k2p')) },
      { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/replicasets/web-7d9f8c6b5`, reply: ok(replicaSet('web-7d9f8c6b5', { kind: 'Deployment', name: 'web' })) },
      { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/deployments/web`, reply: ok(deployment('web')) },
      { method: 'DELETE', path: podPath, contentType: 'application/json', body: { preconditions: { uid: 'uid-web-7d9f8c6b5-x8k2p' } }, reply: ok(pod('web-7d9f8c6b5-x8k2p')) },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'delete-pod', inputs });

    // Assess
    server.assertDone();
    expect(run.progress).toHaveLength(1);
    expect(problemsOf('delete-pod', inputs, run.progress, outcome)).toEqual([]);
  });

  it('passes for scale-workload and for the restore-workload-scale that undoes it', async () => {
    // Prepare
    const path = `/apis/apps/v1/namespaces/${namespace}/deployments/web`;
    const inputs = { ...where, 'kubernetes.workload.name': 'web', 'kubernetes.workload.type': 'deployment' };
    const scaledFrom = { 'response-actions.io/scaled-from': JSON.stringify({ actionId, replicas: 3 }) };
    const scaleBody = { metadata: { resourceVersion: '48213', annotations: scaledFrom }, spec: { replicas: 0 } };
    const restoreBody = { metadata: { resourceVersion: '48290', annotations: { 'response-actions.io/scaled-from': null } }, spec: { replicas: 3 } };
    const scaledWeb = scalable('deployment', 'web', { replicas: 0, statusReplicas: 3, resourceVersion: '48290', annotations: scaledFrom });
    server.expect(
      { method: 'GET', path, reply: ok(scalable('deployment', 'web', { replicas: 3 })) },
      { method: 'PATCH', path, contentType: 'application/merge-patch+json', body: scaleBody, reply: ok(scaledWeb) },
      { method: 'GET', path, reply: ok(scaledWeb) },
      { method: 'PATCH', path, contentType: 'application/merge-patch+json', body: restoreBody, reply: ok(scalable('deployment', 'web', { replicas: 3, statusReplicas: 3, resourceVersion: '48300' })) },
    );

    // Act
    const scaled = await execute(h, { type: 'scale-workload', inputs });
    const undoOf = { actionId, type: 'scale-workload', prior: scaled.outcome.prior ?? null, applied: scaled.outcome.applied ?? null, result: scaled.outcome.result };
    const restored = await execute(h, { type: 'restore-workload-scale', inputs, undoOf });

    // Assess
    server.assertDone();
    expect(scaled.outcome.applied).toEqual({ replicas: { from: 3, to: 0 } });
    expect(problemsOf('scale-workload', inputs, scaled.run.progress, scaled.outcome)).toEqual([]);
    expect(restored.outcome.applied).toEqual({ replicas: { from: 0, to: 3 } });
    expect(problemsOf('restore-workload-scale', inputs, restored.run.progress, restored.outcome)).toEqual([]);
  });
});
