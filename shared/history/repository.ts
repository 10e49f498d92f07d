import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Category } from '#shared/catalogue/types.ts';
import type { Clock } from '#shared/clock.ts';
import type { CursorCodec } from './cursor.ts';
import { IdempotencyStore, type IdempotencyClaim } from './idempotency.ts';
import { HistoryReader, type HistoryPage, type HistoryQuery } from './reader.ts';
import type { ActionRecord } from './record.ts';
import type { ActionStatus } from './status.ts';
import { HistoryWriter, type CreateOutcome, type StatusChangeDetails } from './writer.ts';

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

/**
 * The whole history for a component that reads pages, writes and replays requests (the API
 * and the local service): the three pieces on one table. A component that only writes builds
 * a HistoryWriter, which needs no cursor key.
 */
export class HistoryRepository {
  readonly writer: HistoryWriter;
  readonly reader: HistoryReader;
  readonly idempotency: IdempotencyStore;

  constructor(options: HistoryRepositoryOptions) {
    const { client, tableName, clock } = options;
    this.idempotency = new IdempotencyStore({
      client,
      tableName,
      clock,
      ...(options.idempotencyWaitMs === undefined ? {} : { idempotencyWaitMs: options.idempotencyWaitMs }),
    });
    this.writer = new HistoryWriter({ client, tableName, clock, idempotency: this.idempotency });
    this.reader = new HistoryReader({
      client,
      tableName,
      cursors: options.cursors,
      clock,
      ...(options.maxExaminedPerPage === undefined ? {} : { maxExaminedPerPage: options.maxExaminedPerPage }),
    });
  }

  create(record: ActionRecord, idempotency?: IdempotencyClaim): Promise<CreateOutcome> {
    return this.writer.create(record, idempotency);
  }

  get(id: string): Promise<ActionRecord | null> {
    return this.reader.get(id);
  }

  transition(id: string, to: ActionStatus, details?: StatusChangeDetails): Promise<ActionRecord> {
    return this.writer.transition(id, to, details);
  }

  recordProgress(id: string, details: Omit<StatusChangeDetails, 'detail' | 'error'>): Promise<ActionRecord> {
    return this.writer.recordProgress(id, details);
  }

  claimUndo(id: string, undoActionId: string): Promise<void> {
    return this.writer.claimUndo(id, undoActionId);
  }

  releaseUndo(id: string, undoActionId: string): Promise<boolean> {
    return this.writer.releaseUndo(id, undoActionId);
  }

  list(query: HistoryQuery, categories: readonly Category[]): Promise<HistoryPage> {
    return this.reader.list(query, categories);
  }

  replay(claim: IdempotencyClaim): Promise<ActionRecord | undefined> {
    return this.idempotency.replay(claim);
  }
}
