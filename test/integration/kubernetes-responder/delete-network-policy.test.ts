import { describe, expect, it } from 'vitest';
import type { UndoSource } from '#shared/responders/protocol.ts';
import { actionId, execute, executeFailing } from './support/harness.ts';
import { clusterName, deletedStatus, internalError, namespace, notFound, objectMeta, ok } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';

useTestApiServer();

const isolationId = '9b1d0c7e-2a4f-4c3b-8e6d-1f0a2b3c4d5e';
const undoId = '5e0f1a2b-3c4d-4e5f-9a0b-1c2d3e4f5a6b';
const npName = 'ra-isolate-web-9b1d0c7e';
const anpName = 'ra-deny-shop-web-9b1d0c7e';
const npPath = `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/${npName}`;
const anpPath = `/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies/${anpName}`;
const npRef = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: npName, namespace };
const anpRef = { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', name: anpName, namespace: null };
const isolationLabels = {
  'app.kubernetes.io/managed-by': 'response-actions',
  'response-actions.io/action-id': isolationId,
  'response-actions.io/action-type': 'isolate-network',
};
const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.networkpolicy.name': npName };

function undoOf(policies: readonly unknown[]): UndoSource {
  return { actionId: isolationId, type: 'isolate-network', prior: {}, applied: { policies: [...policies] } as never, result: null };
}

function networkPolicy(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(name, { generation: 1, labels, annotations }),
    spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'] },
  };
}

function adminNetworkPolicy(labels: Record<string, string>): Record<string, unknown> {
  const { namespace: _namespace, ...metadata } = objectMeta(anpName, { labels });
  return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata, spec: { priority: 10, subject: { namespaces: {} } } };
}

describe('delete-network-policy', () => {
  it('as an undo, deletes exactly the policies the isolation applied, companion first, each only while it is the object that was read', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: npPath, reply: ok(networkPolicy(npName, isolationLabels)) },
      { method: 'GET', path: anpPath, reply: ok(adminNetworkPolicy(isolationLabels)) },
      { method: 'DELETE', path: anpPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${anpName}` } }, reply: deletedStatus(anpName, 'adminnetworkpolicies', 'policy.networking.k8s.io') },
      { method: 'DELETE', path: npPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${npName}` } }, reply: deletedStatus(npName, 'networkpolicies', 'networking.k8s.io') },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'delete-network-policy', inputs, actionId: undoId, undoOf: undoOf([npRef, anpRef]) });

    // Assess
    server.assertDone();
    const prior = { policies: [{ ...npRef, uid: `uid-${npName}`, present: true }, { ...anpRef, uid: `uid-${anpName}`, present: true }] };
    expect(outcome).toEqual({
      prior,
      applied: { deleted: [anpRef, npRef] },
      result: { policies: [{ ...npRef, outcome: 'deleted' }, { ...anpRef, outcome: 'deleted' }] },
    });
    expect(run.progress).toEqual([{ prior }, { prior, applied: { deleted: [anpRef] } }, { prior, applied: { deleted: [anpRef, npRef] } }]);
  });

  it('reports a policy that is already gone instead of failing', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: npPath, reply: ok(networkPolicy(npName, isolationLabels)) },
      { method: 'GET', path: anpPath, reply: notFound('adminnetworkpolicies', anpName, 'policy.networking.k8s.io') },
      // Gone between the check and the delete: still reported, not an error.
      { method: 'DELETE', path: npPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${npName}` } }, reply: notFound('networkpolicies', npName, 'networking.k8s.io') },
    );

    // Act
    const { outcome } = await execute(h, { type: 'delete-network-policy', inputs, actionId: undoId, undoOf: undoOf([npRef, anpRef]) });

    // Assess
    server.assertDone();
    expect(outcome.applied).toEqual({ deleted: [] });
    expect(outcome.result).toEqual({ policies: [{ ...npRef, outcome: 'already-gone' }, { ...anpRef, outcome: 'already-gone' }] });
  });

  it('refuses, deleting nothing, when a policy no longer carries the isolating action’s labels', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: npPath, reply: ok(networkPolicy(npName, isolationLabels)) },
      { method: 'GET', path: anpPath, reply: ok(adminNetworkPolicy({ 'app.kubernetes.io/managed-by': 'platform-team' })) },
    );

    // Act
    const { error, run } = await executeFailing(h, { type: 'delete-network-policy', inputs, actionId: undoId, undoOf: undoOf([npRef, anpRef]) });

    // Assess
    server.assertDone();
    expect(error.code).toBe('NotManagedByResponseActions');
    expect(error.message).toBe(
      `AdminNetworkPolicy/${anpName} was not created by action ${isolationId}: delete-network-policy only removes policies isolate-network created (label app.kubernetes.io/managed-by=response-actions); nothing was deleted`,
    );
    expect(run.progress).toEqual([]);
  });

  it('refuses an undo whose named policy is not what the isolation created', async () => {
    // Act
    const { error } = await executeFailing(h, {
      type: 'delete-network-policy',
      inputs: { ...inputs, 'kubernetes.networkpolicy.name': 'allow-from-lb' },
      undoOf: undoOf([npRef, anpRef]),
    });
    const empty = await executeFailing(h, { type: 'delete-network-policy', inputs, undoOf: undoOf([]) });

    // Assess
    expect(error.code).toBe('UndoMismatch');
    expect(empty.error.code).toBe('NothingToUndo');
    expect(server.received).toEqual([]);
  });

  it('named directly, deletes a policy this service made with the companions its annotation lists', async () => {
    // Prepare
    const annotations = { 'response-actions.io/companions': JSON.stringify([anpRef]) };
    server.expect(
      { method: 'GET', path: npPath, reply: ok(networkPolicy(npName, isolationLabels, annotations)) },
      { method: 'GET', path: anpPath, reply: ok(adminNetworkPolicy(isolationLabels)) },
      { method: 'DELETE', path: anpPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${anpName}` } }, reply: deletedStatus(anpName, 'adminnetworkpolicies', 'policy.networking.k8s.io') },
      { method: 'DELETE', path: npPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${npName}` } }, reply: deletedStatus(npName, 'networkpolicies', 'networking.k8s.io') },
    );

    // Act
    const { outcome } = await execute(h, { type: 'delete-network-policy', inputs });

    // Assess
    server.assertDone();
    expect(outcome.applied).toEqual({ deleted: [anpRef, npRef] });
  });

  it('named directly, refuses a policy this service did not make, and a missing one', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: npPath, reply: ok(networkPolicy(npName, { team: 'shop' })) },
      { method: 'GET', path: npPath, reply: notFound('networkpolicies', npName, 'networking.k8s.io') },
    );

    // Act
    const foreign = await executeFailing(h, { type: 'delete-network-policy', inputs });
    const missing = await executeFailing(h, { type: 'delete-network-policy', inputs });

    // Assess
    server.assertDone();
    expect(foreign.error.code).toBe('NotManagedByResponseActions');
    expect(foreign.error.message).toContain(`NetworkPolicy/${npName} in namespace ${namespace} was not created by response-actions`);
    expect(missing.error.code).toBe('TargetNotFound');
  });

  it('fails with what it already deleted recorded when the API server errs midway', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: npPath, reply: ok(networkPolicy(npName, isolationLabels)) },
      { method: 'GET', path: anpPath, reply: ok(adminNetworkPolicy(isolationLabels)) },
      { method: 'DELETE', path: anpPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${anpName}` } }, reply: deletedStatus(anpName, 'adminnetworkpolicies', 'policy.networking.k8s.io') },
      { method: 'DELETE', path: npPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${npName}` } }, reply: internalError() },
    );

    // Act
    const { error, run } = await executeFailing(h, { type: 'delete-network-policy', inputs, actionId, undoOf: undoOf([npRef, anpRef]) });

    // Assess
    server.assertDone();
    expect(error.code).toBe('ClusterError');
    expect(run.progress.at(-1)?.applied).toEqual({ deleted: [anpRef] });
  });
});
