import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesActionTypes } from '../../../responders/kubernetes/actions.ts';
import { executeFailing, harness, responderSelf } from './support/harness.ts';
import { clusterName, notFound } from './support/kubernetes-objects.ts';
import { TestApiServer } from './support/test-api-server.ts';

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

/** Nodes are cluster-scoped: cordon-node and uncordon-node name no namespace, so no namespace guard applies (cordon-node.test.ts). */
const namespacedTypes = kubernetesActionTypes.filter((type) => type !== 'cordon-node' && type !== 'uncordon-node');

/** Valid inputs of each type in `namespace`. */
function inputsFor(type: string, namespace: string): Record<string, unknown> {
  const base = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace };
  const workload = { ...base, 'kubernetes.workload.name': 'web', 'kubernetes.workload.type': 'deployment' };
  switch (type) {
    case 'delete-pod':
    case 'capture-pod-state':
    case 'get-logs':
      return { ...base, 'kubernetes.pod.name': 'web-1' };
    case 'delete-network-policy':
      return { ...base, 'kubernetes.networkpolicy.name': 'ra-isolate-web-3f2a9c1e' };
    case 'kubernetes-volume-snapshot':
      return { ...base, 'kubernetes.persistentvolume.claim.name': ['data-0'] };
    case 'kubernetes-delete-volume-snapshot':
      return { ...base, 'kubernetes.volumesnapshot.name': 'ra-snap-data-0-3f2a9c1e' };
    default:
      return workload;
  }
}

describe('protected targets', () => {
  it.each(namespacedTypes.map((type) => [type]))('%s refuses the responder’s own namespace before any API call', async (type) => {
    // Prepare
    const h = harness(server);

    // Act
    const { error } = await executeFailing(h, { type, inputs: inputsFor(type, responderSelf.namespace) });

    // Assess
    expect(error.code).toBe('ProtectedTarget');
    expect(error.message).toContain(`namespace ${responderSelf.namespace} is the responder's own namespace`);
    expect(server.received).toEqual([]);
  });

  it.each(namespacedTypes.map((type) => [type]))('%s refuses kube-system by default', async (type) => {
    // Prepare
    const h = harness(server);

    // Act
    const { error } = await executeFailing(h, { type, inputs: inputsFor(type, 'kube-system') });

    // Assess
    expect(error.code).toBe('ProtectedTarget');
    expect(error.message).toContain('namespace kube-system is protected');
    expect(server.received).toEqual([]);
  });

  it('acts in kube-system when the operator allows it, and refuses namespaces the operator added', async () => {
    // Prepare
    const allowing = harness(server, { protectedNamespaces: ['payments'] });
    server.expect({ method: 'GET', path: '/api/v1/namespaces/kube-system/pods/web-1', reply: notFound('pods', 'web-1') });

    // Act
    const inKubeSystem = await executeFailing(allowing, { type: 'delete-pod', inputs: inputsFor('delete-pod', 'kube-system') });
    const inPayments = await executeFailing(allowing, { type: 'delete-pod', inputs: inputsFor('delete-pod', 'payments') });
    const own = await executeFailing(allowing, { type: 'delete-pod', inputs: inputsFor('delete-pod', responderSelf.namespace) });

    // Assess
    server.assertDone();
    expect(inKubeSystem.error.code).toBe('TargetNotFound');
    expect(inPayments.error.code).toBe('ProtectedTarget');
    // The responder's own namespace cannot be configured away.
    expect(own.error.code).toBe('ProtectedTarget');
  });

  it('refuses work that names another cluster', async () => {
    // Prepare
    const h = harness(server);

    // Act
    const { error } = await executeFailing(h, { type: 'delete-pod', inputs: { ...inputsFor('delete-pod', 'shop'), 'kubernetes.cluster.name': 'staging' } });

    // Assess
    expect(error.code).toBe('WrongTarget');
    expect(error.message).toBe('this responder serves cluster prod-eu-1, not staging; the work was routed to the wrong responder');
    expect(server.received).toEqual([]);
  });
});
