import { describe, expect, it } from 'vitest';
import { ResponderActionError, type ResponderActionContext } from '#shared/responders/protocol.ts';
import { h, server, useTestApiServer } from '../kubernetes-responder/support/test-api-server-hooks.ts';
import { actionId, run, type WorkSpec } from '../kubernetes-responder/support/harness.ts';
import { clusterName, deployment, namespace, ok, pod, replicaSet, scalable } from '../kubernetes-responder/support/kubernetes-objects.ts';
import { mergePatch } from '../kubernetes-responder/support/validate.ts';

useTestApiServer();

const podName = 'web-7d9f8c6b5-x8k2p';
const podPath = `/api/v1/namespaces/${namespace}/pods/${podName}`;
const replicaSetPath = `/apis/apps/v1/namespaces/${namespace}/replicasets/web-7d9f8c6b5`;
const deploymentPath = `/apis/apps/v1/namespaces/${namespace}/deployments/web`;
const podsPath = `/api/v1/namespaces/${namespace}/pods`;
const podInputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.pod.name': podName };
const workloadInputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.workload.name': 'web', 'kubernetes.workload.type': 'deployment' };
const exempt = { 'response-actions.io/exempt': 'true' };
const ruleId = 'guardduty-eks-delete-pod';

/** The object with labels added to its metadata (a pod template's with `template: true`). */
function labelled(object: Record<string, unknown>, labels: Record<string, string>, where: 'metadata' | 'template' = 'metadata'): Record<string, unknown> {
  if (where === 'metadata') {
    const metadata = object['metadata'] as { labels?: Record<string, string> };
    return { ...object, metadata: { ...metadata, labels: { ...metadata.labels, ...labels } } };
  }
  const spec = object['spec'] as { template: { metadata: { labels: Record<string, string> } } };
  return { ...object, spec: { ...spec, template: { ...spec.template, metadata: { ...spec.template.metadata, labels: { ...spec.template.metadata.labels, ...labels } } } } };
}

/** Runs the action as the runner would, with the work order as a rule's dispatch signs it (`ruleId`) or a person's (none). */
async function outcomeOf(spec: WorkSpec, rule: string | undefined): Promise<{ error: ResponderActionError | null; progress: number }> {
  const started = run(spec);
  const context: ResponderActionContext = { ...started.context, work: { ...started.context.work, ...(rule === undefined ? {} : { ruleId: rule }) } };
  try {
    await h.action(spec.type).execute(context);
    return { error: null, progress: started.progress.length };
  } catch (error) {
    if (error instanceof ResponderActionError) return { error, progress: started.progress.length };
    throw error;
  }
}

const writes = (): string[] => server.received.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.path}`);

describe('the cluster responder refuses a rule’s work on exempt pods and workloads, changing nothing', () => {
  it('refuses delete-pod on a pod labelled exempt, reading only the pod', async () => {
    // Prepare
    server.expect({ method: 'GET', path: podPath, reply: ok(pod(podName, { labels: { app: 'web', ...exempt } })) });

    // Act
    const { error, progress } = await outcomeOf({ type: 'delete-pod', inputs: podInputs }, ruleId);

    // Assess
    server.assertDone();
    expect(error?.code).toBe('Exempt');
    expect(error?.message).toBe(`pod ${podName} in namespace ${namespace} carries the label response-actions.io/exempt: "true", so rule ${ruleId} does not act on it; nothing was changed`);
    expect(writes()).toEqual([]);
    expect(progress).toBe(0);
  });

  it('refuses delete-pod when the Deployment above the pod’s ReplicaSet is labelled exempt (value in any case)', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: podPath, reply: ok(pod(podName)) },
      { method: 'GET', path: replicaSetPath, reply: ok(replicaSet('web-7d9f8c6b5', { kind: 'Deployment', name: 'web' })) },
      { method: 'GET', path: deploymentPath, reply: ok(labelled(deployment('web'), { 'response-actions.io/exempt': 'True' })) },
    );

    // Act
    const { error } = await outcomeOf({ type: 'delete-pod', inputs: podInputs }, ruleId);

    // Assess
    server.assertDone();
    expect(error?.code).toBe('Exempt');
    expect(error?.message).toContain('Deployment web in namespace shop, which controls the target, carries the label');
    expect(writes()).toEqual([]);
  });

  it('refuses scale-workload on a Deployment labelled exempt, and isolate-network on one whose pod template is', async () => {
    // Prepare
    server.expect(
      { method: 'GET', path: deploymentPath, reply: ok(labelled(deployment('web'), exempt)) },
      { method: 'GET', path: deploymentPath, reply: ok(labelled(deployment('web'), exempt, 'template')) },
    );

    // Act
    const scaled = await outcomeOf({ type: 'scale-workload', inputs: workloadInputs }, ruleId);
    const isolated = await outcomeOf({ type: 'isolate-network', inputs: workloadInputs }, ruleId);

    // Assess
    server.assertDone();
    expect(scaled.error?.code).toBe('Exempt');
    expect(scaled.error?.message).toContain('deployment web in namespace shop carries the label');
    expect(isolated.error?.code).toBe('Exempt');
    expect(isolated.error?.message).toContain('the pod template of deployment web in namespace shop carries the label');
    expect(writes()).toEqual([]);
  });

  it('refuses scale-workload when one of the workload’s pods is labelled exempt by hand, listing them by its selector', async () => {
    // Prepare
    const pods = { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '50123' }, items: [pod('web-7d9f8c6b5-a'), pod('web-7d9f8c6b5-b', { labels: { app: 'web', tier: 'frontend', ...exempt } })] };
    server.expect(
      { method: 'GET', path: deploymentPath, reply: ok(deployment('web')) },
      { method: 'GET', path: podsPath, query: { labelSelector: 'app=web,tier=frontend' }, reply: ok(pods) },
    );

    // Act
    const { error } = await outcomeOf({ type: 'scale-workload', inputs: workloadInputs }, ruleId);

    // Assess
    server.assertDone();
    expect(error?.code).toBe('Exempt');
    expect(error?.message).toContain('pod web-7d9f8c6b5-b of deployment web in namespace shop carries the label');
    expect(writes()).toEqual([]);
  });

  it('lets a rule scale a workload none of whose objects is labelled', async () => {
    // Prepare
    const before = scalable('deployment', 'web', { replicas: 3 });
    const body = { metadata: { resourceVersion: '48213', annotations: { 'response-actions.io/scaled-from': JSON.stringify({ actionId, replicas: 3 }) } }, spec: { replicas: 0 } };
    server.expect(
      { method: 'GET', path: deploymentPath, reply: ok(before) },
      { method: 'GET', path: podsPath, query: { labelSelector: 'app=web,tier=frontend' }, reply: ok({ apiVersion: 'v1', kind: 'PodList', metadata: {}, items: [pod('web-7d9f8c6b5-a')] }) },
      { method: 'GET', path: deploymentPath, reply: ok(before) },
      { method: 'PATCH', path: deploymentPath, contentType: 'application/merge-patch+json', body, reply: ok(mergePatch(before, body)) },
    );

    // Act
    const { error } = await outcomeOf({ type: 'scale-workload', inputs: workloadInputs }, ruleId);

    // Assess
    server.assertDone();
    expect(error).toBeNull();
    expect(writes()).toEqual([`PATCH ${deploymentPath}`]);
  });

  it('refuses a rule’s work when a controller above the pod is a kind the responder may not read', async () => {
    // Prepare
    server.expect({ method: 'GET', path: podPath, reply: ok(pod(podName, { owner: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web' } })) });

    // Act
    const { error } = await outcomeOf({ type: 'delete-pod', inputs: podInputs }, ruleId);

    // Assess
    server.assertDone();
    expect(error?.code).toBe('ExemptionUnreadable');
    expect(error?.message).toContain('Rollout web (argoproj.io/v1alpha1) controls the target');
    expect(writes()).toEqual([]);
  });

  it('lets a rule act on a pod whose label says anything but true, after reading the chain', async () => {
    // Prepare
    const notExempt = pod(podName, { labels: { app: 'web', 'response-actions.io/exempt': 'false' } });
    const chain = [
      { method: 'GET', path: replicaSetPath, reply: ok(replicaSet('web-7d9f8c6b5', { kind: 'Deployment', name: 'web' })) },
      { method: 'GET', path: deploymentPath, reply: ok(deployment('web')) },
    ] as const;
    server.expect(
      { method: 'GET', path: podPath, reply: ok(notExempt) },
      ...chain,
      { method: 'GET', path: podPath, reply: ok(notExempt) },
      ...chain,
      { method: 'DELETE', path: podPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${podName}` } }, reply: ok(notExempt) },
    );

    // Act
    const { error } = await outcomeOf({ type: 'delete-pod', inputs: podInputs }, ruleId);

    // Assess
    server.assertDone();
    expect(error).toBeNull();
    expect(writes()).toEqual([`DELETE ${podPath}`]);
  });

  it('does not hold back a person’s work (no ruleId) on a labelled pod: the label guards against automation', async () => {
    // Prepare
    const labelledPod = pod(podName, { owner: null, labels: { app: 'web', ...exempt } });
    server.expect(
      { method: 'GET', path: podPath, reply: ok(labelledPod) },
      { method: 'DELETE', path: podPath, contentType: 'application/json', body: { preconditions: { uid: `uid-${podName}` } }, reply: ok(labelledPod) },
    );

    // Act
    const { error } = await outcomeOf({ type: 'delete-pod', inputs: podInputs }, undefined);

    // Assess
    server.assertDone();
    expect(error).toBeNull();
  });

  it('keeps the protected-namespace refusal for a rule’s work, reading nothing', async () => {
    // Prepare
    const inputs = { ...podInputs, 'kubernetes.namespace.name': 'kube-system' };

    // Act
    const { error } = await outcomeOf({ type: 'delete-pod', inputs }, ruleId);

    // Assess
    expect(error?.code).toBe('ProtectedTarget');
    expect(server.received).toEqual([]);
  });
});
