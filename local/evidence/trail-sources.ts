/**
 * What verify-trail reads from a DATA_DIR: the trail file line by line, the history table through
 * dynalite opened on its LevelDB (served on a unix socket in a private temporary directory, so
 * no other user can reach it while it is open), and every evidence object under `evidence/`.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ClassicLevel } from 'classic-level';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { EvidenceFinding, StoredEntry, TrailSources } from '#shared/trail/verify.ts';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../embedded-dynamodb.ts';
import { digestFile, isMissing, listDirectory, metaDirOf, objectPaths, readRecord } from './evidence-files.ts';
import { trailDirOf, trailFileName } from './file-trail.ts';

/** The table the local service keeps its history in (local/service.ts). */
const localHistoryTable = 'history';

/** DATA_DIR's LevelDB is held by a running `npm start` (LevelDB allows one process). */
export class DataDirBusyError extends Error {}

export interface LocalTrailSources extends TrailSources {
  close(): Promise<void>;
}

export async function openLocalTrailSources(dataDir: string): Promise<LocalTrailSources> {
  await assertTableFree(join(dataDir, 'dynamodb'));
  const socketDir = await mkdtemp(join(tmpdir(), 'verify-trail-'));
  let dynamo: EmbeddedDynamoDb;
  try {
    dynamo = await startEmbeddedDynamoDb({ path: join(dataDir, 'dynamodb'), socketPath: join(socketDir, 'dynamodb.sock') });
  } catch (error) {
    await rm(socketDir, { recursive: true, force: true });
    throw error;
  }
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      ...(dynamo.httpAgent === undefined ? {} : { requestHandler: { httpAgent: dynamo.httpAgent } }),
      ignoreConfiguredEndpointUrls: true,
      maxAttempts: 1,
    }),
  );
  return {
    entries: () => trailLines(join(trailDirOf(dataDir), trailFileName)),
    items: () => scanTable(client, localHistoryTable),
    evidence: () => localEvidence(join(dataDir, 'evidence')),
    close: async () => {
      client.destroy();
      await dynamo.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}

/**
 * Refuses (DataDirBusyError) a LevelDB another process holds: dynalite would otherwise fail
 * later with "Database is closed", thrown where nothing can catch it. The probe opens it with the
 * LevelDB binding dynalite itself uses, and closes it at once.
 */
async function assertTableFree(path: string): Promise<void> {
  const db = new ClassicLevel(path, { createIfMissing: false });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') throw new DataDirBusyError('its table is open in another process (LevelDB allows one)', { cause: error });
    if (cause?.code === 'LEVEL_DATABASE_NOT_OPEN' || /does not exist/i.test(String((cause as Error | undefined)?.message))) return;
    throw error;
  } finally {
    await db.close();
  }
}

async function* trailLines(file: string): AsyncGenerator<StoredEntry> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const opened = await new Promise<boolean>((resolve, reject) => {
    stream.once('open', () => {
      resolve(true);
    });
    stream.once('error', (error) => {
      if (isMissing(error)) resolve(false);
      else reject(error);
    });
  });
  if (!opened) return;
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line += 1;
    yield { where: `${file} line ${String(line)}`, stored: text };
  }
}

/** Every item of the table, page by page; a LevelDB held by another process is a DataDirBusyError. */
export async function* scanTable(client: DynamoDBDocumentClient, table: string): AsyncGenerator<Record<string, unknown>> {
  let start: Record<string, unknown> | undefined;
  do {
    let page;
    try {
      page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
    } catch (error) {
      if (error instanceof Error && /lock|already held/i.test(`${error.name} ${error.message}`)) {
        throw new DataDirBusyError('its table is open in another process (LevelDB allows one)', { cause: error });
      }
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
      throw error;
    }
    for (const item of page.Items ?? []) yield item;
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
}

async function* localEvidence(root: string): AsyncGenerator<EvidenceFinding> {
  for (const actionId of (await listDirectory(root)).sort()) {
    if (actionId.startsWith('.')) continue;
    for (const file of (await listDirectory(metaDirOf(root, actionId))).sort()) {
      if (!file.endsWith('.json') || file.startsWith('.')) continue;
      const name = file.slice(0, -'.json'.length);
      const key = `actions/${actionId}/${name}`;
      const paths = objectPaths(root, actionId, name);
      const record = await readRecord(paths.metadata, key);
      if (record === 'missing') continue;
      if (record === null) {
        yield { key, recordedSha256: '(unreadable metadata)', actualSha256: null };
        continue;
      }
      const actual = await digestFile(paths.content).catch((error: unknown) => {
        if (isMissing(error)) return null;
        throw error;
      });
      yield { key, recordedSha256: record.sha256, actualSha256: actual?.sha256 ?? null };
    }
  }
}
