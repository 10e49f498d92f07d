import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { runAcceptedResponse } from '#shared/http/run-accepted.ts';
import type { PlaybookRuns } from '#shared/playbooks/types.ts';
import { cloudPlanFunctionsVariable, cloudPlannerFromEnv } from './aws/cloud-planner.ts';
import { playbookRunStarterFromEnv } from './aws/playbook-run-starter.ts';
import { playbookRunsFromEnv } from './aws/playbook-runs.ts';
import { lazyHandler } from './lazy-handler.ts';

/**
 * POST /v1/playbook-runs/{id}/undo: the run's Completed containment steps that have an undo, in
 * reverse order, as one new run; its evidence is kept. 202 with the new run.
 */
export function createHandler(deps: { playbooks: Pick<PlaybookRuns, 'undo'> }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body }) => {
      // The body is optional here: `{ "reason": "..." }` at most.
      const errors = Object.keys(body ?? {})
        .filter((field) => field !== 'reason')
        .map((field) => ({ path: field, message: 'is not a field of an undo request (reason)' }));
      return runAcceptedResponse(await deps.playbooks.undo(caller, pathParameters['id'] ?? '', body?.['reason'], errors));
    },
    { body: 'optional-json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => {
  // An undo that needs an approval carries the plan of its steps; cloud plans run in the family functions.
  const cloud = process.env[cloudPlanFunctionsVariable] === undefined ? undefined : cloudPlannerFromEnv(process.env);
  const playbooks = playbookRunsFromEnv(process.env, { runStarter: playbookRunStarterFromEnv(process.env), ...(cloud === undefined ? {} : { cloud }) });
  return Promise.resolve(createHandler({ playbooks }));
});
