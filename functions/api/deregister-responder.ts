import { apiHandler, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { ResponderFleet } from '#shared/use-cases/responder-fleet.ts';
import { responderQueuesFromEnv } from './aws/responder-queues.ts';
import { respondersFromEnv } from './aws/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/responders/{kind}/{name}/deregister: the responder retires; its registration, queue and dead-letter queue go; 200 `{ deregistered: "<kind>/<name>" }`. */
export function createHandler(deps: { responders: ResponderFleet }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => {
      const deregistered = await deps.responders.deregister(caller, pathParameters['kind'], pathParameters['name']);
      return { status: 200, body: { deregistered }, headers: { 'cache-control': 'no-store' } };
    },
    { body: 'none', requires: requiresRespondScope },
  );
}

// Deps are built on the first invocation: importing this module reads no Lambda environment. Only this
// route's ports are wired, so the bundle carries only the clients (and schemas) it uses.
export const handler = lazyHandler(() => Promise.resolve(createHandler(respondersFromEnv(ResponderFleet, process.env, { queues: responderQueuesFromEnv(process.env) }))));
