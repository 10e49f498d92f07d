/**
 * Workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet), their replica counts, and the
 * chain of controllers that own a pod.
 */
import type { V1ObjectMeta, V1OwnerReference, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { JsonObject } from '#shared/json.ts';
import { callOptions, patchContentTypes } from './cluster.ts';
import type { KubernetesClients, PatchContentType } from './cluster.ts';
import { callApi, isNotFound } from './errors.ts';
import type { ApiCall } from './errors.ts';
import { workloadKinds } from './inputs.ts';
import type { WorkloadRef, WorkloadType } from './inputs.ts';
import type { LabelSelector } from './selectors.ts';

/** What the actions need of a workload, whatever its kind. */
export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly uid: string | null;
  readonly generation: number | null;
  readonly selector: LabelSelector | undefined;
  readonly template: V1PodTemplateSpec | undefined;
  /** Deployments only: kubectl refuses to restart a paused one. */
  readonly paused: boolean;
  /** StatefulSet/DaemonSet `updateStrategy.type`, Deployment `strategy.type`. */
  readonly updateStrategy: string | null;
  /** The workload's own labels and controllers: the exemption check of rule-created work reads them. */
  readonly labels: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly V1OwnerReference[] | undefined;
}

interface WorkloadObject {
  readonly metadata?: V1ObjectMeta;
  readonly spec?: {
    readonly replicas?: number;
    readonly selector?: LabelSelector;
    readonly template?: V1PodTemplateSpec;
    readonly paused?: boolean;
    readonly strategy?: { readonly type?: string };
    readonly updateStrategy?: { readonly type?: string };
  };
  /** replicas: Deployment, StatefulSet, ReplicaSet; every kind has observedGeneration. */
  readonly status?: { readonly replicas?: number; readonly observedGeneration?: number };
}

export function workloadCall(ref: WorkloadRef, verb: ApiCall['verb'], subresource = ''): ApiCall {
  return { verb, resource: `${workloadKinds[ref.type].resource}${subresource}`, group: 'apps', namespace: ref.namespace, name: ref.name };
}

/** `deployment web` for messages and results. */
export function workloadText(ref: WorkloadRef): string {
  return `${ref.type} ${ref.name} in namespace ${ref.namespace}`;
}

async function readWorkloadObject(clients: KubernetesClients, ref: WorkloadRef, signal: AbortSignal): Promise<WorkloadObject> {
  const request = { namespace: ref.namespace, name: ref.name };
  const options = callOptions(signal);
  switch (ref.type) {
    case 'deployment':
      return clients.apps.readNamespacedDeployment(request, options);
    case 'statefulset':
      return clients.apps.readNamespacedStatefulSet(request, options);
    case 'daemonset':
      return clients.apps.readNamespacedDaemonSet(request, options);
    case 'replicaset':
      return clients.apps.readNamespacedReplicaSet(request, options);
  }
}

export async function readWorkload(clients: KubernetesClients, ref: WorkloadRef, signal: AbortSignal): Promise<Workload> {
  const object = await callApi(workloadCall(ref, 'get'), () => readWorkloadObject(clients, ref, signal));
  const spec = object.spec;
  return {
    kind: workloadKinds[ref.type].kind,
    name: ref.name,
    namespace: ref.namespace,
    uid: object.metadata?.uid ?? null,
    generation: object.metadata?.generation ?? null,
    selector: spec?.selector,
    template: spec?.template,
    paused: spec?.paused === true,
    updateStrategy: spec?.strategy?.type ?? spec?.updateStrategy?.type ?? null,
    labels: object.metadata?.labels ?? {},
    ownerReferences: object.metadata?.ownerReferences,
  };
}

async function patchWorkloadObject(
  clients: KubernetesClients,
  ref: WorkloadRef,
  body: JsonObject,
  contentType: PatchContentType,
  signal: AbortSignal,
): Promise<WorkloadObject> {
  const request = { namespace: ref.namespace, name: ref.name, body };
  const options = callOptions(signal, contentType);
  return callApi<WorkloadObject>(workloadCall(ref, 'patch'), () => {
    switch (ref.type) {
      case 'deployment':
        return clients.apps.patchNamespacedDeployment(request, options);
      case 'statefulset':
        return clients.apps.patchNamespacedStatefulSet(request, options);
      case 'daemonset':
        return clients.apps.patchNamespacedDaemonSet(request, options);
      case 'replicaset':
        return clients.apps.patchNamespacedReplicaSet(request, options);
    }
  });
}

/**
 * Patches a workload with a strategic merge patch, as `kubectl rollout restart` does.
 * (ReplicaSets never roll, and the catalogue never sends one here.)
 */
export async function patchWorkload(
  clients: KubernetesClients,
  ref: WorkloadRef,
  body: JsonObject,
  signal: AbortSignal,
): Promise<{ generation: number | null }> {
  const patched = await patchWorkloadObject(clients, ref, body, patchContentTypes.strategicMerge, signal);
  return { generation: patched.metadata?.generation ?? null };
}

export type ScalableType = Exclude<WorkloadType, 'daemonset'>;

export interface ReplicaState {
  /** `spec.replicas` (the desired count). */
  readonly replicas: number;
  /** `status.replicas` (the pods that exist now). */
  readonly currentReplicas: number | null;
  readonly resourceVersion: string | null;
  readonly annotations: Readonly<Record<string, string>>;
}

function replicaStateOf(object: WorkloadObject): ReplicaState {
  return {
    // apps/v1 defaults an absent spec.replicas to 1.
    replicas: object.spec?.replicas ?? 1,
    currentReplicas: object.status?.replicas ?? null,
    resourceVersion: object.metadata?.resourceVersion ?? null,
    annotations: object.metadata?.annotations ?? {},
  };
}

export function isScalable(ref: WorkloadRef): ref is WorkloadRef & { type: ScalableType } {
  return ref.type !== 'daemonset';
}

/** The workload's replica count and annotations, read from the workload object itself. */
export async function readReplicas(clients: KubernetesClients, ref: WorkloadRef & { type: ScalableType }, signal: AbortSignal): Promise<ReplicaState> {
  return replicaStateOf(await callApi(workloadCall(ref, 'get'), () => readWorkloadObject(clients, ref, signal)));
}

/**
 * Sets the replica count and one annotation (null removes it) in a single JSON merge patch of
 * the workload, so the count and the record of what it was change together or not at all. With
 * the resourceVersion read just before, the write fails with a conflict if the workload changed
 * in between (as `kubectl scale --current-replicas` does), so the recorded prior stays the truth.
 */
export async function patchReplicas(
  clients: KubernetesClients,
  ref: WorkloadRef & { type: ScalableType },
  change: { readonly replicas: number; readonly resourceVersion: string | null; readonly annotations: Readonly<Record<string, string | null>> },
  signal: AbortSignal,
): Promise<ReplicaState> {
  const body = {
    metadata: {
      ...(change.resourceVersion === null ? {} : { resourceVersion: change.resourceVersion }),
      ...(Object.keys(change.annotations).length === 0 ? {} : { annotations: { ...change.annotations } }),
    },
    spec: { replicas: change.replicas },
  };
  return replicaStateOf(await patchWorkloadObject(clients, ref, body, patchContentTypes.merge, signal));
}

// ---- Owner chain -----------------------------------------------------------------------

/** One controller above a pod. `state`: read (it exists), gone (404), not-read (a kind the responder may not read). */
export interface OwnerLink {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly state: 'read' | 'gone' | 'not-read';
  /** The controller's labels when read (absent otherwise): the exemption check of rule-created work reads them. */
  readonly labels?: Readonly<Record<string, string>>;
}

type OwnerReader = (clients: KubernetesClients, namespace: string, name: string, signal: AbortSignal) => Promise<{ metadata?: V1ObjectMeta }>;

/** Controllers the responder may read (its ClusterRole has get on each); any other kind ends the chain. */
const ownerReaders: Readonly<Record<string, { resource: string; group: string; read: OwnerReader }>> = {
  'apps/v1 ReplicaSet': {
    resource: 'replicasets',
    group: 'apps',
    read: (clients, namespace, name, signal) => clients.apps.readNamespacedReplicaSet({ namespace, name }, callOptions(signal)),
  },
  'apps/v1 Deployment': {
    resource: 'deployments',
    group: 'apps',
    read: (clients, namespace, name, signal) => clients.apps.readNamespacedDeployment({ namespace, name }, callOptions(signal)),
  },
  'apps/v1 StatefulSet': {
    resource: 'statefulsets',
    group: 'apps',
    read: (clients, namespace, name, signal) => clients.apps.readNamespacedStatefulSet({ namespace, name }, callOptions(signal)),
  },
  'apps/v1 DaemonSet': {
    resource: 'daemonsets',
    group: 'apps',
    read: (clients, namespace, name, signal) => clients.apps.readNamespacedDaemonSet({ namespace, name }, callOptions(signal)),
  },
  'batch/v1 Job': {
    resource: 'jobs',
    group: 'batch',
    read: (clients, namespace, name, signal) => clients.batch.readNamespacedJob({ namespace, name }, callOptions(signal)),
  },
};

const maxOwnerDepth = 8;

export function controllerOf(references: readonly V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return references?.find((reference) => reference.controller === true);
}

/**
 * The controllers above an object, nearest first, up to the top one: follows each
 * `controller: true` owner reference while the owner is a kind the responder can read.
 */
export async function ownerChain(
  clients: KubernetesClients,
  namespace: string,
  references: readonly V1OwnerReference[] | undefined,
  signal: AbortSignal,
): Promise<OwnerLink[]> {
  const chain: OwnerLink[] = [];
  let next = controllerOf(references);
  while (next !== undefined && chain.length < maxOwnerDepth) {
    const reference: V1OwnerReference = next;
    const reader = ownerReaders[`${reference.apiVersion} ${reference.kind}`];
    const link = { apiVersion: reference.apiVersion, kind: reference.kind, name: reference.name, uid: reference.uid };
    if (reader === undefined) {
      chain.push({ ...link, state: 'not-read' });
      break;
    }
    try {
      const owner = await callApi({ verb: 'get', resource: reader.resource, group: reader.group, namespace, name: reference.name }, () =>
        reader.read(clients, namespace, reference.name, signal),
      );
      // A same-named object with another uid is a replacement, not the owner.
      if (owner.metadata?.uid !== undefined && owner.metadata.uid !== reference.uid) {
        chain.push({ ...link, state: 'gone' });
        break;
      }
      chain.push({ ...link, state: 'read', labels: owner.metadata?.labels ?? {} });
      next = controllerOf(owner.metadata?.ownerReferences);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      chain.push({ ...link, state: 'gone' });
      break;
    }
  }
  return chain;
}

export function ownerChainJson(chain: readonly OwnerLink[]): JsonObject[] {
  return chain.map((link) => ({ apiVersion: link.apiVersion, kind: link.kind, name: link.name, uid: link.uid, state: link.state }));
}
