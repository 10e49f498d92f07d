/**
 * A DaemonSet's pod-template node selector: what scale-workload changes on a DaemonSet, which has
 * no replica count. Read and written through the DaemonSet object itself, each write a JSON merge
 * patch guarded by the resourceVersion read just before, as the replica patches are.
 */
import type { V1DaemonSet } from '@kubernetes/client-node';
import { sameSelector } from '#shared/responders/report-schemas/kubernetes-daemonset.ts';
import { callOptions, patchContentTypes } from './cluster.ts';
import type { KubernetesClients } from './cluster.ts';
import { callApi } from './errors.ts';
import type { WorkloadRef } from './inputs.ts';
import { workloadCall } from './workloads.ts';

export { sameSelector };

export type DaemonSetRef = WorkloadRef & { readonly type: 'daemonset' };
/** `spec.template.spec.nodeSelector`; null when the field is absent (or empty, which the API server drops). */
export type NodeSelector = Readonly<Record<string, string>> | null;

export function isDaemonSet(ref: WorkloadRef): ref is DaemonSetRef {
  return ref.type === 'daemonset';
}

export interface NodeSelectorState {
  readonly nodeSelector: NodeSelector;
  /** `status.currentNumberScheduled`: the nodes running one of its pods now. */
  readonly currentNumberScheduled: number | null;
  readonly resourceVersion: string | null;
  readonly annotations: Readonly<Record<string, string>>;
}

function selectorOf(selector: Readonly<Record<string, string>> | undefined): NodeSelector {
  return selector === undefined || Object.keys(selector).length === 0 ? null : { ...selector };
}

function stateOf(object: V1DaemonSet): NodeSelectorState {
  return {
    nodeSelector: selectorOf(object.spec?.template.spec?.nodeSelector),
    currentNumberScheduled: object.status?.currentNumberScheduled ?? null,
    resourceVersion: object.metadata?.resourceVersion ?? null,
    annotations: object.metadata?.annotations ?? {},
  };
}

export async function readNodeSelector(clients: KubernetesClients, ref: DaemonSetRef, signal: AbortSignal): Promise<NodeSelectorState> {
  const object = await callApi(workloadCall(ref, 'get'), () =>
    clients.apps.readNamespacedDaemonSet({ namespace: ref.namespace, name: ref.name }, callOptions(signal)),
  );
  return stateOf(object);
}

/**
 * Makes the node selector exactly `to` (null removes the field) and sets or removes annotations
 * (null removes one), in one merge patch: a merge patch merges maps, so each key `from` has that
 * `to` lacks is sent as null. `from` is the selector read with `resourceVersion`, so the write
 * fails with a conflict if anything changed in between and the computed patch is never stale.
 */
export async function patchNodeSelector(
  clients: KubernetesClients,
  ref: DaemonSetRef,
  change: {
    readonly from: NodeSelector;
    readonly to: NodeSelector;
    readonly resourceVersion: string | null;
    readonly annotations: Readonly<Record<string, string | null>>;
  },
  signal: AbortSignal,
): Promise<NodeSelectorState> {
  const selectorPatch =
    change.to === null ? null : { ...Object.fromEntries(Object.keys(change.from ?? {}).map((key) => [key, null])), ...change.to };
  const body = {
    metadata: {
      ...(change.resourceVersion === null ? {} : { resourceVersion: change.resourceVersion }),
      ...(Object.keys(change.annotations).length === 0 ? {} : { annotations: { ...change.annotations } }),
    },
    ...(sameSelector(change.from, change.to) ? {} : { spec: { template: { spec: { nodeSelector: selectorPatch } } } }),
  };
  const object = await callApi(workloadCall(ref, 'patch'), () =>
    clients.apps.patchNamespacedDaemonSet(
      { namespace: ref.namespace, name: ref.name, body },
      callOptions(signal, patchContentTypes.merge),
    ),
  );
  return stateOf(object);
}
