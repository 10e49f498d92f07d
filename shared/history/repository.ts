import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Category } from '#shared/catalogue/types.ts';
import type { Clock } from '#shared/clock.ts';
import {
  IdempotencyConflictError,
  IdempotencyInProgressError,
  StatusConflictError,
  UndoConflictError,
} from '#shared/errors.ts';
import type { JsonValue } from '#shared/json.ts';
import { fingerprint, type CursorCodec } from './cursor.ts';
import {
  actionPartitionKey,
  indexKeys,
  itemToRecord,
  monthOf,
  recordSortKey,
  recordToItems,
  type StoredItem,
} from './items.ts';
import type { ActionError, ActionRecord, StatusChange } from './record.ts';
import { allowedPredecessors, type ActionStatus } from './status.ts';
import type { HistoryIndexName } from './table-design.ts';

/** How long an Idempotency-Key is remembered (API.md: 24 hours). */
export const idempotencyWindowSeconds = 24 * 60 * 60;

export interface IdempotencyClaim {
  /** The caller's identity (`sub`): keys are per caller. */
  readonly caller: string;
  readonly key: string;
  /** A digest of the request body; the same key with another body is a conflict. */
  readonly requestHash: string;
}

export interface CreateOutcome {
  readonly record: ActionRecord;
  /** False when an earlier request with the same key and body already created it. */
  readonly created: boolean;
}

/** What a status change may also store on the record. */
export interface StatusChangeDetails {
  readonly detail?: string;
  readonly error?: ActionError;
  readonly result?: JsonValue;
  /** Captured once: a later value never replaces the first. */
  readonly prior?: JsonValue;
  readonly applied?: JsonValue;
}

export interface HistoryQuery {
  readonly resource?: string;
  readonly type?: string;
  readonly status?: ActionStatus;
  readonly createdBy?: string;
  /** Inclusive bounds on creation time, RFC 3339. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface HistoryPage {
  readonly items: ActionRecord[];
  readonly nextCursor: string | null;
}

export interface HistoryRepositoryOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly cursors: CursorCodec;
  readonly clock: Clock;
  /** How long a duplicate request waits for the first one's record to appear. */
  readonly idempotencyWaitMs?: number;
  /** Items examined at most per page when filters discard many; the page then comes back short, with a cursor. */
  readonly maxExaminedPerPage?: number;
}

const metaKey = { pk: 'META', sk: 'BUCKETS' };
const maxLimit = 100;

/**
 * The action history on DynamoDB: records, status moves by conditional write, per-resource
 * and fleet-wide history through key-only indexes, and idempotency items. No transactions.
 */
export class HistoryRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #cursors: CursorCodec;
  readonly #clock: Clock;
  readonly #idempotencyWaitMs: number;
  readonly #maxExamined: number;
  /** The oldest month this process has made sure the floor covers. */
  #floorKnownFor: string | undefined;

  constructor(options: HistoryRepositoryOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#cursors = options.cursors;
    this.#clock = options.clock;
    this.#idempotencyWaitMs = options.idempotencyWaitMs ?? 3000;
    this.#maxExamined = options.maxExaminedPerPage ?? 1000;
  }

  /**
   * Stores a new record (status Created). With an idempotency claim, a repeated request with
   * the same body returns the first record; with another body it fails with a conflict.
   */
  async create(record: ActionRecord, idempotency?: IdempotencyClaim): Promise<CreateOutcome> {
    if (idempotency !== undefined) {
      const earlier = await this.#claimIdempotencyKey(idempotency, record.id);
      if (earlier !== undefined) return { record: earlier, created: false };
    }
    try {
      await this.#extendFloor(monthOf(record.createdAt));
      const [main, ...links] = recordToItems(record);
      // Links first: a link whose record never appears is skipped on read, whereas a
      // record without its links would be missing from a resource's history.
      await this.#writeAll(links);
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: main, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return { record: itemToRecord(main ?? {}), created: true };
    } catch (error) {
      if (idempotency !== undefined) await this.#releaseIdempotencyKey(idempotency, record.id);
      throw error;
    }
  }

  async get(id: string): Promise<ActionRecord | null> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: actionPartitionKey(id), sk: recordSortKey },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? null : itemToRecord(Item);
  }

  /**
   * Moves a record to `to` if the status rules allow it from its current status. The write is
   * conditional on the status read, so two writers can never move a record backwards or past a
   * terminal status: the loser gets a StatusConflictError naming the status it found.
   */
  async transition(id: string, to: ActionStatus, details: StatusChangeDetails = {}): Promise<ActionRecord> {
    for (let attempt = 0; ; attempt += 1) {
      const current = await this.get(id);
      if (current === null) throw new StatusConflictError(id, null, to);
      if (!allowedPredecessors(to).includes(current.status)) {
        throw new StatusConflictError(id, current.status, to);
      }
      const now = this.#clock.now().toISOString();
      const change: StatusChange =
        details.detail === undefined ? { status: to, at: now } : { status: to, at: now, detail: details.detail };
      const sets = [
        '#status = :to',
        '#updatedAt = :now',
        '#statusHistory = list_append(#statusHistory, :change)',
        '#gsiStatus = :gsiStatus',
      ];
      const names: Record<string, string> = {
        '#status': 'status',
        '#updatedAt': 'updatedAt',
        '#statusHistory': 'statusHistory',
        '#gsiStatus': 'gsiStatus',
      };
      const values: Record<string, unknown> = {
        ':to': to,
        ':now': now,
        ':change': [change],
        ':gsiStatus': indexKeys.byStatus(current.category, to, monthOf(current.createdAt)),
        ':from': current.status,
      };
      addPatch(sets, names, values, details);
      try {
        const { Attributes } = await this.#client.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk: actionPartitionKey(id), sk: recordSortKey },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: '#status = :from',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return itemToRecord(Attributes ?? {});
      } catch (error) {
        // Another writer moved it between our read and write: decide again on what it is now.
        if (error instanceof ConditionalCheckFailedException && attempt < 5) continue;
        throw error;
      }
    }
  }

  /**
   * Stores what an executor captured or changed while the action is still running, so a
   * failure later on still leaves undo the truth. `prior` is kept from its first capture.
   */
  async recordProgress(id: string, details: Omit<StatusChangeDetails, 'detail' | 'error'>): Promise<ActionRecord> {
    const sets = ['#updatedAt = :now'];
    const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#status': 'status' };
    const values: Record<string, unknown> = { ':now': this.#clock.now().toISOString() };
    addPatch(sets, names, values, details);
    const running = ['Created', 'Enqueued', 'Running'] as const;
    running.forEach((status, index) => (values[`:s${index}`] = status));
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: actionPartitionKey(id), sk: recordSortKey },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND #status IN (${running.map((_, index) => `:s${index}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return itemToRecord(Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = await this.get(id);
        throw new StatusConflictError(id, current?.status ?? null, current?.status ?? 'Running');
      }
      throw error;
    }
  }

  /**
   * Links an undo action to the action it undoes, once: fails when an undo is already linked
   * (in flight or Completed) or the action cannot be undone now.
   */
  async claimUndo(id: string, undoActionId: string): Promise<void> {
    const current = await this.get(id);
    if (current === null) throw new UndoConflictError(`action ${id} does not exist`);
    if (!current.undo.available) {
      throw new UndoConflictError(
        current.undo.type === null
          ? `action ${id} (${current.type}) cannot be undone`
          : current.undo.actionId !== null
            ? `action ${id} already has an undo (${current.undo.actionId})`
            : `action ${id} is ${current.status} and changed nothing, so there is nothing to undo`,
      );
    }
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: actionPartitionKey(id), sk: recordSortKey },
          UpdateExpression: 'SET #undo.#actionId = :undo, #updatedAt = :now',
          ConditionExpression: '#status = :status AND attribute_type(#undo.#actionId, :nullType)',
          ExpressionAttributeNames: {
            '#undo': 'undo',
            '#actionId': 'actionId',
            '#status': 'status',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':undo': undoActionId,
            ':now': this.#clock.now().toISOString(),
            ':status': current.status,
            ':nullType': 'NULL',
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new UndoConflictError(`action ${id} was given an undo by another request at the same time`);
      }
      throw error;
    }
  }

  /** Unlinks a failed undo so that undo may be retried; only the undo that holds the link can release it. */
  async releaseUndo(id: string, undoActionId: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: actionPartitionKey(id), sk: recordSortKey },
          UpdateExpression: 'SET #undo.#actionId = :null, #updatedAt = :now',
          ConditionExpression: '#undo.#actionId = :undo',
          ExpressionAttributeNames: { '#undo': 'undo', '#actionId': 'actionId', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':undo': undoActionId, ':null': null, ':now': this.#clock.now().toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * One page of history, newest first, in the categories the reader may see. Reads one index
   * page per category and one batch of records: the cost of a page does not grow with the table.
   */
  async list(query: HistoryQuery, categories: readonly Category[]): Promise<HistoryPage> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit)), maxLimit);
    const queryPrint = fingerprint({
      resource: query.resource,
      type: query.type,
      status: query.status,
      createdBy: query.createdBy,
      from: query.from,
      to: query.to,
      categories,
    });
    const after = query.cursor === undefined ? undefined : this.#cursors.decode(query.cursor, queryPrint).after;
    if (categories.length === 0) return { items: [], nextCursor: null };

    const plan = planIndex(query);
    const upperOfWindow = query.to === undefined ? '\uffff' : `${new Date(query.to).toISOString()}#\uffff`;
    // A page deep in history starts reading at the cursor, not at the newest record.
    const upper = after !== undefined && after < upperOfWindow ? after : upperOfWindow;
    const lower = query.from === undefined ? '' : new Date(query.from).toISOString();
    const partitions = plan.bucketed ? await this.#months(query, after) : [undefined];
    const streams = categories.map(
      (category) =>
        new IndexStream(
          (partitionKey, startKey) => this.#queryIndex(plan.index, partitionKey, lower, upper, startKey, limit + 1),
          partitions.map((month) => plan.partitionKey(category, month ?? '')),
          after,
        ),
    );
    const merged = new MergedStreams(streams);

    const items: ActionRecord[] = [];
    let examined = 0;
    let lastExamined: string | undefined;
    while (items.length < limit && examined < this.#maxExamined) {
      const batch = await merged.take(Math.min(limit - items.length, this.#maxExamined - examined));
      if (batch.length === 0) break;
      const records = await this.#getRecords(batch.map((key) => key.pk));
      for (const key of batch) {
        examined += 1;
        lastExamined = key.createdSk;
        const record = records.get(key.pk);
        if (record !== undefined && matches(record, query)) items.push(record);
        if (items.length === limit) break;
      }
      if (lastExamined !== batch.at(-1)?.createdSk) {
        merged.unshift(batch.slice(batch.findIndex((key) => key.createdSk === lastExamined) + 1));
      }
    }
    const more = lastExamined !== undefined && (await merged.hasMore());
    return {
      items,
      nextCursor: more && lastExamined !== undefined ? this.#cursors.encode({ after: lastExamined }, queryPrint) : null,
    };
  }

  async #claimIdempotencyKey(claim: IdempotencyClaim, actionId: string): Promise<ActionRecord | undefined> {
    const now = this.#clock.now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const key = idempotencyItemKey(claim);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...key,
            actionId,
            requestHash: claim.requestHash,
            createdAt: now.toISOString(),
            ttl: nowSeconds + idempotencyWindowSeconds,
          },
          // dynalite has no TTL, and DynamoDB's TTL deletes late: expiry is decided here.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const earlier = await this.replay(claim);
    if (earlier === undefined) throw new IdempotencyInProgressError();
    return earlier;
  }

  /**
   * The action an earlier request with this idempotency key created, while the key is
   * remembered; a conflict when that request had another body; undefined when the key is unused
   * or expired.
   */
  async replay(claim: IdempotencyClaim): Promise<ActionRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: idempotencyItemKey(claim), ConsistentRead: true }),
    );
    if (Item === undefined || Number(Item['ttl']) <= Math.floor(this.#clock.now().getTime() / 1000)) return undefined;
    const earlierId = String(Item['actionId']);
    if (Item['requestHash'] !== claim.requestHash) throw new IdempotencyConflictError(earlierId);
    // The first request may still be writing its record: wait for it, briefly.
    const deadline = Date.now() + this.#idempotencyWaitMs;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const earlier = await this.get(earlierId);
      if (earlier !== null) return earlier;
      if (Date.now() >= deadline) throw new IdempotencyInProgressError();
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async #releaseIdempotencyKey(claim: IdempotencyClaim, actionId: string): Promise<void> {
    await this.#client
      .send(
        new DeleteCommand({
          TableName: this.#table,
          Key: idempotencyItemKey(claim),
          ConditionExpression: 'actionId = :id',
          ExpressionAttributeValues: { ':id': actionId },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /** Makes sure the oldest month bucket on record covers `month`; once per process per older month. */
  async #extendFloor(month: string): Promise<void> {
    if (this.#floorKnownFor !== undefined && this.#floorKnownFor <= month) return;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: metaKey,
          UpdateExpression: 'SET firstMonth = :month',
          ConditionExpression: 'attribute_not_exists(firstMonth) OR firstMonth > :month',
          ExpressionAttributeValues: { ':month': month },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    this.#floorKnownFor = month;
  }

  /**
   * The month buckets a query spans, newest first: from its `to` (or the cursor's position if
   * older), never later than now, down to its `from`, never earlier than the oldest bucket on
   * record. Clamped both ways so `from=0001-01-01` or `to=9999-12-31` cannot walk empty months
   * for minutes: no record is older than the floor, and none is created after now.
   */
  async #months(query: HistoryQuery, after: string | undefined): Promise<string[]> {
    const now = this.#clock.now().toISOString();
    const requestedEnd = query.to === undefined ? now : new Date(query.to).toISOString();
    const windowEnd = requestedEnd < now ? requestedEnd : now;
    const newest = monthOf(after !== undefined && after < windowEnd ? after : windowEnd);
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: metaKey }));
    const first: unknown = Item?.['firstMonth'];
    if (typeof first !== 'string') return [];
    const requestedStart = query.from === undefined ? first : monthOf(new Date(query.from).toISOString());
    return monthsBetween(requestedStart > first ? requestedStart : first, newest);
  }

  async #queryIndex(
    index: HistoryIndexName,
    partitionKey: string,
    lower: string,
    upper: string,
    startKey: Record<string, unknown> | undefined,
    pageSize: number,
  ): Promise<{ keys: IndexKey[]; next: Record<string, unknown> | undefined }> {
    const partitionAttribute = indexPartitionAttribute[index];
    const { Items, LastEvaluatedKey } = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: index,
        // DynamoDB refuses an empty string in a key condition, so an open lower bound is `<=`.
        KeyConditionExpression:
          lower === '' ? '#p = :p AND createdSk <= :upper' : '#p = :p AND createdSk BETWEEN :lower AND :upper',
        ExpressionAttributeNames: { '#p': partitionAttribute },
        ExpressionAttributeValues:
          lower === '' ? { ':p': partitionKey, ':upper': upper } : { ':p': partitionKey, ':lower': lower, ':upper': upper },
        ScanIndexForward: false,
        Limit: pageSize,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      keys: (Items ?? []).map((item) => ({ pk: String(item['pk']), createdSk: String(item['createdSk']) })),
      next: LastEvaluatedKey,
    };
  }

  async #getRecords(partitionKeys: readonly string[]): Promise<Map<string, ActionRecord>> {
    const found = new Map<string, ActionRecord>();
    let pending: Record<string, unknown>[] = [...new Set(partitionKeys)].map((pk) => ({ pk, sk: recordSortKey }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await backoff(attempt);
      const { Responses, UnprocessedKeys } = await this.#client.send(
        new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[this.#table] ?? []) found.set(String(item['pk']), itemToRecord(item));
      pending = (UnprocessedKeys?.[this.#table]?.Keys ?? []) as Record<string, unknown>[];
      if (attempt > 8 && pending.length > 0) throw new Error('the history store kept refusing a batch read');
    }
    return found;
  }

  async #writeAll(items: readonly StoredItem[]): Promise<void> {
    for (let start = 0; start < items.length; start += 25) {
      let pending = items.slice(start, start + 25).map((item) => ({ PutRequest: { Item: item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await backoff(attempt);
        const { UnprocessedItems } = await this.#client.send(
          new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }),
        );
        pending = (UnprocessedItems?.[this.#table] ?? []) as typeof pending;
        if (attempt > 8 && pending.length > 0) throw new Error('the history store kept refusing a batch write');
      }
    }
  }
}

interface IndexKey {
  readonly pk: string;
  readonly createdSk: string;
}

type IndexPageFetcher = (
  partitionKey: string,
  startKey: Record<string, unknown> | undefined,
) => Promise<{ keys: IndexKey[]; next: Record<string, unknown> | undefined }>;

const indexPartitionAttribute: Record<HistoryIndexName, string> = {
  byResource: 'gsiResource',
  byTime: 'gsiTime',
  byType: 'gsiType',
  byStatus: 'gsiStatus',
  byCreator: 'gsiCreator',
};

interface IndexPlan {
  readonly index: HistoryIndexName;
  readonly bucketed: boolean;
  readonly partitionKey: (category: Category, month: string) => string;
}

/** The most selective index for a query; the other filters are applied to the records read. */
function planIndex(query: HistoryQuery): IndexPlan {
  const { resource, createdBy, type, status } = query;
  if (resource !== undefined) {
    return { index: 'byResource', bucketed: false, partitionKey: (category) => indexKeys.byResource(category, resource) };
  }
  if (createdBy !== undefined) {
    return {
      index: 'byCreator',
      bucketed: true,
      partitionKey: (category, month) => indexKeys.byCreator(category, createdBy, month),
    };
  }
  if (type !== undefined) {
    return { index: 'byType', bucketed: true, partitionKey: (category, month) => indexKeys.byType(category, type, month) };
  }
  if (status !== undefined) {
    return {
      index: 'byStatus',
      bucketed: true,
      partitionKey: (category, month) => indexKeys.byStatus(category, status, month),
    };
  }
  return { index: 'byTime', bucketed: true, partitionKey: (category, month) => indexKeys.byTime(category, month) };
}

function matches(record: ActionRecord, query: HistoryQuery): boolean {
  return (
    (query.type === undefined || record.type === query.type) &&
    (query.status === undefined || record.status === query.status) &&
    (query.createdBy === undefined || record.createdBy === query.createdBy)
  );
}

/** Months from `oldest` to `newest` (both `yyyy-mm`), newest first. */
export function monthsBetween(oldest: string, newest: string): string[] {
  const months: string[] = [];
  let [year, month] = newest.split('-').map(Number) as [number, number];
  const [oldestYear, oldestMonth] = oldest.split('-').map(Number) as [number, number];
  while (year > oldestYear || (year === oldestYear && month >= oldestMonth)) {
    months.push(`${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`);
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
  }
  return months;
}

/** One category's keys from one index, newest first, across its partitions (month buckets). */
class IndexStream {
  readonly #fetch: IndexPageFetcher;
  readonly #partitions: string[];
  readonly #after: string | undefined;
  #buffer: IndexKey[] = [];
  #startKey: Record<string, unknown> | undefined;
  #partitionDone = false;

  constructor(fetch: IndexPageFetcher, partitions: string[], after: string | undefined) {
    this.#fetch = fetch;
    this.#partitions = [...partitions];
    this.#after = after;
  }

  async peek(): Promise<IndexKey | undefined> {
    while (this.#buffer.length === 0) {
      const partition = this.#partitions[0];
      if (partition === undefined) return undefined;
      if (this.#partitionDone) {
        this.#partitions.shift();
        this.#partitionDone = false;
        this.#startKey = undefined;
        continue;
      }
      const { keys, next } = await this.#fetch(partition, this.#startKey);
      // Everything at or above the cursor was on earlier pages.
      const after = this.#after;
      this.#buffer = after === undefined ? keys : keys.filter((key) => key.createdSk < after);
      this.#startKey = next;
      this.#partitionDone = next === undefined;
    }
    return this.#buffer[0];
  }

  shift(): IndexKey | undefined {
    return this.#buffer.shift();
  }
}

/** Several newest-first streams merged into one newest-first sequence. */
class MergedStreams {
  readonly #streams: IndexStream[];
  #returned: IndexKey[] = [];

  constructor(streams: IndexStream[]) {
    this.#streams = streams;
  }

  async take(count: number): Promise<IndexKey[]> {
    const out = this.#returned.splice(0, count);
    while (out.length < count) {
      const heads = await Promise.all(this.#streams.map((stream) => stream.peek()));
      let best = -1;
      heads.forEach((head, index) => {
        const current = heads[best];
        if (head !== undefined && (current === undefined || head.createdSk > current.createdSk)) best = index;
      });
      if (best === -1) break;
      const key = this.#streams[best]?.shift();
      if (key !== undefined) out.push(key);
    }
    return out;
  }

  /** Puts keys back at the front, for the next take. */
  unshift(keys: IndexKey[]): void {
    this.#returned = [...keys, ...this.#returned];
  }

  async hasMore(): Promise<boolean> {
    if (this.#returned.length > 0) return true;
    const heads = await Promise.all(this.#streams.map((stream) => stream.peek()));
    return heads.some((head) => head !== undefined);
  }
}

/**
 * One item per (caller, key) pair, encoded unambiguously: a hash of the JSON pair, so caller
 * `alice` with key `k1#x` and caller `alice#k1` with key `x` never share an item (and the key
 * stays short whatever the caller's subject and key length).
 */
function idempotencyItemKey(claim: IdempotencyClaim): { pk: string; sk: string } {
  const pair = createHash('sha256').update(JSON.stringify([claim.caller, claim.key])).digest('hex');
  return { pk: `I#${pair}`, sk: 'I' };
}

function addPatch(
  sets: string[],
  names: Record<string, string>,
  values: Record<string, unknown>,
  details: StatusChangeDetails,
): void {
  if (details.prior !== undefined) {
    sets.push('#prior = if_not_exists(#prior, :prior)');
    names['#prior'] = 'prior';
    values[':prior'] = details.prior;
  }
  for (const field of ['applied', 'result', 'error'] as const) {
    const value = details[field];
    if (value !== undefined) {
      sets.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = value;
    }
  }
}

async function backoff(attempt: number): Promise<void> {
  const delay = Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
  await new Promise((resolve) => setTimeout(resolve, delay));
}
