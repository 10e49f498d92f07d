import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#shared/clock.ts';
import { StatusConflictError, UndoConflictError } from '#shared/errors.ts';
import type { JsonValue } from '#shared/json.ts';
import type { IdempotencyClaim, IdempotencyStore } from './idempotency.ts';
import { actionPartitionKey, indexKeys, itemToRecord, monthOf, recordSortKey, recordToItems, type StoredItem } from './items.ts';
import type { ActionError, ActionRecord, StatusChange } from './record.ts';
import { backoff, metaKey, readRecord } from './record-io.ts';
import { allowedPredecessors, type ActionStatus } from './status.ts';
import { MonthFloor } from './month-floor.ts';
import { appendToTrail, trailFor, type TrailAppender } from '#shared/trail/appender.ts';
import type { TrailEvent } from '#shared/trail/entry.ts';
import { recordDigest } from '#shared/trail/record-digest.ts';

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

export interface HistoryWriterOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  /** Needed only by a writer that creates records under an Idempotency-Key. */
  readonly idempotency?: Pick<IdempotencyStore, 'claim' | 'release'>;
  /** Where every write of a record is appended (shared/trail); by default the trail bound to `client`, or the environment's. */
  readonly trail?: TrailAppender | null;
}

/** Who moves an action's status: the runtime running it (the caller that asked is on the create and the undo link). */
const runtimeActor = 'service';

/**
 * Writes the action history on DynamoDB: new records, status moves by conditional write,
 * progress and undo links. No transactions.
 */
export class HistoryWriter {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;
  readonly #idempotency: Pick<IdempotencyStore, 'claim' | 'release'> | undefined;
  readonly #trail: TrailAppender | null;
  /** The oldest month this process has made sure the floor covers. */
  readonly #floor: MonthFloor;

  constructor(options: HistoryWriterOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#floor = new MonthFloor(options.client, options.tableName, metaKey);
    this.#clock = options.clock;
    this.#idempotency = options.idempotency;
    this.#trail = options.trail === undefined ? trailFor(options.client) : options.trail;
  }

  /** The record as it is now, read consistently: writers decide on it. */
  async get(id: string): Promise<ActionRecord | null> {
    return readRecord(this.#client, this.#table, id);
  }

  /**
   * Stores a new record (status Created). With an idempotency claim, a repeated request with
   * the same body returns the first record; with another body it fails with a conflict.
   */
  async create(record: ActionRecord, idempotency?: IdempotencyClaim): Promise<CreateOutcome> {
    const store = idempotency === undefined ? undefined : this.#idempotencyStore();
    if (store !== undefined && idempotency !== undefined) {
      const earlier = await store.claim(idempotency, record.id);
      if (earlier !== undefined) return { record: earlier, created: false };
    }
    try {
      await this.#floor.extend(monthOf(record.createdAt));
      const [main, ...links] = recordToItems(record);
      // Links first: a link whose record never appears is skipped on read, whereas a
      // record without its links would be missing from a resource's history.
      await this.#writeAll(links);
      await this.#client.send(
        new PutCommand({ TableName: this.#table, Item: main, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      const created = itemToRecord(main ?? {});
      await this.#appendWrite('action.created', record.id, main ?? {}, record.createdBy, {
        refs: { undoOf: record.undoOf, reexecuteOf: record.reexecuteOf, playbookRunId: record.playbookRunId },
        detail: { status: record.status, type: record.type },
      });
      return { record: created, created: true };
    } catch (error) {
      if (store !== undefined && idempotency !== undefined) await store.release(idempotency, record.id);
      throw error;
    }
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
        await this.#appendWrite('action.status', id, Attributes ?? {}, runtimeActor, { detail: { from: current.status, to } });
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
      await this.#appendWrite('action.progress', id, Attributes ?? {}, runtimeActor);
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
      const { Attributes } = await this.#client.send(
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
          ReturnValues: 'ALL_NEW',
        }),
      );
      await this.#appendWrite('action.undo-linked', id, Attributes ?? {}, runtimeActor, { refs: { undoActionId } });
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new UndoConflictError(`action ${id} was given an undo by another request at the same time`);
      }
      throw error;
    }
  }

  /** Unlinks a failed undo so that undo may be retried; only the undo that holds the link can release it. */
  async releaseUndo(id: string, undoActionId: string): Promise<boolean> {
    let written: Record<string, unknown>;
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: actionPartitionKey(id), sk: recordSortKey },
          UpdateExpression: 'SET #undo.#actionId = :null, #updatedAt = :now',
          ConditionExpression: '#undo.#actionId = :undo',
          ExpressionAttributeNames: { '#undo': 'undo', '#actionId': 'actionId', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':undo': undoActionId, ':null': null, ':now': this.#clock.now().toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      written = Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.#appendWrite('action.undo-released', id, written, runtimeActor, { refs: { undoActionId } });
    return true;
  }

  /** The trail entry of a write of the record `item` (as written: the item put, or the update's ALL_NEW). */
  async #appendWrite(
    kind: TrailEvent['kind'],
    id: string,
    item: Record<string, unknown>,
    actor: string,
    more: Pick<TrailEvent, 'refs' | 'detail'> = {},
  ): Promise<void> {
    await appendToTrail(this.#trail, [{ kind, subject: { type: 'action', id }, actor, digest: recordDigest(item), ...more }]);
  }

  #idempotencyStore(): Pick<IdempotencyStore, 'claim' | 'release'> {
    if (this.#idempotency === undefined) throw new Error('this history writer was built without an idempotency store');
    return this.#idempotency;
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
