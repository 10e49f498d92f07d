/**
 * The status rules of API.md: Created → Enqueued → Running → Completed, Error from any
 * non-terminal status, nothing else; a terminal status never changes.
 */
export const actionStatuses = ['Created', 'Enqueued', 'Running', 'Completed', 'Error'] as const;
export type ActionStatus = (typeof actionStatuses)[number];

const predecessors: Readonly<Record<ActionStatus, readonly ActionStatus[]>> = {
  Created: [],
  Enqueued: ['Created'],
  Running: ['Enqueued'],
  Completed: ['Running'],
  Error: ['Created', 'Enqueued', 'Running'],
};

/** The statuses a record may be in for it to move to `to`. */
export function allowedPredecessors(to: ActionStatus): readonly ActionStatus[] {
  return predecessors[to];
}

export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return predecessors[to].includes(from);
}

export function isTerminal(status: ActionStatus): boolean {
  return status === 'Completed' || status === 'Error';
}

export function isActionStatus(value: unknown): value is ActionStatus {
  return typeof value === 'string' && (actionStatuses as readonly string[]).includes(value);
}
