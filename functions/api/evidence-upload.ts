import { apiHandler, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { evidenceFromEnv } from './aws/evidence.ts';
import { respondersFromEnv } from './aws/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/actions/{id}/evidence-uploads: a presigned PUT for one evidence object, for the action's own responder while it runs. */
export function createHandler(deps: { responders: ResponderService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => ({
      status: 200,
      body: await deps.responders.grantUpload(caller, pathParameters['id'], body),
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'json', requires: requiresRespondScope },
  );
}

// Deps are built on the first invocation: importing this module reads no Lambda environment. Only this
// route's ports are wired, so the bundle carries only the clients (and schemas) it uses.
export const handler = lazyHandler(() => Promise.resolve(createHandler(respondersFromEnv(ResponderService, process.env, { evidence: evidenceFromEnv(process.env) }))));
