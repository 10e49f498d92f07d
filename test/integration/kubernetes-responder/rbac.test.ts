/**
 * RBAC as the shipped manifests define it (issue 9, item 7): the responder may read everywhere,
 * but write only in namespaces a RoleBinding names (rolebindings/shop.yaml). The test API server
 * decides each request from the manifests' roles and bindings in the request's namespace; every
 * refusal below is its 403, not a reply the test wrote. So a write in an unbound namespace, in
 * kube-system with the responder's guard switched off, or straight through the client into the
 * responder's own namespace, is refused by the cluster itself and changes nothing.
 */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callOptions, patchContentTypes } from '../../../responders/kubernetes/cluster.ts';
import { executeFailing, harness, responderSelf } from './support/harness.ts';
import { clusterName, deployment, ok, pod } from './support/kubernetes-objects.ts';
import { refusedByRbac, TestApiServer } from './support/test-api-server.ts';

let server: TestApiServer;

beforeAll(async () => {
  server = await TestApiServer.start();
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
});

/** `object` as the API server would serve it from `namespace`. */
function servedFrom(namespace: string, object: Record<string, unknown>): Record<string, unknown> {
  return { ...object, metadata: { ...(object['metadata'] as Record<string, unknown>), namespace } };
}

const restartPatch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-03-01T12:00:00Z' } } } } };

/** The writes the server let through: every write it received, less those it refused. */
function writesLetThrough(refused: readonly string[]): string[] {
  return server.received
    .filter((request) => request.method !== 'GET')
    .map((request) => `${request.method} ${request.path}`)
    .filter((request) => !refused.includes(request));
}

describe('writes outside the namespaces the manifests bind', () => {
  it('rollout-restart in a namespace no RoleBinding names: the read is granted, the patch refused 403, AccessDenied names the RoleBinding to add', async () => {
    // Prepare
    const path = '/apis/apps/v1/namespaces/payments/deployments/web';
    server.expect(
      { method: 'GET', path, reply: ok(servedFrom('payments', deployment('web'))) },
      { method: 'PATCH', path, contentType: patchContentTypes.strategicMerge, body: restartPatch, reply: refusedByRbac },
    );
    const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': 'payments', 'kubernetes.workload.name': 'web', 'kubernetes.workload.type': 'deployment' };

    // Act
    const { error } = await executeFailing(harness(server), { type: 'rollout-restart', inputs });

    // Assess
    server.assertDone();
    expect(error.code).toBe('AccessDenied');
    expect(error.message).toContain(
      'may not patch deployments (API group apps) "web" in namespace payments: grant "patch" on "deployments" in group "apps" in namespace payments by binding the ClusterRole response-actions-kubernetes-responder-namespaced-writes there with a RoleBinding',
    );
    expect(error.message).toContain('the API server said: deployments.apps "web" is forbidden: User "system:serviceaccount:response-actions:kubernetes-responder" cannot patch resource "deployments" in API group "apps" in the namespace "payments"');
    expect(writesLetThrough([`PATCH ${path}`])).toEqual([]);
  });

  it('delete-pod in kube-system with the responder’s own guard switched off (RESPONDER_ALLOW_KUBE_SYSTEM) is still refused by RBAC', async () => {
    // Prepare
    const path = '/api/v1/namespaces/kube-system/pods/coredns-5d78c9869d-7xk2p';
    server.expect(
      { method: 'GET', path, reply: ok(servedFrom('kube-system', pod('coredns-5d78c9869d-7xk2p', { owner: null }))) },
      { method: 'DELETE', path, contentType: 'application/json', body: { preconditions: { uid: 'uid-coredns-5d78c9869d-7xk2p' } }, reply: refusedByRbac },
    );
    const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': 'kube-system', 'kubernetes.pod.name': 'coredns-5d78c9869d-7xk2p' };

    // Act
    const { error } = await executeFailing(harness(server, { protectedNamespaces: [] }), { type: 'delete-pod', inputs });

    // Assess
    server.assertDone();
    expect(error.code).toBe('AccessDenied');
    expect(error.message).toContain('may not delete pods (the core API group) "coredns-5d78c9869d-7xk2p" in namespace kube-system: grant "delete" on "pods" in the core group ("") in namespace kube-system');
    expect(writesLetThrough([`DELETE ${path}`])).toEqual([]);
  });

  it('refuses writes sent straight through the client, past every guard of the code, into the responder’s own namespace and kube-system', async () => {
    // Prepare: the calls a compromised or buggy responder would make, with its own ServiceAccount token
    const config = server.kubeConfig();
    const core = config.makeApiClient(CoreV1Api);
    const apps = config.makeApiClient(AppsV1Api);
    const { signal } = new AbortController();
    const ownPod = `/api/v1/namespaces/${responderSelf.namespace}/pods/${responderSelf.podName}`;
    const coredns = '/apis/apps/v1/namespaces/kube-system/deployments/coredns';
    server.expect(
      { method: 'DELETE', path: ownPod, reply: refusedByRbac },
      { method: 'PATCH', path: coredns, contentType: patchContentTypes.strategicMerge, body: restartPatch, reply: refusedByRbac },
    );

    // Act
    const deleteOwn = core.deleteNamespacedPod({ namespace: responderSelf.namespace, name: responderSelf.podName }, callOptions(signal));
    const deleted = await deleteOwn.then(() => null, (error: unknown) => error);
    const patchCoredns = apps.patchNamespacedDeployment({ namespace: 'kube-system', name: 'coredns', body: restartPatch }, callOptions(signal, patchContentTypes.strategicMerge));
    const patched = await patchCoredns.then(() => null, (error: unknown) => error);

    // Assess
    server.assertDone();
    expect(deleted).toMatchObject({ code: 403 });
    expect(patched).toMatchObject({ code: 403 });
    expect(writesLetThrough([`DELETE ${ownPod}`, `PATCH ${coredns}`])).toEqual([]);
  });
});
