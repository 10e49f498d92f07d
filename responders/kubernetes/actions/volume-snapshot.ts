/**
 * kubernetes-volume-snapshot: one VolumeSnapshot per PVC, each independent: a PVC that is
 * missing, unbound or refused does not stop the others, and the result lists per PVC the
 * snapshot or the error. Then a bounded, abortable wait until each snapshot is readyToUse or
 * reports an error. `applied` lists every snapshot created (ready or not), recorded as each is
 * created, so an undo removes them all. Completed when at least one snapshot is ready.
 */
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction, ResponderActionContext } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { callOptions } from '../cluster.ts';
import type { ClusterDeps } from '../deps.ts';
import { KubernetesCallError, callApi, errorCodes, errorSummary, interrupted, isAbort, isAlreadyExists } from '../errors.ts';
import { namespaceOf, requiredText, textList } from '../inputs.ts';
import { isManagedBy, objectName, ownershipLabels, sourcePvcAnnotation } from '../naming.ts';
import {
  asSnapshotsUnsupported,
  defaultClassFor,
  ensureSnapshotsServed,
  listSnapshotClasses,
  provisionerAnnotations,
  snapshotApi,
  snapshotCall,
  snapshotStatusOf,
} from '../snapshots.ts';
import type { SnapshotClass, SnapshotStatus } from '../snapshots.ts';

interface Entry {
  readonly pvc: string;
  snapshot: string | null;
  requestedClass: string | null;
  status: SnapshotStatus | null;
  error: { code: string; message: string } | null;
  /** Still waiting for readyToUse or an error. */
  pending: boolean;
  /** The last transient failure while polling (5xx, unreachable), kept for the timeout message. */
  lastPollError: string | null;
}

function isTransient(error: unknown): boolean {
  return error instanceof KubernetesCallError && (error.code === errorCodes.clusterError || error.code === errorCodes.clusterUnreachable);
}

function entryJson(entry: Entry): JsonObject {
  return {
    pvc: entry.pvc,
    snapshot: entry.snapshot,
    volumeSnapshotClassName: entry.status?.volumeSnapshotClassName ?? entry.requestedClass,
    readyToUse: entry.status?.readyToUse ?? false,
    restoreSize: entry.status?.restoreSize ?? null,
    boundVolumeSnapshotContentName: entry.status?.boundVolumeSnapshotContentName ?? null,
    creationTime: entry.status?.creationTime ?? null,
    error: entry.error,
  };
}

export function volumeSnapshotAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'kubernetes-volume-snapshot',
    async execute(context) {
      const { inputs, actionId } = context.work;
      const namespace = namespaceOf(inputs);
      const claims = textList(inputs, 'kubernetes.persistentvolume.claim.name');
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(namespace);
      const { signal } = context;
      await ensureSnapshotsServed(deps.clients, signal);

      let classes: Promise<SnapshotClass[]> | null = null;
      const entries: Entry[] = [];
      const priorClaims: JsonObject[] = [];
      const applied: JsonObject[] = [];
      for (const pvc of claims) {
        const entry: Entry = { pvc, snapshot: null, requestedClass: null, status: null, error: null, pending: false, lastPollError: null };
        entries.push(entry);
        try {
          const claim = await callApi({ verb: 'get', resource: 'persistentvolumeclaims', group: '', namespace, name: pvc }, () =>
            deps.clients.core.readNamespacedPersistentVolumeClaim({ namespace, name: pvc }, callOptions(signal)),
          );
          const phase = claim.status?.phase ?? null;
          priorClaims.push({
            name: pvc,
            uid: claim.metadata?.uid ?? null,
            phase,
            volumeName: claim.spec?.volumeName ?? null,
            storageClassName: claim.spec?.storageClassName ?? null,
            capacity: claim.status?.capacity?.['storage'] ?? null,
          });
          if (phase !== 'Bound') {
            throw new ResponderActionError(errorCodes.pvcNotBound, `PVC ${pvc} is ${phase ?? 'not bound'}, not Bound: it has no volume to snapshot yet`);
          }
          const annotations = claim.metadata?.annotations ?? {};
          const driver = provisionerAnnotations.map((key) => annotations[key]).find((value) => value !== undefined) ?? null;
          if (driver !== null) {
            classes ??= listSnapshotClasses(deps.clients, signal);
            entry.requestedClass = defaultClassFor(await classes, driver);
          }
          const name = objectName('ra-snap', [pvc], actionId);
          const body: JsonObject = {
            apiVersion: `${snapshotApi.group}/${snapshotApi.version}`,
            kind: 'VolumeSnapshot',
            metadata: { name, namespace, labels: ownershipLabels(actionId, 'kubernetes-volume-snapshot'), annotations: { [sourcePvcAnnotation]: pvc } },
            spec: {
              ...(entry.requestedClass === null ? {} : { volumeSnapshotClassName: entry.requestedClass }),
              source: { persistentVolumeClaimName: pvc },
            },
          };
          entry.status = await createOrAdopt(deps, context, namespace, name, body);
          entry.snapshot = name;
          entry.pending = true;
          applied.push({ name, namespace, pvc, uid: entry.status.uid });
          await context.recordProgress({ prior: { pvcs: [...priorClaims] }, applied: { snapshots: [...applied] } });
        } catch (error) {
          if (isAbort(error) || (error instanceof ResponderActionError && error.code === errorCodes.interrupted)) throw error;
          entry.error = errorSummary(asSnapshotsUnsupported(error));
        }
      }

      await waitUntilSettled(deps, context, namespace, entries);

      const prior = { pvcs: priorClaims };
      const ready = entries.filter((entry) => entry.status?.readyToUse === true && entry.error === null);
      if (ready.length === 0) {
        const failures = entries.map((entry) => `${entry.pvc}: ${entry.error?.message ?? 'not ready'}`).join('; ');
        const codes = new Set(entries.map((entry) => entry.error?.code ?? errorCodes.snapshotFailed));
        const [onlyCode] = codes;
        throw new ResponderActionError(
          codes.size === 1 && onlyCode !== undefined ? onlyCode : errorCodes.snapshotFailed,
          `no snapshot became ready${applied.length > 0 ? ` (created ones stay listed for undo)` : ''}: ${failures}`.slice(0, 2000),
        );
      }
      return {
        prior,
        ...(applied.length > 0 ? { applied: { snapshots: applied } } : {}),
        result: { snapshots: entries.map(entryJson), ready: ready.length, failed: entries.length - ready.length },
      };
    },
  };
}

/** Creates the snapshot, or adopts the one this action created before a crash. */
async function createOrAdopt(deps: ClusterDeps, context: ResponderActionContext, namespace: string, name: string, body: JsonObject): Promise<SnapshotStatus> {
  const { signal } = context;
  try {
    const created: unknown = await callApi(snapshotCall('create', namespace, name), () =>
      deps.clients.custom.createNamespacedCustomObject({ ...snapshotApi, namespace, body }, callOptions(signal)),
    );
    return snapshotStatusOf(created);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    const existing: unknown = await callApi(snapshotCall('get', namespace, name), () =>
      deps.clients.custom.getNamespacedCustomObject({ ...snapshotApi, namespace, name }, callOptions(signal)),
    );
    const status = snapshotStatusOf(existing);
    if (!isManagedBy(status.labels, context.work.actionId)) {
      throw new ResponderActionError(errorCodes.conflict, `VolumeSnapshot ${name} already exists and was not created by this action`, { cause: error });
    }
    return status;
  }
}

/** Polls every pending snapshot until ready, errored, or the deadline; aborts with the signal. */
async function waitUntilSettled(deps: ClusterDeps, context: ResponderActionContext, namespace: string, entries: Entry[]): Promise<void> {
  const { signal } = context;
  const timeoutMs = deps.settings.snapshotReadyTimeoutMs;
  const deadline = deps.clock.now().getTime() + timeoutMs;
  const settle = (entry: Entry) => {
    if (entry.status?.readyToUse === true) entry.pending = false;
    else if (entry.status?.error != null) {
      entry.pending = false;
      entry.error = { code: errorCodes.snapshotFailed, message: `the snapshot controller reported: ${entry.status.error}` };
    }
  };
  entries.forEach(settle);
  while (entries.some((entry) => entry.pending)) {
    if (deps.clock.now().getTime() >= deadline) {
      for (const entry of entries.filter((each) => each.pending)) {
        entry.pending = false;
        const last = entry.lastPollError === null ? '' : ` (last check failed: ${entry.lastPollError})`;
        entry.error = {
          code: errorCodes.snapshotFailed,
          message: `VolumeSnapshot ${entry.snapshot ?? ''} was not ready within ${Math.round(timeoutMs / 1000)} s${last}; it may still become ready`,
        };
      }
      return;
    }
    try {
      await deps.sleep(deps.settings.snapshotPollIntervalMs, signal);
    } catch (error) {
      if (isAbort(error)) throw interrupted('waiting for VolumeSnapshots to become ready (created ones stay listed for undo)');
      throw error;
    }
    for (const entry of entries.filter((each) => each.pending)) {
      const name = entry.snapshot ?? '';
      try {
        const found: unknown = await callApi(snapshotCall('get', namespace, name), () =>
          deps.clients.custom.getNamespacedCustomObject({ ...snapshotApi, namespace, name }, callOptions(signal)),
        );
        entry.status = snapshotStatusOf(found);
        settle(entry);
      } catch (error) {
        if (isAbort(error) || (error instanceof ResponderActionError && error.code === errorCodes.interrupted)) throw error;
        if (isTransient(error)) {
          entry.lastPollError = errorSummary(error).message;
          continue;
        }
        entry.pending = false;
        entry.error = errorSummary(error);
      }
    }
  }
}
