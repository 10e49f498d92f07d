import { apiHandler, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { ResponderFleet } from '#shared/use-cases/responder-fleet.ts';
import { respondersFromEnv } from './aws/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/responders/{kind}/{name}/heartbeat: moves the responder's lastSeen; 404 until it registered. */
export function createHandler(deps: { responders: ResponderFleet }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => ({
      status: 200,
      body: await deps.responders.heartbeat(caller, pathParameters['kind'], pathParameters['name']),
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'none', requires: requiresRespondScope },
  );
}

// Deps are built on the first invocation: importing this module reads no Lambda environment. Only this
// route's ports are wired, so the bundle carries only the clients (and schemas) it uses.
export const handler = lazyHandler(() => Promise.resolve(createHandler(respondersFromEnv(ResponderFleet, process.env))));
