// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { SessionClients } from '#shared/adapters/member-session.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { JsonValue } from '#shared/json.ts';
import type { CloudPlanResult } from '#shared/plans/types.ts';
import { planRequestOf, runCloudActionPlan } from './action-plan.ts';
import { inMemberAccount, prepareAction, type CloudActionDeps } from './action-run.ts';
import { cloudActionSteps, type CloudActionContext, type CloudActionStep } from './cloud-action.ts';
import { ActionNotRunningError, InvalidStepEventError } from './errors.ts';
import { createCloudActionContext } from './kit/action-context.ts';

export interface ActionStepDeps<Clients extends SessionClients> extends CloudActionDeps<Clients> {
  readonly repository: Pick<HistoryWriter, 'get' | 'recordProgress'>;
}

/** What the state machine sends a family's function: `{ "actionId": "...", "step": "apply" }`. */
export interface ActionStepEvent {
  readonly actionId: string;
  readonly step: CloudActionStep;
}

/**
 * What the function answers. The shape is the same for every step so the state machine's
 * ResultSelectors never meet a missing field: `pending`/`waitSeconds` steer the wait loop after
 * apply and check, `result` is verify's final result for MarkCompleted.
 */
export interface ActionStepOutput {
  readonly pending: boolean;
  readonly waitSeconds: number;
  readonly result: JsonValue;
}

const eventSchema = z.object({ actionId: z.string().check(z.minLength(1)), step: z.enum(cloudActionSteps) });

/** Waits the state machine may be asked for between checks, in seconds. */
const waitBounds = { min: 1, max: 300 };

/**
 * The Lambda handler of a family's function (the local runtime binds the same function to the
 * state machine's tasks). It also answers `{ "plan": CloudPlanRequest }` with a CloudPlanResult
 * (action-plan.ts), which writes nothing. `deps` may be a factory, called on first use, so that
 * importing the handler module reads no Lambda environment.
 */
export function createActionStepHandler<Clients extends SessionClients>(
  deps: ActionStepDeps<Clients> | (() => ActionStepDeps<Clients>),
): (event: unknown) => Promise<ActionStepOutput | CloudPlanResult> {
  let resolved: ActionStepDeps<Clients> | undefined;
  return async (event) => {
    resolved ??= typeof deps === 'function' ? deps() : deps;
    const plan = planRequestOf(event);
    if (plan !== undefined) return runCloudActionPlan(resolved, plan);
    const parsed = eventSchema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidStepEventError(`a cloud action step needs { actionId, step: ${cloudActionSteps.join(' | ')} }: ${parsed.error.message}`);
    }
    return runCloudActionStep(resolved, parsed.data);
  };
}

/**
 * Runs one step of one action: loads the record, refuses to act unless it is Running, applies
 * the guard rails before any call, assumes the family's own member role, runs the family's step, and turns
 * AWS failures into named errors (ThrottlingError is retried by the state machine).
 */
export async function runCloudActionStep<Clients extends SessionClients>(
  deps: ActionStepDeps<Clients>,
  event: ActionStepEvent,
): Promise<ActionStepOutput> {
  const record = await deps.repository.get(event.actionId);
  if (record === null) throw new ActionNotRunningError(`action ${event.actionId} does not exist in the history`);
  if (record.status !== 'Running') {
    // It ended elsewhere (deadline, restart, an operator): nothing more may change.
    throw new ActionNotRunningError(`action ${record.id} is ${record.status}, not Running, so its ${event.step} step does nothing`);
  }
  const { action, target, undoing } = await prepareAction(deps, record);
  return inMemberAccount(deps, record.id, target, async (clients) => {
    const context: CloudActionContext<Clients> = createCloudActionContext({
      record,
      target,
      undoing,
      clients,
      clock: deps.clock,
      recordProgress: async (update) => {
        await deps.repository.recordProgress(record.id, update);
      },
    });
    switch (event.step) {
      case 'capture':
        await action.capture(context);
        return { pending: false, waitSeconds: 0, result: null };
      case 'apply':
        return progressOutput(await action.apply(context));
      case 'check':
        // Only an action whose apply can be pending has a check; without one there is nothing to wait for.
        return progressOutput(action.check === undefined ? { pending: false } : await action.check(context));
      case 'verify':
        return { pending: false, waitSeconds: 0, result: await action.verify(context) };
    }
  });
}

function progressOutput(progress: { pending: boolean; waitSeconds?: number }): ActionStepOutput {
  if (!progress.pending) return { pending: false, waitSeconds: 0, result: null };
  // The Wait state needs a whole number of seconds; an action asking for none still gets one.
  const asked = Math.round(progress.waitSeconds ?? waitBounds.min);
  return { pending: true, waitSeconds: Math.min(waitBounds.max, Math.max(waitBounds.min, asked)), result: null };
}
