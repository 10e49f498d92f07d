import type { ActionRecord } from '#shared/history/record.ts';
import type { WorkTarget } from './protocol.ts';

/** The record is not one a responder runs (a cloud action, or inputs without a host or cluster). */
export class NotResponderWorkError extends Error {
  override readonly name = 'NotResponderWorkError';
}

/**
 * The host or cluster whose responder runs a recorded action: `host.id` for host actions,
 * `kubernetes.cluster.name` for cluster actions (get-logs picks by its inputs, as the catalogue did).
 */
export function workTargetOf(record: Pick<ActionRecord, 'id' | 'executor' | 'inputs'>): WorkTarget {
  const key = record.executor === 'host' ? 'host.id' : record.executor === 'kubernetes' ? 'kubernetes.cluster.name' : undefined;
  if (key === undefined) throw new NotResponderWorkError(`action ${record.id} is a ${record.executor} action, not a responder's`);
  const name = record.inputs[key];
  if (typeof name !== 'string' || name === '') throw new NotResponderWorkError(`action ${record.id} has no ${key}`);
  return { kind: record.executor === 'host' ? 'host' : 'kubernetes', name };
}

/** `host node-7`, `cluster prod-eu`: how messages name a target. */
export function targetLabel(target: WorkTarget): string {
  return `${target.kind === 'host' ? 'host' : 'cluster'} ${target.name}`;
}

/** `host/node-7`: a responder's id, as GET /v1/responders lists it. */
export function responderId(target: WorkTarget): string {
  return `${target.kind}/${target.name}`;
}
