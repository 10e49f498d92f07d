import { describe, expect, it } from 'vitest';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { undoInputsFor } from '#shared/use-cases/undo-inputs.ts';

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
});
