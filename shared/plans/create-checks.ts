/**
 * The checks a create and its plan share, so a dry run refuses exactly what the create would:
 * the exec scope of the type's category before anything of the request is looked at, the
 * catalogue's validation with the reason, and the action a directly posted undo type reverses.
 */
import type { Caller } from '#shared/auth/scopes.ts';
import { canExecute } from '#shared/auth/scopes.ts';
import { findActionType, undoTargetOf, validateActionRequest } from '#shared/catalogue/index.ts';
import type { Category, FieldError, ValidActionRequest } from '#shared/catalogue/index.ts';
import { ForbiddenError, InvalidInputError, NothingToUndoError } from '#shared/errors.ts';
import type { HistoryReader } from '#shared/history/reader.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { undoTargetMatcher } from '#shared/use-cases/undo-inputs.ts';

const maxReasonLength = 1000;

/** 403 unless the caller holds the exec scope of `category`. */
export function requireExecute(caller: Caller, category: Category, type: string): void {
  if (!canExecute(caller, category)) {
    throw new ForbiddenError(`${type} is a ${category} action: it needs the ${category}-response-actions.exec scope`);
  }
}

/**
 * Scope before inputs (API.md): a caller without the exec scope of the type's category gets 403
 * whatever else is wrong with its request. An unknown type is left to validation (400).
 */
export function authorizeCreate(caller: Caller, type: unknown): void {
  const definition = typeof type === 'string' ? findActionType(type) : undefined;
  if (definition !== undefined) requireExecute(caller, definition.category, definition.type);
}

/** The optional free-text reason of a create or an undo. */
export function checkReason(reason: unknown): { value: string | null; errors: FieldError[] } {
  if (reason === undefined || reason === null) return { value: null, errors: [] };
  if (typeof reason !== 'string') return { value: null, errors: [{ path: 'reason', message: 'must be a string' }] };
  if (reason.length > maxReasonLength) {
    return { value: null, errors: [{ path: 'reason', message: `must be at most ${maxReasonLength} characters` }] };
  }
  return { value: reason, errors: [] };
}

/** The catalogue's verdict on `type` and `inputs`; every problem (with `extraErrors`) in one InvalidInputError. */
export function validateCreate(type: unknown, inputs: unknown, extraErrors: readonly FieldError[], now: Date): ValidActionRequest {
  const validation = validateActionRequest({ type, inputs }, { now });
  const errors = [...(validation.ok ? [] : validation.errors), ...extraErrors];
  if (!validation.ok || errors.length > 0) throw new InvalidInputError(errors);
  return validation;
}

/** The action a directly posted undo type reverses: the newest Completed, not yet undone one on that resource. */
export async function newestUndoable(history: Pick<HistoryReader, 'list'>, valid: ValidActionRequest): Promise<ActionRecord> {
  const originalType = undoTargetOf(valid.definition.type);
  const originalDefinition = originalType === null ? undefined : findActionType(originalType);
  if (originalType === null || originalDefinition === undefined) {
    throw new Error(`catalogue has no action undone by ${valid.definition.type}`);
  }
  // Most undo types name the original's own resource; a few name what the original created (a
  // policy, snapshots), and are found among the pair's Completed actions by what they applied.
  const matcher = undoTargetMatcher(valid.definition.type, valid.inputs);
  let cursor: string | undefined;
  for (let page = 0; page < 20; page += 1) {
    const found = await history.list(
      {
        ...(matcher === undefined ? { resource: valid.resources[0].key } : {}),
        type: originalType,
        status: 'Completed',
        limit: 50,
        ...(cursor === undefined ? {} : { cursor }),
      },
      [originalDefinition.category],
    );
    const original = found.items.find((record) => record.undo.available && (matcher === undefined || matcher(record)));
    if (original !== undefined) return original;
    if (found.nextCursor === null) break;
    cursor = found.nextCursor;
  }
  throw new NothingToUndoError(`nothing to undo: no Completed ${originalType} on ${valid.resources[0].key} that is not undone yet`);
}
