/**
 * VolumeSnapshots (snapshot.storage.k8s.io/v1, served by the external-snapshotter CRDs): whether
 * the cluster serves them, the default VolumeSnapshotClass of a CSI driver, and the status fields
 * the snapshot action waits on.
 */
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { KubernetesClients } from './cluster.ts';
import { callOptions } from './cluster.ts';
import { KubernetesCallError, callApi, errorCodes } from './errors.ts';
import type { ApiCall } from './errors.ts';

export const snapshotApi = { group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots' } as const;
export const defaultClassAnnotation = 'snapshot.storage.kubernetes.io/is-default-class';
/** Set by the PV controller on dynamically provisioned claims: the CSI driver that made the volume. */
export const provisionerAnnotations = ['volume.kubernetes.io/storage-provisioner', 'volume.beta.kubernetes.io/storage-provisioner'] as const;

export function snapshotCall(verb: ApiCall['verb'], namespace: string, name?: string): ApiCall {
  return { verb, resource: snapshotApi.plural, group: snapshotApi.group, namespace, ...(name === undefined ? {} : { name }) };
}

function unsupported(cause?: unknown): ResponderActionError {
  return new ResponderActionError(
    errorCodes.snapshotsUnsupported,
    'the cluster does not serve snapshot.storage.k8s.io/v1 VolumeSnapshots: install the external-snapshotter CRDs and snapshot controller (and a CSI driver that supports snapshots)',
    cause === undefined ? undefined : { cause },
  );
}

/** A call whose 404 means the VolumeSnapshot API itself is missing becomes SnapshotsUnsupported. */
export function asSnapshotsUnsupported(error: unknown): unknown {
  return error instanceof KubernetesCallError && error.code === errorCodes.resourceTypeNotServed ? unsupported(error) : error;
}

/** Refuses early, before touching any PVC, when the cluster has no VolumeSnapshot API. */
export async function ensureSnapshotsServed(clients: KubernetesClients, signal: AbortSignal): Promise<void> {
  try {
    const resources = await callApi({ verb: 'get', resource: `API discovery (/apis/${snapshotApi.group}/${snapshotApi.version})`, group: snapshotApi.group }, () =>
      clients.custom.getAPIResources({ group: snapshotApi.group, version: snapshotApi.version }, callOptions(signal)),
    );
    if (!resources.resources.some((resource) => resource.name === snapshotApi.plural)) throw unsupported();
  } catch (error) {
    if (error instanceof KubernetesCallError && (error.status === 404 || error.code === errorCodes.resourceTypeNotServed)) throw unsupported(error);
    throw error;
  }
}

export interface SnapshotClass {
  readonly name: string;
  readonly driver: string;
  readonly isDefault: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function listSnapshotClasses(clients: KubernetesClients, signal: AbortSignal): Promise<SnapshotClass[]> {
  const list: unknown = await callApi({ verb: 'list', resource: 'volumesnapshotclasses', group: snapshotApi.group }, () =>
    clients.custom.listClusterCustomObject({ group: snapshotApi.group, version: snapshotApi.version, plural: 'volumesnapshotclasses' }, callOptions(signal)),
  );
  const items = isRecord(list) && Array.isArray(list['items']) ? (list['items'] as unknown[]) : [];
  return items.flatMap((item) => {
    if (!isRecord(item) || !isRecord(item['metadata'])) return [];
    const name = item['metadata']['name'];
    const driver = item['driver'];
    const annotations = item['metadata']['annotations'];
    if (typeof name !== 'string' || typeof driver !== 'string') return [];
    return [{ name, driver, isDefault: isRecord(annotations) && annotations[defaultClassAnnotation] === 'true' }];
  });
}

/**
 * The class to name on the snapshot: the driver's one default class. With none (or several)
 * the class is left out and the snapshot controller applies its own rule, reporting an error on
 * the snapshot when it finds no default; the result then carries that error.
 */
export function defaultClassFor(classes: readonly SnapshotClass[], driver: string | null): string | null {
  if (driver === null) return null;
  const defaults = classes.filter((snapshotClass) => snapshotClass.driver === driver && snapshotClass.isDefault);
  return defaults.length === 1 ? (defaults[0]?.name ?? null) : null;
}

export interface SnapshotStatus {
  readonly uid: string | null;
  readonly readyToUse: boolean;
  readonly error: string | null;
  readonly restoreSize: string | null;
  readonly boundVolumeSnapshotContentName: string | null;
  readonly creationTime: string | null;
  readonly volumeSnapshotClassName: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly sourcePvc: string | null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function snapshotStatusOf(value: unknown): SnapshotStatus {
  const object = isRecord(value) ? value : {};
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const source = isRecord(spec['source']) ? spec['source'] : {};
  const status = isRecord(object['status']) ? object['status'] : {};
  const error = isRecord(status['error']) ? status['error'] : null;
  const labels = isRecord(metadata['labels'])
    ? Object.fromEntries(Object.entries(metadata['labels']).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
    : {};
  return {
    uid: text(metadata['uid']),
    readyToUse: status['readyToUse'] === true,
    error: error === null ? null : (text(error['message']) ?? 'the snapshot controller reported an error without a message'),
    restoreSize: text(status['restoreSize']),
    boundVolumeSnapshotContentName: text(status['boundVolumeSnapshotContentName']),
    creationTime: text(status['creationTime']),
    volumeSnapshotClassName: text(spec['volumeSnapshotClassName']),
    labels,
    sourcePvc: text(source['persistentVolumeClaimName']),
  };
}
