import { apiHandler, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { ResponderService } from '#shared/use-cases/responders.ts';
import { responderQueuesFromEnv } from './aws/responder-queues.ts';
import { workSigningPublicKeyFromEnv } from './aws/responder-signing-key.ts';
import { respondersFromEnv } from './aws/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/responders: registers (or refreshes) the caller's own host or cluster; 200 with the record and the current work signing key. */
export function createHandler(deps: { responders: ResponderService }): ApiHandler {
  return apiHandler(
    async ({ caller, body }) => ({
      status: 200,
      body: await deps.responders.register(caller, body),
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'json', requires: requiresRespondScope },
  );
}

// Deps are built on the first invocation: importing this module reads no Lambda environment. Only this
// route's ports are wired, so the bundle carries only the clients (and schemas) it uses.
export const handler = lazyHandler(() => Promise.resolve(createHandler(respondersFromEnv(ResponderService, process.env, { queues: responderQueuesFromEnv(process.env), signingKey: workSigningPublicKeyFromEnv(process.env) }))));
