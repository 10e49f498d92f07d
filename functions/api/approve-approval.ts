import { decisionBodyErrors, type ApprovalService } from '#shared/approvals/approval-service.ts';
import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { cloudStarterFromEnv } from './aws/cloud-starter.ts';
import { historyFromEnv } from './aws/history.ts';
import { playbookRunStarterFromEnv } from './aws/playbook-run-starter.ts';
import { playbookServicesFromEnv } from './aws/playbook-runs.ts';
import { responderStartersFromEnv } from './aws/responder-starter.ts';
import { lazyHandler } from './lazy-handler.ts';

/** POST /v1/approvals/{id}/approve: a second person approves; the action is created for the requester. 202 with the approval. */
export function createHandler(deps: { approvals: ApprovalService }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => ({
      status: 202,
      body: await deps.approvals.approve(caller, pathParameters['id'] ?? '', body?.['reason'], decisionBodyErrors(body)),
    }),
    { body: 'optional-json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  const repository = historyFromEnv(process.env);
  const starters = { cloud: cloudStarterFromEnv(process.env, repository), ...responderStartersFromEnv(process.env) };
  // Approving a playbook approval creates the run and starts it on the playbook machine.
  const { approvals } = playbookServicesFromEnv(process.env, repository, { starters, runStarter: playbookRunStarterFromEnv(process.env) });
  return Promise.resolve(createHandler({ approvals }));
});
