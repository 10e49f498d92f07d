/**
 * A cloud action's plan (API.md "Plans (dry run)"): the type and inputs are validated as a create
 * validates them, a synthetic record that is never stored stands in for the action, the guard
 * rails refuse exactly as a run's would (the same named errors, before any call), the family's
 * member role is assumed, `capture` reads the target with its progress kept in memory, and the
 * action's `plan` lists the calls apply would make. Nothing is written to the history and nothing
 * is changed in the target account.
 */
import { randomUUID } from 'node:crypto';
// zod/mini: the same schemas, tree-shakable, which keeps the EC2 family's bundle under budget.
import * as z from 'zod/mini';
import type { SessionClients } from '#shared/adapters/member-session.ts';
import { isUndoType } from '#shared/catalogue/catalogue.ts';
import { validateActionRequest } from '#shared/catalogue/validate.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { CloudPlanRequest, CloudPlanResult } from '#shared/plans/types.ts';
import { inMemberAccount, prepareAction, type CloudActionDeps, type PreparedAction } from './action-run.ts';
import type { ProgressUpdate } from './cloud-action.ts';
import { InvalidStepEventError, InvalidTargetError, UndoSourceMissingError } from './errors.ts';
import { createCloudActionContext } from './kit/action-context.ts';
import { resolveTarget } from './target.ts';

const planEventSchema = z.strictObject({
  plan: z.strictObject({
    type: z.string().check(z.minLength(1), z.maxLength(128)),
    inputs: z.record(z.string(), z.unknown()),
    undoOf: z.nullable(z.string().check(z.minLength(1), z.maxLength(128))),
  }),
});

/**
 * The plan request of a `{ "plan": { type, inputs, undoOf } }` event, checked strictly (no other
 * field, anywhere); undefined for any other event (a step's), InvalidStepEvent for a bad one.
 */
export function planRequestOf(event: unknown): CloudPlanRequest | undefined {
  if (typeof event !== 'object' || event === null || !Object.hasOwn(event, 'plan')) return undefined;
  const parsed = planEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidStepEventError(`a cloud action plan needs exactly { plan: { type, inputs, undoOf } }: ${parsed.error.message}`);
  }
  return parsed.data.plan;
}

/** Plans one cloud action of the family; see the module's comment. */
export async function runCloudActionPlan<Clients extends SessionClients>(
  deps: CloudActionDeps<Clients>,
  request: CloudPlanRequest,
): Promise<CloudPlanResult> {
  const record = plannedRecord(deps, request);
  const prepared = await prepareAction(deps, record);
  checkUndoSource(record, prepared);
  const { action, target, undoing } = prepared;
  return inMemberAccount(deps, record.id, target, async (clients) => {
    let progress: Pick<ActionRecord, 'prior' | 'applied' | 'result'> = { prior: null, applied: null, result: null };
    const capturing = createCloudActionContext({
      record,
      target,
      undoing,
      clients,
      clock: deps.clock,
      // In memory only, as the history would keep it: `prior` from its first capture, the rest replaced.
      recordProgress: (update) => {
        progress = kept(progress, update);
        return Promise.resolve();
      },
    });
    await action.capture(capturing);
    const captured: ActionRecord = { ...record, ...progress };
    const planning = createCloudActionContext({
      record: captured,
      target,
      undoing,
      clients,
      clock: deps.clock,
      recordProgress: () => Promise.reject(new Error(`the plan of ${record.type} tried to record progress; a plan writes nothing`)),
    });
    return { prior: captured.prior, changes: await action.plan(planning) };
  });
}

/** The record a create would make for the request (validated as a create validates it), Running, never stored. */
function plannedRecord(deps: Pick<CloudActionDeps<SessionClients>, 'clock'>, request: CloudPlanRequest): ActionRecord {
  const now = deps.clock.now();
  const valid = validateActionRequest({ type: request.type, inputs: request.inputs }, { now });
  if (!valid.ok) throw new InvalidInputError(valid.errors);
  if (!isUndoType(valid.definition.type) && request.undoOf !== null) {
    throw new InvalidInputError([{ path: 'undoOf', message: `${valid.definition.type} is not an undo type, so it undoes no action` }]);
  }
  const record = createdRecord(
    {
      // Named in the member role's session: the target account's CloudTrail shows the reads were a plan's.
      id: `plan-${randomUUID()}`,
      type: valid.definition.type,
      category: valid.definition.category,
      executor: valid.executor,
      inputs: valid.inputs,
      resources: valid.resources,
      createdBy: 'plan',
      undoType: valid.definition.undoType,
      undoOf: request.undoOf,
    },
    now,
  );
  return { ...record, status: 'Running' };
}

/** An undo plans against the action it undoes only when that is an action of the type it undoes, on the same resource. */
function checkUndoSource(record: ActionRecord, { action, target, undoing }: PreparedAction<unknown>): void {
  if (undoing === null) return;
  if (undoing.type !== action.undoes) {
    throw new UndoSourceMissingError(`action ${undoing.id} is a ${undoing.type}, not the ${action.undoes ?? ''} that ${record.type} undoes`);
  }
  const original = resolveTarget(undoing);
  if (original.arn !== target.arn) {
    throw new InvalidTargetError(`action ${undoing.id} acted on ${original.arn}, not on ${target.arn}, so ${record.type} cannot reverse it there`);
  }
}

function kept(progress: Pick<ActionRecord, 'prior' | 'applied' | 'result'>, update: ProgressUpdate): Pick<ActionRecord, 'prior' | 'applied' | 'result'> {
  return {
    prior: progress.prior ?? update.prior ?? null,
    applied: update.applied ?? progress.applied,
    result: update.result ?? progress.result,
  };
}
