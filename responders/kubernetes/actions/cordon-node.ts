/**
 * cordon-node, as `kubectl cordon`: sets the node's `spec.unschedulable`, so the scheduler places
 * no new pod on a compromised node; pods already there keep running (nothing is evicted, so
 * evidence in them stays). `prior` holds the value found and the resourceVersion; a node already
 * cordoned is left as it is and nothing is applied, so no undo is offered and whoever cordoned
 * it first stays the one to uncordon it. The node the responder itself runs on is not refused:
 * cordoning evicts nothing, so the responder keeps running (a rescheduled responder pod simply
 * lands elsewhere).
 */
import type { ResponderAction } from '#shared/responders/protocol.ts';
import type { ClusterDeps } from '../deps.ts';
import { requiredText } from '../inputs.ts';
import { nodeStateJson, patchUnschedulable, readNode } from '../nodes.ts';

export function cordonNodeAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'cordon-node',
    async execute(context) {
      const { inputs } = context.work;
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      const name = requiredText(inputs, 'kubernetes.node.name');

      const before = await readNode(deps.clients, name, context.signal);
      const prior = nodeStateJson(before);
      const result = { node: name, previouslyUnschedulable: before.unschedulable };
      if (before.unschedulable) return { prior, result: { ...result, unschedulable: true, changed: false } };
      await context.recordProgress({ prior });
      const after = await patchUnschedulable(deps.clients, name, true, before.resourceVersion, context.signal);
      return {
        prior,
        applied: { unschedulable: { from: false, to: true } },
        result: { ...result, unschedulable: after.unschedulable, changed: true },
      };
    },
  };
}
