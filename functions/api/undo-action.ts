import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { acceptedResponse } from '#shared/http/created-response.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { actionServicesFromEnv } from './aws/action-services.ts';
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
      return acceptedResponse(await deps.service.undo(caller, pathParameters['id'] ?? '', body?.['reason'], errors));
    },
    { body: 'optional-json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  const starters = { cloud: cloudStarterFromEnv(process.env, repository), ...responderStartersFromEnv(process.env) };
  return Promise.resolve(createHandler({ service: actionServicesFromEnv(process.env, repository, { starters }).actions }));
});
