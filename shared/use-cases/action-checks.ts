/**
 * The checks an undo and a re-execution make before anything is written, in their order (404,
 * 409, 403, 400), shared by the real requests and their dry runs so a plan is refused exactly
 * as the request would be.
 */
import type { Caller } from '#shared/auth/scopes.ts';
import { findActionType, isUndoType, type FieldError } from '#shared/catalogue/index.ts';
import { ConflictError, InvalidInputError } from '#shared/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { authorizeCreate, checkReason, requireExecute } from '#shared/plans/create-checks.ts';

/** An action as the caller may read it (ActionService.get): 404 when it does not exist for them. */
export type ReadAction = (caller: Caller, id: string) => Promise<ActionRecord>;

/** An undo request's checks; `requestErrors` (the body's own problems) are reported only once the caller may undo. */
export async function checkUndo(
  read: ReadAction,
  caller: Caller,
  id: string,
  reason: unknown,
  requestErrors: readonly FieldError[],
): Promise<{ original: ActionRecord; undoType: string; reason: string | null }> {
  const original = await read(caller, id);
  const undoType = original.undo.type;
  if (undoType === null) throw new ConflictError(`${original.type} cannot be undone`);
  const undoDefinition = findActionType(undoType);
  if (undoDefinition === undefined) throw new Error(`catalogue has no undo type ${undoType}`);
  requireExecute(caller, undoDefinition.category, undoType);
  const checkedReason = checkReason(reason);
  const errors = [...requestErrors, ...checkedReason.errors];
  if (errors.length > 0) throw new InvalidInputError(errors);
  return { original, undoType, reason: checkedReason.value };
}

/** A re-execution's checks; `requestErrors` are reported only once the caller may re-execute. */
export async function checkReexecute(read: ReadAction, caller: Caller, id: string, requestErrors: readonly FieldError[]): Promise<ActionRecord> {
  const original = await read(caller, id);
  refuseReexecutingUndo(original);
  authorizeCreate(caller, original.type);
  if (requestErrors.length > 0) throw new InvalidInputError(requestErrors);
  return original;
}

/** 409 unless an undo may be requested now, or it is the request's own claim (a retried playbook step). */
export function refuseUnavailableUndo(original: ActionRecord, ownClaim: boolean): void {
  if (original.undo.available || ownClaim) return;
  throw new ConflictError(
    original.undo.actionId !== null
      ? `action ${original.id} already has an undo (${original.undo.actionId}) in flight or Completed`
      : `action ${original.id} is ${original.status} and changed nothing, so there is nothing to undo`,
  );
}

export function refuseReexecutingUndo(original: ActionRecord): void {
  if (isUndoType(original.type)) {
    throw new ConflictError(`${original.type} is an undo; undo the original action again instead of re-executing this one`);
  }
}
