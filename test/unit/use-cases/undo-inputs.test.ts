import { describe, expect, it } from 'vitest';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { undoInputsFor, undoTargetMatcher } from '#shared/use-cases/undo-inputs.ts';

const instance = 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0';

function original(type: string, inputs: Record<string, unknown>, applied: ActionRecord['applied']): ActionRecord {
  const record = createdRecord(
    {
      id: '00000000-0000-4000-8000-000000000001',
      type,
      category: 'data-gathering',
      executor: 'cloud',
      inputs,
      resources: [{ key: instance, kind: 'aws.ec2.instance' }],
      createdBy: 'analyst',
      undoType: 'undo-cloud-volume-snapshot',
    },
    new Date('2026-11-20T10:00:00Z'),
  );
  return { ...record, applied };
}

describe('undo inputs', () => {
  it('names exactly the snapshots a cloud-volume-snapshot created', () => {
    // Prepare
    const snapshot = original('cloud-volume-snapshot', { 'aws.resource.arn': instance }, {
      changes: [
        { action: 'CreateSnapshot', snapshotId: 'snap-0123456789abcdef0', volumeId: 'vol-1', deviceName: '/dev/xvda' },
        { action: 'CreateSnapshot', snapshotId: 'snap-0123456789abcdef1', volumeId: 'vol-2', deviceName: null },
      ],
    });

    // Act
    const inputs = undoInputsFor('undo-cloud-volume-snapshot', snapshot);

    // Assess
    expect(inputs).toEqual({
      'aws.resource.arn': instance,
      'aws.ebs.snapshot.ids': ['snap-0123456789abcdef0', 'snap-0123456789abcdef1'],
    });
  });

  it('takes the inputs the undo type accepts from the original by default', () => {
    // Prepare
    const quarantine = original('iam-quarantine', { 'aws.resource.arn': 'arn:aws:iam::123456789012:user/alice' }, { changes: ['x'] });
    const file = original('file-quarantine', { 'host.id': 'node-7', 'path.absolute': '/tmp/x', 'container.id': 'abc' }, null);

    // Act + Assess
    expect(undoInputsFor('iam-unquarantine', quarantine)).toEqual({ 'aws.resource.arn': 'arn:aws:iam::123456789012:user/alice' });
    expect(undoInputsFor('file-unquarantine', file)).toEqual({ 'host.id': 'node-7', 'path.absolute': '/tmp/x', 'container.id': 'abc' });
  });

  it('names the policy an isolation created and the snapshots a volume snapshot created', () => {
    // Prepare
    const where = { 'kubernetes.cluster.name': 'prod', 'kubernetes.namespace.name': 'payments' };
    const isolation = original('isolate-network', { ...where, 'kubernetes.workload.name': 'api', 'kubernetes.workload.type': 'deployment' }, {
      policies: [
        { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', name: 'ra-isolate-api-1a2b3c4d', namespace: null },
        { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'ra-isolate-api-1a2b3c4d', namespace: 'payments' },
      ],
    });
    const snapshots = original('kubernetes-volume-snapshot', { ...where, 'kubernetes.persistentvolume.claim.name': ['a', 'b'] }, {
      snapshots: [{ name: 'ra-snap-a', namespace: 'payments', pvc: 'a', uid: '1' }, { name: 'ra-snap-b', namespace: 'payments', pvc: 'b', uid: '2' }],
    });

    // Act
    const deletePolicy = undoInputsFor('delete-network-policy', isolation);
    const deleteSnapshots = undoInputsFor('kubernetes-delete-volume-snapshot', snapshots);

    // Assess
    expect(deletePolicy).toEqual({ ...where, 'kubernetes.networkpolicy.name': 'ra-isolate-api-1a2b3c4d' });
    expect(deleteSnapshots).toEqual({ ...where, 'kubernetes.volumesnapshot.name': ['ra-snap-a', 'ra-snap-b'] });
    expect(undoTargetMatcher('delete-network-policy', deletePolicy)?.(isolation)).toBe(true);
    expect(undoTargetMatcher('delete-network-policy', { ...deletePolicy, 'kubernetes.namespace.name': 'other' })?.(isolation)).toBe(false);
    expect(undoTargetMatcher('kubernetes-delete-volume-snapshot', { ...where, 'kubernetes.volumesnapshot.name': 'ra-snap-b' })?.(snapshots)).toBe(true);
    expect(undoTargetMatcher('iam-unquarantine', {})).toBeUndefined();
  });
});
