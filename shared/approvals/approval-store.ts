import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Category } from '#shared/catalogue/types.ts';
import { fingerprint, type CursorCodec } from '#shared/history/cursor.ts';
import { IndexStream, MergedStreams, monthsBetween, type IndexKey } from '#shared/history/index-streams.ts';
import { monthOf } from '#shared/history/items.ts';
import { batchGetByPartition, indexPages } from '#shared/history/record-io.ts';
import type { ApprovalOrigin, CountAs } from './ports.ts';
import { approvalStatuses, type Approval, type ApprovalStatus } from './types.ts';
import { MonthFloor } from '#shared/history/month-floor.ts';
import { appendToTrail, trailFor, type TrailAppender } from '#shared/trail/appender.ts';
import type { TrailEvent } from '#shared/trail/entry.ts';
import { recordDigest } from '#shared/trail/record-digest.ts';

/**
 * Approvals as items of the history table (shared/history/table-design.ts), beside the actions:
 * - approval:     pk `P#<id>`, sk `P`, with `createdSk` and `gsiStatus` =
 *                 `P#<category>#<stored status>#<yyyy-mm>` on the existing byStatus index
 * - bucket floor: pk `META`, sk `APPROVALS`: the oldest month any approval was requested in
 * No other index key is set, so approvals never appear in an action listing, and action
 * partitions (`<category>#...`) never hold an approval.
 */
export interface StoredApproval {
  /** As stored: a pending one past `expiresAt` is still `pending` here until swept or decided (see {@link asOf}). */
  readonly approval: Approval;
  readonly origin: ApprovalOrigin | null;
  readonly countAs: CountAs | null;
  /** A playbook request: the categories of its steps, each of whose exec scope a decider needs. Null for an action's. */
  readonly runCategories: readonly Category[] | null;
  /** An undo-run request: the run approving undoes. */
  readonly runUndoOf: string | null;
}

export interface ApprovalDecision {
  readonly status: 'approved' | 'rejected';
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly decisionReason: string | null;
}

export interface ApprovalQuery {
  readonly categories: readonly Category[];
  readonly status?: ApprovalStatus;
  readonly limit: number;
  readonly cursor?: string;
  readonly now: Date;
}

export interface ApprovalStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Signs the cursors of approval pages. */
  readonly cursors: CursorCodec;
  /** Items examined at most per page when the status filter discards many; the page then comes back short, with a cursor. */
  readonly maxExaminedPerPage?: number;
  /** Where every write of an approval is appended (shared/trail); by default the trail bound to `client`, or the environment's. */
  readonly trail?: TrailAppender | null;
}

/** What a trail entry says of an update: kind and actor; the digest is of the item as written. */
type TrailNote = Pick<TrailEvent, 'kind' | 'actor' | 'refs' | 'detail'>;

const sortKey = 'P';
const floorKey = { pk: 'META', sk: 'APPROVALS' };
const partitionKeyOf = (id: string): string => `P#${id}`;
const statusKey = (category: Category, status: ApprovalStatus, month: string): string => `P#${category}#${status}#${month}`;
const internal = new Set(['pk', 'sk', 'createdSk', 'gsiStatus', 'origin', 'countAs', 'runCategories', 'runUndoOf']);

/** The approval as it stands at `now`: a pending one past its expiry is `expired` (decided by time, by nobody). */
export function asOf(approval: Approval, now: Date): Approval {
  if (approval.status !== 'pending' || now.toISOString() <= approval.expiresAt) return approval;
  return { ...approval, status: 'expired', decidedAt: approval.expiresAt };
}

/** Stores approvals with conditional writes: a pending approval is decided once, by exactly one writer. */
export class ApprovalStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #cursors: CursorCodec;
  readonly #maxExamined: number;
  readonly #floor: MonthFloor;
  readonly #trail: TrailAppender | null;

  constructor(options: ApprovalStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#floor = new MonthFloor(options.client, options.tableName, floorKey);
    this.#cursors = options.cursors;
    this.#maxExamined = options.maxExaminedPerPage ?? 1000;
    this.#trail = options.trail === undefined ? trailFor(options.client) : options.trail;
  }

  async create(stored: StoredApproval): Promise<void> {
    const { approval } = stored;
    await this.#floor.extend(monthOf(approval.createdAt));
    const item = {
      pk: partitionKeyOf(approval.id),
      sk: sortKey,
      createdSk: `${approval.createdAt}#${approval.id}`,
      gsiStatus: statusKey(approval.category, approval.status, monthOf(approval.createdAt)),
      ...approval,
      origin: stored.origin,
      countAs: stored.countAs,
      runCategories: stored.runCategories === null ? null : [...stored.runCategories],
      runUndoOf: stored.runUndoOf,
    };
    await this.#client.send(new PutCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    await this.#appendWrite(approval.id, item, { kind: 'approval.requested', actor: approval.requestedBy, detail: { category: approval.category } });
  }

  async get(id: string): Promise<StoredApproval | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: partitionKeyOf(id), sk: sortKey }, ConsistentRead: true }),
    );
    return Item === undefined ? null : fromItem(Item);
  }

  /**
   * Decides a pending, unexpired approval. The write is conditional on both, so of two deciders
   * at the same moment exactly one gets the approval back; the other gets null and reads again.
   */
  async decide(stored: StoredApproval, decision: ApprovalDecision): Promise<StoredApproval | null> {
    const { approval } = stored;
    return this.#update(approval.id, {
      set: {
        status: decision.status,
        decidedBy: decision.decidedBy,
        decidedAt: decision.decidedAt,
        decisionReason: decision.decisionReason,
        gsiStatus: statusKey(approval.category, decision.status, monthOf(approval.createdAt)),
      },
      condition: '#status = :pending AND #expiresAt >= :decidedAt',
      values: { ':pending': 'pending', ':decidedAt': decision.decidedAt },
      trail: { kind: 'approval.decided', actor: decision.decidedBy, detail: { status: decision.status } },
    });
  }

  /** Puts back a decision whose action could not be created (the request became impossible), so a person decides again. */
  async undecide(stored: StoredApproval, decision: ApprovalDecision): Promise<void> {
    const { approval } = stored;
    await this.#update(approval.id, {
      set: {
        status: 'pending',
        decidedBy: null,
        decidedAt: null,
        decisionReason: null,
        gsiStatus: statusKey(approval.category, 'pending', monthOf(approval.createdAt)),
      },
      // Nothing was created under the decision: no action, no run (DynamoDB compares no NULL with `=`, hence attribute_type).
      condition:
        '#status = :decided AND #decidedBy = :by AND #decidedAt = :at AND size(#actionIds) = :none AND (attribute_not_exists(#playbookRunId) OR attribute_type(#playbookRunId, :null))',
      values: { ':decided': decision.status, ':by': decision.decidedBy, ':at': decision.decidedAt, ':none': 0, ':null': 'NULL' },
      // The decider's approval is taken back by the service, because what it approved could not be done.
      trail: { kind: 'approval.reopened', actor: 'service', refs: { undecided: decision.decidedBy }, detail: { status: 'pending' } },
    });
  }

  /** Stores a pending approval past its expiry as expired; false when it was decided (or already expired) meanwhile. */
  async expire(stored: StoredApproval, now: Date): Promise<boolean> {
    const { approval } = stored;
    const updated = await this.#update(approval.id, {
      set: {
        status: 'expired',
        decidedAt: approval.expiresAt,
        gsiStatus: statusKey(approval.category, 'expired', monthOf(approval.createdAt)),
      },
      condition: '#status = :pending AND #expiresAt < :now',
      values: { ':pending': 'pending', ':now': now.toISOString() },
      trail: { kind: 'approval.expired', actor: 'service', detail: { status: 'expired' } },
    });
    return updated !== null;
  }

  /** Links the actions approving created. */
  async recordActions(id: string, actionIds: readonly string[]): Promise<StoredApproval | null> {
    return this.#update(id, {
      set: { actionIds: [...actionIds] },
      condition: 'attribute_exists(#pk)',
      values: {},
      trail: { kind: 'approval.linked', actor: 'service', refs: { actionIds: [...actionIds] } },
    });
  }

  /** Links the playbook run approving created. */
  async recordRun(id: string, runId: string): Promise<StoredApproval | null> {
    return this.#update(id, {
      set: { playbookRunId: runId },
      condition: 'attribute_exists(#pk)',
      values: {},
      trail: { kind: 'approval.linked', actor: 'service', refs: { playbookRunId: runId } },
    });
  }

  /** A page of approvals in these categories, newest first, by their status at `now`. */
  async list(query: ApprovalQuery): Promise<{ items: StoredApproval[]; nextCursor: string | null }> {
    const queryPrint = fingerprint({ approvals: 'v1', status: query.status, categories: query.categories });
    const after = query.cursor === undefined ? undefined : this.#cursors.decode(query.cursor, queryPrint).after;
    // A pending approval past its expiry is still stored under `pending`.
    const stored: readonly ApprovalStatus[] =
      query.status === undefined ? approvalStatuses : query.status === 'expired' ? ['expired', 'pending'] : [query.status];
    const merged = await this.#streams(query.categories, stored, query.now, after);
    const items: StoredApproval[] = [];
    let examined = 0;
    let lastExamined: string | undefined;
    while (items.length < query.limit && examined < this.#maxExamined) {
      const batch = await merged.take(Math.min(query.limit - items.length, this.#maxExamined - examined));
      if (batch.length === 0) break;
      const found = await this.#getMany(batch);
      for (const key of batch) {
        examined += 1;
        lastExamined = key.createdSk;
        const item = found.get(key.pk);
        if (item !== undefined && (query.status === undefined || asOf(item.approval, query.now).status === query.status)) items.push(item);
      }
    }
    const more = lastExamined !== undefined && (await merged.hasMore());
    return { items, nextCursor: more && lastExamined !== undefined ? this.#cursors.encode({ after: lastExamined }, queryPrint) : null };
  }

  /** Every approval in these categories still stored as pending: what a sweep looks at. */
  async *pending(categories: readonly Category[], now: Date): AsyncGenerator<StoredApproval> {
    const merged = await this.#streams(categories, ['pending'], now, undefined);
    for (let batch = await merged.take(50); batch.length > 0; batch = await merged.take(50)) {
      const found = await this.#getMany(batch);
      for (const key of batch) {
        const item = found.get(key.pk);
        if (item !== undefined) yield item;
      }
    }
  }

  async #streams(categories: readonly Category[], statuses: readonly ApprovalStatus[], now: Date, after: string | undefined): Promise<MergedStreams> {
    const months = await this.#months(now, after);
    const page = indexPages(this.#client, this.#table, 'byStatus', { lower: '', upper: after ?? '\uffff' }, 100);
    const streams = categories.flatMap((category) =>
      statuses.map(
        (status) =>
          new IndexStream(
            page,
            months.map((month) => statusKey(category, status, month)),
            after,
          ),
      ),
    );
    return new MergedStreams(streams);
  }

  /** Month buckets from the newest (now, or the cursor's) down to the oldest approval's. */
  async #months(now: Date, after: string | undefined): Promise<string[]> {
    const end = now.toISOString();
    const newest = monthOf(after !== undefined && after < end ? after : end);
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: floorKey, ConsistentRead: true }));
    const first: unknown = Item?.['firstMonth'];
    return typeof first === 'string' ? monthsBetween(first, newest) : [];
  }

  #getMany(keys: readonly IndexKey[]): Promise<Map<string, StoredApproval>> {
    return batchGetByPartition(this.#client, this.#table, keys.map((key) => key.pk), sortKey, fromItem);
  }

  /** One conditional SET; the condition names stored fields as `#<field>`. Null when the condition does not hold. */
  async #update(
    id: string,
    change: { set: Record<string, unknown>; condition: string; values: Record<string, unknown>; trail: TrailNote },
  ): Promise<StoredApproval | null> {
    // DynamoDB refuses names an expression does not use, so only the condition's own are declared.
    const names: Record<string, string> = Object.fromEntries(
      [...new Set(change.condition.match(/#\w+/g) ?? [])].map((name) => [name, name.slice(1)]),
    );
    const values: Record<string, unknown> = { ...change.values };
    const sets = Object.entries(change.set).map(([field, value], index) => {
      names[`#f${String(index)}`] = field;
      values[`:f${String(index)}`] = value;
      return `#f${String(index)} = :f${String(index)}`;
    });
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: partitionKeyOf(id), sk: sortKey },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: change.condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (Attributes === undefined) return null;
      await this.#appendWrite(id, Attributes, change.trail);
      return fromItem(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }

  /** The trail entry of a write of the approval `item` (as written: the item put, or the update's ALL_NEW). */
  async #appendWrite(id: string, item: Record<string, unknown>, note: TrailNote): Promise<void> {
    await appendToTrail(this.#trail, [{ ...note, subject: { type: 'approval', id }, digest: recordDigest(item) }]);
  }

}

function fromItem(item: Record<string, unknown>): StoredApproval {
  const fields = Object.fromEntries(Object.entries(item).filter(([name]) => !internal.has(name))) as unknown as Omit<Approval, 'playbookRunId'> & { playbookRunId?: string | null };
  // Approvals stored before playbooks have no playbookRunId.
  const approval: Approval = { ...fields, playbookRunId: fields.playbookRunId ?? null };
  return {
    approval,
    origin: (item['origin'] ?? null) as ApprovalOrigin | null,
    countAs: (item['countAs'] ?? null) as CountAs | null,
    runCategories: (item['runCategories'] ?? null) as readonly Category[] | null,
    runUndoOf: (item['runUndoOf'] ?? null) as string | null,
  };
}
