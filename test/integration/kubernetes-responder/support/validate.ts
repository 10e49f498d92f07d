/**
 * Checks that what the responder sends is what the API server would accept: core objects through
 * kubernetes-models' schemas, custom objects (VolumeSnapshot, AdminNetworkPolicy, Calico and
 * Cilium policies, for which kubernetes-models has no schema) through their metadata and label
 * selectors, and the naming rules the schemas do not encode (DNS-1123 names, label syntax).
 */
import { LabelSelector, ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1';
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const labelName = /^(?=.{1,63}$)[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(?:(?=.{1,63}$)[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class InvalidObjectError extends Error {
  override readonly name = 'InvalidObjectError';
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new InvalidObjectError(message);
}

function checkLabelKey(key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? null : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  check(prefix === null || dnsSubdomain.test(prefix), `label key prefix ${String(prefix)} is not a DNS subdomain`);
  check(labelName.test(name), `label key ${key} is not a valid label name`);
}

/** Metadata: schema, DNS-1123 name, label keys and values, annotation keys. */
export function validateMetadata(metadata: unknown, namespaced: boolean): void {
  check(isRecord(metadata), 'metadata is missing');
  const meta = metadata as Record<string, unknown>;
  new ObjectMeta(meta).validate();
  check(typeof meta['name'] === 'string' && dnsSubdomain.test(meta['name']), `metadata.name ${JSON.stringify(meta['name'])} is not a DNS-1123 subdomain`);
  check(namespaced === (meta['namespace'] !== undefined), namespaced ? 'a namespaced object needs metadata.namespace' : 'a cluster-scoped object has no namespace');
  for (const [key, value] of Object.entries(isRecord(meta['labels']) ? meta['labels'] : {})) {
    checkLabelKey(key);
    check(typeof value === 'string' && labelValue.test(value), `label ${key}=${String(value)} has an invalid value`);
  }
  for (const key of Object.keys(isRecord(meta['annotations']) ? meta['annotations'] : {})) checkLabelKey(key);
}

export function validateLabelSelector(selector: unknown): void {
  check(isRecord(selector), 'selector is missing');
  new LabelSelector(selector as ILabelSelector).validate();
  for (const [key, value] of Object.entries(isRecord((selector as Record<string, unknown>)['matchLabels']) ? ((selector as Record<string, unknown>)['matchLabels'] as Record<string, unknown>) : {})) {
    checkLabelKey(key);
    check(typeof value === 'string' && labelValue.test(value), `selector label ${key} has an invalid value`);
  }
}

function checkKind(body: Record<string, unknown>, apiVersion: string, kind: string): void {
  check(body['apiVersion'] === apiVersion && body['kind'] === kind, `expected ${apiVersion} ${kind}, got ${String(body['apiVersion'])} ${String(body['kind'])}`);
}

export function validateNetworkPolicy(body: unknown): void {
  check(isRecord(body), 'not an object');
  const object = body as Record<string, unknown>;
  checkKind(object, 'networking.k8s.io/v1', 'NetworkPolicy');
  new NetworkPolicy(object).validate();
  validateMetadata(object['metadata'], true);
  validateLabelSelector(isRecord(object['spec']) ? object['spec']['podSelector'] : undefined);
}

/** A custom object: apiVersion and kind, metadata, and the label selectors at the given paths. */
export function validateCustomObject(body: unknown, apiVersion: string, kind: string, namespaced: boolean, selectorPaths: readonly (readonly string[])[] = []): void {
  check(isRecord(body), 'not an object');
  const object = body as Record<string, unknown>;
  checkKind(object, apiVersion, kind);
  validateMetadata(object['metadata'], namespaced);
  check(isRecord(object['spec']), 'spec is missing');
  for (const path of selectorPaths) {
    let value: unknown = object;
    for (const key of path) value = isRecord(value) ? value[key] : undefined;
    validateLabelSelector(value);
  }
}

/** RFC 7386 JSON merge patch (a strategic merge patch of maps only behaves the same). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isRecord(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(result, key);
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** The workload as it would be after the patch, validated. */
export function validatePatchedWorkload(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', object: unknown, patch: unknown): void {
  const merged = mergePatch(object, patch) as IDeployment;
  const model = kind === 'Deployment' ? new Deployment(merged) : kind === 'StatefulSet' ? new StatefulSet(merged as never) : new DaemonSet(merged as never);
  model.validate();
}
