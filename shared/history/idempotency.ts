import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#shared/clock.ts';
import { IdempotencyConflictError, IdempotencyInProgressError } from '#shared/errors.ts';
import type { ActionRecord } from './record.ts';
import { readRecord } from './record-io.ts';

/** How long an Idempotency-Key is remembered (API.md: 24 hours). */
const idempotencyWindowSeconds = 24 * 60 * 60;

export interface IdempotencyClaim {
  /** The caller's identity (`sub`): keys are per caller. */
  readonly caller: string;
  readonly key: string;
  /** A digest of the request body; the same key with another body is a conflict. */
  readonly requestHash: string;
  /** What the key creates when not an action (`playbook-run`): the same key creates one of each, never the other's. */
  readonly namespace?: string;
}

export interface IdempotencyStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  /** How long a duplicate request waits for the first one's record to appear. */
  readonly idempotencyWaitMs?: number;
}

/** Idempotency-Key items in the history table: which action a (caller, key) pair created, and with what body. */
export class IdempotencyStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;
  readonly #idempotencyWaitMs: number;

  constructor(options: IdempotencyStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#clock = options.clock;
    this.#idempotencyWaitMs = options.idempotencyWaitMs ?? 3000;
  }

  /**
   * Claims the key for `actionId`: undefined when the claim is new, else the record an earlier
   * request with the same body created (a conflict when its body differed).
   */
  async claim(claim: IdempotencyClaim, actionId: string): Promise<ActionRecord | undefined> {
    return this.claimFor(claim, actionId, (id) => readRecord(this.#client, this.#table, id));
  }

  /** {@link claim} for what `read` finds by id (a playbook run): the same rules, another kind of thing. */
  async claimFor<T>(claim: IdempotencyClaim, actionId: string, read: (id: string) => Promise<T | null>): Promise<T | undefined> {
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
    const earlier = await this.replayFor(claim, read);
    if (earlier === undefined) throw new IdempotencyInProgressError();
    return earlier;
  }

  /**
   * The action an earlier request with this idempotency key created, while the key is
   * remembered; a conflict when that request had another body; undefined when the key is unused
   * or expired.
   */
  async replay(claim: IdempotencyClaim): Promise<ActionRecord | undefined> {
    return this.replayFor(claim, (id) => readRecord(this.#client, this.#table, id));
  }

  /** {@link replay} for what `read` finds by id. */
  async replayFor<T>(claim: IdempotencyClaim, read: (id: string) => Promise<T | null>): Promise<T | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: idempotencyItemKey(claim), ConsistentRead: true }),
    );
    if (Item === undefined || Number(Item['ttl']) <= Math.floor(this.#clock.now().getTime() / 1000)) return undefined;
    const earlierId = String(Item['actionId']);
    if (Item['requestHash'] !== claim.requestHash) throw new IdempotencyConflictError(earlierId);
    // The first request may still be writing its record: wait for it, briefly.
    const deadline = Date.now() + this.#idempotencyWaitMs;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const earlier = await read(earlierId);
      if (earlier !== null) return earlier;
      if (Date.now() >= deadline) throw new IdempotencyInProgressError();
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** Forgets a claim whose record could not be written, so the request may be retried. */
  async release(claim: IdempotencyClaim, actionId: string): Promise<void> {
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
}

/**
 * One item per (namespace, caller, key), encoded unambiguously: a hash of the JSON list, so caller
 * `alice` with key `k1#x` and caller `alice#k1` with key `x` never share an item (and the key
 * stays short whatever the caller's subject and key length).
 */
function idempotencyItemKey(claim: IdempotencyClaim): { pk: string; sk: string } {
  const parts = claim.namespace === undefined ? [claim.caller, claim.key] : [claim.namespace, claim.caller, claim.key];
  const pair = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return { pk: `I#${pair}`, sk: 'I' };
}
