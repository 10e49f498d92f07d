/**
 * The responder protocol's service in AWS, for one route's function (or the sweep): the history
 * table, which every route uses, plus only the ports the caller passes, built with this folder's
 * responder-*.ts modules; the class is the caller's too (ResponderFleet for the routes that parse
 * no body, so they bundle no schemas). Each route imports its own ports' modules and no other, so
 * its bundle carries only the SDK clients it calls. Environment: HISTORY_TABLE_NAME.
 * Permissions: the route's `needs` (functions/api/routes.ts) grant what its ports call.
 */
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig, type Environment } from '#shared/config/config.ts';
import { HistoryWriter } from '#shared/history/writer.ts';
import { ResponderStore } from '#shared/responders/store.ts';
import type { ResponderFleet, ResponderServiceDeps } from '#shared/use-cases/responder-fleet.ts';

/** The ports a route may add to the history table. */
export type ResponderPorts = Pick<ResponderServiceDeps, 'queues' | 'queueAccess' | 'callbacks' | 'signingKey' | 'evidence'>;

export function respondersFromEnv<Service extends ResponderFleet>(
  Service: new (deps: ResponderServiceDeps) => Service,
  env: Environment,
  ports: ResponderPorts = {},
): { responders: Service } {
  return { responders: new Service({ ...responderTableFromEnv(env), ...ports, clock: systemClock }) };
}

/** The history table as the responder parts use it: action records and registrations (dispatch-work too). */
export function responderTableFromEnv(env: Environment): { repository: HistoryWriter; store: ResponderStore } {
  const config = loadConfig(env, ['HISTORY_TABLE_NAME']);
  const client = createHistoryClient();
  const tableName = config.historyTableName ?? '';
  return { repository: new HistoryWriter({ client, tableName, clock: systemClock }), store: new ResponderStore({ client, tableName, clock: systemClock }) };
}
