import type { FieldError } from '#shared/catalogue/types.ts';
import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { idempotencyKeyErrors } from '#shared/http/idempotency-key.ts';
import { runAcceptedResponse } from '#shared/http/run-accepted.ts';
import type { PlaybookRuns } from '#shared/playbooks/types.ts';
import { cloudPlanFunctionsVariable, cloudPlannerFromEnv } from './aws/cloud-planner.ts';
import { playbookRunStarterFromEnv } from './aws/playbook-run-starter.ts';
import { playbookRunsFromEnv } from './aws/playbook-runs.ts';
import { lazyHandler } from './lazy-handler.ts';

const bodyFields = new Set(['inputs', 'reason']);
const queryParameters = new Set(['dryRun']);

/**
 * POST /v1/playbooks/{name}/runs: authorize (the exec scope of every category the playbook's steps
 * use), validate the inputs, record the run (idempotently) and start it; 202 with the run. With
 * `?dryRun=true`, the same checks and then every step's plan (200), nothing written.
 */
export function createHandler(deps: { playbooks: Pick<PlaybookRuns, 'create' | 'plan'> }): ApiHandler {
  return apiHandler(
    async ({ caller, body = {}, headers, query, pathParameters }) => {
      const name = pathParameters['name'] ?? '';
      // Reported by the service once the caller's scope for the playbook is settled (scope before inputs).
      const requestErrors: FieldError[] = [
        ...Object.keys(body)
          .filter((field) => !bodyFields.has(field))
          .map((field) => ({ path: field, message: 'is not a field of a playbook run request (inputs, reason)' })),
        ...Object.keys(query)
          .filter((parameter) => !queryParameters.has(parameter))
          .map((parameter) => ({ path: parameter, message: 'is not a parameter of this route; use dryRun' })),
      ];
      const request = { inputs: body['inputs'], reason: body['reason'] };
      const dryRun = query['dryRun'];
      // A plan writes nothing a repeat could duplicate, so Idempotency-Key means nothing to it.
      if (dryRun === 'true') return { status: 200, body: { plan: await deps.playbooks.plan(caller, name, request, requestErrors) } };
      const key = headers['idempotency-key'];
      const errors = [
        ...requestErrors,
        ...(dryRun === undefined || dryRun === 'false' ? [] : [{ path: 'dryRun', message: 'must be true (plan only, nothing written) or false' }]),
        ...idempotencyKeyErrors(key),
      ];
      return runAcceptedResponse(await deps.playbooks.create(caller, name, request, errors.length > 0 ? undefined : key, errors));
    },
    { body: 'json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  // Cloud plans run in the family functions (CLOUD_PLAN_FUNCTIONS); without them a cloud step's plan is refused with NoExecutor.
  const cloud = process.env[cloudPlanFunctionsVariable] === undefined ? undefined : cloudPlannerFromEnv(process.env);
  const playbooks = playbookRunsFromEnv(process.env, { runStarter: playbookRunStarterFromEnv(process.env), ...(cloud === undefined ? {} : { cloud }) });
  return Promise.resolve(createHandler({ playbooks }));
});
