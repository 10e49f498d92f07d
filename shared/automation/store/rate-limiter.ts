import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter, Rule } from '../types.ts';
import { ttlSeconds, type AutomationStoreOptions } from './store-options.ts';

/** API.md: 5 counted decisions per account and region per minute, across rules. */
const perAccountRegionPerMinute = 5;

type Scope = { accountId: string | null; region: string | null };
type Taken = Awaited<ReturnType<RateLimiter['take']>>;

/** Counters are only read within their hour or minute; a day's grace and DynamoDB's TTL removes them. */
const keepCounterSeconds = 24 * 60 * 60;

/**
 * The per-rule hourly cap, the per-account-region minute rate and each rule's circuit breaker,
 * as items of the history table. A counter is taken with a conditional ADD (`count < max`), so
 * however many deliveries race, DynamoDB lets exactly the allowance through; a refusal trips the
 * rule's breaker, which only `reset` clears: findings an attacker can provoke stop acting instead
 * of acting again each hour.
 */
export class DynamoRateLimiter implements RateLimiter {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: AutomationStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async take(rule: Pick<Rule, 'id' | 'maxActionsPerHour'>, scope: Scope, now: Date): Promise<Taken> {
    const breaker = await this.state(rule.id);
    if (breaker.tripped) {
      return { allowed: false, reason: breaker.reason ?? `rule ${rule.id} is stopped until an operator resets it` };
    }
    const hour = ruleHourKey(rule.id, now);
    if (!(await this.#increment(hour, rule.maxActionsPerHour, now))) {
      return this.#trip(rule.id, `it reached its cap of ${rule.maxActionsPerHour} actions in the hour from ${hourOf(now)}:00Z (maxActionsPerHour)`, now);
    }
    const minute = scopeMinuteKey(scope, now);
    if (!(await this.#increment(minute, perAccountRegionPerMinute, now))) {
      // The rule's unit goes back: nothing was done under it.
      await this.#add(hour, -1, now);
      return this.#trip(
        rule.id,
        `account ${scope.accountId ?? '(none)'} in region ${scope.region ?? '(none)'} reached ${perAccountRegionPerMinute} actions in the minute from ${minuteOf(now)}Z across rules`,
        now,
      );
    }
    return { allowed: true };
  }

  async count(rule: Pick<Rule, 'id'>, scope: Scope, now: Date): Promise<void> {
    await this.#add(ruleHourKey(rule.id, now), 1, now);
    await this.#add(scopeMinuteKey(scope, now), 1, now);
  }

  async state(ruleId: string): Promise<{ readonly tripped: boolean; readonly trippedAt: string | null; readonly reason: string | null }> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: breakerKey(ruleId), ConsistentRead: true }));
    if (Item?.['tripped'] !== true) return { tripped: false, trippedAt: null, reason: null };
    return { tripped: true, trippedAt: String(Item['trippedAt']), reason: String(Item['reason']) };
  }

  /** Closes the breaker and starts the rule's hour afresh; who reset it, and when, stay on the breaker item. */
  async reset(ruleId: string, by: string, now: Date): Promise<void> {
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: breakerKey(ruleId),
        UpdateExpression: 'SET tripped = :false, resetBy = :by, resetAt = :at, ruleId = :rule REMOVE trippedAt, reason',
        ExpressionAttributeValues: { ':false': false, ':by': by, ':at': now.toISOString(), ':rule': ruleId },
      }),
    );
    await this.#client.send(new DeleteCommand({ TableName: this.#table, Key: ruleHourKey(ruleId, now) }));
  }

  /** Adds one while the count is below `max`; false when the allowance is used up. */
  async #increment(key: CounterKey, max: number, now: Date): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':ttl': ttlSeconds(now, keepCounterSeconds) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #add(key: CounterKey, amount: number, now: Date): Promise<void> {
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: key,
        UpdateExpression: 'ADD #count :amount SET #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':amount': amount, ':ttl': ttlSeconds(now, keepCounterSeconds) },
      }),
    );
  }

  /** Opens the breaker; the first trip's time and reason stay until reset (a later refusal says the same). */
  async #trip(ruleId: string, why: string, now: Date): Promise<Taken> {
    const reason = `rule ${ruleId} stopped: ${why}; it takes no action until an operator resets it`;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: breakerKey(ruleId),
          UpdateExpression: 'SET tripped = :true, trippedAt = :at, reason = :reason, ruleId = :rule',
          ConditionExpression: 'attribute_not_exists(tripped) OR tripped = :false',
          ExpressionAttributeValues: { ':true': true, ':false': false, ':at': now.toISOString(), ':reason': reason, ':rule': ruleId },
        }),
      );
      return { allowed: false, reason };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const current = await this.state(ruleId);
    return { allowed: false, reason: current.reason ?? reason };
  }
}

type CounterKey = { pk: string; sk: string };

const hourOf = (now: Date): string => now.toISOString().slice(0, 13);
const minuteOf = (now: Date): string => now.toISOString().slice(0, 16);

/**
 * Rule ids and account ids go in as JSON strings, so no id can end where another's bucket begins.
 * A finding with no account or region (Falco) shares one bucket with every other such finding.
 */
function ruleHourKey(ruleId: string, now: Date): CounterKey {
  return { pk: `RATE#rule#${JSON.stringify(ruleId)}`, sk: `H#${hourOf(now)}` };
}

function scopeMinuteKey(scope: Scope, now: Date): CounterKey {
  return { pk: `RATE#scope#${JSON.stringify([scope.accountId, scope.region])}`, sk: `M#${minuteOf(now)}` };
}

function breakerKey(ruleId: string): CounterKey {
  return { pk: `RATE#breaker#${JSON.stringify(ruleId)}`, sk: 'BREAKER' };
}
