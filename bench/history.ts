import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startEmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import type { Category } from '#shared/catalogue/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { recordToItems } from '#shared/history/items.ts';
import { createdRecord, type ActionRecord } from '#shared/history/record.ts';
import { HistoryRepository } from '#shared/history/repository.ts';
import { ms, percentile, timeEach } from './stats.ts';

const resourceCount = 200;
const pageSize = 50;
const samplesPerPoint = 200;
const categories: readonly Category[] = ['containment', 'data-gathering'];

interface PagePoint {
  readonly records: number;
  readonly perResource: { p50: number; p99: number };
  readonly fleetWide: { p50: number; p99: number };
  readonly fleetWideDeep: { p50: number; p99: number };
}

/**
 * History benchmark on dynalite persisted to disk (as `npm start` runs it): insert 100k
 * records over twelve months, and time pages of 50 per resource and fleet-wide at 10k and 100k.
 */
export async function benchHistory(): Promise<{ insertsPerSecond: number; points: PagePoint[] }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-history-'));
  const dynamo = await startEmbeddedDynamoDb({ path: dataDir });
  try {
    const store = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
    const tableName = 'history-bench';
    await ensureHistoryTable(store, tableName);
    const client = createHistoryClient(store);
    const clock = new FixedClock('2026-11-23T00:00:00.000Z');
    const repository = new HistoryRepository({ client, tableName, cursors: new CursorCodec(randomBytes(32)), clock });
    // The floor of month buckets is kept by create(); seed it once through the real path.
    await repository.create(syntheticRecord(0));

    const points: PagePoint[] = [];
    let inserted = 1;
    let insertSeconds = 0;
    for (const target of [10_000, 100_000]) {
      const start = performance.now();
      inserted = await insertUpTo(client, tableName, inserted, target);
      insertSeconds += (performance.now() - start) / 1000;
      points.push(await measurePages(repository, target));
    }
    return { insertsPerSecond: (inserted - 1) / insertSeconds, points };
  } finally {
    await dynamo.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function syntheticRecord(index: number): ActionRecord {
  const category: Category = index % 3 === 0 ? 'data-gathering' : 'containment';
  // Spread over the twelve months before the clock's now in a scattered order (7919 is prime
  // to 100,000), so the first 10k already fill every month as the full 100k do.
  const at = new Date(Date.parse('2025-11-23T00:00:00.000Z') + ((index * 7919) % 100_000) * 315_000 + (index % 1000));
  const resource = `arn:aws:iam::111122223333:user/user-${index % resourceCount}`;
  return createdRecord(
    {
      id: randomUUID(),
      type: category === 'containment' ? 'iam-quarantine' : 'fetch-cloud-logs',
      category,
      executor: 'cloud',
      inputs: { 'aws.resource.arn': resource },
      reason: 'benchmark',
      resources: [{ key: resource, kind: 'aws.iam.user' }],
      createdBy: `analyst-${index % 7}`,
      undoType: category === 'containment' ? 'iam-unquarantine' : null,
    },
    at,
  );
}

async function insertUpTo(
  client: ReturnType<typeof createHistoryClient>,
  tableName: string,
  from: number,
  to: number,
): Promise<number> {
  const concurrency = 8;
  let next = from;
  async function worker(): Promise<void> {
    while (next < to) {
      const batch: Record<string, unknown>[] = [];
      while (batch.length < 25 && next < to) batch.push(...recordToItems(syntheticRecord(next++)));
      let pending = batch.map((item) => ({ PutRequest: { Item: item } }));
      while (pending.length > 0) {
        const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = (UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return to;
}

async function measurePages(repository: HistoryRepository, records: number): Promise<PagePoint> {
  // Warm up the JIT and the store's caches before timing.
  for (let iteration = 0; iteration < 20; iteration += 1) await repository.list({ limit: pageSize }, categories);
  const perResource = await timeEach(samplesPerPoint, async (iteration) => {
    const page = await repository.list(
      { resource: `arn:aws:iam::111122223333:user/user-${(iteration * 37) % resourceCount}`, limit: pageSize },
      categories,
    );
    if (page.items.length !== pageSize) throw new Error(`a per-resource page came back with ${page.items.length} items`);
  });
  const fleetWide = await timeEach(samplesPerPoint, async () => {
    const page = await repository.list({ limit: pageSize }, categories);
    if (page.items.length !== pageSize) throw new Error(`a fleet-wide page came back with ${page.items.length} items`);
  });
  // A page deep in history: start from a cursor ten pages in.
  let cursor: string | undefined;
  for (let page = 0; page < 10; page += 1) {
    cursor = (await repository.list({ limit: pageSize, ...(cursor === undefined ? {} : { cursor }) }, categories)).nextCursor ?? undefined;
  }
  const deepCursor = cursor;
  const fleetWideDeep = await timeEach(samplesPerPoint, async () => {
    const page = await repository.list({ limit: pageSize, ...(deepCursor === undefined ? {} : { cursor: deepCursor }) }, categories);
    if (page.items.length !== pageSize) throw new Error(`a deep page came back with ${page.items.length} items`);
  });
  const summary = (samples: number[]): { p50: number; p99: number } => ({
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
  });
  return { records, perResource: summary(perResource), fleetWide: summary(fleetWide), fleetWideDeep: summary(fleetWideDeep) };
}

export function printHistory(result: Awaited<ReturnType<typeof benchHistory>>): string[] {
  const lines = [`history: inserted at ${result.insertsPerSecond.toFixed(0)} records/s (BatchWriteItem, 8 writers, dynalite on disk)`];
  for (const point of result.points) {
    lines.push(
      `history @ ${point.records.toLocaleString('en')} records: page of ${pageSize} per resource p50 ${ms(point.perResource.p50)} p99 ${ms(point.perResource.p99)}; ` +
        `fleet-wide p50 ${ms(point.fleetWide.p50)} p99 ${ms(point.fleetWide.p99)}; fleet-wide 11th page p50 ${ms(point.fleetWideDeep.p50)} p99 ${ms(point.fleetWideDeep.p99)}`,
    );
  }
  const [small, large] = result.points;
  if (small !== undefined && large !== undefined) {
    const ratio = (a: number, b: number): string => (b / a).toFixed(2);
    lines.push(
      `history: 100k/10k p50 ratio per resource ${ratio(small.perResource.p50, large.perResource.p50)}, fleet-wide ${ratio(small.fleetWide.p50, large.fleetWide.p50)}, deep ${ratio(small.fleetWideDeep.p50, large.fleetWideDeep.p50)} (≈1: a page reads a page, never the table)`,
    );
  }
  return lines;
}
