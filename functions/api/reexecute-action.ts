import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { acceptedResponse } from '#shared/http/created-response.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { actionServicesFromEnv } from './aws/action-services.ts';
import { cloudStarterFromEnv } from './aws/cloud-starter.ts';
import { historyFromEnv } from './aws/history.ts';
import { responderStartersFromEnv } from './aws/responder-starter.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/actions/{id}/reexecute: a new action with the same type and inputs. */
export function createHandler(deps: { service: ActionService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => {
      return acceptedResponse(await deps.service.reexecute(caller, pathParameters['id'] ?? ''));
    },
    { body: 'none', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  const starters = { cloud: cloudStarterFromEnv(process.env, repository), ...responderStartersFromEnv(process.env) };
  return Promise.resolve(createHandler({ service: actionServicesFromEnv(process.env, repository, { starters }).actions }));
});
