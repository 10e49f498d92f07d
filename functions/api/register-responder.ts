import { apiHandler, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import type { ResponderService } from '#shared/use-cases/responders.ts';
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

export const handler = lazyHandler(async () => createHandler(await import('./responder-aws-deps.ts').then((module) => module.responderApiDeps())));
