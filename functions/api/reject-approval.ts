import { decisionBodyErrors, type ApprovalService } from '#shared/approvals/approval-service.ts';
import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { actionServicesFromEnv } from './aws/action-services.ts';
import { historyFromEnv } from './aws/history.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/approvals/{id}/reject: a second person rejects; nothing is created. 200 with the approval. */
export function createHandler(deps: { approvals: ApprovalService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => ({
      status: 200,
      body: await deps.approvals.reject(caller, pathParameters['id'] ?? '', body?.['reason'], decisionBodyErrors(body)),
    }),
    { body: 'optional-json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  return Promise.resolve(createHandler({ approvals: actionServicesFromEnv(process.env, repository, { starters: {} }).approvals }));
});
