/**
 * Typed reads of a work order's inputs. The catalogue validated them before the work was
 * queued, so a value of the wrong type is a defect and throws.
 */
import { UnvalidatedInputsError, optionalText, requiredText, textList } from '#shared/catalogue/read-inputs.ts';
import type { ActionInputs } from '#shared/catalogue/types.ts';

export { optionalText, requiredText, textList };

export function optionalBoolean(inputs: ActionInputs, name: string): boolean | undefined {
  const value = inputs[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new UnvalidatedInputsError(name, 'true, false or absent');
  return value;
}

export function optionalInteger(inputs: ActionInputs, name: string): number | undefined {
  const value = inputs[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new UnvalidatedInputsError(name, 'a whole number or absent');
  return value;
}

/** The namespace every cluster action names. */
export function namespaceOf(inputs: ActionInputs): string {
  return requiredText(inputs, 'kubernetes.namespace.name');
}

export const workloadKinds = {
  deployment: { kind: 'Deployment', resource: 'deployments' },
  statefulset: { kind: 'StatefulSet', resource: 'statefulsets' },
  daemonset: { kind: 'DaemonSet', resource: 'daemonsets' },
  replicaset: { kind: 'ReplicaSet', resource: 'replicasets' },
} as const;
export type WorkloadType = keyof typeof workloadKinds;

export function isWorkloadType(value: string): value is WorkloadType {
  return Object.hasOwn(workloadKinds, value);
}

export interface WorkloadRef {
  readonly type: WorkloadType;
  readonly namespace: string;
  readonly name: string;
}

/** `kubernetes.workload.type` and `.name` with the namespace. */
export function workloadOf(inputs: ActionInputs): WorkloadRef {
  const type = requiredText(inputs, 'kubernetes.workload.type');
  if (!isWorkloadType(type)) throw new UnvalidatedInputsError('kubernetes.workload.type', 'a workload type');
  return { type, namespace: namespaceOf(inputs), name: requiredText(inputs, 'kubernetes.workload.name') };
}
