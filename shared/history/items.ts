import type { Category } from '#shared/catalogue/types.ts';
import { undoAvailable, type ActionRecord } from './record.ts';
import type { ActionStatus } from './status.ts';

/** How records map onto items of the history table (see table-design.ts). */
export const recordSortKey = 'A';
export const actionPartitionKey = (id: string): string => `A#${id}`;
export const monthOf = (isoTime: string): string => isoTime.slice(0, 7);
export const createdSortKey = (record: Pick<ActionRecord, 'createdAt' | 'id'>): string =>
  `${record.createdAt}#${record.id}`;

export const indexKeys = {
  byResource: (category: Category, resourceKey: string): string => `${category}#${resourceKey}`,
  byTime: (category: Category, month: string): string => `${category}#${month}`,
  byType: (category: Category, type: string, month: string): string => `${category}#${type}#${month}`,
  byStatus: (category: Category, status: ActionStatus, month: string): string => `${category}#${status}#${month}`,
  byCreator: (category: Category, createdBy: string, month: string): string => `${category}#${createdBy}#${month}`,
};

export type StoredItem = Record<string, unknown>;

/** The items that represent one record: the record itself, and a link per extra resource. */
export function recordToItems(record: ActionRecord): StoredItem[] {
  const month = monthOf(record.createdAt);
  const createdSk = createdSortKey(record);
  const pk = actionPartitionKey(record.id);
  const main: StoredItem = {
    pk,
    sk: recordSortKey,
    createdSk,
    gsiResource: indexKeys.byResource(record.category, record.resource.key),
    gsiTime: indexKeys.byTime(record.category, month),
    gsiType: indexKeys.byType(record.category, record.type, month),
    gsiStatus: indexKeys.byStatus(record.category, record.status, month),
    gsiCreator: indexKeys.byCreator(record.category, record.createdBy, month),
    ...storedFields(record),
  };
  const links = record.resources.slice(1).map(
    (resource, index): StoredItem => ({
      pk,
      sk: `R#${index + 1}`,
      createdSk,
      gsiResource: indexKeys.byResource(record.category, resource.key),
    }),
  );
  return [main, ...links];
}

/** Record fields as stored: absent instead of null where a write uses if_not_exists. */
function storedFields(record: ActionRecord): StoredItem {
  const { undo, prior, applied, result, error, ...rest } = record;
  const fields: StoredItem = { ...rest, undo: { type: undo.type, actionId: undo.actionId } };
  if (prior !== null) fields['prior'] = prior;
  if (applied !== null) fields['applied'] = applied;
  if (result !== null) fields['result'] = result;
  if (error !== null) fields['error'] = error;
  return fields;
}

const internalAttributes = new Set(['pk', 'sk', 'createdSk', 'gsiResource', 'gsiTime', 'gsiType', 'gsiStatus', 'gsiCreator']);

/** The API's view of a stored record item: internal keys dropped, absent fields null, undo availability derived. */
export function itemToRecord(item: StoredItem): ActionRecord {
  const fields = Object.fromEntries(Object.entries(item).filter(([name]) => !internalAttributes.has(name)));
  const stored = fields as unknown as Omit<ActionRecord, 'undo'> & { undo: { type: string | null; actionId: string | null } };
  const withNulls = {
    ...stored,
    prior: (stored.prior ?? null),
    applied: (stored.applied ?? null),
    result: (stored.result ?? null),
    error: stored.error ?? null,
    reason: stored.reason ?? null,
    undoOf: stored.undoOf ?? null,
    reexecuteOf: stored.reexecuteOf ?? null,
    trigger: stored.trigger ?? null,
    playbookRunId: stored.playbookRunId ?? null,
    // Records written before warnings existed have none stored.
    warnings: (stored as { warnings?: ActionRecord['warnings'] }).warnings ?? [],
  };
  const undoLink = { type: stored.undo.type ?? null, actionId: stored.undo.actionId ?? null };
  return {
    ...withNulls,
    undo: { ...undoLink, available: undoAvailable({ ...withNulls, undo: { ...undoLink, available: false } }) },
  };
}
