import { createRequire } from 'node:module';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { StoredItem } from '#shared/history/items.ts';

/**
 * Loads history items straight into dynalite's LevelDB, through dynalite's own store and key
 * functions (db/index.js: createKey, getIndexActions, the item and index sub-databases), while no
 * dynalite server has the directory open. Over HTTP each PutRequest is one GetItem-sized read and
 * six single LevelDB writes behind a lock (~3k records/s here), so 1M records took minutes; in
 * LevelDB batches the same item and index entries are written in seconds. The layout is
 * dynalite's, byte for byte: the server opened on the directory afterwards reads them as its own.
 */
interface DynaliteTable {
  readonly TableName: string;
  readonly GlobalSecondaryIndexes?: readonly unknown[];
}
type LevelBatchOperation = { type: 'put'; key: string; value: unknown };
interface DynaliteSubDb {
  batch(operations: LevelBatchOperation[], callback: (error?: Error | null) => void): void;
}
interface DynaliteStore {
  readonly db: { close(): Promise<void> };
  getTable(name: string, checkStatus: boolean, callback: (error: Error | null, table: DynaliteTable) => void): void;
  getItemDb(tableName: string): DynaliteSubDb;
  getIndexDb(indexType: 'global', tableName: string, indexName: string): DynaliteSubDb;
}
interface DynaliteDbModule {
  create(options: { path: string }): DynaliteStore;
  createKey(item: Record<string, AttributeValue>, table: DynaliteTable): string;
  getIndexActions(
    indexes: readonly unknown[],
    existingItem: undefined,
    item: Record<string, AttributeValue>,
    table: DynaliteTable,
  ): { puts: { index: string; key: string; item: unknown }[]; deletes: unknown[] };
}

const dynaliteDb = createRequire(import.meta.url)('dynalite/db/index.js') as DynaliteDbModule;

/** Marshalled as the history's DocumentClient marshalls (shared/adapters/dynamodb.ts). */
const toAttributeValues = (item: StoredItem): Record<string, AttributeValue> =>
  marshall(item, { removeUndefinedValues: true, convertEmptyValues: false });

function batch(subDb: DynaliteSubDb, operations: LevelBatchOperation[]): Promise<void> {
  return new Promise((resolve, reject) => {
    subDb.batch(operations, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/**
 * Writes the items `itemsOf(index)` gives for every index in [from, to) into the table at
 * `path` (already created by a dynalite server, which must be closed now). New keys only: an
 * existing item's old index entries are not removed, so each index must be loaded once.
 */
export async function loadHistoryItems(
  path: string,
  tableName: string,
  range: { readonly from: number; readonly to: number },
  itemsOf: (index: number) => StoredItem[],
): Promise<void> {
  const store = dynaliteDb.create({ path });
  try {
    const table = await new Promise<DynaliteTable>((resolve, reject) => {
      store.getTable(tableName, false, (error, found) => {
        if (error) reject(error);
        else resolve(found);
      });
    });
    const itemDb = store.getItemDb(tableName);
    const chunk = 2000;
    for (let start = range.from; start < range.to; start += chunk) {
      const items: LevelBatchOperation[] = [];
      const byIndex = new Map<string, LevelBatchOperation[]>();
      for (let index = start; index < Math.min(range.to, start + chunk); index += 1) {
        for (const stored of itemsOf(index)) {
          const item = toAttributeValues(stored);
          items.push({ type: 'put', key: dynaliteDb.createKey(item, table), value: item });
          for (const put of dynaliteDb.getIndexActions(table.GlobalSecondaryIndexes ?? [], undefined, item, table).puts) {
            const list = byIndex.get(put.index) ?? [];
            list.push({ type: 'put', key: put.key, value: put.item });
            byIndex.set(put.index, list);
          }
        }
      }
      await Promise.all([
        batch(itemDb, items),
        ...[...byIndex].map(([indexName, operations]) => batch(store.getIndexDb('global', tableName, indexName), operations)),
      ]);
    }
  } finally {
    await store.db.close();
  }
}
