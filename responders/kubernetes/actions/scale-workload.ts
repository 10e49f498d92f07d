/**
 * scale-workload: saves the replica count it found in `prior` and sets
 * `kubernetes.workload.replicas` (0 when absent). The count it found is also written on the
 * workload itself (the scaled-from annotation, in the same patch that scales it): the undo
 * restores from that, never from a report a stolen responder token could have forged. A workload
 * already at that count is left alone and nothing is applied, so the first containment's prior
 * stays the truth. A DaemonSet, which has no count, goes through a node selector (scale-daemonset.ts).
 */
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { maxReplicas } from '#shared/responders/report-schemas/kubernetes.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { ClusterDeps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { optionalInteger, requiredText, workloadOf } from '../inputs.ts';
import type { WorkloadRef } from '../inputs.ts';
import { scaledFromAnnotation } from '../naming.ts';
import { isDaemonSet } from '../daemonsets.ts';
import { isScalable, patchReplicas, readReplicas } from '../workloads.ts';
import type { ScalableType } from '../workloads.ts';
import { scaleDaemonSet } from './scale-daemonset.ts';

/** What the scaled-from annotation records: the action that scaled, and the count before. */
export interface ScaledFrom {
  readonly actionId: string;
  readonly replicas: number;
}

/** The annotation's record, or null when it is absent or not exactly `{actionId, replicas}`. */
export function parseScaledFrom(annotation: string | undefined): ScaledFrom | null {
  if (annotation === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(annotation);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { actionId, replicas, ...rest } = value as Record<string, unknown>;
  const wellFormed =
    Object.keys(rest).length === 0 &&
    typeof actionId === 'string' &&
    typeof replicas === 'number' &&
    Number.isInteger(replicas) &&
    replicas >= 0 &&
    replicas <= maxReplicas;
  return wellFormed ? { actionId, replicas } : null;
}

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
      const { inputs, actionId } = context.work;
      const workload = workloadOf(inputs);
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(workload.namespace);
      const target = optionalInteger(inputs, 'kubernetes.workload.replicas') ?? 0;
      if (isDaemonSet(workload)) return scaleDaemonSet(deps, context, workload, target);
      const ref = scalableOf(inputs);

      const before = await readReplicas(deps.clients, ref, context.signal);
      const prior = { replicas: before.replicas, currentReplicas: before.currentReplicas };
      if (before.replicas === target) {
        return { prior, result: { workload: workloadJson(ref), replicas: target, previousReplicas: before.replicas, changed: false } };
      }
      await context.recordProgress({ prior });
      // A record an earlier scale left (never undone) is kept: it holds the count before any containment.
      const annotations: Record<string, string> = before.annotations[scaledFromAnnotation] === undefined ? { [scaledFromAnnotation]: JSON.stringify({ actionId, replicas: before.replicas }) } : {};
      const after = await patchReplicas(deps.clients, ref, { replicas: target, resourceVersion: before.resourceVersion, annotations }, context.signal);
      return {
        prior,
        applied: { replicas: { from: before.replicas, to: after.replicas } },
        result: { workload: workloadJson(ref), replicas: after.replicas, previousReplicas: before.replicas, changed: true },
      };
    },
  };
}
