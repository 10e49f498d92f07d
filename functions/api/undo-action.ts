import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { systemClock } from '#shared/clock.ts';
import { cloudStarterFromEnv } from './aws/cloud-starter.ts';
import { historyFromEnv } from './aws/history.ts';
import { responderStartersFromEnv } from './aws/responder-starter.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/actions/{id}/undo: a new action of the paired undo type, from the stored prior state. */
export function createHandler(deps: { service: ActionService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => {
      // The body is optional here: `{ "reason": "..." }` at most.
      const unknown = Object.keys(body ?? {}).filter((field) => field !== 'reason');
      const errors = unknown.map((field) => ({ path: field, message: 'is not a field of an undo request (reason)' }));
      const record = await deps.service.undo(caller, pathParameters['id'] ?? '', body?.['reason'], errors);
      return { status: 202, body: record, headers: { location: `/v1/actions/${record.id}` } };
    },
    { body: 'optional-json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  const starters = { cloud: cloudStarterFromEnv(process.env, repository), ...responderStartersFromEnv(process.env) };
  return Promise.resolve(createHandler({ service: new ActionService({ repository, starters, clock: systemClock }) }));
});
