import { createHash, randomUUID } from 'node:crypto';
import type { Caller } from '#shared/auth/scopes.ts';
import { readableCategories } from '#shared/auth/scopes.ts';
import {
  findActionType,
  isUndoType,
  type ActionInputs,
  type Category,
  type FieldError,
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
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import type { IdempotencyClaim, IdempotencyStore } from '#shared/history/idempotency.ts';
import type { HistoryPage, HistoryQuery, HistoryReader } from '#shared/history/reader.ts';
import type { HistoryWriter } from '#shared/history/writer.ts';
import type { EvidenceObject, EvidenceStore, WorkStarter } from '#shared/ports.ts';
import { authorizeCreate as authorizeCreateRequest, checkReason, newestUndoable, requireExecute, validateCreate } from '#shared/plans/create-checks.ts';
import { undoInputsFor } from './undo-inputs.ts';

/** The history pieces the use cases touch: they write, read pages and replay repeated requests. */
export type ActionHistory = Pick<HistoryWriter, 'create' | 'transition' | 'claimUndo' | 'releaseUndo'> &
  Pick<HistoryReader, 'get' | 'list'> &
  Pick<IdempotencyStore, 'replay'>;

export interface ActionServiceDeps {
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
export class ActionService {
  readonly #deps: ActionServiceDeps;
  readonly #newId: () => string;

  constructor(deps: ActionServiceDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? randomUUID;
  }

  /**
   * POST /v1/actions. An undo type posted directly undoes the newest Completed, not yet undone
   * action of its pair on that resource, exactly as /undo would.
   */
  async create(
    caller: Caller,
    request: CreateActionRequest,
    idempotencyKey?: string,
    requestErrors: readonly FieldError[] = [],
  ): Promise<ActionRecord> {
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
      if (earlier !== undefined) return earlier;
    }
    if (isUndoType(valid.definition.type)) {
      const original = await this.#newestUndoable(valid);
      return this.#undo(caller, original, reason.value, claim);
    }
    const record = createdRecord(
      {
        id: this.#newId(),
        type: valid.definition.type,
        category: valid.definition.category,
        executor: valid.executor,
        inputs: valid.inputs,
        reason: reason.value,
        resources: valid.resources,
        createdBy: caller.sub,
        undoType: valid.definition.undoType,
      },
      this.#deps.clock.now(),
    );
    const outcome = await this.#store(record, claim);
    return outcome.created ? this.#start(outcome.record) : outcome.record;
  }

  /**
   * Scope before inputs (API.md): a caller without the exec scope of the type's category gets 403
   * whatever else is wrong with its request. An unknown type is left to validation (400).
   */
  authorizeCreate(caller: Caller, type: unknown): void {
    authorizeCreateRequest(caller, type);
  }

  /** POST /v1/actions/{id}/undo; `requestErrors` are the body's own problems, reported only once the caller may undo. */
  async undo(caller: Caller, id: string, reason?: unknown, requestErrors: readonly FieldError[] = []): Promise<ActionRecord> {
    const original = await this.get(caller, id);
    const undoType = original.undo.type;
    if (undoType === null) throw new ConflictError(`${original.type} cannot be undone`);
    const undoDefinition = findActionType(undoType);
    if (undoDefinition === undefined) throw new Error(`catalogue has no undo type ${undoType}`);
    this.#requireExecute(caller, undoDefinition.category, undoType);
    const checkedReason = checkReason(reason);
    const errors = [...requestErrors, ...checkedReason.errors];
    if (errors.length > 0) throw new InvalidInputError(errors);
    return this.#undo(caller, original, checkedReason.value);
  }

  /** POST /v1/actions/{id}/reexecute: the same type and inputs, as a new action. */
  async reexecute(caller: Caller, id: string): Promise<ActionRecord> {
    const original = await this.get(caller, id);
    if (isUndoType(original.type)) {
      throw new ConflictError(`${original.type} is an undo; undo the original action again instead of re-executing this one`);
    }
    this.authorizeCreate(caller, original.type);
    const valid = this.#validate(original.type, original.inputs, []);
    this.#requireExecute(caller, valid.definition.category, valid.definition.type);
    const record = createdRecord(
      {
        id: this.#newId(),
        type: valid.definition.type,
        category: valid.definition.category,
        executor: valid.executor,
        inputs: valid.inputs,
        reason: original.reason,
        resources: valid.resources,
        createdBy: caller.sub,
        undoType: valid.definition.undoType,
        reexecuteOf: original.id,
      },
      this.#deps.clock.now(),
    );
    await this.#store(record, undefined);
    return this.#start(record);
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

  async #undo(caller: Caller, original: ActionRecord, reason: string | null, claim?: IdempotencyClaim): Promise<ActionRecord> {
    const undoType = original.undo.type;
    if (undoType === null) throw new ConflictError(`${original.type} cannot be undone`);
    if (!original.undo.available) {
      throw new ConflictError(
        original.undo.actionId !== null
          ? `action ${original.id} already has an undo (${original.undo.actionId}) in flight or Completed`
          : `action ${original.id} is ${original.status} and changed nothing, so there is nothing to undo`,
      );
    }
    const valid = this.#validate(undoType, undoInputsFor(undoType, original), []);
    const record = createdRecord(
      {
        id: this.#newId(),
        type: valid.definition.type,
        category: valid.definition.category,
        executor: valid.executor,
        inputs: valid.inputs,
        reason,
        // An undo is listed under the resources of the action it undoes.
        resources: original.resources,
        createdBy: caller.sub,
        undoType: valid.definition.undoType,
        undoOf: original.id,
      },
      this.#deps.clock.now(),
    );
    try {
      await this.#deps.repository.claimUndo(original.id, record.id);
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
      return outcome.record;
    }
    return this.#start(record);
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

/** A digest of what was asked, so the same Idempotency-Key with another body is recognised. */
function requestHash(request: CreateActionRequest): string {
  return createHash('sha256')
    .update(canonicalJson({ type: request.type, inputs: request.inputs, reason: request.reason ?? null }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const actionIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isActionId(id: string): boolean {
  return actionIdPattern.test(id);
}

export type { ActionInputs };

/** The 409 for a reused Idempotency-Key: names no action id (the earlier action's id is not the caller's to learn here). */
function idempotencyConflict(cause: IdempotencyConflictError): ConflictError {
  return new ConflictError('this Idempotency-Key was already used with a different request; use a new key for a new request', { cause });
}
