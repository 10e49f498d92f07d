/**
 * Create, read and delete the isolation's policies by kind: NetworkPolicies through the typed
 * networking client, the deny-capable kinds through the custom objects client.
 */
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { KubernetesClients } from './cluster.ts';
import { callOptions, uidPrecondition } from './cluster.ts';
import { callApi, isNotFound } from './errors.ts';
import type { ApiCall } from './errors.ts';
import { apiVersionOf, denyPolicyApis, networkPolicyApi } from './deny-policies.ts';
import type { PolicyApi } from './deny-policies.ts';

/** A policy the isolation created, as `applied.policies` records it. */
export interface PolicyRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** null for cluster-scoped kinds (AdminNetworkPolicy). */
  readonly namespace: string | null;
}

export interface PolicyObject {
  readonly uid: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

const knownApis: readonly PolicyApi[] = [networkPolicyApi, ...Object.values(denyPolicyApis)];

export function policyApiOf(ref: Pick<PolicyRef, 'apiVersion' | 'kind'>): PolicyApi | undefined {
  return knownApis.find((api) => apiVersionOf(api) === ref.apiVersion && api.kind === ref.kind);
}

export function policyRef(api: PolicyApi, name: string, namespace: string): PolicyRef {
  return { apiVersion: apiVersionOf(api), kind: api.kind, name, namespace: api.namespaced ? namespace : null };
}

export function policyRefJson(ref: PolicyRef): JsonObject {
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: ref.namespace };
}

/** `Kind/name` (with the group for kinds that share a name, such as Calico's NetworkPolicy). */
export function policyText(ref: PolicyRef): string {
  const group = ref.apiVersion.split('/')[0] ?? ref.apiVersion;
  return ref.kind === 'NetworkPolicy' && group !== networkPolicyApi.group ? `${ref.kind}.${group}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** The metadata the delete actions check, from any object the API server returned. */
export function objectMetaOf(value: unknown): PolicyObject {
  const metadata = isRecord(value) && isRecord(value['metadata']) ? value['metadata'] : {};
  const uid = metadata['uid'];
  return { uid: typeof uid === 'string' ? uid : null, labels: stringMap(metadata['labels']), annotations: stringMap(metadata['annotations']) };
}

/** Reads `applied.policies` (or a companions annotation) back into refs; null when it is not that shape. */
export function parsePolicyRefs(value: JsonValue | undefined): PolicyRef[] | null {
  if (!Array.isArray(value)) return null;
  const refs: PolicyRef[] = [];
  for (const item of value) {
    if (!isRecord(item)) return null;
    const { apiVersion, kind, name, namespace } = item;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string') return null;
    if (namespace !== null && typeof namespace !== 'string') return null;
    refs.push({ apiVersion, kind, name, namespace });
  }
  return refs;
}

function callFor(api: PolicyApi, verb: ApiCall['verb'], namespace: string | null, name?: string): ApiCall {
  return {
    verb,
    resource: api.plural,
    group: api.group,
    ...(namespace === null ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  };
}

/** Creates a policy from its JSON (every kind, NetworkPolicy included, through the custom objects client: the body goes out as written). */
export async function createPolicy(
  clients: KubernetesClients,
  api: PolicyApi,
  namespace: string,
  body: JsonObject,
  name: string,
  signal: AbortSignal,
): Promise<PolicyObject> {
  const scope = api.namespaced ? namespace : null;
  const target = { group: api.group, version: api.version, plural: api.plural, body };
  const created: unknown = await callApi(callFor(api, 'create', scope, name), () =>
    scope === null
      ? clients.custom.createClusterCustomObject(target, callOptions(signal))
      : clients.custom.createNamespacedCustomObject({ ...target, namespace: scope }, callOptions(signal)),
  );
  return objectMetaOf(created);
}

/** Reads a policy's metadata; null when it does not exist. */
export async function readPolicy(clients: KubernetesClients, ref: PolicyRef, api: PolicyApi, signal: AbortSignal): Promise<PolicyObject | null> {
  const target = { group: api.group, version: api.version, plural: api.plural, name: ref.name };
  try {
    const found: unknown = await callApi(callFor(api, 'get', ref.namespace, ref.name), () =>
      ref.namespace === null
        ? clients.custom.getClusterCustomObject(target, callOptions(signal))
        : clients.custom.getNamespacedCustomObject({ ...target, namespace: ref.namespace }, callOptions(signal)),
    );
    return objectMetaOf(found);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * Deletes a policy, only if it is still the object that was read (uid precondition); a policy
 * that is already gone is reported, not an error.
 */
export async function deletePolicy(
  clients: KubernetesClients,
  ref: PolicyRef,
  api: PolicyApi,
  uid: string | null,
  signal: AbortSignal,
): Promise<'deleted' | 'already-gone'> {
  const body = uidPrecondition(uid);
  const target = { group: api.group, version: api.version, plural: api.plural, name: ref.name, ...(body === undefined ? {} : { body }) };
  try {
    await callApi(callFor(api, 'delete', ref.namespace, ref.name), () =>
      ref.namespace === null
        ? clients.custom.deleteClusterCustomObject(target, callOptions(signal))
        : clients.custom.deleteNamespacedCustomObject({ ...target, namespace: ref.namespace }, callOptions(signal)),
    );
    return 'deleted';
  } catch (error) {
    if (isNotFound(error)) return 'already-gone';
    throw error;
  }
}
