import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '#shared/clock.ts';
import { actionPartitionKey } from '#shared/history/items.ts';
import type { RegisterRequest, ResponderKind, ResponderRecord, WorkTarget } from './protocol.ts';
import { responderId } from './target.ts';

/**
 * Responder registrations and dispatch items, in the history table beside the records (see
 * `shared/history/table-design.ts`; none of these items carries an index attribute, so history
 * queries never see them):
 * - registration: pk `RESPONDER`, sk `<kind>#<name>`. One partition, so GET /v1/responders is a
 *   Query, not a Scan. Heartbeats write to it: at one per responder every 30 s that is ~33 writes
 *   a second per 1000 responders, far below what one partition takes.
 * - dispatch:     pk `A#<actionId>`, sk `D`: the Step Functions task token the action's execution
 *   waits on, and the deadlines of the work sent. The token stays here: it is never put in the
 *   work message, never returned by the API and never logged. A later dispatch of the same action
 *   (a retried Dispatch, a re-dispatch after a local restart) replaces it with its own token.
 */
export interface DispatchItem {
  readonly actionId: string;
  readonly taskToken: string;
  readonly target: WorkTarget;
  readonly keyId: string;
  readonly issuedAt: string;
  readonly pickupDeadline: string;
  readonly completionDeadline: string;
}

export interface ResponderStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
}

const registrationPartition = 'RESPONDER';
const dispatchSortKey = 'D';
/** GET /v1/responders returns at most this many (a fleet larger than this needs paging, not yet offered). */
const maxListed = 1000;

export class ResponderStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(options: ResponderStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#clock = options.clock;
  }

  /** Creates or refreshes a registration; `registeredAt` stays the first one's. */
  async register(request: RegisterRequest, registeredBy: string): Promise<ResponderRecord> {
    const now = this.#clock.now().toISOString();
    const { Attributes } = await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: registrationKey(request),
        UpdateExpression:
          'SET #kind = :kind, #name = :name, #version = :version, #capabilities = :capabilities, #lastSeen = :now, #registeredBy = :by, #registeredAt = if_not_exists(#registeredAt, :now)',
        ExpressionAttributeNames: {
          '#kind': 'kind',
          '#name': 'name',
          '#version': 'version',
          '#capabilities': 'capabilities',
          '#lastSeen': 'lastSeen',
          '#registeredBy': 'registeredBy',
          '#registeredAt': 'registeredAt',
        },
        ExpressionAttributeValues: {
          ':kind': request.kind,
          ':name': request.name,
          ':version': request.version,
          ':capabilities': request.capabilities,
          ':now': now,
          ':by': registeredBy,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toResponderRecord(Attributes ?? {});
  }

  /** Moves `lastSeen` to now; null when the responder never registered. */
  async touch(target: WorkTarget): Promise<ResponderRecord | null> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: registrationKey(target),
          UpdateExpression: 'SET #lastSeen = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#lastSeen': 'lastSeen' },
          ExpressionAttributeValues: { ':now': this.#clock.now().toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toResponderRecord(Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw error;
    }
  }

  /**
   * Removes a registration; with `seenBefore`, only if its lastSeen is still older than that (a
   * sweep never removes a responder that just heartbeated). True when one was removed.
   */
  async remove(target: WorkTarget, seenBefore?: string): Promise<boolean> {
    try {
      const { Attributes } = await this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: registrationKey(target),
          ...(seenBefore === undefined
            ? {}
            : { ConditionExpression: '#lastSeen < :cutoff', ExpressionAttributeNames: { '#lastSeen': 'lastSeen' }, ExpressionAttributeValues: { ':cutoff': seenBefore } }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes !== undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** The first {@link maxListed} registrations (GET /v1/responders); {@link all} walks every one. */
  async list(): Promise<ResponderRecord[]> {
    const records: ResponderRecord[] = [];
    for await (const record of this.all()) {
      records.push(record);
      if (records.length >= maxListed) break;
    }
    return records;
  }

  /** Every registration, page by page (the sweep: a fleet may hold more than GET /v1/responders lists). */
  async *all(): AsyncGenerator<ResponderRecord> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': registrationPartition },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield toResponderRecord(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  /**
   * The first `atMost` names of one kind's registrations, in key order (a refusal of work names them):
   * a key-prefix Query that reads only those items, whatever the size of the fleet or of the other kind.
   */
  async names(kind: ResponderKind, atMost: number): Promise<string[]> {
    const names: string[] = [];
    if (atMost < 1) return names;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :kind)',
          ExpressionAttributeValues: { ':pk': registrationPartition, ':kind': `${kind}#` },
          ProjectionExpression: '#name',
          ExpressionAttributeNames: { '#name': 'name' },
          Limit: atMost - names.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) names.push(String(item['name']));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && names.length < atMost);
    return names.slice(0, atMost);
  }

  /** One registration by its key (a strongly consistent read), or null when it is not registered. */
  async get(target: WorkTarget): Promise<ResponderRecord | null> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: registrationKey(target), ConsistentRead: true }));
    return Item === undefined ? null : toResponderRecord(Item);
  }

  /** Stores the dispatch of an action, replacing an earlier one. */
  async saveDispatch(item: DispatchItem): Promise<void> {
    await this.#client.send(
      new PutCommand({ TableName: this.#table, Item: { pk: actionPartitionKey(item.actionId), sk: dispatchSortKey, ...item } }),
    );
  }

  async getDispatch(actionId: string): Promise<DispatchItem | null> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk: actionPartitionKey(actionId), sk: dispatchSortKey }, ConsistentRead: true }),
    );
    if (Item === undefined) return null;
    return {
      actionId: String(Item['actionId']),
      taskToken: String(Item['taskToken']),
      target: Item['target'] as WorkTarget,
      keyId: String(Item['keyId']),
      issuedAt: String(Item['issuedAt']),
      pickupDeadline: String(Item['pickupDeadline']),
      completionDeadline: String(Item['completionDeadline']),
    };
  }
}

function registrationKey(target: WorkTarget): { pk: string; sk: string } {
  return { pk: registrationPartition, sk: `${target.kind}#${target.name}` };
}

function toResponderRecord(item: Record<string, unknown>): ResponderRecord {
  const kind = item['kind'] as ResponderKind;
  const name = String(item['name']);
  return {
    id: responderId({ kind, name }),
    kind,
    name,
    version: String(item['version']),
    capabilities: Array.isArray(item['capabilities']) ? item['capabilities'].map(String) : [],
    registeredAt: String(item['registeredAt']),
    lastSeen: String(item['lastSeen']),
  };
}
