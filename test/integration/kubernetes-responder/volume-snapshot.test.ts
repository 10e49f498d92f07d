import { describe, expect, it } from 'vitest';
import { actionId, execute, executeFailing, harness, run } from './support/harness.ts';
import {
  clusterName,
  created,
  forbidden,
  internalError,
  namespace,
  notFound,
  objectMeta,
  ok,
  pageNotFound,
  persistentVolumeClaim,
  snapshotResources,
  volumeSnapshotClassList,
} from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import type { ExpectedRequest } from './support/test-api-server.ts';
import { validateCustomObject } from './support/validate.ts';

useTestApiServer();

const snapshotsPath = `/apis/snapshot.storage.k8s.io/v1/namespaces/${namespace}/volumesnapshots`;
const discovery: ExpectedRequest = { method: 'GET', path: '/apis/snapshot.storage.k8s.io/v1', reply: ok(snapshotResources()) };
const classes: ExpectedRequest = { method: 'GET', path: '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses', reply: ok(volumeSnapshotClassList()) };
const labels = {
  'app.kubernetes.io/managed-by': 'response-actions',
  'response-actions.io/action-id': actionId,
  'response-actions.io/action-type': 'kubernetes-volume-snapshot',
};

function inputs(claims: string | readonly string[]): Record<string, unknown> {
  return { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.persistentvolume.claim.name': claims };
}

function pvcRead(name: string, reply = ok(persistentVolumeClaim(name))): ExpectedRequest {
  return { method: 'GET', path: `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`, reply };
}

function snapshotBody(pvc: string, className: string | null): Record<string, unknown> {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name: `ra-snap-${pvc}-3f2a9c1e`, namespace, labels, annotations: { 'response-actions.io/source-pvc': pvc } },
    spec: { ...(className === null ? {} : { volumeSnapshotClassName: className }), source: { persistentVolumeClaimName: pvc } },
  };
}

/** The snapshot as the API server returns it, with the controller's status when given. */
function snapshot(pvc: string, className: string | null, status?: Record<string, unknown>): Record<string, unknown> {
  const body = snapshotBody(pvc, className);
  return { ...body, metadata: objectMeta(`ra-snap-${pvc}-3f2a9c1e`, { generation: 1, labels, annotations: { 'response-actions.io/source-pvc': pvc } }), ...(status === undefined ? {} : { status }) };
}

function ready(pvc: string): Record<string, unknown> {
  return {
    boundVolumeSnapshotContentName: `snapcontent-${pvc}`,
    creationTime: '2026-03-01T12:00:01Z',
    readyToUse: true,
    restoreSize: '20Gi',
  };
}

function create(pvc: string, className: string | null, reply = created(snapshot(pvc, className))): ExpectedRequest {
  return { method: 'POST', path: snapshotsPath, contentType: 'application/json', body: snapshotBody(pvc, className), reply };
}

function poll(pvc: string, reply: ExpectedRequest['reply']): ExpectedRequest {
  return { method: 'GET', path: `${snapshotsPath}/ra-snap-${pvc}-3f2a9c1e`, reply };
}

describe('kubernetes-volume-snapshot', () => {
  it('snapshots each PVC with its CSI driver’s default class and waits until every snapshot is ready', async () => {
    // Prepare
    server.expect(
      discovery,
      pvcRead('data-0'),
      classes,
      create('data-0', 'ebs-snapshots'),
      pvcRead('data-1'),
      create('data-1', 'ebs-snapshots'),
      poll('data-0', ok(snapshot('data-0', 'ebs-snapshots', ready('data-0')))),
      poll('data-1', ok(snapshot('data-1', 'ebs-snapshots', { readyToUse: false }))),
      poll('data-1', ok(snapshot('data-1', 'ebs-snapshots', ready('data-1')))),
    );

    // Act
    const { outcome, run: started } = await execute(h, { type: 'kubernetes-volume-snapshot', inputs: inputs(['data-0', 'data-1']) });

    // Assess
    server.assertDone();
    for (const body of server.bodiesOf('POST', snapshotsPath)) validateCustomObject(body, 'snapshot.storage.k8s.io/v1', 'VolumeSnapshot', true);
    const claim = (name: string) => ({ name, uid: `uid-${name}`, phase: 'Bound', volumeName: `pvc-${name}-0b1c2d3e`, storageClassName: 'gp3', capacity: '20Gi' });
    const createdSnapshot = (pvc: string) => ({ name: `ra-snap-${pvc}-3f2a9c1e`, namespace, pvc, uid: `uid-ra-snap-${pvc}-3f2a9c1e` });
    const entry = (pvc: string) => ({
      pvc,
      snapshot: `ra-snap-${pvc}-3f2a9c1e`,
      volumeSnapshotClassName: 'ebs-snapshots',
      readyToUse: true,
      restoreSize: '20Gi',
      boundVolumeSnapshotContentName: `snapcontent-${pvc}`,
      creationTime: '2026-03-01T12:00:01Z',
      error: null,
    });
    expect(outcome).toEqual({
      prior: { pvcs: [claim('data-0'), claim('data-1')] },
      applied: { snapshots: [createdSnapshot('data-0'), createdSnapshot('data-1')] },
      result: { snapshots: [entry('data-0'), entry('data-1')], ready: 2, failed: 0 },
    });
    // Each snapshot was recorded as it was created, before the wait.
    expect(started.progress.map((progress) => progress.applied)).toEqual([
      { snapshots: [createdSnapshot('data-0')] },
      { snapshots: [createdSnapshot('data-0'), createdSnapshot('data-1')] },
    ]);
    expect(h.sleeps).toEqual([2_000, 2_000]);
    h.sleeps.length = 0;
  });

  it('keeps going when one PVC fails: a 500 on one create and a missing PVC do not stop the others', async () => {
    // Prepare
    server.expect(
      discovery,
      pvcRead('data-0'),
      classes,
      create('data-0', 'ebs-snapshots', internalError()),
      pvcRead('data-1', notFound('persistentvolumeclaims', 'data-1')),
      // A statically provisioned volume names no driver: the snapshot controller picks the class.
      pvcRead('logs', ok(persistentVolumeClaim('logs', { provisioner: null }))),
      create('logs', null),
      poll('logs', ok(snapshot('logs', null, ready('logs')))),
    );

    // Act
    const { outcome } = await execute(h, { type: 'kubernetes-volume-snapshot', inputs: inputs(['data-0', 'data-1', 'logs']) });

    // Assess
    server.assertDone();
    expect(outcome.applied).toEqual({ snapshots: [{ name: 'ra-snap-logs-3f2a9c1e', namespace, pvc: 'logs', uid: 'uid-ra-snap-logs-3f2a9c1e' }] });
    expect(outcome.result).toMatchObject({
      ready: 1,
      failed: 2,
      snapshots: [
        { pvc: 'data-0', snapshot: null, readyToUse: false, error: { code: 'ClusterError' } },
        { pvc: 'data-1', snapshot: null, error: { code: 'TargetNotFound' } },
        { pvc: 'logs', snapshot: 'ra-snap-logs-3f2a9c1e', volumeSnapshotClassName: null, readyToUse: true, error: null },
      ],
    });
    expect(JSON.stringify(outcome.result)).toContain('persistentvolumeclaims \\"data-1\\" in namespace shop does not exist');
    h.sleeps.length = 0;
  });

  it('ends in SnapshotsUnsupported, touching no PVC, when the cluster has no VolumeSnapshot CRD', async () => {
    // Prepare
    server.expect({ method: 'GET', path: '/apis/snapshot.storage.k8s.io/v1', reply: pageNotFound() });

    // Act
    const { error, run: started } = await executeFailing(h, { type: 'kubernetes-volume-snapshot', inputs: inputs('data-0') });

    // Assess
    server.assertDone();
    expect(error.code).toBe('SnapshotsUnsupported');
    expect(error.message).toBe(
      'the cluster does not serve snapshot.storage.k8s.io/v1 VolumeSnapshots: install the external-snapshotter CRDs and snapshot controller (and a CSI driver that supports snapshots)',
    );
    expect(started.progress).toEqual([]);
  });

  it('fails when no snapshot can be taken, with the PVC’s reason', async () => {
    // Prepare
    server.expect(discovery, pvcRead('data-0', ok(persistentVolumeClaim('data-0', { phase: 'Pending' }))));

    // Act
    const { error } = await executeFailing(h, { type: 'kubernetes-volume-snapshot', inputs: inputs('data-0') });

    // Assess
    server.assertDone();
    expect(error.code).toBe('PvcNotBound');
    expect(error.message).toBe('no snapshot became ready: data-0: PVC data-0 is Pending, not Bound: it has no volume to snapshot yet');
  });

  it('reports AccessDenied for the class lookup the ServiceAccount may not do', async () => {
    // Prepare
    server.expect(discovery, pvcRead('data-0'), {
      method: 'GET',
      path: '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses',
      reply: forbidden('list', 'volumesnapshotclasses', 'snapshot.storage.k8s.io', null),
    });

    // Act
    const { error } = await executeFailing(h, { type: 'kubernetes-volume-snapshot', inputs: inputs('data-0') });

    // Assess
    server.assertDone();
    expect(error.code).toBe('AccessDenied');
    expect(error.message).toContain('may not list volumesnapshotclasses (API group snapshot.storage.k8s.io): grant "list" on "volumesnapshotclasses"');
  });

  it('reports a snapshot the controller failed and one not ready in time, keeping both in applied for undo', async () => {
    // Prepare
    const impatient = harness(server, { settings: { snapshotReadyTimeoutMs: 4_000 } });
    server.expect(
      discovery,
      pvcRead('data-0'),
      classes,
      create('data-0', 'ebs-snapshots'),
      pvcRead('data-1'),
      create('data-1', 'ebs-snapshots'),
      poll('data-0', ok(snapshot('data-0', 'ebs-snapshots', { readyToUse: false, error: { message: 'Failed to create snapshot: rpc error: code = Internal desc = volume is being deleted', time: '2026-03-01T12:00:02Z' } }))),
      poll('data-1', ok(snapshot('data-1', 'ebs-snapshots', { readyToUse: false }))),
      poll('data-1', internalError()),
    );

    // Act
    const { error, run: started } = await executeFailing(impatient, { type: 'kubernetes-volume-snapshot', inputs: inputs(['data-0', 'data-1']) });

    // Assess
    server.assertDone();
    expect(error.code).toBe('SnapshotFailed');
    expect(error.message).toContain('data-0: the snapshot controller reported: Failed to create snapshot: rpc error: code = Internal desc = volume is being deleted');
    expect(error.message).toContain('data-1: VolumeSnapshot ra-snap-data-1-3f2a9c1e was not ready within 4 s (last check failed:');
    expect(started.progress.at(-1)?.applied).toEqual({
      snapshots: [
        { name: 'ra-snap-data-0-3f2a9c1e', namespace, pvc: 'data-0', uid: 'uid-ra-snap-data-0-3f2a9c1e' },
        { name: 'ra-snap-data-1-3f2a9c1e', namespace, pvc: 'data-1', uid: 'uid-ra-snap-data-1-3f2a9c1e' },
      ],
    });
    expect(impatient.sleeps).toEqual([2_000, 2_000]);
  });

  it('stops waiting when the signal aborts, with the created snapshot recorded', async () => {
    // Prepare
    const started = run({ type: 'kubernetes-volume-snapshot', inputs: inputs('data-0') });
    server.expect(
      discovery,
      pvcRead('data-0'),
      classes,
      create('data-0', 'ebs-snapshots'),
      poll('data-0', () => {
        started.controller.abort();
        return ok(snapshot('data-0', 'ebs-snapshots', { readyToUse: false }));
      }),
    );

    // Act
    const failure = await h.action('kubernetes-volume-snapshot').execute(started.context).catch((error: unknown) => error);

    // Assess
    server.assertDone();
    expect(failure).toMatchObject({ code: 'Interrupted' });
    expect(started.progress.at(-1)?.applied).toEqual({ snapshots: [{ name: 'ra-snap-data-0-3f2a9c1e', namespace, pvc: 'data-0', uid: 'uid-ra-snap-data-0-3f2a9c1e' }] });
    h.sleeps.length = 0;
  });
});
