/**
 * kubernetes-delete-volume-snapshot: deletes exactly the named VolumeSnapshots, each only if
 * this service created it (as an undo: only those the original action created and still labelled
 * with its id). Every name is checked before anything is deleted; one already gone is reported,
 * not an error.
 */
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { callOptions, uidPrecondition } from '../cluster.ts';
import type { ClusterDeps } from '../deps.ts';
import { callApi, errorCodes, isNotFound } from '../errors.ts';
import { namespaceOf, requiredText, textList } from '../inputs.ts';
import { isManagedBy, managedByLabel, managedByValue } from '../naming.ts';
import { ensureSnapshotsServed, snapshotApi, snapshotCall, snapshotStatusOf } from '../snapshots.ts';
import type { SnapshotStatus } from '../snapshots.ts';

function isRecord(value: JsonValue | null | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The snapshot names an original kubernetes-volume-snapshot recorded in `applied.snapshots`. */
function appliedNames(applied: JsonValue | null): string[] | null {
  const snapshots = isRecord(applied) ? applied['snapshots'] : undefined;
  if (!Array.isArray(snapshots)) return null;
  const names = snapshots.map((item) => (isRecord(item) && typeof item['name'] === 'string' ? item['name'] : null));
  return names.every((name): name is string => name !== null) ? names : null;
}

export function deleteVolumeSnapshotAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'kubernetes-delete-volume-snapshot',
    async execute(context) {
      const { inputs, undoOf } = context.work;
      const namespace = namespaceOf(inputs);
      const names = textList(inputs, 'kubernetes.volumesnapshot.name');
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(namespace);
      const { signal } = context;

      let owner: string | undefined;
      if (undoOf !== null) {
        const created = appliedNames(undoOf.applied);
        if (created === null || created.length === 0) {
          throw new ResponderActionError(errorCodes.nothingToUndo, `action ${undoOf.actionId} (${undoOf.type}) recorded no snapshot it created; there is nothing to delete`);
        }
        const foreign = names.filter((name) => !created.includes(name));
        if (foreign.length > 0) {
          throw new ResponderActionError(
            errorCodes.undoMismatch,
            `${foreign.join(', ')} ${foreign.length === 1 ? 'was' : 'were'} not created by action ${undoOf.actionId} (it created ${created.join(', ')}); nothing was deleted`,
          );
        }
        owner = undoOf.actionId;
      }
      await ensureSnapshotsServed(deps.clients, signal);

      const found = new Map<string, SnapshotStatus | null>();
      for (const name of names) {
        let status: SnapshotStatus | null;
        try {
          const object: unknown = await callApi(snapshotCall('get', namespace, name), () =>
            deps.clients.custom.getNamespacedCustomObject({ ...snapshotApi, namespace, name }, callOptions(signal)),
          );
          status = snapshotStatusOf(object);
        } catch (error) {
          if (!isNotFound(error)) throw error;
          status = null;
        }
        if (status !== null && !isManagedBy(status.labels, owner)) {
          throw new ResponderActionError(
            errorCodes.notManaged,
            `VolumeSnapshot ${name} in namespace ${namespace} was not created by ${owner === undefined ? 'response-actions' : `action ${owner}`} (label ${managedByLabel}=${managedByValue}); nothing was deleted`,
          );
        }
        found.set(name, status);
      }
      const prior: JsonObject = {
        snapshots: names.map((name) => {
          const status = found.get(name) ?? null;
          return {
            name,
            present: status !== null,
            uid: status?.uid ?? null,
            pvc: status?.sourcePvc ?? null,
            readyToUse: status?.readyToUse ?? false,
            boundVolumeSnapshotContentName: status?.boundVolumeSnapshotContentName ?? null,
          };
        }),
      };
      await context.recordProgress({ prior });

      const deleted: string[] = [];
      const outcomes: JsonObject[] = [];
      for (const name of names) {
        const status = found.get(name) ?? null;
        let outcome: 'deleted' | 'already-gone' = 'already-gone';
        if (status !== null) {
          try {
            await callApi(snapshotCall('delete', namespace, name), () =>
              deps.clients.custom.deleteNamespacedCustomObject(
                { ...snapshotApi, namespace, name, body: uidPrecondition(status.uid) },
                callOptions(signal),
              ),
            );
            outcome = 'deleted';
            deleted.push(name);
            await context.recordProgress({ prior, applied: { deleted: [...deleted] } });
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
        outcomes.push({ name, outcome });
      }
      return { prior, applied: { deleted }, result: { snapshots: outcomes } };
    },
  };
}
