import { systemClock } from '#shared/clock.ts';
import { loadConfig } from '#shared/config/config.ts';
import { PlanService } from '#shared/plans/plan-service.ts';
import type { Planner } from '#shared/plans/types.ts';
import type { ActionService } from '#shared/use-cases/action-service.ts';
import { actionServicesFromEnv } from './action-services.ts';
import { cloudPlanFunctionsVariable, cloudPlannerFromEnv } from './cloud-planner.ts';
import { cloudStarterFromEnv } from './cloud-starter.ts';
import { historyFromEnv } from './history.ts';
import { responderStartersFromEnv } from './responder-starter.ts';

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
