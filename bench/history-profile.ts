import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemToRecord, recordSortKey } from '#shared/history/items.ts';
import { batchGetByPartition } from '#shared/history/record-io.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { traceClientsWith } from '#shared/observability/tracing.ts';
import { CallCounter, countingCapture } from './capacity/counting.ts';
import { percentile } from './stats.ts';

/**
 * Where a history page's time goes as the table grows, for the history bench's report: how many
 * store requests one page of each kind makes (counted on a client built with the counting hook,
 * outside the timed samples), and how long the store takes to read 50 records scattered over
 * the whole table (BatchGetItem, the second half of every page), which is the emulator's cost of
 * a point read, not the repository's.
 */
export interface PageProfile {
  /** Per page kind: `Query×2 BatchGetItem×1`-style store requests of one page. */
  readonly requests: Readonly<Record<string, string>>;
  /** BatchGetItem of 50 records picked at random over the table. */
  readonly scatteredRead: { readonly p50: number; readonly p99: number };
}

/** The store requests of one page of each kind, on a repository made by `makeRepository` while the counting hook is installed. */
export async function requestsPerPage(
  makeRepository: () => { repository: HistoryRepository; client: DynamoDBDocumentClient },
  pages: Readonly<Record<string, (repository: HistoryRepository) => Promise<unknown>>>,
): Promise<Record<string, string>> {
  const counter = new CallCounter();
  traceClientsWith(countingCapture(counter));
  const { repository, client } = makeRepository();
  traceClientsWith((built) => built);
  try {
    const requests: Record<string, string> = {};
    for (const [kind, page] of Object.entries(pages)) {
      const before = counter.snapshot();
      await page(repository);
      requests[kind] = [...counter.since(before)]
        .map(([key, count]) => `${key.replace(/^DynamoDB:/, '')}×${count.calls}`)
        .join(' ');
    }
    return requests;
  } finally {
    client.destroy();
  }
}

/** `samples` BatchGetItem reads of 50 records picked at random among `records` (ids from `recordId`). */
export async function scatteredReads(
  client: DynamoDBDocumentClient,
  tableName: string,
  records: number,
  recordId: (index: number) => string,
  samples: number,
): Promise<number[]> {
  const timings: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    const keys = Array.from({ length: 50 }, () => `A#${recordId(Math.floor(Math.random() * records))}`);
    const start = performance.now();
    const found = await batchGetByPartition(client, tableName, keys, recordSortKey, itemToRecord);
    timings.push(performance.now() - start);
    if (found.size === 0) throw new Error('a scattered read found none of the records loaded');
  }
  return timings;
}

export const summaryOf = (values: readonly number[]): { p50: number; p99: number } => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
