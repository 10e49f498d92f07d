/**
 * What a cluster responder reports, per action type, exactly as responders/kubernetes/actions/*.ts
 * builds it. The undo types read `applied` (the policies and snapshots to delete, the replica
 * count to restore), so those are as narrow as the responder's own output.
 */
import * as z from 'zod';
import type { FieldError } from '#shared/catalogue/types.ts';
import { daemonSetFormAgrees, daemonSetScale, orDaemonSetForm } from './kubernetes-daemonset.ts';
import { boundedListOf, count, evidence, failure, isoTime, none, notes, reference, text } from './common.ts';
import { sameAsInput, type ReportParts, type ReportSchemas } from './types.ts';

/**
 * A Kubernetes identifier (object name, uid, kind, apiVersion, phase, resourceVersion...): the
 * characters these use, none of which JSON escapes, so its size in a report body is its length.
 */
const name = z.string().max(253).regex(/^[\w.:/+-]*$/, 'must be a Kubernetes name or identifier');
const nullableName = name.nullable();
/** The pods a workload has: a count, and at most maxReportedItems names. */
const names = boundedListOf(name);
const direction = z.enum(['Ingress', 'Egress']);
const apiVersion = name.max(128);
const kind = name.max(64);

/** policy-store.ts's policyRefJson; an AdminNetworkPolicy is cluster-scoped (namespace null). */
const policyRef = { apiVersion, kind, name, namespace: nullableName };
export const policyRefs = z.array(z.strictObject(policyRef)).max(16);

/** workloads.ts's ownerChainJson (maxOwnerDepth links). */
const ownerChain = z.array(z.strictObject({ apiVersion, kind, name, uid: name, state: z.enum(['read', 'gone', 'not-read']) })).max(8);

/** network-policies.ts's defeatingJson. */
const defeating = boundedListOf(z.strictObject({ name, directions: z.array(direction).max(2), allowsAllIn: z.array(direction).max(2) }));

/** selectors.ts's selectorJson. */
const selector = z.strictObject({
  matchLabels: z
    .record(z.string().max(317), z.string().max(63))
    .refine((labels) => Object.keys(labels).length <= 64, 'must have at most 64 labels')
    .optional(),
  matchExpressions: z
    .array(z.strictObject({ key: z.string().max(317), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string().max(63)).max(256).optional() }))
    .max(64)
    .optional(),
});

/** The largest replica count Kubernetes stores (spec.replicas is an int32). */
export const maxReplicas = 2_147_483_647;
const replicas = z.number().int().min(0).max(maxReplicas);
const scale = z.strictObject({ replicas, currentReplicas: replicas.nullable() });
const replicasChange = z.strictObject({ replicas: z.strictObject({ from: replicas, to: replicas }) });
const workloadRef = z.strictObject({ type: z.enum(['deployment', 'statefulset', 'replicaset']), name, namespace: name });
const workloadAgrees = sameAsInput('kubernetes.workload.name', ['result.workload.name']);

interface ScaleParts {
  readonly prior?: { readonly replicas: number };
  readonly applied?: { readonly replicas: { readonly from: number; readonly to: number } };
  readonly result?: { readonly replicas: number; readonly previousReplicas: number };
}

/**
 * A DaemonSet's report is held to its node-selector form (kubernetes-daemonset.ts); for the other
 * kinds, the counts of a scale report agree with each other: `applied.replicas.from` and
 * `result.previousReplicas` are the prior count, and (scale-workload) the count set is the one
 * the action was given, so a report cannot pass off another count as the one to restore.
 */
function scaleAgrees(target: ((inputs: Readonly<Record<string, unknown>>) => number) | null) {
  return (inputs: Readonly<Record<string, unknown>>, reported: ReportParts): FieldError[] => {
    const forms = daemonSetFormAgrees(inputs, reported);
    if (forms.length > 0 || inputs['kubernetes.workload.type'] === 'daemonset') return [...workloadAgrees(inputs, reported), ...forms];
    const { prior, applied, result } = reported as ScaleParts;
    const errors: FieldError[] = workloadAgrees(inputs, reported);
    const differs = (path: string, value: number | undefined, expected: number | undefined, what: string) => {
      if (value !== undefined && expected !== undefined && value !== expected) errors.push({ path, message: `must be ${what} (${String(expected)})` });
    };
    differs('applied.replicas.from', applied?.replicas.from, prior?.replicas, 'prior.replicas');
    differs('result.previousReplicas', result?.previousReplicas, prior?.replicas, 'prior.replicas');
    differs('result.replicas', result?.replicas, applied?.replicas.to, 'applied.replicas.to');
    if (target !== null) {
      differs('applied.replicas.to', applied?.replicas.to, target(inputs), 'the kubernetes.workload.replicas the action was given');
      differs('result.replicas', result?.replicas, target(inputs), 'the kubernetes.workload.replicas the action was given');
    }
    return errors;
  };
}

/** scale-workload's count: kubernetes.workload.replicas, 0 when absent (as the catalogue defaults it). */
const scaleTarget = (inputs: Readonly<Record<string, unknown>>): number => {
  const given = inputs['kubernetes.workload.replicas'];
  return typeof given === 'number' ? given : 0;
};

/** nodes.ts's nodeStateJson: the node's spec.unschedulable (false when the field is absent) as read. */
const nodeState = z.strictObject({ node: name, uid: nullableName, unschedulable: z.boolean(), resourceVersion: nullableName });
const nodeAgrees = sameAsInput('kubernetes.node.name', ['prior.node', 'result.node']);

/** What kubernetes-volume-snapshot created: kubernetes-delete-volume-snapshot deletes these. */
export const snapshotsApplied = z.strictObject({ snapshots: z.array(z.strictObject({ name, namespace: name, pvc: name, uid: nullableName })).max(256) });
/** What isolate-network created: delete-network-policy deletes these. */
export const isolationApplied = z.strictObject({ policies: policyRefs });

/** Every namespaced object listed at `field` lies in the action's own namespace. */
function inNamespace(field: 'policies' | 'snapshots') {
  return (inputs: Readonly<Record<string, unknown>>, parts: ReportParts): FieldError[] => {
    const applied = parts.applied as Record<string, { namespace: string | null }[] | undefined> | undefined;
    const items = applied?.[field] ?? [];
    return items.flatMap((item, index) =>
      item.namespace === null || item.namespace === inputs['kubernetes.namespace.name']
        ? []
        : [{ path: `applied.${field}.${String(index)}.namespace`, message: 'must be the namespace the action was given' }],
    );
  };
}

export const kubernetesReportSchemas: Readonly<Record<string, ReportSchemas>> = {
  'delete-pod': {
    prior: z.strictObject({
      pod: z.strictObject({ name, namespace: name, uid: nullableName, phase: nullableName, nodeName: nullableName, ownerChain }),
    }),
    applied: z.strictObject({ deleted: z.array(z.strictObject({ kind: z.literal('Pod'), namespace: name, name, uid: nullableName })).max(1) }),
    result: z.strictObject({
      deleted: z.boolean(),
      pod: name,
      uid: nullableName,
      replacementExpected: z.boolean(),
      controller: z.strictObject({ kind, name }).nullable(),
    }),
  },
  'isolate-network': {
    prior: z.strictObject({
      workload: z.strictObject({ kind, name, namespace: name, uid: nullableName }),
      pods: names,
      allowingPolicies: defeating,
    }),
    applied: isolationApplied,
    result: z.strictObject({
      policy: z.strictObject(policyRef),
      denyPolicy: z.strictObject({ ...policyRef, covers: z.array(direction).max(2) }).nullable(),
      denyPolicyApi: apiVersion.nullable(),
      directions: z.array(direction).max(2),
      exception: z.strictObject({ cidr: z.string().max(64).nullable(), protocol: z.enum(['TCP', 'UDP', 'SCTP']).nullable(), port: count.nullable() }).nullable(),
      selector,
      pods: names,
      defeatingPolicies: defeating,
      isolationHolds: z.boolean(),
      limitations: notes,
    }),
    agrees: inNamespace('policies'),
  },
  'delete-network-policy': {
    prior: z.strictObject({ policies: z.array(z.strictObject({ ...policyRef, uid: nullableName, present: z.boolean() })).max(16) }),
    applied: z.strictObject({ deleted: policyRefs }),
    result: z.strictObject({ policies: z.array(z.strictObject({ ...policyRef, outcome: z.enum(['deleted', 'already-gone']) })).max(16) }),
  },
  'kubernetes-volume-snapshot': {
    prior: z.strictObject({
      pvcs: z
        .array(
          z.strictObject({ name, uid: nullableName, phase: nullableName, volumeName: nullableName, storageClassName: nullableName, capacity: z.string().max(64).nullable() }),
        )
        .max(256),
    }),
    applied: snapshotsApplied,
    result: z.strictObject({
      snapshots: z
        .array(
          z.strictObject({
            pvc: name,
            snapshot: nullableName,
            volumeSnapshotClassName: nullableName,
            readyToUse: z.boolean(),
            restoreSize: z.string().max(64).nullable(),
            boundVolumeSnapshotContentName: nullableName,
            creationTime: isoTime.nullable(),
            error: failure.nullable(),
          }),
        )
        .max(256),
      ready: count,
      failed: count,
    }),
    agrees: inNamespace('snapshots'),
  },
  'kubernetes-delete-volume-snapshot': {
    prior: z.strictObject({
      snapshots: z
        .array(
          z.strictObject({ name, present: z.boolean(), uid: nullableName, pvc: nullableName, readyToUse: z.boolean(), boundVolumeSnapshotContentName: nullableName }),
        )
        .max(256),
    }),
    applied: z.strictObject({ deleted: z.array(name).max(256) }),
    result: z.strictObject({ snapshots: z.array(z.strictObject({ name, outcome: z.enum(['deleted', 'already-gone']) })).max(256) }),
  },
  'rollout-restart': {
    prior: z.strictObject({ restartedAt: reference.nullable(), generation: count.nullable(), updateStrategy: nullableName }),
    applied: z.strictObject({ annotation: z.literal('kubectl.kubernetes.io/restartedAt'), value: isoTime }),
    result: z.strictObject({
      workload: z.strictObject({ kind, name, namespace: name }),
      restartedAt: isoTime,
      previousRestartedAt: reference.nullable(),
      generation: count.nullable(),
      rollsPods: z.boolean(),
      note: text.optional(),
    }),
  },
  // A DaemonSet reports its node selector instead of a count (kubernetes-daemonset.ts).
  'scale-workload': {
    prior: orDaemonSetForm(scale, daemonSetScale.prior),
    applied: orDaemonSetForm(replicasChange, daemonSetScale.applied),
    result: orDaemonSetForm(z.strictObject({ workload: workloadRef, replicas, previousReplicas: replicas, changed: z.boolean() }), daemonSetScale.scaleResult),
    agrees: scaleAgrees(scaleTarget),
  },
  'restore-workload-scale': {
    prior: orDaemonSetForm(scale, daemonSetScale.prior),
    applied: orDaemonSetForm(replicasChange, daemonSetScale.applied),
    result: orDaemonSetForm(
      z.strictObject({
        workload: workloadRef,
        replicas,
        previousReplicas: replicas,
        drift: z.strictObject({ expected: replicas, actual: replicas }).nullable(),
        changed: z.boolean(),
      }),
      daemonSetScale.restoreResult,
    ),
    agrees: scaleAgrees(null),
  },
  // cordon only ever cordons and uncordon only ever uncordons: the undo reads this applied.
  'cordon-node': {
    prior: nodeState,
    applied: z.strictObject({ unschedulable: z.strictObject({ from: z.literal(false), to: z.literal(true) }) }),
    result: z.strictObject({ node: name, unschedulable: z.boolean(), previouslyUnschedulable: z.boolean(), changed: z.boolean() }),
    agrees: nodeAgrees,
  },
  'uncordon-node': {
    prior: nodeState,
    applied: z.strictObject({ unschedulable: z.strictObject({ from: z.literal(true), to: z.literal(false) }) }),
    result: z.strictObject({
      node: name,
      unschedulable: z.boolean(),
      previouslyUnschedulable: z.boolean(),
      drift: z.strictObject({ expected: z.boolean(), actual: z.boolean() }).nullable(),
      changed: z.boolean(),
    }),
    agrees: nodeAgrees,
  },
  'capture-pod-state': {
    prior: none,
    applied: none,
    result: z.strictObject({
      evidence,
      pod: z.strictObject({ name, namespace: name, uid: nullableName, phase: nullableName, nodeName: nullableName }),
      events: count,
      ownerChain,
      secretsReferenced: z.array(z.strictObject({ name, via: z.array(z.string().max(600)).max(1000) })).max(1000),
      // The pod's claims, which a playbook passes to kubernetes-volume-snapshot (at most 50 there too).
      persistentVolumeClaims: z.array(name).max(50),
    }),
  },
  'get-logs': {
    prior: none,
    applied: none,
    result: z.strictObject({
      pod: name,
      namespace: name,
      previous: z.boolean(),
      containers: z.array(name).max(256),
      evidence: z.array(z.strictObject({ container: name, name, sha256: evidence.shape.sha256, size: count, truncated: z.boolean() })).max(256),
      failures: z.array(z.strictObject({ container: name, error: failure })).max(256),
    }),
  },
};
