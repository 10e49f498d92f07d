/**
 * A plan shows the target's state read through the member role, so it is shown only as far as the
 * caller may read: a plan of a category the caller may not read keeps its verdict and loses the
 * state, the calls and the undo. A playbook's plan is judged step by step, each by its own type.
 */
import { canRead, type Caller } from '#shared/auth/scopes.ts';
import { findActionType } from '#shared/catalogue/catalogue.ts';
import type { Plan } from '#shared/plans/types.ts';
import type { PlaybookPlan } from '#shared/playbooks/plan-types.ts';

function readableAction(caller: Caller, plan: Plan): Plan {
  const definition = findActionType(plan.type);
  return definition !== undefined && canRead(caller, definition.category) ? plan : { ...plan, prior: null, changes: [], undo: null };
}

export function readablePlan(caller: Caller, plan: Plan | PlaybookPlan): Plan | PlaybookPlan {
  if (!('steps' in plan)) return readableAction(caller, plan);
  return { ...plan, steps: plan.steps.map((step) => (step.plan === null ? step : { ...step, plan: readableAction(caller, step.plan) })) };
}
