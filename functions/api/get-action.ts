import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import { ActionService } from '#shared/use-cases/action-service.ts';
import { systemClock } from '#shared/clock.ts';
import { historyFromEnv } from './aws/history.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/actions/{id} */
export function createHandler(deps: { service: ActionService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => ({
      status: 200,
      body: await deps.service.get(caller, pathParameters['id'] ?? ''),
    }),
    { body: 'none' },
  );
}

// Deps are built on the first invocation: importing this module reads no Lambda environment.
export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  return Promise.resolve(createHandler({ service: new ActionService({ repository, starters: {}, clock: systemClock }) }));
});
