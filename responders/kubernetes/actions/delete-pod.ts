/**
 * delete-pod: deletes one pod, only if it is still the pod that was inspected (uid
 * precondition: a StatefulSet's replacement has the same name). Prior: the pod's phase, node
 * and owner chain; a pod owned by a controller is expected to be replaced.
 */
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { callOptions, uidPrecondition } from '../cluster.ts';
import type { ClusterDeps } from '../deps.ts';
import { callApi } from '../errors.ts';
import { namespaceOf, requiredText } from '../inputs.ts';
import { ownerChain, ownerChainJson } from '../workloads.ts';

export function deletePodAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'delete-pod',
    async execute(context) {
      const { inputs } = context.work;
      const namespace = namespaceOf(inputs);
      const name = requiredText(inputs, 'kubernetes.pod.name');
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      deps.guard.checkNamespace(namespace, name);
      const { signal } = context;
      const podCall = { resource: 'pods', group: '', namespace, name } as const;

      const pod = await callApi({ ...podCall, verb: 'get' }, () => deps.clients.core.readNamespacedPod({ namespace, name }, callOptions(signal)));
      const uid = pod.metadata?.uid ?? null;
      const chain = await ownerChain(deps.clients, namespace, pod.metadata?.ownerReferences, signal);
      const prior: JsonObject = {
        pod: {
          name,
          namespace,
          uid,
          phase: pod.status?.phase ?? null,
          nodeName: pod.spec?.nodeName ?? null,
          ownerChain: ownerChainJson(chain),
        },
      };
      await context.recordProgress({ prior });

      await callApi({ ...podCall, verb: 'delete' }, () =>
        deps.clients.core.deleteNamespacedPod({ namespace, name, body: uidPrecondition(uid) }, callOptions(signal)),
      );
      const controller = chain[0] ?? null;
      return {
        prior,
        applied: { deleted: [{ kind: 'Pod', namespace, name, uid }] },
        result: {
          deleted: true,
          pod: name,
          uid,
          // A controller (ReplicaSet, StatefulSet, DaemonSet, Job...) starts a fresh pod; a bare pod is gone for good.
          replacementExpected: controller !== null,
          controller: controller === null ? null : { kind: controller.kind, name: controller.name },
        },
      };
    },
  };
}
