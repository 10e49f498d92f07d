import { randomUUID } from 'node:crypto';
import type { Caller } from '#shared/auth/scopes.ts';
import { readableCategories } from '#shared/auth/scopes.ts';
import {
  findActionType,
  isUndoType,
  type ActionInputs,
  type Category,
  type FieldError,
  type ResourceRef,
  type ValidActionRequest,
} from '#shared/catalogue/index.ts';
import type { Clock } from '#shared/clock.ts';
import {
  ConflictError,
  IdempotencyConflictError,
  IdempotencyInProgressError,
  InvalidCursorError,
  InvalidInputError,
  NotFoundError,
  UndoConflictError,
} from '#shared/errors.ts';
import type { ActionsOnBehalf, CreateOutcome, OnBehalfOptions, OnBehalfRequest } from '#shared/approvals/ports.ts';
import { createdRecord, type ActionRecord, type ActionWarning } from '#shared/history/record.ts';
import type { IdempotencyClaim, IdempotencyStore } from '#shared/history/idempotency.ts';
import type { HistoryPage, HistoryQuery, HistoryReader } from '#shared/history/reader.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { EvidenceObject, EvidenceStore, WorkStarter } from '#shared/ports.ts';
import { authorizeCreate as authorizeCreateRequest, checkReason, newestUndoable, requireExecute, validateCreate } from '#shared/plans/create-checks.ts';
import type { Plan, Planner } from '#shared/plans/types.ts';
import { checkReexecute, checkUndo, refuseReexecutingUndo, refuseUnavailableUndo } from './action-checks.ts';
import { idempotencyConflict, isActionId, requestHash } from './action-requests.ts';
import { approvalInstead, checkGate, personActor, type Actor, type ApprovalGateDeps } from './approval-gate.ts';
import { noEvidenceWarnings } from './evidence-first.ts';
import { undoInputsFor } from './undo-inputs.ts';

export type { CreateOutcome } from '#shared/approvals/ports.ts';
export { isActionId } from './action-requests.ts';

/** The history pieces the use cases touch: they write, read pages and replay repeated requests. */
export type ActionHistory = Pick<HistoryWriter, 'create' | 'transition' | 'claimUndo' | 'releaseUndo'> &
  Pick<HistoryReader, 'get' | 'list'> &
  Pick<IdempotencyStore, 'replay'>;

export interface ActionServiceDeps extends ApprovalGateDeps {
  readonly repository: ActionHistory;
  /** Who runs each executor's work; an executor without one ends its actions in Error, saying so. */
  readonly starters: Readonly<Partial<Record<'cloud' | 'host' | 'kubernetes', WorkStarter>>>;
  readonly evidence?: EvidenceStore;
  readonly clock: Clock;
  readonly newId?: () => string;
  /** Download links handed out with evidence listings expire after this. */
  readonly evidenceLinkSeconds?: number;
}

export interface CreateActionRequest {
  readonly type: unknown;
  readonly inputs: unknown;
  readonly reason?: unknown;
}

export interface EvidenceListing extends EvidenceObject {
  readonly downloadUrl: string;
  readonly downloadUrlExpiresAt: string;
}

/**
 * The use cases behind the HTTP API: create, undo, re-execute, read and search actions.
 * Every request is validated and authorized before anything is written.
 */
export class ActionService implements ActionsOnBehalf {
  readonly #deps: ActionServiceDeps;
  readonly #newId: () => string;
  readonly #read = (caller: Caller, id: string): Promise<ActionRecord> => this.get(caller, id);

  constructor(deps: ActionServiceDeps) {
    checkGate(deps);
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
  }

  /**
   * POST /v1/actions. An undo type posted directly undoes the newest Completed, not yet undone
   * action of its pair on that resource, exactly as /undo would. On a target under
   * APPROVAL_REQUIRED nothing is created but an approval.
   */
  async create(
    caller: Caller,
    request: CreateActionRequest,
    idempotencyKey?: string,
    requestErrors: readonly FieldError[] = [],
    /** A last check before anything is written (POST /v1/actions: a registered responder), after every other check and a replay. */
    admit?: (valid: ValidActionRequest) => Promise<void>,
  ): Promise<CreateOutcome> {
    this.authorizeCreate(caller, request.type);
    const reason = checkReason(request.reason);
    const valid = this.#validate(request.type, request.inputs, [...requestErrors, ...reason.errors]);
    this.#requireExecute(caller, valid.definition.category, valid.definition.type);
    const claim =
      idempotencyKey === undefined
        ? undefined
        : { caller: caller.sub, key: idempotencyKey, requestHash: requestHash(request) };
    if (claim !== undefined) {
      // A repeated request answers with what the first one created, before anything else is tried.
      const earlier = await this.#replay(claim);
      if (earlier !== undefined) return { record: earlier };
    }
    await admit?.(valid);
    return this.#create(personActor(caller.sub), valid, reason.value, claim);
  }

  /**
   * Creates an action for `principal` on another authority: a rule (the rule is the authority) or
   * an approval (the approver is). No scope is checked; the request is validated exactly as a
   * create's, and the APPROVAL_REQUIRED gate applies unless a second person `approved` it. An
   * `origin` undoes or re-executes exactly that action.
   */
  async createOnBehalf(principal: string, request: OnBehalfRequest, options: OnBehalfOptions): Promise<CreateOutcome> {
    const reason = checkReason(request.reason);
    const valid = this.#validate(request.type, request.inputs, reason.errors);
    const actor: Actor = {
      principal,
      trigger: options.trigger,
      approved: options.approved,
      ...(options.countAs === undefined ? {} : { countAs: options.countAs }),
      ...(options.playbookRunId === undefined ? {} : { playbookRunId: options.playbookRunId }),
      ...(options.actionId === undefined ? {} : { actionId: options.actionId }),
    };
    const origin = options.origin;
    if (origin === undefined) return this.#create(actor, valid, reason.value, undefined);
    const original = await this.#deps.repository.get(origin.actionId);
    if (original === null) throw new NotFoundError(`no action ${origin.actionId}`);
    return origin.kind === 'undo' ? this.#undo(actor, original, reason.value) : this.#reexecute(actor, original);
  }

  async #create(actor: Actor, valid: ValidActionRequest, reason: string | null, claim: IdempotencyClaim | undefined): Promise<CreateOutcome> {
    if (isUndoType(valid.definition.type)) {
      const original = await this.#newestUndoable(valid);
      return this.#undo(actor, original, reason, claim);
    }
    const request = { type: valid.definition.type, inputs: { ...valid.inputs }, reason };
    const gated = await approvalInstead(this.#deps, actor, { request, category: valid.definition.category, resources: valid.resources });
    if (gated !== undefined) return gated;
    const record = createdRecord(
      {
        id: actor.actionId ?? this.#newId(),
        type: valid.definition.type,
        category: valid.definition.category,
        executor: valid.executor,
        inputs: valid.inputs,
        reason,
        resources: valid.resources,
        createdBy: actor.principal,
        undoType: valid.definition.undoType,
        trigger: actor.trigger,
        playbookRunId: actor.playbookRunId ?? null,
        warnings: await this.#warnings(valid.definition.type, valid.resources),
      },
      this.#deps.clock.now(),
    );
    const outcome = await this.#store(record, claim);
    return { record: outcome.created ? await this.#start(outcome.record) : outcome.record };
  }

  /**
   * Scope before inputs (API.md): a caller without the exec scope of the type's category gets 403
   * whatever else is wrong with its request. An unknown type is left to validation (400).
   */
  authorizeCreate(caller: Caller, type: unknown): void {
    authorizeCreateRequest(caller, type);
  }

  /** POST /v1/actions/{id}/undo; `requestErrors` are the body's own problems, reported only once the caller may undo. */
  async undo(caller: Caller, id: string, reason?: unknown, requestErrors: readonly FieldError[] = []): Promise<CreateOutcome> {
    const { original, reason: checked } = await checkUndo(this.#read, caller, id, reason, requestErrors);
    return this.#undo(personActor(caller.sub), original, checked);
  }

  /**
   * POST /v1/actions/{id}/undo?dryRun=true: the undo's own checks in its order (404, 409, 403,
   * 400, then 409 when no undo is available now), then the plan of undoing exactly this action.
   * Nothing is written: no record, no undo claim, and no approval even where APPROVAL_REQUIRED
   * matches (the plan is what approving would run).
   */
  async planUndo(planner: Planner, caller: Caller, id: string, reason?: unknown, requestErrors: readonly FieldError[] = []): Promise<Plan> {
    const { original, undoType, reason: checked } = await checkUndo(this.#read, caller, id, reason, requestErrors);
    refuseUnavailableUndo(original, false);
    return planner.plan(caller, { type: undoType, inputs: undoInputsFor(undoType, original), reason: checked }, [], { undoing: original });
  }

  /** POST /v1/actions/{id}/reexecute: the same type and inputs, as a new action; `requestErrors` are reported once the caller may re-execute. */
  async reexecute(caller: Caller, id: string, requestErrors: readonly FieldError[] = []): Promise<CreateOutcome> {
    const original = await checkReexecute(this.#read, caller, id, requestErrors);
    return this.#reexecute(personActor(caller.sub), original);
  }

  /**
   * POST /v1/actions/{id}/reexecute?dryRun=true: the re-execution's own checks, then the plan of
   * a create of the same type and inputs. Nothing is written, and no approval is requested.
   */
  async planReexecute(planner: Planner, caller: Caller, id: string): Promise<Plan> {
    const original = await checkReexecute(this.#read, caller, id, []);
    return planner.plan(caller, { type: original.type, inputs: original.inputs, reason: original.reason });
  }

  async #reexecute(actor: Actor, original: ActionRecord): Promise<CreateOutcome> {
    refuseReexecutingUndo(original);
    const valid = this.#validate(original.type, original.inputs, []);
    const request = { type: valid.definition.type, inputs: { ...valid.inputs }, reason: original.reason };
    const gated = await approvalInstead(this.#deps, actor, {
      request,
      category: valid.definition.category,
      resources: valid.resources,
      origin: { kind: 'reexecute', actionId: original.id },
    });
    if (gated !== undefined) return gated;
    const record = createdRecord(
      {
        id: actor.actionId ?? this.#newId(),
        type: valid.definition.type,
        category: valid.definition.category,
        executor: valid.executor,
        inputs: valid.inputs,
        reason: original.reason,
        resources: valid.resources,
        createdBy: actor.principal,
        undoType: valid.definition.undoType,
        reexecuteOf: original.id,
        trigger: actor.trigger,
        playbookRunId: actor.playbookRunId ?? null,
        warnings: await this.#warnings(valid.definition.type, valid.resources),
      },
      this.#deps.clock.now(),
    );
    await this.#store(record, undefined);
    return { record: await this.#start(record) };
  }

  /** GET /v1/actions/{id}: a record of a category the caller may not read does not exist for them. */
  async get(caller: Caller, id: string): Promise<ActionRecord> {
    const record = isActionId(id) ? await this.#deps.repository.get(id) : null;
    if (record === null || !readableCategories(caller).includes(record.category)) {
      throw new NotFoundError(`no action ${id}`);
    }
    return record;
  }

  /** GET /v1/actions: newest first, in the categories the caller may read. */
  async list(caller: Caller, query: HistoryQuery): Promise<HistoryPage> {
    let categories: readonly Category[] = readableCategories(caller);
    if (query.type !== undefined) {
      const definition = findActionType(query.type);
      categories = categories.filter((category) => category === definition?.category);
    }
    try {
      return await this.#deps.repository.list(query, categories);
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new InvalidInputError([{ path: 'cursor', message: error.message }], { cause: error });
      throw error;
    }
  }

  /** GET /v1/actions/{id}/evidence: each object with a short-lived download link. */
  async evidence(caller: Caller, id: string): Promise<EvidenceListing[]> {
    const record = await this.get(caller, id);
    const store = this.#deps.evidence;
    if (store === undefined) return [];
    const seconds = this.#deps.evidenceLinkSeconds ?? 300;
    const expiresAt = new Date(this.#deps.clock.now().getTime() + seconds * 1000).toISOString();
    const objects = await store.list(record.id);
    return Promise.all(
      objects.map(async (object) => ({
        ...object,
        downloadUrl: await store.downloadUrl(object, seconds),
        downloadUrlExpiresAt: expiresAt,
      })),
    );
  }

  /** Issue 13's NoEvidenceFirst, before the record is written; it never blocks or fails a create (evidence-first.ts). */
  #warnings(type: string, resources: readonly ResourceRef[]): Promise<ActionWarning[]> {
    return noEvidenceWarnings(this.#deps.repository, { type, resources, now: this.#deps.clock.now() });
  }

  #validate(type: unknown, inputs: unknown, extraErrors: readonly FieldError[]): ValidActionRequest {
    return validateCreate(type, inputs, extraErrors, this.#deps.clock.now());
  }

  #requireExecute(caller: Caller, category: Category, type: string): void {
    requireExecute(caller, category, type);
  }

  /** The action a directly posted undo type reverses (shared with its plan). */
  #newestUndoable(valid: ValidActionRequest): Promise<ActionRecord> {
    return newestUndoable(this.#deps.repository, valid);
  }

  async #replay(claim: IdempotencyClaim): Promise<ActionRecord | undefined> {
    try {
      return await this.#deps.repository.replay(claim);
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw idempotencyConflict(error);
      throw error;
    }
  }

  async #undo(actor: Actor, original: ActionRecord, reason: string | null, claim?: IdempotencyClaim): Promise<CreateOutcome> {
    const undoType = original.undo.type;
    if (undoType === null) throw new ConflictError(`${original.type} cannot be undone`);
    // A playbook step retried after a crash between claiming the undo and storing its record: the
    // claim names the id the run reserved for this step, so it is this request's own claim.
    const ownClaim = actor.actionId !== undefined && original.undo.actionId === actor.actionId;
    refuseUnavailableUndo(original, ownClaim);
    const valid = this.#validate(undoType, undoInputsFor(undoType, original), []);
    const gated = await approvalInstead(this.#deps, actor, {
      request: { type: undoType, inputs: { ...valid.inputs }, reason },
      category: valid.definition.category,
      resources: [...original.resources, ...valid.resources],
      origin: { kind: 'undo', actionId: original.id },
      undoing: original,
    });
    if (gated !== undefined) return gated;
    const record = createdRecord(
      {
        id: actor.actionId ?? this.#newId(),
        type: valid.definition.type,
        category: valid.definition.category,
        executor: valid.executor,
        inputs: valid.inputs,
        reason,
        // An undo is listed under the resources of the action it undoes.
        resources: original.resources,
        createdBy: actor.principal,
        undoType: valid.definition.undoType,
        undoOf: original.id,
        trigger: actor.trigger,
        playbookRunId: actor.playbookRunId ?? null,
        warnings: await this.#warnings(valid.definition.type, valid.resources),
      },
      this.#deps.clock.now(),
    );
    try {
      if (!ownClaim) await this.#deps.repository.claimUndo(original.id, record.id);
    } catch (error) {
      if (error instanceof UndoConflictError) throw new ConflictError(error.message, { cause: error });
      throw error;
    }
    let outcome: { record: ActionRecord; created: boolean };
    try {
      outcome = await this.#store(record, claim);
    } catch (error) {
      await this.#deps.repository.releaseUndo(original.id, record.id);
      throw error;
    }
    if (!outcome.created) {
      // A request with the same key raced this one and created the undo first.
      await this.#deps.repository.releaseUndo(original.id, record.id);
      return { record: outcome.record };
    }
    return { record: await this.#start(record) };
  }

  async #store(record: ActionRecord, claim: IdempotencyClaim | undefined): Promise<{ record: ActionRecord; created: boolean }> {
    try {
      return await this.#deps.repository.create(record, claim);
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw idempotencyConflict(error);
      if (error instanceof IdempotencyInProgressError) {
        throw new ConflictError(error.message, { cause: error, retryAfterSeconds: 1 });
      }
      throw error;
    }
  }

  /** Hands the action to its executor; a failure to hand it over ends the action in Error, saying why. */
  async #start(record: ActionRecord): Promise<ActionRecord> {
    const starter = this.#deps.starters[record.executor];
    if (starter === undefined) {
      return this.#fail(record, 'NoExecutor', `no ${record.executor} executor is configured in this deployment`);
    }
    try {
      await starter.start(record);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return this.#fail(record, 'StartFailed', `the action could not be handed to its executor: ${message}`);
    }
    return (await this.#deps.repository.get(record.id)) ?? record;
  }

  async #fail(record: ActionRecord, code: string, message: string): Promise<ActionRecord> {
    const failed = await this.#deps.repository.transition(record.id, 'Error', { error: { code, message } });
    if (record.undoOf !== null) await this.#deps.repository.releaseUndo(record.undoOf, record.id);
    return failed;
  }
}

export type { ActionInputs };
