import { describe, expect, it } from 'vitest';
import { execute, executeFailing, responderSelf } from './support/harness.ts';
import { clusterName, deployment, forbidden, namespace, notFound, ok, pod, replicaSet } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';

useTestApiServer();

const podPath = `/api/v1/namespaces/${namespace}/pods/web-7d9f8c6b5-x8k2p`;
const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': 'web-7d9f8c6b5-x8k2p' };

describe('delete-pod', () => {
  it('records the owner chain and phase, then deletes exactly the inspected pod (uid precondition)', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: podPath, reply: ok(pod('web-7d9f8c6b5-x8k2p')) },
      { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/replicasets/web-7d9f8c6b5`, reply: ok(replicaSet('web-7d9f8c6b5', { kind: 'Deployment', name: 'web' })) },
      { method: 'GET', path: `/apis/apps/v1/namespaces/${namespace}/deployments/web`, reply: ok(deployment('web')) },
      {
        method: 'DELETE',
        path: podPath,
        contentType: 'application/json',
        body: { preconditions: { uid: 'uid-web-7d9f8c6b5-x8k2p' } },
        reply: ok(pod('web-7d9f8c6b5-x8k2p', { status: { phase: 'Running' } })),
      },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'delete-pod', inputs });

    // Assess
    server.assertDone();
    const prior = {
      pod: {
        name: 'web-7d9f8c6b5-x8k2p',
        namespace,
        uid: 'uid-web-7d9f8c6b5-x8k2p',
        phase: 'Running',
        nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal',
        ownerChain: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'uid-web-7d9f8c6b5', state: 'read' },
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', state: 'read' },
        ],
      },
    };
    expect(outcome).toEqual({
      prior,
      applied: { deleted: [{ kind: 'Pod', namespace, name: 'web-7d9f8c6b5-x8k2p', uid: 'uid-web-7d9f8c6b5-x8k2p' }] },
      result: {
        deleted: true,
        pod: 'web-7d9f8c6b5-x8k2p',
        uid: 'uid-web-7d9f8c6b5-x8k2p',
        replacementExpected: true,
        controller: { kind: 'ReplicaSet', name: 'web-7d9f8c6b5' },
      },
    });
    // The prior state was stored before the delete.
    expect(run.progress).toEqual([{ prior }]);
  });

  it('says no replacement is expected for a bare pod, and stops the chain at a kind it may not read', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: podPath, reply: ok(pod('web-7d9f8c6b5-x8k2p', { owner: null })) },
      { method: 'DELETE', path: podPath, contentType: 'application/json', body: { preconditions: { uid: 'uid-web-7d9f8c6b5-x8k2p' } }, reply: ok(pod('web-7d9f8c6b5-x8k2p')) },
      { method: 'GET', path: podPath, reply: ok(pod('web-7d9f8c6b5-x8k2p', { owner: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web' } })) },
      { method: 'DELETE', path: podPath, contentType: 'application/json', body: { preconditions: { uid: 'uid-web-7d9f8c6b5-x8k2p' } }, reply: ok(pod('web-7d9f8c6b5-x8k2p')) },
    );

    // Act
    const bare = await execute(h, { type: 'delete-pod', inputs });
    const custom = await execute(h, { type: 'delete-pod', inputs });

    // Assess
    server.assertDone();
    expect(bare.outcome.result).toMatchObject({ replacementExpected: false, controller: null });
    expect(custom.outcome.prior).toMatchObject({
      pod: { ownerChain: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'uid-web', state: 'not-read' }] },
    });
    expect(custom.outcome.result).toMatchObject({ replacementExpected: true, controller: { kind: 'Rollout', name: 'web' } });
  });

  it('ends in TargetNotFound when the pod does not exist, deleting nothing', async () => {
    // Prepare
    server.expect({ method: 'GET', path: podPath, reply: notFound('pods', 'web-7d9f8c6b5-x8k2p') });

    // Act
    const { error, run } = await executeFailing(h, { type: 'delete-pod', inputs });

    // Assess
    server.assertDone();
    expect(error.code).toBe('TargetNotFound');
    expect(error.message).toContain(`pods "web-7d9f8c6b5-x8k2p" in namespace ${namespace} does not exist`);
    expect(run.progress).toEqual([]);
  });

  it('ends in AccessDenied naming the verb and resource the ServiceAccount lacks', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: podPath, reply: ok(pod('web-7d9f8c6b5-x8k2p', { owner: null })) },
      {
        method: 'DELETE',
        path: podPath,
        contentType: 'application/json',
        body: { preconditions: { uid: 'uid-web-7d9f8c6b5-x8k2p' } },
        reply: forbidden('delete', 'pods', '', namespace, 'web-7d9f8c6b5-x8k2p'),
      },
    );

    // Act
    const { error, run } = await executeFailing(h, { type: 'delete-pod', inputs });

    // Assess
    server.assertDone();
    expect(error.code).toBe('AccessDenied');
    expect(error.message).toMatch(/^the responder's ServiceAccount may not delete pods \(the core API group\) "web-7d9f8c6b5-x8k2p" in namespace shop: grant "delete" on "pods"/);
    expect(error.message).toContain('cannot delete resource "pods"');
    // Prior was recorded before the refused delete.
    expect(run.progress).toHaveLength(1);
  });

  it('refuses the responder’s own pod without calling the API server', async () => {
    // Prepare
    const own = { ...inputs, 'kubernetes.namespace.name': responderSelf.namespace, 'kubernetes.pod.name': responderSelf.podName };

    // Act
    const { error } = await executeFailing(h, { type: 'delete-pod', inputs: own });

    // Assess
    expect(error.code).toBe('ProtectedTarget');
    expect(error.message).toContain(`pod ${responderSelf.podName} is the responder itself`);
    expect(server.received).toEqual([]);
  });
});
