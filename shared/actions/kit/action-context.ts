/**
 * What every action step reads and writes through its context, written once: the action an undo
 * reverses, `prior` and `applied` parsed with the action's own schemas, the result so far, and
 * the change log that keeps `applied` the truth after every change.
 */
import { safeParse, type $ZodType, type output } from 'zod/v4/core';
import type { ActionRecord } from '#shared/history/record.ts';
import type { JsonObject, JsonValue } from '#shared/json.ts';
import type { ChangeLog, CloudActionContext } from '../cloud-action.ts';
import { UndoSourceMissingError } from '../errors.ts';

/** What the step runner knows; the context adds the readers and the change log. */
export type CloudActionContextParts<Clients> = Pick<
  CloudActionContext<Clients>,
  'record' | 'target' | 'undoing' | 'clients' | 'clock' | 'recordProgress'
>;

/** The context a step runs with (action-step.ts builds one per step). */
export function createCloudActionContext<Clients>(parts: CloudActionContextParts<Clients>): CloudActionContext<Clients> {
  const context: CloudActionContext<Clients> = {
    ...parts,
    undoSource() {
      if (parts.undoing === null) {
        throw new UndoSourceMissingError(`action ${parts.record.id} (${parts.record.type}) does not name the action it undoes`);
      }
      return parts.undoing;
    },
    prior(schema, from = parts.record) {
      return readPrior(schema, from);
    },
    changes(change, from = parts.record) {
      return readChanges(change, from);
    },
    result() {
      return resultObject(parts.record.result);
    },
    changeLog(initial) {
      return changeLog(context, initial);
    },
  };
  return context;
}

/** A record's `prior`, parsed with the schema of the action that recorded it. */
export function readPrior<Schema extends $ZodType>(schema: Schema, record: Pick<ActionRecord, 'id' | 'type' | 'prior'>): output<Schema> {
  const parsed = safeParse(schema, record.prior);
  if (!parsed.success) {
    throw new UndoSourceMissingError(`action ${record.id} (${record.type}) recorded no prior state this service can read, so there is nothing to compare or restore`);
  }
  return parsed.data;
}

/** The `changes` a record's `applied` lists, each parsed with `change`; none when nothing was applied yet. */
export function readChanges<Change extends $ZodType>(change: Change, record: Pick<ActionRecord, 'id' | 'type' | 'applied'>): output<Change>[] {
  if (record.applied === null) return [];
  const unreadable = (): UndoSourceMissingError =>
    new UndoSourceMissingError(`action ${record.id} (${record.type}) recorded changes this service cannot read`);
  const listed = isJsonObject(record.applied) ? record.applied['changes'] : undefined;
  if (!Array.isArray(listed)) throw unreadable();
  return listed.map((item) => {
    const parsed = safeParse(change, item);
    if (!parsed.success) throw unreadable();
    return parsed.data;
  });
}

/** A record's result as an object (verify adds `verified` to it); anything else reads as empty. */
export function resultObject(result: JsonValue | null): JsonObject {
  return isJsonObject(result) ? result : {};
}

function isJsonObject(value: JsonValue | null): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function changeLog<Change extends JsonValue>(
  context: Pick<CloudActionContext<unknown>, 'recordProgress'>,
  initial: readonly Change[],
): ChangeLog<Change> {
  const changes = [...initial];
  return {
    changes,
    async add(...added) {
      changes.push(...added);
      await context.recordProgress({ applied: { changes } });
    },
  };
}
