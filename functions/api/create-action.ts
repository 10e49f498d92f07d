import type { Caller } from '#shared/auth/scopes.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import { apiHandler, requiresExecScope, type ApiHandler, type ApiResult } from '#shared/http/api-handler.ts';
import { acceptedResponse } from '#shared/http/created-response.ts';
import { idempotencyKeyErrors } from '#shared/http/idempotency-key.ts';
import type { Planner, PlanRequest } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { planningActionsFromEnv } from './aws/planning-actions.ts';
import { dryRunErrors, noPlanner } from './dry-run.ts';
import { lazyHandler } from './lazy-handler.ts';

const bodyFields = new Set(['type', 'inputs', 'reason']);

/**
 * POST /v1/actions: validate, authorize, record (idempotently), hand to the executor; 202 with the record.
 * With `?dryRun=true`, the same checks and then the plan (200), nothing written.
 */
export function createHandler(deps: { service: ActionService; planner?: Planner }): ApiHandler {
  return apiHandler(
    async ({ caller, body = {}, headers, query }) => {
      const unknown = Object.keys(body).filter((field) => !bodyFields.has(field));
      const unknownErrors = unknown.map((field) => ({ path: field, message: 'is not a field of an action request (type, inputs, reason)' }));
      const request = { type: body['type'], inputs: body['inputs'], reason: body['reason'] };
      const dryRun = query['dryRun'];
      if (dryRun === 'true') return planned(deps.planner, caller, request, unknownErrors);
      const key = headers['idempotency-key'];
      // Reported by the service once the caller's scope for the type is settled (scope before inputs).
      const errors = [
        ...unknownErrors,
        ...dryRunErrors(dryRun),
        ...idempotencyKeyErrors(key),
      ];
      return acceptedResponse(await deps.service.create(caller, request, errors.length > 0 ? undefined : key, errors));
    },
    { body: 'json', requires: requiresExecScope },
  );
}

/** The plan of a dry run; Idempotency-Key is ignored, since a plan writes nothing a repeat could duplicate. */
async function planned(planner: Planner | undefined, caller: Caller, request: PlanRequest, errors: readonly FieldError[]): Promise<ApiResult> {
  const planning = planner ?? noPlanner('POST /v1/actions?dryRun=true');
  return { status: 200, body: { plan: await planning.plan(caller, request, errors) } };
}

export const handler = lazyHandler(() => Promise.resolve(createHandler(planningActionsFromEnv(process.env))));
