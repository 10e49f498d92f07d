/** What a plan says scale-workload and restore-workload-scale would patch on a DaemonSet, and what its undo restores. */
import { describe, expect, it } from 'vitest';
import { validateActionRequest, type ValidActionRequest } from '#shared/catalogue/index.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { responderChanges } from '#shared/plans/responder-plans.ts';
import { undoRestores } from '#shared/plans/undo-restores.ts';
import { now } from '../catalogue/expectations.ts';

const daemonSet = { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'pay', 'kubernetes.workload.name': 'agent', 'kubernetes.workload.type': 'daemonset' };

function valid(type: string, inputs: Record<string, unknown>): ValidActionRequest {
  const validation = validateActionRequest({ type, inputs }, { now });
  if (!validation.ok) throw new Error(JSON.stringify(validation.errors));
  return validation;
}

function scaled(prior: ActionRecord['prior']): ActionRecord {
  const request = valid('scale-workload', daemonSet);
  const record = createdRecord(
    {
      id: '0a1b2c3d-0000-4000-8000-000000000001',
      type: 'scale-workload',
      category: request.definition.category,
      executor: request.executor,
      inputs: request.inputs,
      reason: null,
      resources: request.resources,
      createdBy: 'analyst-1',
      undoType: 'restore-workload-scale',
    },
    now,
  );
  return { ...record, status: 'Completed', prior, applied: { nodeSelector: { from: null, to: { 'node-restriction.kubernetes.io/response-actions-scaled-to-zero': record.id } } } };
}

describe('a DaemonSet in the plans', () => {
  it('says scale-workload sets a node selector no node matches, saving the one it has', () => {
    // Act
    const [change] = responderChanges(valid('scale-workload', daemonSet), null);

    // Assess
    expect(change).toEqual({
      call: 'kubernetes:patch DaemonSet',
      target: 'k8s/prod/pay/daemonset/agent',
      detail:
        "sets the pod template's spec.nodeSelector of daemonset/agent in namespace pay of cluster prod to exactly node-restriction.kubernetes.io/response-actions-scaled-to-zero=<action id>, which no node matches, so its controller removes every pod while the DaemonSet stays; writes the node selector it has now (or that it has none) in its response-actions.io/scaled-from annotation in the same patch, guarded by the resourceVersion read; left alone when already scaled to zero",
    });
  });

  it('says the restore puts back exactly the selector the scale recorded, or none', () => {
    // Prepare
    const withKeys = scaled({ nodeSelector: { 'kubernetes.io/os': 'linux', pool: 'general' }, currentNumberScheduled: 3 });
    const withNone = scaled({ nodeSelector: null, currentNumberScheduled: 3 });

    // Act
    const [keys] = responderChanges(valid('restore-workload-scale', daemonSet), withKeys);
    const [none] = responderChanges(valid('restore-workload-scale', daemonSet), withNone);

    // Assess
    expect(keys?.call).toBe('kubernetes:patch DaemonSet');
    expect(keys?.detail).toBe(
      `puts back exactly the pod template's spec.nodeSelector of daemonset/agent in namespace pay of cluster prod saved in its response-actions.io/scaled-from annotation (action ${withKeys.id} recorded kubernetes.io/os="linux", pool="general") (removing the field when it had none) and removes the annotation in the same patch; reports drift when the selector is no longer the one scale-workload set`,
    );
    expect(none?.detail).toContain(`(action ${withNone.id} recorded none)`);
  });

  it('says the undo of a DaemonSet scale puts the node selector back, and of a Deployment the count', () => {
    // Act
    const daemonSetUndo = undoRestores('scale-workload', valid('scale-workload', daemonSet).inputs, null);
    const deploymentUndo = undoRestores('scale-workload', valid('scale-workload', { ...daemonSet, 'kubernetes.workload.type': 'deployment' }).inputs, null);

    // Assess
    expect(daemonSetUndo).toEqual({
      type: 'restore-workload-scale',
      restores: 'puts back exactly the node selector daemonset/agent in namespace pay of cluster prod has when scaled (saved on the DaemonSet then; none stays none), so its pods return',
    });
    expect(deploymentUndo?.restores).toBe('scales deployment/agent in namespace pay of cluster prod back to the replica count it has when scaled (saved on the workload then)');
  });
});
