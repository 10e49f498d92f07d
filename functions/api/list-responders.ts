import { apiHandler, type ApiHandler } from '#shared/http/api-handler.ts';
import type { ResponderService } from '#shared/use-cases/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/responders: the registered responders (any of the four action scopes). */
export function createHandler(deps: { responders: ResponderService }): ApiHandler {
  return apiHandler(
    async ({ caller }) => ({
      status: 200,
      body: { items: await deps.responders.list(caller) },
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'none' },
  );
}

export const handler = lazyHandler(async () => createHandler(await import('./responder-aws-deps.ts').then((module) => module.responderApiDeps())));
