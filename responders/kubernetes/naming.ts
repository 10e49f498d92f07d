/**
 * Names and labels of the objects the cluster responder creates. Names are deterministic from
 * the action (a retry after a crash finds its own object instead of creating a second one), and
 * labels say who made an object, so undo and the delete actions touch only what this service made.
 */
import { createHash } from 'node:crypto';

/** `app.kubernetes.io/managed-by` value on every object the responder creates. */
export const managedByValue = 'response-actions';
export const managedByLabel = 'app.kubernetes.io/managed-by';
/** The id of the action that created the object (a UUID fits a label value). */
export const actionIdLabel = 'response-actions.io/action-id';
export const actionTypeLabel = 'response-actions.io/action-type';
/** On an isolation NetworkPolicy: the deny-capable companion policies created with it (JSON). */
export const companionsAnnotation = 'response-actions.io/companions';
export const workloadAnnotation = 'response-actions.io/workload';
export const sourcePvcAnnotation = 'response-actions.io/source-pvc';
/**
 * On a workload scale-workload scaled: `{"actionId":..,"replicas":N}`, the count it had (a DaemonSet:
 * `{"actionId":..,"nodeSelector":{..}|null}`, the pod template's node selector it had), written
 * in the same patch that scaled it. restore-workload-scale restores only from this, never from a report.
 */
export const scaledFromAnnotation = 'response-actions.io/scaled-from';
/**
 * The node-selector key scale-workload gives a DaemonSet's pod template, valued with the action's
 * id: no node carries it, so every pod goes, and anyone reading the object sees why. The
 * `node-restriction.kubernetes.io/` prefix is one the NodeRestriction admission plugin forbids a
 * kubelet to set on its own Node, so a stolen kubelet credential cannot label its node to bring
 * the DaemonSet's pod back there.
 */
export const scaledToZeroLabel = 'node-restriction.kubernetes.io/response-actions-scaled-to-zero';

const labelValuePattern = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const maxNameLength = 253;

/** Whether `value` may be a Kubernetes label value (at most 63 characters, alphanumeric ends). */
export function isLabelValue(value: string): boolean {
  return labelValuePattern.test(value);
}

/**
 * Eight lower-case characters that identify the action in object names: the UUID's first
 * block, or a hash prefix for ids of another shape.
 */
export function shortActionId(actionId: string): string {
  const block = /^([0-9a-f]{8})-/i.exec(actionId)?.[1];
  return block === undefined ? createHash('sha256').update(actionId).digest('hex').slice(0, 8) : block.toLowerCase();
}

/** The label value for the action id; a hash when the id is not a valid label value. */
export function actionIdLabelValue(actionId: string): string {
  return isLabelValue(actionId) ? actionId : createHash('sha256').update(actionId).digest('hex').slice(0, 63);
}

/**
 * `<prefix>-<parts...>-<short action id>`, a DNS-1123 subdomain of at most 253 characters: the
 * middle is cut when too long, never the action's suffix, and no part ends on '-' or '.'.
 */
export function objectName(prefix: string, parts: readonly string[], actionId: string): string {
  const suffix = `-${shortActionId(actionId)}`;
  const middle = [prefix, ...parts].join('-');
  const room = maxNameLength - suffix.length;
  const trimmed = middle.length > room ? middle.slice(0, room).replace(/[-.]+$/, '') : middle;
  return `${trimmed}${suffix}`;
}

/** Labels on every created object. */
export function ownershipLabels(actionId: string, actionType: string): Record<string, string> {
  return {
    [managedByLabel]: managedByValue,
    [actionIdLabel]: actionIdLabelValue(actionId),
    [actionTypeLabel]: actionType,
  };
}

/** Whether labels mark an object as made by this service, and (when given) by that action. */
export function isManagedBy(labels: Readonly<Record<string, string>> | undefined, actionId?: string): boolean {
  if (labels?.[managedByLabel] !== managedByValue) return false;
  return actionId === undefined || labels[actionIdLabel] === actionIdLabelValue(actionId);
}
