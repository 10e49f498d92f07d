/**
 * scale-workload and restore-workload-scale on a DaemonSet, which has no replica count. Scaling to
 * zero makes the pod template's node selector exactly `{node-restriction.kubernetes.io/response-actions-scaled-to-zero: <action
 * id>}`, which no node matches: the DaemonSet controller removes every pod, and the object stays
 * for investigation. The selector it had (null: none) is written on the DaemonSet in the
 * scaled-from annotation in the same patch, and the undo restores only from that, exactly as the
 * replica count of the other kinds: a forged report cannot choose the selector put back.
 */
import type { JsonValue } from '#shared/json.ts';
import type { ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import { patchNodeSelector, readNodeSelector, sameSelector } from '../daemonsets.ts';
import type { DaemonSetRef, NodeSelector } from '../daemonsets.ts';
import type { ClusterDeps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { actionIdLabelValue, scaledFromAnnotation, scaledToZeroLabel } from '../naming.ts';
import { workloadText } from '../workloads.ts';

function isRecord(value: JsonValue | null | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A node selector as reported or recorded: null, or an object of strings; undefined for anything else. */
function selectorValue(value: JsonValue | undefined): NodeSelector | undefined {
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value);
  if (!entries.every((entry): entry is [string, string] => typeof entry[1] === 'string')) return undefined;
  return entries.length === 0 ? null : Object.fromEntries(entries);
}

/** The DaemonSet form of the scaled-from annotation: exactly `{actionId, nodeSelector}`, else null. */
export function parseScaledFromSelector(annotation: string | undefined): { actionId: string; nodeSelector: NodeSelector } | null {
  if (annotation === undefined) return null;
  let value: JsonValue;
  try {
    value = JSON.parse(annotation) as JsonValue;
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { actionId, nodeSelector, ...rest } = value;
  const selector = Object.hasOwn(value, 'nodeSelector') ? selectorValue(nodeSelector) : undefined;
  return Object.keys(rest).length === 0 && typeof actionId === 'string' && selector !== undefined ? { actionId, nodeSelector: selector } : null;
}

const workloadJson = (ref: DaemonSetRef) => ({ type: ref.type, name: ref.name, namespace: ref.namespace });

export async function scaleDaemonSet(deps: ClusterDeps, context: ResponderActionContext, ref: DaemonSetRef, replicas: number): Promise<ResponderOutcome> {
  const { actionId } = context.work;
  // The catalogue refuses any other count; this keeps a forged or stale work order from reaching the cluster.
  if (replicas !== 0) throw new ResponderActionError(errorCodes.wrongTarget, `a daemonset has no replica count: it can only be scaled to 0, not ${String(replicas)}`);
  const before = await readNodeSelector(deps.clients, ref, context.signal);
  const prior = { nodeSelector: before.nodeSelector, currentNumberScheduled: before.currentNumberScheduled };
  const result = (nodeSelector: NodeSelector, changed: boolean) => ({ workload: workloadJson(ref), nodeSelector, previousNodeSelector: before.nodeSelector, changed });
  // Already scaled to zero (by an earlier scale-workload, never undone): its record stays the truth.
  if (before.nodeSelector !== null && Object.hasOwn(before.nodeSelector, scaledToZeroLabel)) return { prior, result: result(before.nodeSelector, false) };

  await context.recordProgress({ prior });
  // A record an earlier scale left is kept: it holds the selector before any containment.
  const annotations: Record<string, string> =
    before.annotations[scaledFromAnnotation] === undefined ? { [scaledFromAnnotation]: JSON.stringify({ actionId, nodeSelector: before.nodeSelector }) } : {};
  const after = await patchNodeSelector(
    deps.clients,
    ref,
    { from: before.nodeSelector, to: { [scaledToZeroLabel]: actionIdLabelValue(actionId) }, resourceVersion: before.resourceVersion, annotations },
    context.signal,
  );
  return { prior, applied: { nodeSelector: { from: before.nodeSelector, to: after.nodeSelector } }, result: result(after.nodeSelector, true) };
}

export async function restoreDaemonSet(deps: ClusterDeps, context: ResponderActionContext, ref: DaemonSetRef): Promise<ResponderOutcome> {
  const { undoOf } = context.work;
  const reported = isRecord(undoOf?.prior) && Object.hasOwn(undoOf.prior, 'nodeSelector') ? selectorValue(undoOf.prior['nodeSelector']) : undefined;
  if (undoOf === null || reported === undefined) {
    throw new ResponderActionError(
      errorCodes.nothingToUndo,
      `restore-workload-scale needs the node selector a scale-workload saved; ${undoOf === null ? 'this work undoes no action' : `action ${undoOf.actionId} saved none`}`,
    );
  }
  const appliedSelector = isRecord(undoOf.applied) && isRecord(undoOf.applied['nodeSelector']) ? undoOf.applied['nodeSelector'] : null;
  const setTo = appliedSelector === null ? undefined : selectorValue(appliedSelector['to']);

  const now = await readNodeSelector(deps.clients, ref, context.signal);
  const annotation = now.annotations[scaledFromAnnotation];
  const saved = parseScaledFromSelector(annotation);
  const refuse = (why: string) => new ResponderActionError(errorCodes.undoMismatch, `${workloadText(ref)} ${why}; nothing was changed`);
  if (saved === null) {
    throw refuse(
      annotation === undefined
        ? `carries no ${scaledFromAnnotation} annotation: action ${undoOf.actionId}'s node selector cannot be confirmed`
        : `has a ${scaledFromAnnotation} annotation that is not scale-workload's record of a node selector`,
    );
  }
  if (saved.actionId !== undoOf.actionId) throw refuse(`was scaled to zero by action ${saved.actionId}, not ${undoOf.actionId}: undo that action instead`);
  if (!sameSelector(saved.nodeSelector, reported)) {
    throw refuse(`recorded node selector ${JSON.stringify(saved.nodeSelector)} before action ${undoOf.actionId}, but the action's report says ${JSON.stringify(reported)}`);
  }

  // Drift: someone changed the selector since scale-workload set it; it is said, and the saved one put back.
  const drift = setTo !== undefined && !sameSelector(now.nodeSelector, setTo) ? { expected: setTo, actual: now.nodeSelector } : null;
  const prior = { nodeSelector: now.nodeSelector, currentNumberScheduled: now.currentNumberScheduled };
  const changes = !sameSelector(now.nodeSelector, saved.nodeSelector);
  if (changes) await context.recordProgress({ prior });
  // The annotation goes in the same patch, so a second undo finds nothing to restore.
  const after = await patchNodeSelector(
    deps.clients,
    ref,
    { from: now.nodeSelector, to: saved.nodeSelector, resourceVersion: now.resourceVersion, annotations: { [scaledFromAnnotation]: null } },
    context.signal,
  );
  const result = { workload: workloadJson(ref), nodeSelector: after.nodeSelector, previousNodeSelector: now.nodeSelector, drift, changed: changes };
  if (!changes) return { prior, result };
  return { prior, applied: { nodeSelector: { from: now.nodeSelector, to: after.nodeSelector } }, result };
}
