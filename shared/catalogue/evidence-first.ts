/**
 * What each destructive action type destroys, as the evidence types that would have preserved it
 * (issue 13): a destructive action with none of these Completed on its resource in the hour
 * before is accepted with a `NoEvidenceFirst` warning naming them.
 */

/** Ending processes loses their memory-resident state and open connections; their logs may go with a container. */
const processState = ['capture-process-state', 'get-logs'] as const;
/** A container that ends takes its processes, its log stream and its writable layer with it. */
const containerState = ['get-logs', 'capture-process-state', 'acquire-file'] as const;
/** A pod that ends takes its spec and status, its logs and (with it) its claim on volumes. */
const podState = ['capture-pod-state', 'get-logs', 'kubernetes-volume-snapshot'] as const;

/** Destructive type → the evidence types that preserve what it destroys, in the order to suggest them. */
export const evidenceFirst: Readonly<Record<string, readonly string[]>> = {
  'kill-process': processState,
  'kill-container': containerState,
  'stop-container': containerState,
  'delete-pod': podState,
  'scale-workload': podState,
  'rollout-restart': podState,
  // Restoring a scale ends pods when the saved count is lower than the current one.
  'restore-workload-scale': podState,
};

/**
 * Destructive types whose destruction is of evidence itself (snapshots taken as evidence): no
 * evidence action gathers a snapshot back, so they carry no such warning.
 */
export const evidenceDeletingTypes: readonly string[] = ['kubernetes-delete-volume-snapshot', 'undo-cloud-volume-snapshot'];

/** The evidence types that would have preserved what `type` destroys; empty for a type that needs none. */
export function evidenceTypesBefore(type: string): readonly string[] {
  return Object.hasOwn(evidenceFirst, type) ? (evidenceFirst[type] ?? []) : [];
}
