import type { Category } from '#shared/catalogue/types.ts';
import { indexKeys } from './items.ts';
import type { ActionRecord } from './record.ts';
import type { HistoryQuery } from './query.ts';
import type { HistoryIndexName } from './table-design.ts';

/** How a history page walks the key-only indexes: which index, which partitions, merged newest first. */
export interface IndexKey {
  readonly pk: string;
  readonly createdSk: string;
}

export type IndexPageFetcher = (
  partitionKey: string,
  startKey: Record<string, unknown> | undefined,
) => Promise<{ keys: IndexKey[]; next: Record<string, unknown> | undefined }>;

export const indexPartitionAttribute: Record<HistoryIndexName, string> = {
  byResource: 'gsiResource',
  byTime: 'gsiTime',
  byType: 'gsiType',
  byStatus: 'gsiStatus',
  byCreator: 'gsiCreator',
};

export interface IndexPlan {
  readonly index: HistoryIndexName;
  readonly bucketed: boolean;
  readonly partitionKey: (category: Category, month: string) => string;
}

/** The most selective index for a query; the other filters are applied to the records read. */
export function planIndex(query: HistoryQuery): IndexPlan {
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

export function matches(record: ActionRecord, query: HistoryQuery): boolean {
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
export class IndexStream {
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
export class MergedStreams {
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
