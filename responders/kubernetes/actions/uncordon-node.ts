/**
 * uncordon-node, the undo of cordon-node: puts back the `spec.unschedulable` saved in
 * `undoOf.prior`. It only ever uncordons: a node that was cordoned before cordon-node stays
 * cordoned. Drift (someone uncordoned the node since cordon-node set it) is reported; the saved
 * value is what the node ends with either way.
 */
import type { JsonValue } from '#shared/json.ts';
import type { ResponderAction } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { ClusterDeps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { requiredText } from '../inputs.ts';
import { nodeStateJson, patchUnschedulable, readNode } from '../nodes.ts';

function isRecord(value: JsonValue | null | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function booleanOf(value: JsonValue | undefined): boolean | null {
  return typeof value === 'boolean' ? value : null;
}

export function uncordonNodeAction(deps: ClusterDeps): ResponderAction {
  return {
    type: 'uncordon-node',
    async execute(context) {
      const { inputs, undoOf } = context.work;
      deps.guard.checkCluster(requiredText(inputs, 'kubernetes.cluster.name'));
      const name = requiredText(inputs, 'kubernetes.node.name');
      const saved = isRecord(undoOf?.prior) && undoOf.prior['node'] === name ? booleanOf(undoOf.prior['unschedulable']) : null;
      if (undoOf === null || saved === null) {
        throw new ResponderActionError(
          errorCodes.nothingToUndo,
          `uncordon-node needs the spec.unschedulable a cordon-node of node ${name} saved; ${undoOf === null ? 'this work undoes no action' : `action ${undoOf.actionId} saved none`}`,
        );
      }
      const change = isRecord(undoOf.applied) && isRecord(undoOf.applied['unschedulable']) ? undoOf.applied['unschedulable'] : null;
      const setTo = booleanOf(change?.['to']);

      const now = await readNode(deps.clients, name, context.signal);
      // Drift: the node is no longer as cordon-node left it; the saved value is what it ends with anyway.
      const drift = setTo !== null && now.unschedulable !== setTo ? { expected: setTo, actual: now.unschedulable } : null;
      const prior = nodeStateJson(now);
      const result = { node: name, previouslyUnschedulable: now.unschedulable, drift };
      // Only ever uncordon: a saved `true` (cordoned before) or a node already schedulable is left as it is.
      if (saved || !now.unschedulable) return { prior, result: { ...result, unschedulable: now.unschedulable, changed: false } };
      await context.recordProgress({ prior });
      const after = await patchUnschedulable(deps.clients, name, false, now.resourceVersion, context.signal);
      return {
        prior,
        applied: { unschedulable: { from: true, to: false } },
        result: { ...result, unschedulable: after.unschedulable, changed: true },
      };
    },
  };
}
