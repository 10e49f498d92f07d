import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { acceptedResponse } from '#shared/http/created-response.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { planningActionsFromEnv } from './aws/planning-actions.ts';
import { dryRunErrors, noPlanner } from './dry-run.ts';
import { lazyHandler } from './lazy-handler.ts';

/**
 * POST /v1/actions/{id}/undo: a new action of the paired undo type, from the stored prior state.
 * With `?dryRun=true`, the same checks and then the plan of undoing exactly this action (200),
 * nothing written.
 */
export function createHandler(deps: { service: ActionService; planner?: Planner }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, body, query }) => {
      // The body is optional here: `{ "reason": "..." }` at most.
      const unknown = Object.keys(body ?? {}).filter((field) => field !== 'reason');
      const errors = unknown.map((field) => ({ path: field, message: 'is not a field of an undo request (reason)' }));
      const id = pathParameters['id'] ?? '';
      if (query['dryRun'] === 'true') {
        const planner = deps.planner ?? noPlanner('POST /v1/actions/{id}/undo?dryRun=true');
        return { status: 200, body: { plan: await deps.service.planUndo(planner, caller, id, body?.['reason'], errors) } };
      }
      return acceptedResponse(await deps.service.undo(caller, id, body?.['reason'], [...errors, ...dryRunErrors(query['dryRun'])]));
    },
    { body: 'optional-json', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => Promise.resolve(createHandler(planningActionsFromEnv(process.env))));
