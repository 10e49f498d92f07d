/**
 * The responder protocol's service in AWS, for one route's function (or the sweep): the history
 * table, which every route uses, plus only the ports the caller passes, built with this folder's
 * responder-*.ts modules. Each route imports the modules of its own ports and no other, so its
 * bundle carries only the SDK clients it calls. Environment: HISTORY_TABLE_NAME.
 * Permissions: the route's `needs` (functions/api/routes.ts) grant what its ports call.
 */
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { HistoryWriter } from '#shared/history/writer.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import { ResponderService, type ResponderServiceDeps } from '#shared/use-cases/responders.ts';

/** The ports a route may add to the history table. */
export type ResponderPorts = Pick<ResponderServiceDeps, 'queues' | 'queueAccess' | 'callbacks' | 'signingKey' | 'evidence'>;

export function respondersFromEnv(env: Environment, ports: ResponderPorts = {}): { responders: ResponderService } {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const client = createHistoryClient();
  const tableName = config.historyTableName ?? '';
  const responders = new ResponderService({
    repository: new HistoryWriter({ client, tableName, clock: systemClock }),
    store: new ResponderStore({ client, tableName, clock: systemClock }),
    ...ports,
    clock: systemClock,
  });
  return { responders };
}
