import { apiHandler, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import type { ResponderService } from '#shared/use-cases/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/responders/{kind}/{name}/work: long-polls the caller's own queue (at most 20 s); { items: ReceivedWork[] }. */
export function createHandler(deps: { responders: ResponderService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => ({
      status: 200,
      body: await deps.responders.receiveWork(caller, pathParameters['kind'], pathParameters['name'], body),
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'optional-json', requires: requiresRespondScope },
  );
}

export const handler = lazyHandler(async () => createHandler(await import('./responder-aws-deps.ts').then((module) => module.responderApiDeps())));
