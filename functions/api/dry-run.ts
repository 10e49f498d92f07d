/**
 * `?dryRun=` on the routes that plan (create, undo, re-execute): `true` plans and writes nothing;
 * absent or `false` does the work; any other value is a bad request, reported with the request's
 * other problems once the caller's scope is settled, as every 400 is.
 */
import type { FieldError } from '#shared/catalogue/types.ts';
import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { HttpProblem } from '#shared/http/problem.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { actionServicesFromEnv } from './aws/action-services.ts';
import { cloudPlanFunctionsVariable, cloudPlannerFromEnv } from './aws/cloud-planner.ts';
import { cloudStarterFromEnv } from './aws/cloud-starter.ts';
import { historyFromEnv } from './aws/history.ts';
import { responderStartersFromEnv } from './aws/responder-starter.ts';

/** The error a `dryRun` other than true, false or absent gives a request that is not planned. */
export function dryRunErrors(dryRun: string | undefined): FieldError[] {
  return dryRun === undefined || dryRun === 'false' ? [] : [{ path: 'dryRun', message: 'must be true (plan only, nothing written) or false' }];
}

/** 503 from a runtime that makes no plans. */
export function noPlanner(route: string): never {
  throw new HttpProblem(503, 'Service Unavailable', `this runtime makes no plans: ${route} is not served here`);
}

/**
 * The action service and its planner as a Lambda of a route that plans builds them (on its first
 * request). Cloud plans run in the family functions (CLOUD_PLAN_FUNCTIONS); without them a cloud
 * plan is refused with NoExecutor. The service gets the planner too, so an approval it requests
 * carries the plan.
 */
export function planningActionsFromEnv(env: NodeJS.ProcessEnv): { service: ActionService; planner: Planner } {
  const repository = historyFromEnv(env);
  const starters = { cloud: cloudStarterFromEnv(env, repository), ...responderStartersFromEnv(env) };
  const cloud = env[cloudPlanFunctionsVariable] === undefined ? undefined : cloudPlannerFromEnv(env);
  const planner = new PlanService({ cloud, config: loadConfig(env), repository, clock: systemClock });
  return { service: actionServicesFromEnv(env, repository, { starters, planner }).actions, planner };
}
