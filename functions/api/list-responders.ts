import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import { ResponderFleet } from '#shared/use-cases/responder-fleet.ts';
import { respondersFromEnv } from './aws/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/responders: the registered responders (any of the four action scopes). */
export function createHandler(deps: { responders: ResponderFleet }): ApiHandler {
  return apiHandler(
    async ({ caller }) => ({
      status: 200,
      body: { items: await deps.responders.list(caller) },
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'none' },
  );
}

// Deps are built on the first invocation: importing this module reads no Lambda environment. Only this
// route's ports are wired, so the bundle carries only the clients (and schemas) it uses.
export const handler = lazyHandler(() => Promise.resolve(createHandler(respondersFromEnv(ResponderFleet, process.env))));
