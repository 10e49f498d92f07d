/**
 * scale-workload, through the scale subresource: saves the replica count it found in `prior`
 * and sets `kubernetes.workload.replicas` (0 when absent). A workload already at that count is
 * left alone and nothing is applied, so the first containment's prior stays the truth.
 */
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { ClusterDeps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { optionalInteger, requiredText, workloadOf } from '../inputs.ts';
import type { WorkloadRef } from '../inputs.ts';
import { isScalable, patchScale, readScale } from '../workloads.ts';
import type { ScalableType } from '../workloads.ts';

export function scalableOf(inputs: Readonly<Record<string, unknown>>): WorkloadRef & { type: ScalableType } {
  const ref = workloadOf(inputs);
  if (!isScalable(ref)) throw new ResponderActionError(errorCodes.wrongTarget, `a ${ref.type} has no replica count to scale`);
  return ref;
}

export function workloadJson(ref: WorkloadRef): JsonObject {
  return { type: ref.type, name: ref.name, namespace: ref.namespace };
}

export function scaleWorkloadAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'scale-workload',
    async execute(context) {
      const { inputs } = context.work;
      const ref = scalableOf(inputs);
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(ref.namespace);
      const target = optionalInteger(inputs, 'kubernetes.workload.replicas') ?? 0;

      const before = await readScale(deps.clients, ref, context.signal);
      const prior = { replicas: before.replicas, currentReplicas: before.currentReplicas };
      if (before.replicas === target) {
        return { prior, result: { workload: workloadJson(ref), replicas: target, previousReplicas: before.replicas, changed: false } };
      }
      await context.recordProgress({ prior });
      const after = await patchScale(deps.clients, ref, target, before.resourceVersion, context.signal);
      return {
        prior,
        applied: { replicas: { from: before.replicas, to: after.replicas } },
        result: { workload: workloadJson(ref), replicas: after.replicas, previousReplicas: before.replicas, changed: true },
      };
    },
  };
}
