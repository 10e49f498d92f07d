import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DedupStore } from '../types.ts';
import { ttlSeconds, type AutomationStoreOptions } from './store-options.ts';

type DedupKey = { ruleId: string; findingId: string };
type Claimed = Awaited<ReturnType<DedupStore['claim']>>;

/** A claim is kept a day past its window so a late duplicate can still be told what the first did. */
const keepAfterWindowSeconds = 24 * 60 * 60;

/**
 * Dedup claims as items of the history table: one item per (rule, finding id), claimed with a
 * conditional PutItem that wins only when no claim is held or the held one's window has ended.
 * DynamoDB settles concurrent claims (exactly one put succeeds), and the item outlives any
 * process: a restart, a second instance or a re-delivery finds the claim where the first left it.
 */
export class DynamoDedupStore implements DedupStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: AutomationStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async claim(key: DedupKey, owner: { eventId: string; decisionId: string }, now: Date, dedupSeconds: number): Promise<Claimed> {
    const expiresAt = now.getTime() + dedupSeconds * 1000;
    // A claim released between our failed put and our read leaves nothing to name: try again (bounded).
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await this.#client.send(
          new PutCommand({
            TableName: this.#table,
            Item: {
              ...dedupItemKey(key),
              ruleId: key.ruleId,
              findingId: key.findingId,
              eventId: owner.eventId,
              decisionId: owner.decisionId,
              claimedAt: now.toISOString(),
              // Epoch milliseconds: the first instant outside the window.
              expiresAt,
              actionIds: [],
              approvalId: null,
              playbookRunId: null,
              ttl: ttlSeconds(new Date(expiresAt), keepAfterWindowSeconds),
            },
            // Expiry is decided here, not by DynamoDB's TTL (late in AWS, absent in dynalite).
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': now.getTime() },
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: dedupItemKey(key), ConsistentRead: true }));
      if (Item !== undefined && Number(Item['expiresAt']) > now.getTime()) {
        return {
          claimed: false,
          heldBy: {
            eventId: String(Item['eventId']),
            actionIds: Array.isArray(Item['actionIds']) ? Item['actionIds'].map(String) : [],
            approvalId: typeof Item['approvalId'] === 'string' ? Item['approvalId'] : null,
            // Claims written before playbooks have none.
            playbookRunId: typeof Item['playbookRunId'] === 'string' ? Item['playbookRunId'] : null,
          },
        };
      }
    }
    throw new Error(`the dedup claim of rule ${key.ruleId} on finding ${key.findingId} kept changing hands; try again`);
  }

  async complete(key: DedupKey, owner: { decisionId: string }, produced: { actionIds: readonly string[]; approvalId: string | null; playbookRunId?: string | null }): Promise<void> {
    await ignoringLostClaim(
      this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: dedupItemKey(key),
          UpdateExpression: 'SET actionIds = :actions, approvalId = :approval, playbookRunId = :run',
          ConditionExpression: 'decisionId = :decision',
          ExpressionAttributeValues: {
            ':actions': [...produced.actionIds],
            ':approval': produced.approvalId,
            ':run': produced.playbookRunId ?? null,
            ':decision': owner.decisionId,
          },
        }),
      ),
    );
  }

  async release(key: DedupKey, owner: { decisionId: string }): Promise<void> {
    await ignoringLostClaim(
      this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: dedupItemKey(key),
          ConditionExpression: 'decisionId = :decision',
          ExpressionAttributeValues: { ':decision': owner.decisionId },
        }),
      ),
    );
  }
}

/** A claim that expired and was taken by another decision is theirs now: ours changes nothing of it. */
async function ignoringLostClaim(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * One item per (rule, finding id), encoded unambiguously: a hash of the JSON pair, so rule `a#b`
 * on finding `c` and rule `a` on finding `b#c` never share a claim, however long the finding id.
 */
function dedupItemKey(key: DedupKey): { pk: string; sk: string } {
  const pair = createHash('sha256').update(JSON.stringify([key.ruleId, key.findingId])).digest('hex');
  return { pk: `DEDUP#${pair}`, sk: 'DEDUP' };
}
