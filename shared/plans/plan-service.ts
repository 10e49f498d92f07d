/**
 * Plans (API.md "Plans (dry run)"): the create's own checks in the create's order (scope, then
 * inputs), then what the action would do, with nothing written. Cloud actions are read through
 * the CloudPlanner (the family's capture, progress kept in memory); host and Kubernetes actions
 * say which work their responder would get. A guard, or the target itself, refusing is a plan
 * with `allowed: false`: the code the action would end in Error with, never a 5xx. Every plan
 * carries the warnings the create would record now (evidence-first.ts), refused or not, since a
 * refused action is recorded too.
 */
import { cloudActionErrorCodes, CloudActionError, errorCodeOf } from '#shared/actions/errors.ts';
import { guardTarget, resolveTarget } from '#shared/actions/target.ts';
import type { Caller } from '#shared/auth/scopes.ts';
import { isUndoType, type FieldError, type ResourceRef, type ValidActionRequest } from '#shared/catalogue/index.ts';
import type { Clock } from '#shared/clock.ts';
import type { ServiceConfig } from '#shared/config/config.ts';
import { RetryLaterError } from '#shared/errors.ts';
import type { HistoryReader } from '#shared/history/reader.ts';
import type { ActionRecord, ActionWarning } from '#shared/history/record.ts';
import { noEvidenceWarnings } from '#shared/use-cases/evidence-first.ts';
import { undoInputsFor } from '#shared/use-cases/undo-inputs.ts';
import { authorizeCreate, checkReason, newestUndoable, requireExecute, validateCreate } from './create-checks.ts';
import { dispatchChange, responderChanges, type ResponderRegistrations } from './responder-plans.ts';
import type { CloudPlanner, Plan, PlanOptions, PlanRefusal, PlanRequest, Planner } from './types.ts';
import { undoRestores } from './undo-restores.ts';

export interface PlanServiceDeps {
  /** Reads cloud targets for their plans; without one a cloud plan is refused with NoExecutor, as the action would be. */
  readonly cloud: CloudPlanner | undefined;
  /** The guards, checked here first so a refused target is never read, whatever the cloud planner does. */
  readonly config: Pick<ServiceConfig, 'targetAccounts' | 'protectedTargets'>;
  /** Where a directly posted undo type finds the action it would reverse, and the evidence-first lookup reads. */
  readonly repository: Pick<HistoryReader, 'list'>;
  readonly clock: Clock;
  /** Responder registrations, so a responder plan says whether one would take the work. */
  readonly responders?: ResponderRegistrations;
}

/** Codes that mean a defect or a deployment out of step, not a verdict on the target: those stay errors (500). */
const defectCodes: ReadonlySet<string> = new Set(['InvalidStepEvent', 'UnsupportedActionType', 'ActionNotRunning']);

export class PlanService implements Planner {
  readonly #deps: PlanServiceDeps;

  constructor(deps: PlanServiceDeps) {
    this.#deps = deps;
  }

  /** See Planner.plan: `caller` null is the service itself (a rule, an approval), with no scope check. */
  async plan(caller: Caller | null, request: PlanRequest, requestErrors: readonly FieldError[] = [], options: PlanOptions = {}): Promise<Plan> {
    if (caller !== null) authorizeCreate(caller, request.type);
    const reason = checkReason(request.reason);
    const now = this.#deps.clock.now();
    const valid = validateCreate(request.type, request.inputs, [...requestErrors, ...reason.errors], now);
    if (caller !== null) requireExecute(caller, valid.definition.category, valid.definition.type);
    if (!isUndoType(valid.definition.type)) return this.#planValid(valid, valid.resources[0], null, now);
    const { undoing } = options;
    if (undoing !== undefined && undoing.undo.type !== valid.definition.type) {
      throw new Error(`${valid.definition.type} is not the undo of action ${undoing.id} (${undoing.type} is undone by ${String(undoing.undo.type)})`);
    }
    // As create: the undo of the newest Completed, not yet undone original (or exactly the one
    // named), with the inputs undo derives from it.
    const original = undoing ?? (await newestUndoable(this.#deps.repository, valid));
    const undo = validateCreate(valid.definition.type, undoInputsFor(valid.definition.type, original), [], now);
    return this.#planValid(undo, original.resources[0] ?? valid.resources[0], original, now);
  }

  async #planValid(valid: ValidActionRequest, resource: ResourceRef, undoing: ActionRecord | null, now: Date): Promise<Plan> {
    const { type } = valid.definition;
    // What the create would record on its record (the undo's own resources, as create passes them).
    const warnings: readonly ActionWarning[] = await noEvidenceWarnings(this.#deps.repository, { type, resources: valid.resources, now });
    if (valid.executor !== 'cloud') {
      const changes = [await dispatchChange(valid, this.#deps.responders), ...responderChanges(valid, undoing)];
      return { type, resource, allowed: true, refusal: null, prior: null, changes, undo: undoRestores(type, valid.inputs, null), warnings };
    }
    const refused = (refusal: PlanRefusal): Plan => ({ type, resource, allowed: false, refusal, prior: null, changes: [], undo: null, warnings });
    try {
      guardTarget(resolveTarget({ id: 'planned', inputs: valid.inputs }), this.#deps.config);
    } catch (error) {
      return refused(refusalOf(error));
    }
    const cloud = this.#deps.cloud;
    if (cloud === undefined) {
      return refused({ code: 'NoExecutor', message: 'no cloud executor is configured in this runtime, so the action would end in Error' });
    }
    try {
      const { prior, changes } = await cloud.plan({ type, inputs: valid.inputs, undoOf: undoing?.id ?? null });
      return { type, resource, allowed: true, refusal: null, prior, changes, undo: undoRestores(type, valid.inputs, prior), warnings };
    } catch (error) {
      return refused(refusalOf(error));
    }
  }
}

/**
 * A cloud action error as the plan's refusal: the guards' (TargetAccountNotAllowed,
 * ProtectedTarget) and the target's own (TargetNotFound, AccessDenied, MemberRoleUnavailable,
 * AwsRequestFailed, ...), each the code the action would end in Error with. Matched by class, or
 * by name for errors rebuilt from a Lambda's errorType. Throttling asks the caller to retry
 * (429); a defect, or anything else, is rethrown.
 */
function refusalOf(error: unknown): PlanRefusal {
  if (!(error instanceof Error)) throw error;
  const code = error instanceof CloudActionError ? error.code : errorCodeOf(error.name);
  if (!(cloudActionErrorCodes as readonly string[]).includes(code) || defectCodes.has(code)) throw error;
  if (code === 'Throttling') throw new RetryLaterError(`AWS throttled reading the target for this plan; try again shortly (${error.message})`, 5, { cause: error });
  return { code, message: error.message };
}
