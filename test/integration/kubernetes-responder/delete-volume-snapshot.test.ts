import { describe, expect, it } from 'vitest';
import type { UndoSource } from '#shared/responders/protocol.ts';
import { execute, executeFailing } from './support/harness.ts';
import { clusterName, deletedStatus, namespace, notFound, objectMeta, ok, pageNotFound, snapshotResources } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import type { ExpectedRequest } from './support/test-api-server.ts';

useTestApiServer();

const snapshotId = '7c3e1f20-8a9b-4c5d-9e0f-112233445566';
const snapshotsPath = `/apis/snapshot.storage.k8s.io/v1/namespaces/${namespace}/volumesnapshots`;
const discovery: ExpectedRequest = { method: 'GET', path: '/apis/snapshot.storage.k8s.io/v1', reply: ok(snapshotResources()) };
const ourLabels = {
  'app.kubernetes.io/managed-by': 'response-actions',
  'response-actions.io/action-id': snapshotId,
  'response-actions.io/action-type': 'kubernetes-volume-snapshot',
};
const names = ['ra-snap-data-0-7c3e1f20', 'ra-snap-data-1-7c3e1f20'];

function inputs(snapshots: string | readonly string[]): Record<string, unknown> {
  return { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.volumesnapshot.name': snapshots };
}

function undoOf(created: readonly string[]): UndoSource {
  return {
    actionId: snapshotId,
    type: 'kubernetes-volume-snapshot',
    prior: null,
    applied: { snapshots: created.map((name) => ({ name, namespace, pvc: name.slice('ra-snap-'.length, -9), uid: `uid-${name}` })) },
    result: null,
  };
}

function volumeSnapshot(name: string, labels: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: objectMeta(name, { labels }),
    spec: { volumeSnapshotClassName: 'ebs-snapshots', source: { persistentVolumeClaimName: name.slice('ra-snap-'.length, -9) } },
    status: { readyToUse: true, boundVolumeSnapshotContentName: `snapcontent-${name}`, restoreSize: '20Gi' },
  };
}

describe('kubernetes-delete-volume-snapshot', () => {
  it('as an undo, deletes exactly the snapshots the original created, and reports one already gone', async () => {
    // Prepare
    const [first = '', second = ''] = names;
    server.expect(
      discovery,
      { method: 'GET', path: `${snapshotsPath}/${first}`, reply: ok(volumeSnapshot(first, ourLabels)) },
      { method: 'GET', path: `${snapshotsPath}/${second}`, reply: notFound('volumesnapshots', second, 'snapshot.storage.k8s.io') },
      { method: 'DELETE', path: `${snapshotsPath}/${first}`, contentType: 'application/json', body: { preconditions: { uid: `uid-${first}` } }, reply: deletedStatus(first, 'volumesnapshots', 'snapshot.storage.k8s.io') },
    );

    // Act
    const { outcome, run } = await execute(h, { type: 'kubernetes-delete-volume-snapshot', inputs: inputs(names), undoOf: undoOf(names) });

    // Assess
    server.assertDone();
    const prior = {
      snapshots: [
        { name: first, present: true, uid: `uid-${first}`, pvc: 'data-0', readyToUse: true, boundVolumeSnapshotContentName: `snapcontent-${first}` },
        { name: second, present: false, uid: null, pvc: null, readyToUse: false, boundVolumeSnapshotContentName: null },
      ],
    };
    expect(outcome).toEqual({
      prior,
      applied: { deleted: [first] },
      result: { snapshots: [{ name: first, outcome: 'deleted' }, { name: second, outcome: 'already-gone' }] },
    });
    expect(run.progress).toEqual([{ prior }, { prior, applied: { deleted: [first] } }]);
  });

  it('refuses, deleting nothing, a snapshot this service did not label', async () => {
    // Prepare
    const [first = '', second = ''] = names;
    server.expect(
      discovery,
      { method: 'GET', path: `${snapshotsPath}/${first}`, reply: ok(volumeSnapshot(first, ourLabels)) },
      { method: 'GET', path: `${snapshotsPath}/${second}`, reply: ok(volumeSnapshot(second, { 'backup.velero.io/backup-name': 'nightly' })) },
    );

    // Act
    const { error, run } = await executeFailing(h, { type: 'kubernetes-delete-volume-snapshot', inputs: inputs(names) });

    // Assess
    server.assertDone();
    expect(error.code).toBe('NotManagedByResponseActions');
    expect(error.message).toBe(`VolumeSnapshot ${second} in namespace ${namespace} was not created by response-actions (label app.kubernetes.io/managed-by=response-actions); nothing was deleted`);
    expect(run.progress).toEqual([]);
  });

  it('refuses an undo naming a snapshot the original did not create', async () => {
    // Act
    const { error } = await executeFailing(h, { type: 'kubernetes-delete-volume-snapshot', inputs: inputs('nightly-backup'), undoOf: undoOf(names) });

    // Assess
    expect(error.code).toBe('UndoMismatch');
    expect(error.message).toBe(`nightly-backup was not created by action ${snapshotId} (it created ${names.join(', ')}); nothing was deleted`);
    expect(server.received).toEqual([]);
  });

  it('ends in SnapshotsUnsupported when the CRD is missing', async () => {
    // Prepare
    server.expect({ method: 'GET', path: '/apis/snapshot.storage.k8s.io/v1', reply: pageNotFound() });

    // Act
    const { error } = await executeFailing(h, { type: 'kubernetes-delete-volume-snapshot', inputs: inputs(names) });

    // Assess
    server.assertDone();
    expect(error.code).toBe('SnapshotsUnsupported');
  });
});
