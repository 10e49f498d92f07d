/**
 * The two Kubernetes playbooks end to end through the local service (what `npm start` runs) and the
 * real cluster responder in this process, registered as kubernetes/<cluster>. No Kubernetes cluster
 * runs here: the responder talks to the repo's Kubernetes test API server on loopback, a
 * request-asserting server (not kube-apiserver) that authorizes each request from the shipped RBAC
 * manifests and answers only the exact requests kubernetes-cluster.ts queues for each action.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalService } from '#local/service.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import type { PlaybookRun } from '#shared/playbooks/types.ts';
import { TestApiServer } from '../../integration/kubernetes-responder/support/test-api-server.ts';
import { claims, PlaybookCluster, scaledFrom, zeroKey, type WorkloadKind } from './kubernetes-cluster.ts';
import { bothRead, call, endedAt, runEnded, runningAt, startPlaybookService, startRun, stepActions } from './support.ts';

let dir: string;
let server: TestApiServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-playbooks-kubernetes-'));
  server = await TestApiServer.start();
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** The service and the cluster responder for one test; both stopped after it. */
async function withCluster<T>(name: string, kind: WorkloadKind, use: (service: LocalService, cluster: PlaybookCluster) => Promise<T>): Promise<T> {
  const cluster = new PlaybookCluster(server, kind);
  const service = await startPlaybookService({ dataDir: join(dir, name), env: {}, hostResponder: false });
  const responder = cluster.startResponder(service, join(dir, `${name}-responder`));
  try {
    await registered(service);
    return await use(service, cluster);
  } finally {
    await responder.stop();
    await service.close();
  }
}

async function registered(service: LocalService): Promise<void> {
  for (let polls = 0; polls < 200; polls += 1) {
    const { body } = await call<{ items: { kind: string; name: string }[] }>(service, 'GET', '/v1/responders', undefined, bothRead);
    if (body.items.some((item) => item.kind === 'kubernetes')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the cluster responder never registered');
}

/** Runs the playbook, then undoes the run: both as answered when they ended, with their step records. */
async function runAndUndo(service: LocalService, playbook: string, inputs: Record<string, unknown>) {
  const finished = await runEnded(service, (await startRun(service, playbook, inputs)).id);
  const actions = await stepActions(service, finished);
  const answer = await call<PlaybookRun>(service, 'POST', `/v1/playbook-runs/${finished.id}/undo`, { reason: 'e2e: false positive' });
  if (answer.status !== 202) throw new Error(`the undo was not accepted: ${answer.status} ${JSON.stringify(answer.body)}`);
  const undo = await runEnded(service, answer.body.id);
  return { finished, actions, undo, undoActions: await stepActions(service, undo) };
}

const byType = (records: readonly ActionRecord[], type: string): ActionRecord => {
  const found = records.find((record) => record.type === type);
  if (found === undefined) throw new Error(`no ${type} step: ${records.map((record) => record.type).join(', ')}`);
  return found;
};

async function evidenceNames(service: LocalService, action: ActionRecord): Promise<string[]> {
  const answer = await call<{ items: { name: string }[] }>(service, 'GET', `/v1/actions/${action.id}/evidence`, undefined, bothRead);
  expect(answer.status).toBe(200);
  return answer.body.items.map((item) => item.name);
}

/** Each step started (went Running) only after the one before it had ended. */
function expectInOrder(records: readonly ActionRecord[]): void {
  for (let index = 1; index < records.length; index += 1) {
    const [before, after] = [records[index - 1], records[index]];
    if (before === undefined || after === undefined) throw new Error('a step has no action');
    expect(endedAt(before), `${before.type} ended before ${after.type} ran`).toBeLessThanOrEqual(runningAt(after));
  }
}

describe('Kubernetes playbooks through the local service and the cluster responder', () => {
  it('network-exfiltration: logs and pod state first, then a snapshot of each PVC the pod state names, then the NetworkPolicy; undo deletes only the policy', async () => {
    await withCluster('exfiltration', 'deployment', async (service, cluster) => {
      // Act
      const { finished, actions, undo, undoActions } = await runAndUndo(service, 'network-exfiltration', cluster.inputs);

      // Assess: the run, its order, and every request the cluster saw
      server.assertDone();
      expect(finished.status, JSON.stringify(finished)).toBe('Completed');
      expect(finished.steps.map((step) => [step.id, step.type, step.status])).toEqual([
        ['logs', 'get-logs', 'Completed'],
        ['pod-state', 'capture-pod-state', 'Completed'],
        ['volumes', 'kubernetes-volume-snapshot', 'Completed'],
        ['isolate', 'isolate-network', 'Completed'],
      ]);
      expect(actions.map((action) => [action.type, action.status, action.playbookRunId])).toEqual(
        ['get-logs', 'capture-pod-state', 'kubernetes-volume-snapshot', 'isolate-network'].map((type) => [type, 'Completed', finished.id]),
      );
      expectInOrder(actions);
      expect(cluster.work.slice(0, 4).map((work) => work.actionId)).toEqual(actions.map((action) => action.id));

      // The snapshot step's PVCs came from capture-pod-state's result, not from the run's inputs.
      const podState = byType(actions, 'capture-pod-state');
      const snapshot = byType(actions, 'kubernetes-volume-snapshot');
      const isolate = byType(actions, 'isolate-network');
      expect(cluster.inputs).not.toHaveProperty('kubernetes.persistentvolume.claim.name');
      expect(podState.result).toMatchObject({ persistentVolumeClaims: claims });
      expect(snapshot.inputs['kubernetes.persistentvolume.claim.name']).toEqual(claims);
      const snapshotNames = claims.map((claim) => `ra-snap-${claim}-${snapshot.id.slice(0, 8)}`);
      expect(server.bodiesOf('POST', PlaybookCluster.snapshotsPath).map((body) => (body as { spec: unknown }).spec)).toEqual(
        claims.map((claim) => ({ volumeSnapshotClassName: 'ebs-snapshots', source: { persistentVolumeClaimName: claim } })),
      );
      const policyName = `ra-isolate-web-${isolate.id.slice(0, 8)}`;
      const policyPosts = server.received.filter((request) => request.method === 'POST' && request.path.endsWith('/networkpolicies'));
      expect(policyPosts.map((request) => (request.body as { metadata: { name: string } }).metadata.name)).toEqual([policyName]);

      // Undo: one step deleting that policy; the snapshots and evidence stay.
      expect(undo.status, JSON.stringify(undo)).toBe('Completed');
      expect(undo.undoOf).toBe(finished.id);
      expect(undo.steps.map((step) => [step.id, step.type, step.status])).toEqual([['undo-isolate', 'delete-network-policy', 'Completed']]);
      expect(undoActions.map((action) => [action.type, action.inputs['kubernetes.networkpolicy.name'], action.status])).toEqual([['delete-network-policy', policyName, 'Completed']]);
      expect(server.received.filter((request) => request.method === 'DELETE').map((request) => request.path)).toEqual([cluster.policyPath(policyName)]);
      expect(cluster.policies.size).toBe(0);
      expect([...cluster.snapshots.keys()]).toEqual(snapshotNames);
      expect(await evidenceNames(service, byType(actions, 'get-logs'))).toEqual(['logs-web.txt']);
      expect(await evidenceNames(service, podState)).toEqual(['pod-state.json']);
      const listed = await call<{ items: { type: string }[] }>(service, 'GET', '/v1/actions?limit=100', undefined, bothRead);
      expect(listed.body.items.map((item) => item.type).sort()).toEqual(['capture-pod-state', 'delete-network-policy', 'get-logs', 'isolate-network', 'kubernetes-volume-snapshot']);
    });
  });

  it('network-exfiltration: PVCs given as input are the ones snapshotted; with none given and none in the pod state the snapshot step is skipped with its reason and isolation still runs', async () => {
    await withCluster('exfiltration-inputs', 'daemonset', async (service, cluster) => {
      // Act: the DaemonSet's pod mounts no PVC
      const given = await runEnded(service, (await startRun(service, 'network-exfiltration', { ...cluster.inputs, 'kubernetes.persistentvolume.claim.name': 'forensic-scratch' })).id);
      const givenActions = await stepActions(service, given);
      const none = await runEnded(service, (await startRun(service, 'network-exfiltration', cluster.inputs)).id);
      const noneActions = await stepActions(service, none);

      // Assess
      server.assertDone();
      expect(given.status, JSON.stringify(given)).toBe('Completed');
      expect(byType(givenActions, 'capture-pod-state').result).toMatchObject({ persistentVolumeClaims: [] });
      const snapshot = byType(givenActions, 'kubernetes-volume-snapshot');
      expect(snapshot.inputs['kubernetes.persistentvolume.claim.name']).toBe('forensic-scratch');
      expect([...cluster.snapshots.keys()]).toEqual([`ra-snap-forensic-scratch-${snapshot.id.slice(0, 8)}`]);
      expect(none.status, JSON.stringify(none)).toBe('Completed');
      expect(none.steps.map((step) => [step.id, step.status])).toEqual([['logs', 'Completed'], ['pod-state', 'Completed'], ['volumes', 'Skipped'], ['isolate', 'Completed']]);
      const skipReason = none.steps.find((step) => step.id === 'volumes')?.skipReason ?? '';
      expect(skipReason).toContain('kubernetes.persistentvolume.claim.name is not given');
      expect(skipReason).toContain("step pod-state's result has no persistentVolumeClaims");
      expect(noneActions.map((action) => action.type)).toEqual(['get-logs', 'capture-pod-state', 'isolate-network']);
      expectInOrder(noneActions);
      expect(server.bodiesOf('POST', PlaybookCluster.snapshotsPath)).toHaveLength(1);
    });
  });

  it('kubernetes-workload-breach on a Deployment: isolates, captures state and logs, then scales to 0; undo restores the count, then deletes the policy', async () => {
    await withCluster('breach-deployment', 'deployment', async (service, cluster) => {
      // Act
      const { finished, actions, undo, undoActions } = await runAndUndo(service, 'kubernetes-workload-breach', cluster.inputs);
      const scaledPatch = server.bodiesOf('PATCH', cluster.workloadPath)[0];

      // Assess
      server.assertDone();
      expect(finished.status, JSON.stringify(finished)).toBe('Completed');
      expect(actions.map((action) => [action.type, action.status])).toEqual(['isolate-network', 'capture-pod-state', 'get-logs', 'scale-workload'].map((type) => [type, 'Completed']));
      expectInOrder(actions);
      const isolate = byType(actions, 'isolate-network');
      const scale = byType(actions, 'scale-workload');
      expect(scaledPatch).toEqual({ metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: JSON.stringify({ actionId: scale.id, replicas: 3 }) } }, spec: { replicas: 0 } });
      // Evidence of the pod before the scale destroyed it: both evidence steps ended before the scale ran.
      expect(endedAt(byType(actions, 'get-logs'))).toBeLessThanOrEqual(runningAt(scale));
      expect(endedAt(byType(actions, 'capture-pod-state'))).toBeLessThanOrEqual(runningAt(scale));
      expect(scale.warnings).toEqual([]);

      // Undo: reverse order, the count back to 3 and the record gone, then the policy deleted.
      expect(undo.status, JSON.stringify(undo)).toBe('Completed');
      expect(undo.steps.map((step) => [step.id, step.type, step.status])).toEqual([
        ['undo-scale', 'restore-workload-scale', 'Completed'],
        ['undo-isolate', 'delete-network-policy', 'Completed'],
      ]);
      expectInOrder(undoActions);
      const spec = cluster.workload.object['spec'] as { replicas: number };
      expect(spec.replicas).toBe(3);
      expect(cluster.workload.meta['annotations']).not.toHaveProperty(scaledFrom);
      const policyName = `ra-isolate-web-${isolate.id.slice(0, 8)}`;
      expect(server.received.filter((request) => request.method === 'DELETE').map((request) => request.path)).toEqual([cluster.policyPath(policyName)]);
      expect(cluster.policies.size).toBe(0);
      expect(await evidenceNames(service, byType(actions, 'capture-pod-state'))).toEqual(['pod-state.json']);
      expect(await evidenceNames(service, byType(actions, 'get-logs'))).toEqual(['logs-web.txt']);
    });
  });

  it('kubernetes-workload-breach: when the pod state cannot be captured the run stops there, and the workload is never scaled', async () => {
    await withCluster('breach-no-evidence', 'deployment', async (service, cluster) => {
      // Prepare
      cluster.podGone = true;

      // Act
      const finished = await runEnded(service, (await startRun(service, 'kubernetes-workload-breach', cluster.inputs)).id);
      const actions = await stepActions(service, finished);

      // Assess
      server.assertDone();
      expect(finished.status).toBe('Error');
      expect(finished.error?.code).toBe('StepFailed');
      expect(finished.error?.message).toContain('pod-state');
      expect(finished.steps.map((step) => [step.id, step.status])).toEqual([['isolate', 'Completed'], ['pod-state', 'Error'], ['logs', 'Skipped'], ['scale', 'Skipped']]);
      expect(actions.map((action) => [action.type, action.status, action.error?.code ?? null])).toEqual([
        ['isolate-network', 'Completed', null],
        ['capture-pod-state', 'Error', 'TargetNotFound'],
      ]);
      expect(server.received.filter((request) => request.method === 'PATCH')).toEqual([]);
      expect((cluster.workload.object['spec'] as { replicas: number }).replicas).toBe(3);
    });
  });

  it('kubernetes-workload-breach on a DaemonSet: scale to 0 sets a node selector no node matches; undo puts the prior selector back exactly', async () => {
    await withCluster('breach-daemonset', 'daemonset', async (service, cluster) => {
      // Prepare
      const original = structuredClone(cluster.workload.object);

      // Act
      const { finished, actions, undo } = await runAndUndo(service, 'kubernetes-workload-breach', cluster.inputs);
      const [scaledPatch, restorePatch] = server.bodiesOf('PATCH', cluster.workloadPath);

      // Assess
      server.assertDone();
      expect(finished.status, JSON.stringify(finished)).toBe('Completed');
      expect(actions.map((action) => [action.type, action.status])).toEqual(['isolate-network', 'capture-pod-state', 'get-logs', 'scale-workload'].map((type) => [type, 'Completed']));
      expectInOrder(actions);
      const scale = byType(actions, 'scale-workload');
      expect(scaledPatch).toEqual({
        metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: JSON.stringify({ actionId: scale.id, nodeSelector: { 'kubernetes.io/os': 'linux' } }) } },
        spec: { template: { spec: { nodeSelector: { 'kubernetes.io/os': null, [zeroKey]: scale.id } } } },
      });
      expect(scale.result).toMatchObject({ nodeSelector: { [zeroKey]: scale.id }, previousNodeSelector: { 'kubernetes.io/os': 'linux' }, changed: true });
      // The pod's evidence counts for its DaemonSet: no NoEvidenceFirst warning on the scale.
      expect(scale.warnings).toEqual([]);
      expect(undo.status, JSON.stringify(undo)).toBe('Completed');
      expect(undo.steps.map((step) => [step.type, step.status])).toEqual([
        ['restore-workload-scale', 'Completed'],
        ['delete-network-policy', 'Completed'],
      ]);
      expect(restorePatch).toEqual({ metadata: { resourceVersion: '48220', annotations: { [scaledFrom]: null } }, spec: { template: { spec: { nodeSelector: { [zeroKey]: null, 'kubernetes.io/os': 'linux' } } } } });
      // The DaemonSet as it was, but for the resourceVersion the two patches moved on.
      expect({ ...cluster.workload.object, metadata: { ...cluster.workload.meta, resourceVersion: '48213' } }).toEqual(original);
      expect(cluster.policies.size).toBe(0);
    });
  });
});
