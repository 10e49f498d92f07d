import type { ApprovalService } from '#shared/approvals/approval-service.ts';
import { apiHandler, requiresAnyActionScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { actionServicesFromEnv } from './aws/action-services.ts';
import { historyFromEnv } from './aws/history.ts';
import { lazyHandler } from './lazy-handler.ts';

/** GET /v1/approvals/{id}: readers of the approval's category; 404 for anyone else. */
export function createHandler(deps: { approvals: ApprovalService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters }) => ({ status: 200, body: await deps.approvals.get(caller, pathParameters['id'] ?? '') }),
    { body: 'none', requires: requiresAnyActionScope },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  return Promise.resolve(createHandler({ approvals: actionServicesFromEnv(process.env, repository, { starters: {} }).approvals }));
});
