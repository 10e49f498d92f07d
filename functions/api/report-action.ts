import { apiHandler, maxReportBodyBytes, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { taskCallbacks } from './aws/responder-task-callbacks.ts';
import { respondersFromEnv } from './aws/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/actions/{id}/reports: a responder's report on its own action; 200 with the record, 409 once the action has ended. */
export function createHandler(deps: { responders: ResponderService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => ({
      status: 200,
      body: await deps.responders.report(caller, pathParameters['id'], body),
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'json', requires: requiresRespondScope, maxBodyBytes: maxReportBodyBytes },
  );
}

// Deps are built on the first invocation: importing this module reads no Lambda environment. Only this
// route's ports are wired, so the bundle carries only the clients (and schemas) it uses.
export const handler = lazyHandler(() => Promise.resolve(createHandler(respondersFromEnv(ResponderService, process.env, { callbacks: taskCallbacks() }))));
