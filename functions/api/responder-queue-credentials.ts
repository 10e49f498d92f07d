import { apiHandler, requiresRespondScope, type ApiHandler } from '#shared/http/api-handler.ts';
import type { ResponderService } from '#shared/use-cases/responders.ts';
import { lazyHandler } from './lazy-handler.ts';

/**
 * POST /v1/responders/{kind}/{name}/queue-credentials: short-lived AWS credentials for the caller's
 * own queue only (receive, delete, change visibility); the responder long-polls SQS itself.
 */
export function createHandler(deps: { responders: ResponderService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => ({
      status: 200,
      body: await deps.responders.queueCredentials(caller, pathParameters['kind'], pathParameters['name']),
      headers: { 'cache-control': 'no-store' },
    }),
    { body: 'none', requires: requiresRespondScope },
  );
}

export const handler = lazyHandler(async () => createHandler(await import('./responder-aws-deps.ts').then((module) => module.responderApiDeps())));
