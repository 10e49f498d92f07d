import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
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

export const handler = lazyHandler(async () => createHandler(await import('./aws-deps.ts').then((module) => module.apiDeps())));
