/**
 * restore-workload-scale, the undo of scale-workload: puts back the replica count saved in
 * `undoOf.prior`, and reports drift when the count is no longer the one scale-workload set
 * (someone scaled the workload since); the saved count is restored anyway.
 */
import type { JsonValue } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { ClusterDeps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { requiredText } from '../inputs.ts';
import { patchScale, readScale } from '../workloads.ts';
import { scalableOf, workloadJson } from './scale-workload.ts';

function isRecord(value: JsonValue | null | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wholeNumber(value: JsonValue | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

export function restoreWorkloadScaleAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'restore-workload-scale',
    async execute(context) {
      const { inputs, undoOf } = context.work;
      const ref = scalableOf(inputs);
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(ref.namespace);
      const saved = isRecord(undoOf?.prior) ? wholeNumber(undoOf.prior['replicas']) : null;
      if (undoOf === null || saved === null) {
        throw new ResponderActionError(
          errorCodes.nothingToUndo,
          `restore-workload-scale needs the replica count a scale-workload saved; ${undoOf === null ? 'this work undoes no action' : `action ${undoOf.actionId} saved none`}`,
        );
      }
      const appliedReplicas = isRecord(undoOf.applied) && isRecord(undoOf.applied['replicas']) ? undoOf.applied['replicas'] : null;
      const setTo = wholeNumber(appliedReplicas?.['to']);

      const now = await readScale(deps.clients, ref, context.signal);
      // Drift: the count is no longer what scale-workload set; the saved count is put back anyway.
      const drift = setTo !== null && now.replicas !== setTo ? { expected: setTo, actual: now.replicas } : null;
      const prior = { replicas: now.replicas, currentReplicas: now.currentReplicas };
      const result = { workload: workloadJson(ref), replicas: saved, previousReplicas: now.replicas, drift };
      if (now.replicas === saved) return { prior, result: { ...result, changed: false } };
      await context.recordProgress({ prior });
      const after = await patchScale(deps.clients, ref, saved, now.resourceVersion, context.signal);
      return {
        prior,
        applied: { replicas: { from: now.replicas, to: after.replicas } },
        result: { ...result, replicas: after.replicas, changed: true },
      };
    },
  };
}
