/**
 * restore-workload-scale, the undo of scale-workload: puts back the replica count scale-workload
 * wrote on the workload itself (the scaled-from annotation), and removes that annotation in the
 * same patch. The stored report (`undoOf`) only has to agree: an annotation another action wrote,
 * or a count that differs from the one recorded, is refused with UndoMismatch and nothing is
 * changed, so a forged report cannot choose the count. Drift (someone scaled the workload since
 * scale-workload did) is reported, and the saved count restored anyway. A DaemonSet gets its node
 * selector back the same way (scale-daemonset.ts).
 */
import type { JsonValue } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { maxReplicas } from '#shared/responders/report-schemas/kubernetes.ts';
import type { ClusterDeps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { isDaemonSet } from '../daemonsets.ts';
import { requiredText, workloadOf } from '../inputs.ts';
import { scaledFromAnnotation } from '../naming.ts';
import { patchReplicas, readReplicas, workloadText } from '../workloads.ts';
import { restoreDaemonSet } from './scale-daemonset.ts';
import { parseScaledFrom, scalableOf, workloadJson } from './scale-workload.ts';

function isRecord(value: JsonValue | null | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function replicaCount(value: JsonValue | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= maxReplicas ? value : null;
}

export function restoreWorkloadScaleAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'restore-workload-scale',
    async execute(context) {
      const { inputs, undoOf } = context.work;
      const workload = workloadOf(inputs);
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(workload.namespace);
      if (isDaemonSet(workload)) return restoreDaemonSet(deps, context, workload);
      const ref = scalableOf(inputs);
      const reported = isRecord(undoOf?.prior) ? replicaCount(undoOf.prior['replicas']) : null;
      if (undoOf === null || reported === null) {
        throw new ResponderActionError(
          errorCodes.nothingToUndo,
          `restore-workload-scale needs the replica count a scale-workload saved; ${undoOf === null ? 'this work undoes no action' : `action ${undoOf.actionId} saved none`}`,
        );
      }
      const appliedReplicas = isRecord(undoOf.applied) && isRecord(undoOf.applied['replicas']) ? undoOf.applied['replicas'] : null;
      const setTo = replicaCount(appliedReplicas?.['to']);

      const now = await readReplicas(deps.clients, ref, context.signal);
      const annotation = now.annotations[scaledFromAnnotation];
      const saved = parseScaledFrom(annotation);
      const refuse = (why: string) =>
        new ResponderActionError(errorCodes.undoMismatch, `${workloadText(ref)} ${why}; nothing was changed`);
      if (saved === null) {
        throw refuse(
          annotation === undefined
            ? `carries no ${scaledFromAnnotation} annotation: action ${undoOf.actionId}'s count cannot be confirmed`
            : `has a ${scaledFromAnnotation} annotation that is not scale-workload's record`,
        );
      }
      if (saved.actionId !== undoOf.actionId) {
        throw refuse(`was scaled from its original count by action ${saved.actionId}, not ${undoOf.actionId}: undo that action instead`);
      }
      if (saved.replicas !== reported) {
        throw refuse(`recorded ${String(saved.replicas)} replicas before action ${undoOf.actionId}, but the action's report says ${String(reported)}`);
      }

      // Drift: the count is no longer what scale-workload set; the saved count is put back anyway.
      const drift = setTo !== null && now.replicas !== setTo ? { expected: setTo, actual: now.replicas } : null;
      const prior = { replicas: now.replicas, currentReplicas: now.currentReplicas };
      const result = { workload: workloadJson(ref), replicas: saved.replicas, previousReplicas: now.replicas, drift };
      const changes = now.replicas !== saved.replicas;
      if (changes) await context.recordProgress({ prior });
      // The annotation goes in the same patch, so a second undo finds nothing to restore.
      const after = await patchReplicas(
        deps.clients,
        ref,
        { replicas: saved.replicas, resourceVersion: now.resourceVersion, annotations: { [scaledFromAnnotation]: null } },
        context.signal,
      );
      if (!changes) return { prior, result: { ...result, changed: false } };
      return {
        prior,
        applied: { replicas: { from: now.replicas, to: after.replicas } },
        result: { ...result, replicas: after.replicas, changed: true },
      };
    },
  };
}
