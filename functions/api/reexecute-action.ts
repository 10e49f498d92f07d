import { apiHandler, requiresExecScope, type ApiHandler } from '#shared/http/api-handler.ts';
import { acceptedResponse } from '#shared/http/created-response.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { planningActionsFromEnv } from './aws/planning-actions.ts';
import { dryRunErrors, noPlanner } from './dry-run.ts';
import { lazyHandler } from './lazy-handler.ts';

/**
 * POST /v1/actions/{id}/reexecute: a new action with the same type and inputs. With
 * `?dryRun=true`, the same checks and then that action's plan (200), nothing written.
 */
export function createHandler(deps: { service: ActionService; planner?: Planner }): ApiHandler {
  return apiHandler(
    async ({ caller, pathParameters, query }) => {
      const id = pathParameters['id'] ?? '';
      if (query['dryRun'] === 'true') {
        const planner = deps.planner ?? noPlanner('POST /v1/actions/{id}/reexecute?dryRun=true');
        return { status: 200, body: { plan: await deps.service.planReexecute(planner, caller, id) } };
      }
      return acceptedResponse(await deps.service.reexecute(caller, id, dryRunErrors(query['dryRun'])));
    },
    { body: 'none', requires: requiresExecScope },
  );
}

export const handler = lazyHandler(() => Promise.resolve(createHandler(planningActionsFromEnv(process.env))));
