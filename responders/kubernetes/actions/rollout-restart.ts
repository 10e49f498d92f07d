/**
 * rollout-restart: what `kubectl rollout restart` does. A strategic merge patch sets
 * `kubectl.kubernetes.io/restartedAt` (RFC 3339, seconds) on the pod template, so the
 * controller replaces the pods by its update strategy. Like kubectl, a paused Deployment is
 * refused; a StatefulSet or DaemonSet with the OnDelete strategy takes the annotation but
 * replaces pods only as they are deleted, which the result says.
 */
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { ClusterDeps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { requiredText, workloadOf } from '../inputs.ts';
import { patchWorkload, readWorkload, workloadText } from '../workloads.ts';

export const restartedAtAnnotation = 'kubectl.kubernetes.io/restartedAt';

/** RFC 3339 in UTC without fractional seconds, as kubectl writes it. */
export function restartTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function rolloutRestartAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'rollout-restart',
    async execute(context) {
      const { inputs } = context.work;
      const ref = workloadOf(inputs);
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(ref.namespace);
      const { signal } = context;

      const workload = await readWorkload(deps.clients, ref, signal);
      if (workload.paused) {
        throw new ResponderActionError(
          errorCodes.workloadPaused,
          `${workloadText(ref)} is paused: resume it (kubectl rollout resume) before restarting, as kubectl requires`,
        );
      }
      const previous = workload.template?.metadata?.annotations?.[restartedAtAnnotation] ?? null;
      const prior = { restartedAt: previous, generation: workload.generation, updateStrategy: workload.updateStrategy };
      await context.recordProgress({ prior });

      const restartedAt = restartTimestamp(deps.clock.now());
      const patched = await patchWorkload(
        deps.clients,
        ref,
        { spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: restartedAt } } } } },
        signal,
      );
      const rollsPods = workload.updateStrategy !== 'OnDelete';
      return {
        prior,
        applied: { annotation: restartedAtAnnotation, value: restartedAt },
        result: {
          workload: { kind: workload.kind, name: ref.name, namespace: ref.namespace },
          restartedAt,
          previousRestartedAt: previous,
          generation: patched.generation,
          rollsPods,
          ...(rollsPods ? {} : { note: 'the OnDelete update strategy replaces each pod only when it is deleted' }),
        },
      };
    },
  };
}
