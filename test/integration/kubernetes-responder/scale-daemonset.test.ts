/**
 * scale-workload and restore-workload-scale on a DaemonSet, against the Kubernetes test API server.
 * That server is request-asserting, not a real API server (no scheduler, no DaemonSet controller):
 * each test lists the exact requests, and the DaemonSet it serves is held here as kube-apiserver
 * would hold it (GET answers it, a JSON merge patch applies to it under a resourceVersion
 * precondition). Which pods the DaemonSet controller would keep is computed from that state the way
 * it schedules: a node runs one only when its labels hold every key=value of the pod template's
 * nodeSelector.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '#shared/json.ts';
import type { ResponderOutcome, UndoSource } from '#shared/responders/protocol.ts';
import { reportProblems } from '#shared/responders/report-schemas/index.ts';
import { actionId, execute, executeFailing } from './support/harness.ts';
import { clusterName, conflicting, namespace, node, objectMeta, ok } from './support/kubernetes-objects.ts';
import { h, server, useTestApiServer } from './support/test-api-server-hooks.ts';
import type { ReceivedRequest, Reply } from './support/test-api-server.ts';
import { mergePatch, validatePatchedWorkload } from './support/validate.ts';

useTestApiServer();

const scaledFrom = 'response-actions.io/scaled-from';
const zeroKey = 'node-restriction.kubernetes.io/response-actions-scaled-to-zero';
const path = `/apis/apps/v1/namespaces/${namespace}/daemonsets/node-agent`;
const merge = 'application/merge-patch+json';
const inputs = { 'kubernetes.cluster.name': clusterName, 'kubernetes.namespace.name': namespace, 'kubernetes.workload.name': 'node-agent', 'kubernetes.workload.type': 'daemonset' };
type Selector = Record<string, string>;

/** Three nodes of the cluster: two general linux nodes, one labelled for a GPU pool. */
const nodeLabels: readonly Selector[] = [
  node('ip-10-0-12-34.eu-west-1.compute.internal'),
  node('ip-10-0-14-7.eu-west-1.compute.internal'),
  node('ip-10-0-20-9.eu-west-1.compute.internal'),
].map((each, index) => ({ ...((each['metadata'] as { labels: Selector }).labels), ...(index === 2 ? { 'eks.amazonaws.com/nodegroup': 'gpu' } : {}) }));

/** A DaemonSet as `kubectl get -o json` shows it. */
function daemonSet(nodeSelector?: Selector): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: objectMeta('node-agent', { generation: 2, labels: { app: 'node-agent' }, annotations: { 'deprecated.daemonset.template.generation': '2' } }),
    spec: {
      selector: { matchLabels: { app: 'node-agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
      template: {
        metadata: { labels: { app: 'node-agent' } },
        spec: {
          containers: [{ name: 'agent', image: 'registry.example.com/ops/node-agent:2.3.0' }],
          tolerations: [{ operator: 'Exists' }],
          ...(nodeSelector === undefined ? {} : { nodeSelector }),
        },
      },
    },
    status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, observedGeneration: 2, updatedNumberScheduled: 3, numberAvailable: 3 },
  };
}

/** The DaemonSet as the API server stores it: answers GETs, applies merge patches whose resourceVersion is current. */
class StoredDaemonSet {
  object: Record<string, unknown>;
  #version = 48213;

  constructor(object: Record<string, unknown>) {
    this.object = object;
  }

  get meta(): Record<string, unknown> {
    return this.object['metadata'] as Record<string, unknown>;
  }

  /** The pod template's nodeSelector; undefined when the field is absent. */
  get nodeSelector(): Selector | undefined {
    return ((this.object['spec'] as { template: { spec: { nodeSelector?: Selector } } }).template.spec).nodeSelector;
  }

  /** The nodes the DaemonSet controller would run a pod on. */
  get podsOn(): number {
    const selector = this.nodeSelector ?? {};
    return nodeLabels.filter((labels) => Object.entries(selector).every(([key, value]) => labels[key] === value)).length;
  }

  readonly read = (): Reply => ok(structuredClone(this.object));

  readonly patch = (request: ReceivedRequest): Reply => {
    const sent = (request.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (sent !== undefined && sent !== this.meta['resourceVersion']) return conflicting('daemonsets', 'node-agent', 'apps');
    validatePatchedWorkload('DaemonSet', this.object, request.body);
    this.#version += 7;
    const after = mergePatch(this.object, request.body) as Record<string, unknown>;
    this.object = { ...after, metadata: { ...(after['metadata'] as Record<string, unknown>), resourceVersion: String(this.#version) } };
    return ok(structuredClone(this.object));
  };

  /** Someone else edits the object (kubectl edit): a new resourceVersion. */
  edit(nodeSelector: Selector): void {
    this.object = mergePatch(this.object, { spec: { template: { spec: { nodeSelector } } } }) as Record<string, unknown>;
    this.#version += 3;
    this.meta['resourceVersion'] = String(this.#version);
  }
}

const undoOf = (outcome: ResponderOutcome, id = actionId): UndoSource => ({ actionId: id, type: 'scale-workload', prior: outcome.prior ?? null, applied: outcome.applied ?? null, result: outcome.result });

function reported(type: string, progress: readonly { prior?: JsonValue; applied?: JsonValue }[], outcome: ResponderOutcome) {
  const action = { type, executor: 'kubernetes', inputs };
  return [...progress.map((step) => reportProblems(action, step)), reportProblems(action, outcome)].flat();
}

describe('scale-workload on a DaemonSet', () => {
  it('replaces its node selector with one no node matches, saving the prior one on the DaemonSet in the same guarded patch: its pods go, the object stays', async () => {
    // Prepare
    const stored = new StoredDaemonSet(daemonSet({ 'kubernetes.io/os': 'linux' }));
    const body = {
      metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: JSON.stringify({ actionId, nodeSelector: { 'kubernetes.io/os': 'linux' } }) } },
      spec: { template: { spec: { nodeSelector: { 'kubernetes.io/os': null, [zeroKey]: actionId } } } },
    };
    server.expect({ method: 'GET', path, reply: stored.read }, { method: 'PATCH', path, contentType: merge, body, reply: stored.patch });
    const podsBefore = stored.podsOn;

    // Act
    const { outcome, run } = await execute(h, { type: 'scale-workload', inputs });

    // Assess
    server.assertDone();
    expect(podsBefore).toBe(3);
    expect(stored.nodeSelector).toEqual({ [zeroKey]: actionId });
    expect(stored.podsOn).toBe(0);
    expect(run.progress).toEqual([{ prior: { nodeSelector: { 'kubernetes.io/os': 'linux' }, currentNumberScheduled: 3 } }]);
    expect(outcome).toEqual({
      prior: { nodeSelector: { 'kubernetes.io/os': 'linux' }, currentNumberScheduled: 3 },
      applied: { nodeSelector: { from: { 'kubernetes.io/os': 'linux' }, to: { [zeroKey]: actionId } } },
      result: { workload: { type: 'daemonset', name: 'node-agent', namespace }, nodeSelector: { [zeroKey]: actionId }, previousNodeSelector: { 'kubernetes.io/os': 'linux' }, changed: true },
    });
    expect(reported('scale-workload', run.progress, outcome)).toEqual([]);
  });

  it('changes nothing on a DaemonSet already scaled to zero, so the first scale’s record stays the truth', async () => {
    // Prepare
    const earlier = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
    const stored = new StoredDaemonSet(daemonSet({ [zeroKey]: earlier }));
    server.expect({ method: 'GET', path, reply: stored.read });

    // Act
    const { outcome, run } = await execute(h, { type: 'scale-workload', inputs });

    // Assess
    server.assertDone();
    expect(outcome.applied).toBeUndefined();
    expect(outcome.result).toMatchObject({ changed: false, nodeSelector: { [zeroKey]: earlier } });
    expect(run.progress).toEqual([]);
  });

  it('refuses a count other than 0 before reading anything (a DaemonSet has no replica count), and fails with Conflict when the DaemonSet changed between read and write', async () => {
    // Prepare
    const stored = new StoredDaemonSet(daemonSet());
    server.expect(
      { method: 'GET', path, reply: stored.read },
      {
        method: 'PATCH',
        path,
        contentType: merge,
        body: { metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: JSON.stringify({ actionId, nodeSelector: null }) } }, spec: { template: { spec: { nodeSelector: { [zeroKey]: actionId } } } } },
        reply: (request) => {
          stored.edit({ 'kubernetes.io/os': 'linux' });
          return stored.patch(request);
        },
      },
    );

    // Act
    const counted = await executeFailing(h, { type: 'scale-workload', inputs: { ...inputs, 'kubernetes.workload.replicas': 2 } });
    const raced = await executeFailing(h, { type: 'scale-workload', inputs });

    // Assess
    server.assertDone();
    expect(counted.error.code).toBe('WrongTarget');
    expect(counted.error.message).toBe('a daemonset has no replica count: it can only be scaled to 0, not 2');
    expect(counted.run.progress).toEqual([]);
    expect(raced.error.code).toBe('Conflict');
    expect(stored.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(stored.meta['annotations']).toEqual({ 'deprecated.daemonset.template.generation': '2' });
  });
});

describe('restore-workload-scale on a DaemonSet', () => {
  it('puts back exactly a DaemonSet that had no node selector: the field is gone again and the object is as it was', async () => {
    // Prepare
    const original = daemonSet();
    const stored = new StoredDaemonSet(structuredClone(original));
    server.expect(
      { method: 'GET', path, reply: stored.read },
      { method: 'PATCH', path, contentType: merge, body: { metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: JSON.stringify({ actionId, nodeSelector: null }) } }, spec: { template: { spec: { nodeSelector: { [zeroKey]: actionId } } } } }, reply: stored.patch },
      { method: 'GET', path, reply: stored.read },
      { method: 'PATCH', path, contentType: merge, body: { metadata: { resourceVersion: '48220', annotations: { [scaledFrom]: null } }, spec: { template: { spec: { nodeSelector: null } } } }, reply: stored.patch },
    );

    // Act
    const scaled = await execute(h, { type: 'scale-workload', inputs });
    const podsWhileScaled = stored.podsOn;
    const restored = await execute(h, { type: 'restore-workload-scale', inputs, undoOf: undoOf(scaled.outcome) });

    // Assess
    server.assertDone();
    expect(podsWhileScaled).toBe(0);
    expect(stored.podsOn).toBe(3);
    expect(Object.hasOwn((stored.object['spec'] as { template: { spec: object } }).template.spec, 'nodeSelector')).toBe(false);
    expect({ ...stored.object, metadata: { ...stored.meta, resourceVersion: '48213' } }).toEqual(original);
    expect(restored.outcome).toEqual({
      prior: { nodeSelector: { [zeroKey]: actionId }, currentNumberScheduled: 3 },
      applied: { nodeSelector: { from: { [zeroKey]: actionId }, to: null } },
      result: { workload: { type: 'daemonset', name: 'node-agent', namespace }, nodeSelector: null, previousNodeSelector: { [zeroKey]: actionId }, drift: null, changed: true },
    });
    expect(reported('scale-workload', scaled.run.progress, scaled.outcome)).toEqual([]);
    expect(reported('restore-workload-scale', restored.run.progress, restored.outcome)).toEqual([]);
  });

  it('puts back exactly a selector of several keys, and reports drift when someone changed the selector since, removing the keys they added', async () => {
    // Prepare
    const prior = { 'kubernetes.io/os': 'linux', 'eks.amazonaws.com/nodegroup': 'general' };
    const human = { 'node-role.kubernetes.io/forensics': 'true' };
    const stored = new StoredDaemonSet(daemonSet(prior));
    server.expect(
      { method: 'GET', path, reply: stored.read },
      {
        method: 'PATCH',
        path,
        contentType: merge,
        body: {
          metadata: { resourceVersion: '48213', annotations: { [scaledFrom]: JSON.stringify({ actionId, nodeSelector: prior }) } },
          spec: { template: { spec: { nodeSelector: { 'kubernetes.io/os': null, 'eks.amazonaws.com/nodegroup': null, [zeroKey]: actionId } } } },
        },
        reply: stored.patch,
      },
      { method: 'GET', path, reply: stored.read },
      {
        method: 'PATCH',
        path,
        contentType: merge,
        body: {
          metadata: { resourceVersion: '48223', annotations: { [scaledFrom]: null } },
          spec: { template: { spec: { nodeSelector: { [zeroKey]: null, 'node-role.kubernetes.io/forensics': null, ...prior } } } },
        },
        reply: stored.patch,
      },
    );

    // Act
    const scaled = await execute(h, { type: 'scale-workload', inputs });
    stored.edit(human);
    const restored = await execute(h, { type: 'restore-workload-scale', inputs, undoOf: undoOf(scaled.outcome) });

    // Assess
    server.assertDone();
    expect(stored.nodeSelector).toEqual(prior);
    expect(stored.podsOn).toBe(2);
    expect(stored.meta['annotations']).toEqual({ 'deprecated.daemonset.template.generation': '2' });
    expect(restored.outcome.result).toEqual({
      workload: { type: 'daemonset', name: 'node-agent', namespace },
      nodeSelector: prior,
      previousNodeSelector: { [zeroKey]: actionId, ...human },
      drift: { expected: { [zeroKey]: actionId }, actual: { [zeroKey]: actionId, ...human } },
      changed: true,
    });
    expect(reported('restore-workload-scale', restored.run.progress, restored.outcome)).toEqual([]);
  });

  it('refuses a forged report, another action’s record or no record on the DaemonSet (UndoMismatch), and one that saved no selector (NothingToUndo), patching nothing', async () => {
    // Prepare: the DaemonSet was scaled from {kubernetes.io/os: linux} by this action; a stolen token reports another prior.
    const other = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
    const scaledState = (record: string | undefined) => {
      const object = daemonSet({ [zeroKey]: actionId });
      if (record !== undefined) (object['metadata'] as { annotations: Selector }).annotations[scaledFrom] = record;
      return new StoredDaemonSet(object);
    };
    const genuine = JSON.stringify({ actionId, nodeSelector: { 'kubernetes.io/os': 'linux' } });
    const report = (nodeSelector: JsonValue): UndoSource => ({
      actionId,
      type: 'scale-workload',
      prior: { nodeSelector, currentNumberScheduled: 3 },
      applied: { nodeSelector: { from: nodeSelector, to: { [zeroKey]: actionId } } },
      result: null,
    });
    server.expect(
      { method: 'GET', path, reply: scaledState(genuine).read },
      { method: 'GET', path, reply: scaledState(JSON.stringify({ actionId: other, nodeSelector: null })).read },
      { method: 'GET', path, reply: scaledState(undefined).read },
      { method: 'GET', path, reply: scaledState(JSON.stringify({ actionId, replicas: 3 })).read },
    );

    // Act
    const forged = await executeFailing(h, { type: 'restore-workload-scale', inputs, undoOf: report({ 'kubernetes.io/hostname': 'attacker-node' }) });
    const another = await executeFailing(h, { type: 'restore-workload-scale', inputs, undoOf: report(null) });
    const missing = await executeFailing(h, { type: 'restore-workload-scale', inputs, undoOf: report(null) });
    const replicaRecord = await executeFailing(h, { type: 'restore-workload-scale', inputs, undoOf: report(null) });
    const noneSaved = await executeFailing(h, { type: 'restore-workload-scale', inputs, undoOf: { ...report(null), prior: { replicas: 3, currentReplicas: 3 } } });

    // Assess
    server.assertDone();
    expect([forged, another, missing, replicaRecord].map(({ error }) => error.code)).toEqual(['UndoMismatch', 'UndoMismatch', 'UndoMismatch', 'UndoMismatch']);
    expect(forged.error.message).toBe(
      `daemonset node-agent in namespace ${namespace} recorded node selector {"kubernetes.io/os":"linux"} before action ${actionId}, but the action's report says {"kubernetes.io/hostname":"attacker-node"}; nothing was changed`,
    );
    expect(another.error.message).toContain(`was scaled to zero by action ${other}, not ${actionId}`);
    expect(missing.error.message).toContain(`carries no ${scaledFrom} annotation`);
    expect(replicaRecord.error.message).toContain('is not scale-workload');
    expect(noneSaved.error.code).toBe('NothingToUndo');
    expect(server.received.map((request) => request.method)).toEqual(['GET', 'GET', 'GET', 'GET']);
    expect([forged, another, missing, replicaRecord, noneSaved].flatMap(({ run }) => run.progress)).toEqual([]);
  });

  it('refuses a selector planted in the annotation by someone who may patch the DaemonSet (the action id is on the object to copy): the record’s prior and the annotation must agree, and nothing is patched', async () => {
    // Prepare: scaled from {kubernetes.io/os: linux} by this action; then someone rewrites the record on the object.
    const planted = JSON.stringify({ actionId, nodeSelector: { 'kubernetes.io/hostname': 'attacker-node' } });
    const object = daemonSet({ [zeroKey]: actionId });
    (object['metadata'] as { annotations: Selector }).annotations[scaledFrom] = planted;
    const stored = new StoredDaemonSet(object);
    const genuine: UndoSource = {
      actionId,
      type: 'scale-workload',
      prior: { nodeSelector: { 'kubernetes.io/os': 'linux' }, currentNumberScheduled: 3 },
      applied: { nodeSelector: { from: { 'kubernetes.io/os': 'linux' }, to: { [zeroKey]: actionId } } },
      result: null,
    };
    server.expect({ method: 'GET', path, reply: stored.read });

    // Act
    const refused = await executeFailing(h, { type: 'restore-workload-scale', inputs, undoOf: genuine });

    // Assess
    server.assertDone();
    expect(refused.error.code).toBe('UndoMismatch');
    expect(refused.error.message).toContain('"kubernetes.io/hostname":"attacker-node"');
    expect(stored.nodeSelector).toEqual({ [zeroKey]: actionId });
    expect(refused.run.progress).toEqual([]);
  });
});
