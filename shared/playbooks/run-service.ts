import { randomUUID } from 'node:crypto';
import type { RunApprovalRequests } from '#shared/approvals/ports.ts';
import { canExecute, readableCategories, type Caller } from '#shared/auth/scopes.ts';
import type { Category, FieldError } from '#shared/catalogue/index.ts';
import type { Clock } from '#shared/clock.ts';
import {
  ConflictError,
  ForbiddenError,
  IdempotencyConflictError,
  IdempotencyInProgressError,
  InvalidCursorError,
  InvalidInputError,
  NotFoundError,
  NothingToUndoError,
} from '#shared/errors.ts';
import type { IdempotencyClaim, IdempotencyStore } from '#shared/history/idempotency.ts';
import type { HistoryReader } from '#shared/history/reader.ts';
import type { Trigger } from '#shared/history/record.ts';
import type { JsonValue } from '#shared/json.ts';
import { checkReason } from '#shared/plans/create-checks.ts';
import type { Planner } from '#shared/plans/types.ts';
import { idempotencyConflict, isActionId, requestHash } from '#shared/use-cases/action-requests.ts';
import { requiresApproval } from '#shared/use-cases/approval-gate.ts';
import { categoriesOf, describePlaybook, resourcesAtStart, validateRunInputs } from './definitions/index.ts';
import { answerRun, newRun, newUndoRun, stepActions, undoCategories, undoTargets, type UndoTarget } from './run-answers.ts';
import { planSteps } from './run-plan.ts';
import type { RunStore } from './run-store.ts';
import type {
  PlaybookCatalogue,
  PlaybookDefinition,
  PlaybookDescription,
  PlaybookPlan,
  PlaybookRun,
  PlaybookRuns,
  RunOnBehalfOptions,
  RunOutcome,
  RunPage,
  RunQuery,
  RunRequest,
  RunStarter,
  StoredRun,
} from './types.ts';

export interface PlaybookRunServiceDeps {
  readonly playbooks: PlaybookCatalogue;
  readonly store: Pick<RunStore, 'create' | 'get' | 'list' | 'actionsOf' | 'moveStatus' | 'setUndoRun' | 'releaseUndoRun'>;
  /** Reads the steps' actions (the HistoryRepository or its reader). */
  readonly records: Pick<HistoryReader, 'get'>;
  /** Plans each step for `?dryRun=true` and for an approval to show. */
  readonly planner: Planner;
  /** Starts a run's execution (Step Functions, or the local runner). */
  readonly starter: RunStarter;
  /** APPROVAL_REQUIRED patterns. */
  readonly approvalRequired?: readonly string[];
  readonly approvals?: RunApprovalRequests;
  readonly clock: Clock;
  readonly newId?: () => string;
  /** PLAYBOOK_RUN_DEADLINE_SECONDS */
  readonly runDeadlineSeconds: number;
  /** The history's IdempotencyStore: run keys live beside action keys, in their own namespace. */
  readonly idempotency: Pick<IdempotencyStore, 'claimFor' | 'replayFor' | 'release'>;
}

/** Who a run is created for and on whose authority (a person, a rule, an approval). */
interface RunActor {
  readonly principal: string;
  readonly trigger: Trigger | null;
  readonly approved: boolean;
  readonly countAs?: RunOnBehalfOptions['countAs'];
}

const idempotencyNamespace = 'playbook-run';

/**
 * The playbook run use cases behind the HTTP routes, the approvals and the automation. Every
 * request is authorized (exec of every category its steps use) before its inputs are looked at,
 * and validated before anything is written.
 */
export class PlaybookRunService implements PlaybookRuns {
  readonly #deps: PlaybookRunServiceDeps;
  readonly #newId: () => string;

  constructor(deps: PlaybookRunServiceDeps) {
    if ((deps.approvalRequired ?? []).length > 0 && deps.approvals === undefined) {
      throw new Error('APPROVAL_REQUIRED is set but the PlaybookRunService was built without approvals to request');
    }
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
  }

  describe(): readonly PlaybookDescription[] {
    return this.#deps.playbooks.list().map((playbook) => describePlaybook(playbook));
  }

  async create(caller: Caller, name: string, request: RunRequest, idempotencyKey?: string, requestErrors: readonly FieldError[] = []): Promise<RunOutcome> {
    const playbook = this.#find(name);
    const categories = categoriesOf(playbook);
    requireScopes(caller, `playbook ${playbook.name}`, categories);
    const { inputs, reason } = this.#validate(playbook, request, requestErrors);
    const claim: IdempotencyClaim | undefined =
      idempotencyKey === undefined
        ? undefined
        : {
            caller: caller.sub,
            key: idempotencyKey,
            namespace: idempotencyNamespace,
            requestHash: requestHash({ type: playbook.name, inputs: request.inputs, reason: request.reason }),
          };
    if (claim !== undefined) {
      // A repeated request answers with the run the first one created, before anything else is tried.
      const earlier = await this.#idempotent(() => this.#deps.idempotency.replayFor(claim, (id) => this.#deps.store.get(id)));
      if (earlier !== undefined) return { run: await this.#answer(earlier) };
    }
    return this.#begin({ principal: caller.sub, trigger: null, approved: false }, playbook, inputs, reason, claim);
  }

  async plan(caller: Caller | null, name: string, request: RunRequest, requestErrors: readonly FieldError[] = []): Promise<PlaybookPlan> {
    const playbook = this.#find(name);
    if (caller !== null) requireScopes(caller, `playbook ${playbook.name}`, categoriesOf(playbook));
    const { inputs, reason } = this.#validate(playbook, request, requestErrors);
    return { playbook: playbook.name, steps: await planSteps(this.#deps.planner, playbook, inputs, reason) };
  }

  async createOnBehalf(
    principal: string,
    name: string,
    request: { readonly inputs: Record<string, unknown>; readonly reason: string | null },
    options: RunOnBehalfOptions,
  ): Promise<RunOutcome> {
    const actor: RunActor = {
      principal,
      trigger: options.trigger,
      approved: options.approved,
      ...(options.countAs === undefined ? {} : { countAs: options.countAs }),
    };
    if (options.undoOf !== undefined) {
      const original = isActionId(options.undoOf) ? await this.#deps.store.get(options.undoOf) : null;
      if (original === null || original.run.playbook !== name) throw new NotFoundError(`no playbook run ${options.undoOf} of ${name}`);
      return this.#undo(actor, original, request.reason);
    }
    const playbook = this.#find(name);
    const { inputs, reason } = this.#validate(playbook, request, []);
    return this.#begin(actor, playbook, inputs, reason, undefined);
  }

  /** GET /v1/playbook-runs/{id}: a run the caller may not read every category of does not exist for them. */
  async get(caller: Caller, id: string): Promise<PlaybookRun> {
    return this.#answer(await this.#readable(caller, id));
  }

  async list(caller: Caller, query: RunQuery): Promise<RunPage> {
    try {
      const page = await this.#deps.store.list({ ...query, readable: readableCategories(caller), now: this.#deps.clock.now() });
      const ids = page.items.flatMap((stored) => stored.run.steps.flatMap((step) => (step.actionId === null ? [] : [step.actionId])));
      const actions = await this.#deps.store.actionsOf(ids);
      const read = { get: (id: string) => Promise.resolve(actions.get(id) ?? null) };
      return { items: await Promise.all(page.items.map((stored) => answerRun(read, stored))), cursor: page.nextCursor };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new InvalidInputError([{ path: 'cursor', message: error.message }], { cause: error });
      throw error;
    }
  }

  async undo(caller: Caller, id: string, reason?: unknown, requestErrors: readonly FieldError[] = []): Promise<RunOutcome> {
    const original = await this.#readable(caller, id);
    requireScopes(caller, `run ${original.run.id}`, original.categories);
    const checked = checkReason(reason);
    const errors = [...requestErrors, ...checked.errors];
    if (errors.length > 0) throw new InvalidInputError(errors);
    return this.#undo({ principal: caller.sub, trigger: null, approved: false }, original, checked.value, caller);
  }

  async #undo(actor: RunActor, original: StoredRun, reason: string | null, caller?: Caller): Promise<RunOutcome> {
    const { run } = original;
    if (run.status !== 'Completed' && run.status !== 'Error') {
      throw new ConflictError(`run ${run.id} is ${run.status}: only a finished run can be undone`);
    }
    if (run.undo.runId !== null) throw new ConflictError(`run ${run.id} was already undone by run ${run.undo.runId}`);
    const targets = undoTargets(original, await stepActions(this.#deps.records, run));
    if (targets.length === 0) {
      throw new NothingToUndoError(`nothing to undo: run ${run.id} has no Completed containment step with an undo that is not undone yet`);
    }
    const categories = undoCategories(targets);
    if (caller !== undefined) requireScopes(caller, `the undo of run ${run.id}`, categories);
    if (!actor.approved && this.#undoNeedsApproval(targets)) {
      return this.#requestApproval(actor, run.playbook, { ...run.inputs }, reason, { category: 'containment', categories, plan: null }, run.id);
    }
    const id = this.#newId();
    const now = this.#deps.clock.now();
    if ((await this.#deps.store.setUndoRun(run.id, id, now.toISOString())) === null) {
      throw new ConflictError(`run ${run.id} was already undone, or is no longer finished`);
    }
    const stored = newUndoRun(
      {
        id,
        reason,
        createdBy: actor.principal,
        trigger: actor.trigger,
        now,
        deadlineSeconds: this.#deps.runDeadlineSeconds,
      },
      original,
      targets,
    );
    try {
      await this.#deps.store.create(stored);
    } catch (error) {
      await this.#deps.store.releaseUndoRun(run.id, id);
      throw error;
    }
    return { run: await this.#start(stored) };
  }

  #undoNeedsApproval(targets: readonly UndoTarget[]): boolean {
    const patterns = this.#deps.approvalRequired ?? [];
    return targets.some((target) => requiresApproval(patterns, target.action.resources, target.action.inputs));
  }

  async #begin(
    actor: RunActor,
    playbook: PlaybookDefinition,
    inputs: Record<string, JsonValue>,
    reason: string | null,
    claim: IdempotencyClaim | undefined,
  ): Promise<RunOutcome> {
    const categories = categoriesOf(playbook);
    if (!actor.approved && requiresApproval(this.#deps.approvalRequired ?? [], resourcesAtStart(playbook, inputs, this.#deps.clock.now()), inputs)) {
      const category: Category = playbook.steps.some((step) => step.phase === 'containment') ? 'containment' : 'data-gathering';
      const plan = { playbook: playbook.name, steps: await planSteps(this.#deps.planner, playbook, inputs, reason) };
      return this.#requestApproval(actor, playbook.name, inputs, reason, { category, categories, plan }, undefined);
    }
    const stored = newRun({
      id: this.#newId(),
      playbook,
      inputs,
      reason,
      createdBy: actor.principal,
      trigger: actor.trigger,
      categories,
      now: this.#deps.clock.now(),
      deadlineSeconds: this.#deps.runDeadlineSeconds,
    });
    if (claim !== undefined) {
      const earlier = await this.#idempotent(() => this.#deps.idempotency.claimFor(claim, stored.run.id, (id) => this.#deps.store.get(id)));
      if (earlier !== undefined) return { run: await this.#answer(earlier) };
    }
    try {
      await this.#deps.store.create(stored);
    } catch (error) {
      if (claim !== undefined) await this.#deps.idempotency.release(claim, stored.run.id);
      throw error;
    }
    return { run: await this.#start(stored) };
  }

  async #requestApproval(
    actor: RunActor,
    playbook: string,
    inputs: Record<string, unknown>,
    reason: string | null,
    scope: { readonly category: Category; readonly categories: readonly Category[]; readonly plan: PlaybookPlan | null },
    undoOf: string | undefined,
  ): Promise<RunOutcome> {
    const approvals = this.#deps.approvals;
    if (approvals === undefined) throw new Error('APPROVAL_REQUIRED matched but no approvals are configured');
    const approval = await approvals.requestRun({
      playbook,
      inputs,
      reason,
      requestedBy: actor.principal,
      trigger: actor.trigger,
      category: scope.category,
      categories: scope.categories,
      plan: scope.plan,
      ...(actor.countAs === undefined ? {} : { countAs: actor.countAs }),
      ...(undoOf === undefined ? {} : { undoOf }),
    });
    return { approval };
  }

  /** Hands the run to its execution; a failure to start it ends the run in Error, saying why. */
  async #start(stored: StoredRun): Promise<PlaybookRun> {
    try {
      await this.#deps.starter.start(stored.run);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const at = this.#deps.clock.now().toISOString();
      const error_ = { code: 'StartFailed', message: `the run's execution could not be started: ${message}` };
      const failed = await this.#deps.store.moveStatus(stored.run, 'Created', 'Error', { at, error: error_ });
      // An undo that never started undid nothing: the original may be undone again.
      if (failed !== null && stored.run.undoOf !== null) await this.#deps.store.releaseUndoRun(stored.run.undoOf, stored.run.id);
    }
    return this.#answer((await this.#deps.store.get(stored.run.id)) ?? stored);
  }

  #find(name: string): PlaybookDefinition {
    const playbook = this.#deps.playbooks.find(name);
    if (playbook === undefined) throw new NotFoundError(`no playbook ${name}; GET /v1/playbooks lists them`);
    return playbook;
  }

  /** The run's inputs and reason, every problem (with the body's own) in one InvalidInputError. */
  #validate(
    playbook: PlaybookDefinition,
    request: { readonly inputs: unknown; readonly reason?: unknown },
    requestErrors: readonly FieldError[],
  ): { inputs: Record<string, JsonValue>; reason: string | null } {
    const reason = checkReason(request.reason);
    let inputs: Record<string, JsonValue> = {};
    const errors: FieldError[] = [];
    try {
      inputs = validateRunInputs(playbook, request.inputs, this.#deps.clock.now());
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      errors.push(...error.errors);
    }
    errors.push(...requestErrors, ...reason.errors);
    if (errors.length > 0) throw new InvalidInputError(errors);
    return { inputs, reason: reason.value };
  }

  async #readable(caller: Caller, id: string): Promise<StoredRun> {
    const stored = isActionId(id) ? await this.#deps.store.get(id) : null;
    const readable = readableCategories(caller);
    if (stored === null || !stored.categories.every((category) => readable.includes(category))) {
      throw new NotFoundError(`no playbook run ${id}`);
    }
    return stored;
  }

  #answer(stored: StoredRun): Promise<PlaybookRun> {
    return answerRun(this.#deps.records, stored);
  }

  async #idempotent<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw idempotencyConflict(error);
      if (error instanceof IdempotencyInProgressError) throw new ConflictError(error.message, { cause: error, retryAfterSeconds: 1 });
      throw error;
    }
  }
}

/** 403 unless the caller holds the exec scope of every category: a run creates actions in each. */
function requireScopes(caller: Caller, what: string, categories: readonly Category[]): void {
  const missing = categories.filter((category) => !canExecute(caller, category));
  if (missing.length > 0) {
    throw new ForbiddenError(`${what} runs ${missing.join(' and ')} actions: it needs the ${missing.map((category) => `${category}-response-actions.exec`).join(' and ')} scope`);
  }
}
