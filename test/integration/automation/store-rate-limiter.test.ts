import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHistoryClient } from '#shared/adapters/dynamodb.ts';
import { DynamoRateLimiter } from '#shared/automation/store/index.ts';
import { FixedClock } from '#shared/clock.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';

const dynalite = useDynalite();
const start = new Date('2026-03-01T12:00:00Z');
const at = (seconds: number): Date => new Date(start.getTime() + seconds * 1000);
const scope = { accountId: '123456789012', region: 'us-east-1' };
const rule = (id: string, maxActionsPerHour: number): { id: string; maxActionsPerHour: number } => ({ id, maxActionsPerHour });

async function freshLimiter(): Promise<{ limiter: DynamoRateLimiter; tableName: string; client: ReturnType<typeof createHistoryClient> }> {
  const { tableName, client } = await freshHistory(dynalite.endpoint, new FixedClock(start));
  return { limiter: new DynamoRateLimiter({ client, tableName }), tableName, client };
}

describe('DynamoRateLimiter', () => {
  it('allows a rule its hourly cap, then trips it and says which limit', async () => {
    // Prepare
    const { limiter } = await freshLimiter();
    const capped = rule('ec2-isolate', 3);
    // One take a minute apart, so the account-region rate never binds.
    const taken = [];

    // Act
    for (let n = 0; n < 4; n += 1) taken.push(await limiter.take(capped, scope, at(n * 60)));

    // Assess
    expect(taken.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(taken[3]).toEqual({ allowed: false, reason: expect.stringMatching(/rule ec2-isolate stopped: .*cap of 3 actions in the hour from 2026-03-01T12:00Z \(maxActionsPerHour\)/) as unknown });
    expect(await limiter.state('ec2-isolate')).toEqual({ tripped: true, trippedAt: at(180).toISOString(), reason: (taken[3] as { reason: string }).reason });
  });

  it('stays tripped in the next hour, and after reset takes again with the hour counted afresh', async () => {
    // Prepare
    const { limiter, client, tableName } = await freshLimiter();
    const capped = rule('ec2-isolate', 1);
    await limiter.take(capped, scope, at(0));
    await limiter.take(capped, scope, at(60));

    // Act
    const nextHour = await limiter.take(capped, scope, at(3600 + 120));
    await limiter.reset('ec2-isolate', 'alice@example.com', at(3600 + 180));
    const afterReset = await limiter.take(capped, scope, at(3600 + 240));
    // The same hour as the trip: the reset cleared the rule's current-hour counter.
    await limiter.reset('ec2-isolate', 'alice@example.com', at(3600 + 250));
    const againInHour = await limiter.take(capped, scope, at(3600 + 300));

    // Assess
    expect(nextHour).toMatchObject({ allowed: false, reason: expect.stringContaining('maxActionsPerHour') as unknown });
    expect(afterReset).toEqual({ allowed: true });
    expect(againInHour).toEqual({ allowed: true });
    expect(await limiter.state('ec2-isolate')).toEqual({ tripped: false, trippedAt: null, reason: null });
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'RATE#breaker#"ec2-isolate"', sk: 'BREAKER' }, ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ tripped: false, resetBy: 'alice@example.com', resetAt: at(3600 + 250).toISOString() });
  });

  it('trips the rule that finds its account and region at 5 a minute across rules, giving its own unit back', async () => {
    // Prepare
    const { limiter } = await freshLimiter();
    const rules = [rule('a', 20), rule('b', 20), rule('c', 20)];
    for (let n = 0; n < 5; n += 1) expect(await limiter.take(rules[n % 2] ?? rule('x', 1), scope, at(n))).toEqual({ allowed: true });

    // Act
    const sixth = await limiter.take(rules[2] ?? rule('x', 1), scope, at(10));
    const otherRegion = await limiter.take(rule('d', 20), { ...scope, region: 'eu-west-1' }, at(11));
    const nextMinuteOtherRule = await limiter.take(rules[0] ?? rule('x', 1), scope, at(60));
    await limiter.reset('c', 'alice@example.com', at(61));
    // c's refused take was given back: its hour has room for all 20.
    const cAgain = [];
    for (let n = 0; n < 4; n += 1) cAgain.push(await limiter.take(rules[2] ?? rule('x', 1), scope, at(62 + n)));

    // Assess
    expect(sixth).toEqual({ allowed: false, reason: expect.stringContaining('account 123456789012 in region us-east-1 reached 5 actions in the minute from 2026-03-01T12:00Z across rules') as unknown });
    expect((await limiter.state('c')).tripped).toBe(false);
    expect((await limiter.state('a')).tripped).toBe(false);
    expect(otherRegion).toEqual({ allowed: true });
    expect(nextMinuteOtherRule).toEqual({ allowed: true });
    expect(cAgain).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }, { allowed: true }]);
  });

  it('counts actions created by approving, without ever refusing them', async () => {
    // Prepare
    const { limiter } = await freshLimiter();
    const capped = rule('approval-rule', 2);

    // Act
    await limiter.count(capped, scope, at(0));
    await limiter.count(capped, scope, at(1));
    await limiter.count(capped, scope, at(2));
    const take = await limiter.take(capped, { ...scope, region: 'eu-west-1' }, at(120));

    // Assess
    expect(take).toMatchObject({ allowed: false, reason: expect.stringContaining('cap of 2 actions') as unknown });
  });

  it('allows exactly the cap when many deliveries take at once, across two limiter instances', async () => {
    // Prepare
    const { limiter, tableName } = await freshLimiter();
    const secondClient = createHistoryClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: emulatorCredentials });
    const second = new DynamoRateLimiter({ client: secondClient, tableName });
    const capped = rule('burst', 4);

    // Act: 30 concurrent takes, each in its own account so only the rule's cap binds.
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, n) => (n % 2 === 0 ? limiter : second).take(capped, { accountId: String(100000000000 + n), region: 'us-east-1' }, at(0))),
    );
    // 12 concurrent takes by several rules in one account and region: only the minute's 5 pass.
    const shared = await Promise.all(Array.from({ length: 12 }, (_, n) => (n % 2 === 0 ? limiter : second).take(rule(`r${String(n)}`, 20), scope, at(0))));

    // Assess
    secondClient.destroy();
    expect(outcomes.filter((outcome) => outcome.allowed)).toHaveLength(4);
    expect((await limiter.state('burst')).tripped).toBe(true);
    expect(shared.filter((outcome) => outcome.allowed)).toHaveLength(5);
  });

  it('keeps a tripped breaker for a new limiter instance (nothing is held in memory)', async () => {
    // Prepare
    const { limiter, client, tableName } = await freshLimiter();
    await limiter.take(rule('x', 1), scope, at(0));
    await limiter.take(rule('x', 1), scope, at(60));

    // Act
    const restarted = new DynamoRateLimiter({ client, tableName });
    const take = await restarted.take(rule('x', 50), scope, at(7200));

    // Assess
    expect(take).toMatchObject({ allowed: false, reason: expect.stringContaining('rule x stopped') as unknown });
  });
});
