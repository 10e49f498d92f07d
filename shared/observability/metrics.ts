/**
 * Metrics per action type and outcome, as CloudWatch embedded metric format (EMF) lines through
 * Powertools Metrics: namespace from POWERTOOLS_METRICS_NAMESPACE, the `service` dimension from
 * POWERTOOLS_SERVICE_NAME (both set by infra/stacks/service-stack.ts). Used by the mark-status
 * function, where every execution of either path (cloud or responder) ends.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { StatusRepository } from '#shared/actions/mark-status.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { isTerminal } from '#shared/history/status.ts';

/**
 * Count 1 per action that ended, by `ActionType` and `Outcome` (Completed or Error); and, when an
 * undo completes, 1 with `Outcome` Undone under the type of the action it undid.
 */
export const actionOutcomeMetric = 'ActionOutcome';
/** Milliseconds from the action's creation to its end, by the same dimensions. */
export const actionDurationMetric = 'ActionDuration';

/** Publishes the outcome of an action that has just ended, as one EMF document; its id goes in as metadata, not as a dimension. */
export function publishActionOutcome(metrics: Metrics, record: ActionRecord): void {
  metrics.addDimension('ActionType', record.type);
  metrics.addDimension('Outcome', record.status);
  metrics.addMetric(actionOutcomeMetric, MetricUnit.Count, 1);
  const duration = Date.parse(record.updatedAt) - Date.parse(record.createdAt);
  if (Number.isFinite(duration) && duration >= 0) metrics.addMetric(actionDurationMetric, MetricUnit.Milliseconds, duration);
  metrics.addMetadata('actionId', record.id);
  metrics.publishStoredMetrics();
}

/**
 * Publishes that the action `undoneId` was undone, under its own type: an undo is an action of
 * its own type (unisolate-ec2-instance), so this is what says which containments were rolled back.
 */
async function publishUndone(repository: StatusRepository, metrics: Metrics, undo: ActionRecord, undoneId: string): Promise<void> {
  const undone = await repository.get(undoneId);
  if (undone === null) return;
  metrics.addDimension('ActionType', undone.type);
  metrics.addDimension('Outcome', 'Undone');
  metrics.addMetric(actionOutcomeMetric, MetricUnit.Count, 1);
  metrics.addMetadata('actionId', undone.id);
  metrics.addMetadata('undoActionId', undo.id);
  metrics.publishStoredMetrics();
}

/**
 * The repository, publishing an outcome whenever one of its transitions ends an action. A
 * transition only succeeds for the writer that made the move (it is conditional on the status
 * it read), so the state machine's retries and repeated marks are never counted twice.
 */
export function withOutcomeMetrics(repository: StatusRepository, metrics: Metrics): StatusRepository {
  return {
    get: (id) => repository.get(id),
    releaseUndo: (id, undoActionId) => repository.releaseUndo(id, undoActionId),
    transition: async (id, to, details) => {
      const record = await repository.transition(id, to, details);
      if (isTerminal(record.status)) publishActionOutcome(metrics, record);
      if (record.status === 'Completed' && record.undoOf !== null) await publishUndone(repository, metrics, record, record.undoOf);
      return record;
    },
  };
}
