import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Category } from '#shared/catalogue/types.ts';
import { fingerprint, type CursorCodec } from '#shared/history/cursor.ts';
import { IndexStream, MergedStreams, monthsBetween, type IndexKey } from '#shared/history/index-streams.ts';
import { actionPartitionKey, itemToRecord, monthOf, recordSortKey } from '#shared/history/items.ts';
import { MonthFloor } from '#shared/history/month-floor.ts';
import type { ActionError, ActionRecord } from '#shared/history/record.ts';
import { batchGetByPartition, indexPages } from '#shared/history/record-io.ts';
import { runStatuses, type PlaybookRun, type PlaybookStepStatus, type RunStatus, type StoredRun } from './types.ts';

/**
 * Playbook runs as items of the history table (shared/history/table-design.ts), beside the actions:
 * - run:          pk `PR#<id>`, sk `PR`, with `createdSk` and `gsiStatus` = `PR#<status>#<yyyy-mm>`
 *                 on the existing byStatus index (no category in the key: a run spans several)
 * - bucket floor: pk `META`, sk `PLAYBOOK_RUNS`: the oldest month any run was created in
 * No other index key is set, so runs never appear in an action listing.
 * Every write is conditional on the run's status as the writer read it: a stale writer loses,
 * gets null, and reads again.
 */
export interface RunStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Signs the cursors of run pages. */
  readonly cursors: CursorCodec;
  /** Items examined at most per page when filters discard many; the page then comes back short, with a cursor. */
  readonly maxExaminedPerPage?: number;
}

export interface StoredRunQuery {
  readonly playbook?: string;
  readonly status?: RunStatus;
  readonly createdBy?: string;
  /** The categories the reader may read: a run is listed only when it may read every one of the run's. */
  readonly readable: readonly Category[];
  readonly limit: number;
  readonly cursor?: string;
  readonly now: Date;
}

/** A change to one step, addressed by position and checked by id. */
export interface StepChange {
  readonly index: number;
  readonly stepId: string;
  readonly status?: PlaybookStepStatus;
  readonly skipReason?: string | null;
  readonly error?: ActionError | null;
}

const sortKey = 'PR';
const floorKey = { pk: 'META', sk: 'PLAYBOOK_RUNS' };
const partitionKeyOf = (id: string): string => `PR#${id}`;
const statusKey = (status: RunStatus, month: string): string => `PR#${status}#${month}`;
const internal = new Set(['pk', 'sk', 'createdSk', 'gsiStatus', 'plan', 'categories']);
const maxLimit = 100;

/** Stores runs with conditional writes: each status move, step claim and undo link is made by exactly one writer. */
export class RunStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #cursors: CursorCodec;
  readonly #maxExamined: number;
  readonly #floor: MonthFloor;

  constructor(options: RunStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#cursors = options.cursors;
    this.#maxExamined = options.maxExaminedPerPage ?? 1000;
    this.#floor = new MonthFloor(options.client, options.tableName, floorKey);
  }

  /** Stores a new run; fails (ConditionalCheckFailedException) when its id exists. */
  async create(stored: StoredRun): Promise<void> {
    const { run } = stored;
    await this.#floor.extend(monthOf(run.createdAt));
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          pk: partitionKeyOf(run.id),
          sk: sortKey,
          createdSk: `${run.createdAt}#${run.id}`,
          gsiStatus: statusKey(run.status, monthOf(run.createdAt)),
          ...run,
          plan: stored.plan,
          categories: stored.categories,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The run as stored, read consistently: writers decide on it. */
  async get(id: string): Promise<StoredRun | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: partitionKeyOf(id), sk: sortKey }, ConsistentRead: true }),
    );
    return Item === undefined ? null : fromItem(Item);
  }

  /**
   * Moves the run from `from` to `to`, with its error and any step changes in the same write (a run
   * that stops marks its remaining steps Skipped at once). Null when the run is no longer `from`.
   */
  async moveStatus(
    run: Pick<PlaybookRun, 'id' | 'createdAt'>,
    from: RunStatus,
    to: RunStatus,
    change: { readonly at: string; readonly error?: ActionError; readonly steps?: readonly StepChange[] },
  ): Promise<StoredRun | null> {
    const update = new UpdateBuilder(from);
    update.set(['status'], to);
    update.set(['gsiStatus'], statusKey(to, monthOf(run.createdAt)));
    update.set(['updatedAt'], change.at);
    if (change.error !== undefined) update.set(['error'], change.error);
    for (const step of change.steps ?? []) update.step(step);
    return this.#send(run.id, update);
  }

  /**
   * Claims `actionId` for a step that has none yet, while the run is Running: of two advances at
   * the same moment exactly one claims, so a step never gets two actions.
   */
  async claimStepAction(id: string, index: number, stepId: string, actionId: string, at: string): Promise<StoredRun | null> {
    const update = new UpdateBuilder('Running');
    update.step({ index, stepId });
    update.condition(`attribute_type(${update.path(['steps', index, 'actionId'])}, ${update.value('NULL')})`);
    update.set(['steps', index, 'actionId'], actionId);
    update.set(['updatedAt'], at);
    return this.#send(id, update);
  }

  /** Writes what became of steps (status, skip reason, error) while the run is `expected`. */
  async updateSteps(id: string, expected: RunStatus, steps: readonly StepChange[], at: string): Promise<StoredRun | null> {
    const update = new UpdateBuilder(expected);
    for (const step of steps) update.step(step);
    update.set(['updatedAt'], at);
    return this.#send(id, update);
  }

  /** Links the run that undoes this finished one, once: null when it has one already (or is not finished). */
  async setUndoRun(id: string, undoRunId: string, at: string): Promise<StoredRun | null> {
    const update = new UpdateBuilder(null);
    update.condition(
      `${update.path(['status'])} IN (${update.value('Completed')}, ${update.value('Error')}) AND attribute_type(${update.path(['undo', 'runId'])}, ${update.value('NULL')})`,
    );
    update.set(['undo', 'runId'], undoRunId);
    update.set(['updatedAt'], at);
    return this.#send(id, update);
  }

  /** Removes an undo link whose run could not be created, so the run may be undone again. */
  async releaseUndoRun(id: string, undoRunId: string): Promise<void> {
    const update = new UpdateBuilder(null);
    update.condition(`${update.path(['undo', 'runId'])} = ${update.value(undoRunId)}`);
    update.set(['undo', 'runId'], null);
    await this.#send(id, update);
  }

  /** A page of runs, newest first, that a reader of `readable` may see. */
  async list(query: StoredRunQuery): Promise<{ items: StoredRun[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), maxLimit);
    const queryPrint = fingerprint({
      runs: 'v1',
      playbook: query.playbook,
      status: query.status,
      createdBy: query.createdBy,
      readable: query.readable,
    });
    const after = query.cursor === undefined ? undefined : this.#cursors.decode(query.cursor, queryPrint).after;
    if (query.readable.length === 0) return { items: [], nextCursor: null };
    const merged = await this.#streams(query.status === undefined ? runStatuses : [query.status], query.now, after);
    const items: StoredRun[] = [];
    let examined = 0;
    let lastExamined: string | undefined;
    while (items.length < limit && examined < this.#maxExamined) {
      const batch = await merged.take(Math.min(limit - items.length, this.#maxExamined - examined));
      if (batch.length === 0) break;
      const found = await this.#getMany(batch);
      for (const key of batch) {
        examined += 1;
        lastExamined = key.createdSk;
        const item = found.get(key.pk);
        if (item !== undefined && listed(item, query)) items.push(item);
      }
    }
    const more = lastExamined !== undefined && (await merged.hasMore());
    return { items, nextCursor: more && lastExamined !== undefined ? this.#cursors.encode({ after: lastExamined }, queryPrint) : null };
  }

  /** The steps' action records of many runs in BatchGetItem calls (a page of runs is answered in one read of its actions). */
  async actionsOf(ids: readonly string[]): Promise<Map<string, ActionRecord>> {
    const byPartition = await batchGetByPartition(this.#client, this.#table, ids.map(actionPartitionKey), recordSortKey, itemToRecord);
    return new Map([...byPartition.values()].map((record) => [record.id, record]));
  }

  /** Every run still Created or Running: what a runtime restarting looks for, to carry on with them. */
  async listInFlight(now: Date): Promise<StoredRun[]> {
    const merged = await this.#streams(['Created', 'Running'], now, undefined);
    const runs: StoredRun[] = [];
    for (let batch = await merged.take(50); batch.length > 0; batch = await merged.take(50)) {
      const found = await this.#getMany(batch);
      for (const key of batch) {
        const item = found.get(key.pk);
        if (item !== undefined && (item.run.status === 'Created' || item.run.status === 'Running')) runs.push(item);
      }
    }
    return runs;
  }

  async #streams(statuses: readonly RunStatus[], now: Date, after: string | undefined): Promise<MergedStreams> {
    const end = now.toISOString();
    const newest = monthOf(after !== undefined && after < end ? after : end);
    const first = await this.#floor.read();
    const months = first === undefined ? [] : monthsBetween(first, newest);
    const page = indexPages(this.#client, this.#table, 'byStatus', { lower: '', upper: after ?? '\uffff' }, maxLimit);
    return new MergedStreams(statuses.map((status) => new IndexStream(page, months.map((month) => statusKey(status, month)), after)));
  }

  #getMany(keys: readonly IndexKey[]): Promise<Map<string, StoredRun>> {
    return batchGetByPartition(this.#client, this.#table, keys.map((key) => key.pk), sortKey, fromItem);
  }

  async #send(id: string, update: UpdateBuilder): Promise<StoredRun | null> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: partitionKeyOf(id), sk: sortKey },
          UpdateExpression: `SET ${update.sets.join(', ')}`,
          ConditionExpression: update.conditions.join(' AND '),
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: update.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes === undefined ? null : fromItem(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }
}

/**
 * One conditional UpdateItem, built from document paths (`steps[2].actionId`) with every name and
 * value a placeholder: step ids and values never become expression text.
 */
class UpdateBuilder {
  readonly sets: string[] = [];
  readonly conditions: string[] = ['attribute_exists(pk)'];
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  #count = 0;

  /** `expected`: the run status the write is conditional on; null for none. */
  constructor(expected: RunStatus | null) {
    if (expected !== null) this.condition(`${this.path(['status'])} = ${this.value(expected)}`);
  }

  path(parts: readonly (string | number)[]): string {
    return parts
      .map((part) => {
        if (typeof part === 'number') return `[${String(part)}]`;
        const name = `#${part.replace(/\W/g, '_')}`;
        this.names[name] = part;
        return `.${name}`;
      })
      .join('')
      .slice(1);
  }

  value(value: unknown): string {
    const placeholder = `:v${String(this.#count++)}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  set(parts: readonly (string | number)[], value: unknown): void {
    this.sets.push(`${this.path(parts)} = ${this.value(value)}`);
  }

  condition(expression: string): void {
    this.conditions.push(expression);
  }

  /** The step at `index` must still be the one with this id; then its given fields are set. */
  step(change: StepChange): void {
    this.condition(`${this.path(['steps', change.index, 'id'])} = ${this.value(change.stepId)}`);
    if (change.status !== undefined) this.set(['steps', change.index, 'status'], change.status);
    if (change.skipReason !== undefined) this.set(['steps', change.index, 'skipReason'], change.skipReason);
    if (change.error !== undefined) this.set(['steps', change.index, 'error'], change.error);
  }
}

function listed(stored: StoredRun, query: StoredRunQuery): boolean {
  const { run } = stored;
  return (
    stored.categories.every((category) => query.readable.includes(category)) &&
    (query.status === undefined || run.status === query.status) &&
    (query.playbook === undefined || run.playbook === query.playbook) &&
    (query.createdBy === undefined || run.createdBy === query.createdBy)
  );
}

function fromItem(item: Record<string, unknown>): StoredRun {
  const run = Object.fromEntries(Object.entries(item).filter(([name]) => !internal.has(name))) as unknown as PlaybookRun;
  return {
    run,
    plan: item['plan'] as StoredRun['plan'],
    categories: item['categories'] as StoredRun['categories'],
  };
}
