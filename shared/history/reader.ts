import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Category } from '#shared/catalogue/types.ts';
import type { Clock } from '#shared/clock.ts';
import { fingerprint, type CursorCodec } from './cursor.ts';
import { IndexStream, MergedStreams, matches, monthsBetween, planIndex } from './index-streams.ts';
import { itemToRecord, monthOf, recordSortKey } from './items.ts';
import { MonthFloor } from './month-floor.ts';
import type { ActionRecord } from './record.ts';
import { batchGetByPartition, indexPages, metaKey, readRecord } from './record-io.ts';
import type { HistoryPage, HistoryQuery } from './query.ts';

export type { HistoryPage, HistoryQuery } from './query.ts';

export interface HistoryReaderOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Signs the cursors of the pages this reader hands out, and checks those it is given. */
  readonly cursors: CursorCodec;
  readonly clock: Clock;
  /** Items examined at most per page when filters discard many; the page then comes back short, with a cursor. */
  readonly maxExaminedPerPage?: number;
}

const maxLimit = 100;

/**
 * Reads the action history: one record, or a page of history through the key-only indexes,
 * continued by signed cursors.
 */
export class HistoryReader {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #floor: MonthFloor;
  readonly #cursors: CursorCodec;
  readonly #clock: Clock;
  readonly #maxExamined: number;

  constructor(options: HistoryReaderOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#floor = new MonthFloor(options.client, options.tableName, metaKey);
    this.#cursors = options.cursors;
    this.#clock = options.clock;
    this.#maxExamined = options.maxExaminedPerPage ?? 1000;
  }

  async get(id: string): Promise<ActionRecord | null> {
    return readRecord(this.#client, this.#table, id);
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
          indexPages(this.#client, this.#table, plan.index, { lower, upper }, limit + 1),
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
    const first = await this.#floor.read();
    if (first === undefined) return [];
    const requestedStart = query.from === undefined ? first : monthOf(new Date(query.from).toISOString());
    return monthsBetween(requestedStart > first ? requestedStart : first, newest);
  }

  #getRecords(partitionKeys: readonly string[]): Promise<Map<string, ActionRecord>> {
    return batchGetByPartition(this.#client, this.#table, partitionKeys, recordSortKey, itemToRecord);
  }
}
