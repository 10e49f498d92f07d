import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/actions/{id}/evidence: objects with name, size, sha256 and a short-lived download URL. */
export function createHandler(deps: { service: ActionService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => ({
      status: 200,
      body: { items: await deps.service.evidence(caller, pathParameters['id'] ?? '') },
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'none' },
  );
}

export const handler = lazyHandler(async () => createHandler(await import('./aws-deps.ts').then((module) => module.apiDeps())));
