/**
 * Nodes and their `spec.unschedulable`, the field `kubectl cordon` sets. Nodes are cluster-scoped:
 * no namespace guard applies, and RBAC grants get and patch on them cluster-wide (permissions.ts).
 */
import type { V1Node } from '@kubernetes/client-node';
import type { JsonObject } from '#shared/json.ts';
import { callOptions, patchContentTypes } from './cluster.ts';
import type { KubernetesClients } from './cluster.ts';
import { callApi } from './errors.ts';
import type { ApiCall } from './errors.ts';

export interface NodeState {
  readonly name: string;
  readonly uid: string | null;
  /** `spec.unschedulable`; the API server omits it when false, so absent reads as false. */
  readonly unschedulable: boolean;
  readonly resourceVersion: string | null;
}

function nodeCall(name: string, verb: ApiCall['verb']): ApiCall {
  return { verb, resource: 'nodes', group: '', name };
}

function stateOf(name: string, node: V1Node): NodeState {
  return {
    name,
    uid: node.metadata?.uid ?? null,
    unschedulable: node.spec?.unschedulable === true,
    resourceVersion: node.metadata?.resourceVersion ?? null,
  };
}

export function nodeStateJson(state: NodeState): JsonObject {
  return { node: state.name, uid: state.uid, unschedulable: state.unschedulable, resourceVersion: state.resourceVersion };
}

export async function readNode(clients: KubernetesClients, name: string, signal: AbortSignal): Promise<NodeState> {
  const node = await callApi(nodeCall(name, 'get'), () => clients.core.readNode({ name }, callOptions(signal)));
  return stateOf(name, node);
}

/**
 * Sets `spec.unschedulable` with a JSON merge patch, false as kubectl uncordon leaves it (the field
 * removed). With the resourceVersion read just before, the write fails with a conflict if the node
 * changed in between, so the recorded prior stays the truth (node heartbeats go to Leases, not here).
 */
export async function patchUnschedulable(
  clients: KubernetesClients,
  name: string,
  unschedulable: boolean,
  resourceVersion: string | null,
  signal: AbortSignal,
): Promise<NodeState> {
  const body = {
    ...(resourceVersion === null ? {} : { metadata: { resourceVersion } }),
    spec: { unschedulable: unschedulable ? true : null },
  };
  const node = await callApi(nodeCall(name, 'patch'), () =>
    clients.core.patchNode({ name, body }, callOptions(signal, patchContentTypes.merge)),
  );
  return stateOf(name, node);
}
