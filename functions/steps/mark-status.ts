/**
 * Lambda entry point of the cloud action state machines' MarkRunning, MarkCompleted and MarkError
 * states (and of an EventBridge rule on executions that ended without MarkError).
 * Environment: HISTORY_TABLE_NAME; POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME for
 * the ActionOutcome metrics. Permissions: dynamodb:GetItem and dynamodb:UpdateItem on the history table.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { createMarkStatusHandler, type MarkStatusDeps } from '#shared/actions/mark-status.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { HistoryWriter } from '#shared/history/writer.ts';
import { lambdaEntry } from '#shared/observability/entry.ts';
import { withOutcomeMetrics } from '#shared/observability/metrics.ts';

export { createMarkStatusHandler as createHandler };

/** The deployed wiring, read from the environment (fails fast naming a missing variable). */
export function defaultDeps(): MarkStatusDeps {
  const config = loadConfig(process.env, ['HISTORY_TABLE_NAME']);
  const repository = new HistoryWriter({ client: createHistoryClient(), tableName: config.historyTableName ?? '', clock: systemClock });
  return { repository: withOutcomeMetrics(repository, new Metrics()) };
}

// Deps are built on the first invocation: importing this module (local runtime, tests) reads no environment.
export const handler = lambdaEntry(() => createMarkStatusHandler(defaultDeps));
