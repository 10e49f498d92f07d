import type { Caller } from '#shared/auth/scopes.ts';
import type { ValidActionRequest } from '#shared/catalogue/validate.ts';
import type { FieldError } from '#shared/catalogue/types.ts';
import { apiHandler, requiresExecScope, type ApiHandler, type ApiResult } from '#shared/http/api-handler.ts';
import { acceptedResponse } from '#shared/http/created-response.ts';
import { idempotencyKeyErrors } from '#shared/http/idempotency-key.ts';
import type { Planner, PlanRequest } from '#shared/plans/types.ts';
import { admitResponderWork } from '#shared/responders/admission.ts';
import { loadResponderConfig } from '#shared/responders/config.ts';
import type { ResponderKind, WorkTarget } from '#shared/responders/protocol.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { planningActionsFromEnv } from './aws/planning-actions.ts';
import { responderTableFromEnv } from './aws/responders.ts';
import { dryRunErrors, noPlanner } from './dry-run.ts';
import { lazyHandler } from './lazy-handler.ts';

const bodyFields = new Set(['type', 'inputs', 'reason']);

/** Where the registered responders are read: GET /v1/responders' service (locally) or the registration store (in AWS). */
export interface ResponderRegistry {
  isRegistered(caller: Caller, target: WorkTarget): Promise<boolean>;
  names(caller: Caller, kind: ResponderKind, atMost: number): Promise<readonly string[]>;
}

/**
 * POST /v1/actions: validate, authorize, record (idempotently), hand to the executor; 202 with the record.
 * With `?dryRun=true`, the same checks and then the plan (200), nothing written. Host and
 * Kubernetes work for a host or cluster no responder has registered is refused (409) unless
 * QUEUE_FOR_UNREGISTERED_RESPONDERS=true (shared/responders/admission.ts), by the service's own
 * create after all its checks and an idempotent replay.
 */
export function createHandler(deps: {
  service: ActionService;
  planner?: Planner;
  responders?: ResponderRegistry;
  /** Defaults to QUEUE_FOR_UNREGISTERED_RESPONDERS of this process's environment. */
  queueForUnregistered?: boolean;
}): ApiHandler {
  const queueForUnregistered = deps.queueForUnregistered ?? loadResponderConfig(process.env).queueForUnregistered;
  return apiHandler(
    async ({ caller, body = {}, headers, query }) => {
      const unknown = Object.keys(body).filter((field) => !bodyFields.has(field));
      const unknownErrors = unknown.map((field) => ({ path: field, message: 'is not a field of an action request (type, inputs, reason)' }));
      const request = { type: body['type'], inputs: body['inputs'], reason: body['reason'] };
      const dryRun = query['dryRun'];
      const key = headers['idempotency-key'];
      // A plan ignores Idempotency-Key and writes nothing, so no responder need be registered for it.
      if (dryRun === 'true') return planned(deps.planner, caller, request, unknownErrors);
      // Reported by the service once the caller's scope for the type is settled (scope before inputs).
      const errors = [...unknownErrors, ...dryRunErrors(dryRun), ...idempotencyKeyErrors(key)];
      const registry = deps.responders;
      const admit =
        registry === undefined || queueForUnregistered
          ? undefined
          : (valid: ValidActionRequest) =>
              admitResponderWork({ isRegistered: (target) => registry.isRegistered(caller, target), names: (kind, atMost) => registry.names(caller, kind, atMost) }, valid, false);
      return acceptedResponse(await deps.service.create(caller, request, errors.length > 0 ? undefined : key, errors, admit));
    },
    { body: 'json', requires: requiresExecScope },
  );
}

/** The plan of a dry run; Idempotency-Key is ignored, since a plan writes nothing a repeat could duplicate. */
async function planned(planner: Planner | undefined, caller: Caller, request: PlanRequest, errors: readonly FieldError[]): Promise<ApiResult> {
  const planning = planner ?? noPlanner('POST /v1/actions?dryRun=true');
  return { status: 200, body: { plan: await planning.plan(caller, request, errors) } };
}

export const handler = lazyHandler(() => {
  const { store } = responderTableFromEnv(process.env);
  // The route's exec scope already allows listing responders (GET /v1/responders takes any action scope).
  return Promise.resolve(createHandler({ ...planningActionsFromEnv(process.env), responders: { isRegistered: async (_caller, target) => (await store.get(target)) !== null, names: (_caller, kind, atMost) => store.names(kind, atMost) } }));
});
