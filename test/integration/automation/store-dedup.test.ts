import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDb } from '#local/embedded-dynamodb.ts';
import { createHistoryClient, ensureHistoryTable } from '#shared/adapters/dynamodb.ts';
import { DynamoDedupStore } from '#shared/automation/store/index.ts';
import { FixedClock } from '#shared/clock.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';

const dynalite = useDynalite();
const start = new Date('2026-03-01T12:00:00Z');
const key = { ruleId: 'guardduty-iam-quarantine', findingId: 'a2c4e6f8b0d2f4a6c8e0b2d4f6a8c0e2' };
const owner = (n: number): { eventId: string; decisionId: string } => ({ eventId: `event-${n}`, decisionId: `decision-${n}` });

async function freshStore(): Promise<{ store: DynamoDedupStore; tableName: string; client: ReturnType<typeof createHistoryClient> }> {
  const { tableName, client } = await freshHistory(dynalite.endpoint, new FixedClock(start));
  return { store: new DynamoDedupStore({ client, tableName }), tableName, client };
}

describe('DynamoDedupStore', () => {
  it('lets one claim win per (rule, finding) within the window and names what the first produced', async () => {
    // Prepare
    const { store } = await freshStore();

    // Act
    const first = await store.claim(key, owner(1), start, 3600);
    await store.complete(key, { decisionId: 'decision-1' }, { actionIds: ['action-1'], approvalId: null });
    const again = await store.claim(key, owner(2), new Date(start.getTime() + 3599_000), 3600);
    const otherRule = await store.claim({ ...key, ruleId: 'other-rule' }, owner(3), start, 3600);
    const otherFinding = await store.claim({ ...key, findingId: 'another-finding' }, owner(4), start, 3600);

    // Assess
    expect(first).toEqual({ claimed: true });
    expect(again).toEqual({ claimed: false, heldBy: { eventId: 'event-1', actionIds: ['action-1'], approvalId: null, playbookRunId: null } });
    expect(otherRule).toEqual({ claimed: true });
    expect(otherFinding).toEqual({ claimed: true });
  });

  it('never confuses a rule and finding pair with another whose ids split differently', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.claim({ ruleId: 'a#b', findingId: 'c' }, owner(1), start, 3600);

    // Act
    const shifted = await store.claim({ ruleId: 'a', findingId: 'b#c' }, owner(2), start, 3600);

    // Assess
    expect(shifted).toEqual({ claimed: true });
  });

  it('lets a new claim in once the window has ended', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.claim(key, owner(1), start, 60);

    // Act
    const atEnd = await store.claim(key, owner(2), new Date(start.getTime() + 60_000), 60);
    const afterSecond = await store.claim(key, owner(3), new Date(start.getTime() + 61_000), 60);

    // Assess
    expect(atEnd).toEqual({ claimed: true });
    expect(afterSecond).toEqual({ claimed: false, heldBy: { eventId: 'event-2', actionIds: [], approvalId: null, playbookRunId: null } });
  });

  it('gives exactly one of 40 concurrent claims the win, across two store instances', async () => {
    // Prepare: two instances with their own clients over one table, as two warm functions would be.
    const { store, tableName } = await freshStore();
    const secondClient = createHistoryClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: emulatorCredentials });
    const second = new DynamoDedupStore({ client: secondClient, tableName });

    // Act
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 === 0 ? store : second).claim(key, owner(n), start, 3600)));

    // Assess
    secondClient.destroy();
    expect(outcomes.filter((outcome) => outcome.claimed)).toHaveLength(1);
    const winner = outcomes.findIndex((outcome) => outcome.claimed);
    for (const outcome of outcomes) {
      if (!outcome.claimed) expect(outcome.heldBy.eventId).toBe(`event-${String(winner)}`);
    }
  });

  it('releases and completes only for the decision that holds the claim', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.claim(key, owner(1), start, 3600);

    // Act
    await store.release(key, { decisionId: 'decision-2' });
    await store.complete(key, { decisionId: 'decision-2' }, { actionIds: ['stolen'], approvalId: 'approval-x' });
    const stillHeld = await store.claim(key, owner(3), start, 3600);
    await store.release(key, { decisionId: 'decision-1' });
    const afterRelease = await store.claim(key, owner(4), start, 3600);

    // Assess
    expect(stillHeld).toEqual({ claimed: false, heldBy: { eventId: 'event-1', actionIds: [], approvalId: null, playbookRunId: null } });
    expect(afterRelease).toEqual({ claimed: true });
  });

  it('names the playbook run a claim started to a later duplicate', async () => {
    // Prepare
    const { store } = await freshStore();
    await store.claim(key, owner(1), start, 3600);
    await store.complete(key, { decisionId: 'decision-1' }, { actionIds: [], approvalId: null, playbookRunId: 'run-1' });

    // Act
    const duplicate = await store.claim(key, owner(2), start, 3600);

    // Assess
    expect(duplicate).toEqual({ claimed: false, heldBy: { eventId: 'event-1', actionIds: [], approvalId: null, playbookRunId: 'run-1' } });
  });

  it('stamps the claim with a TTL a day past its window, for DynamoDB to clean up in AWS', async () => {
    // Prepare
    const { store, client, tableName } = await freshStore();

    // Act
    await store.claim(key, owner(1), start, 3600);

    // Assess
    const pk = `DEDUP#${createHash('sha256').update(JSON.stringify([key.ruleId, key.findingId])).digest('hex')}`;
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk: 'DEDUP' }, ConsistentRead: true }));
    expect(Item).toMatchObject({ ruleId: key.ruleId, findingId: key.findingId, decisionId: 'decision-1', ttl: start.getTime() / 1000 + 3600 + 86_400 });
  });

  it('holds a claim across a restart of the store on the same data directory', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'dedup-restart-'));
    const tableName = `history-${randomUUID()}`;
    const store = { region: 'us-east-1', credentials: emulatorCredentials };
    try {
      const before = await startEmbeddedDynamoDb({ path: directory });
      await ensureHistoryTable({ ...store, endpoint: before.endpoint }, tableName);
      const firstClient = createHistoryClient({ ...store, endpoint: before.endpoint });
      await new DynamoDedupStore({ client: firstClient, tableName }).claim(key, owner(1), start, 3600);
      await new DynamoDedupStore({ client: firstClient, tableName }).complete(key, { decisionId: 'decision-1' }, { actionIds: ['action-1'], approvalId: null });
      firstClient.destroy();
      await before.close();

      // Act
      const after = await startEmbeddedDynamoDb({ path: directory });
      const secondClient = createHistoryClient({ ...store, endpoint: after.endpoint });
      const again = await new DynamoDedupStore({ client: secondClient, tableName }).claim(key, owner(2), new Date(start.getTime() + 1_800_000), 3600);
      secondClient.destroy();
      await after.close();

      // Assess
      expect(again).toEqual({ claimed: false, heldBy: { eventId: 'event-1', actionIds: ['action-1'], approvalId: null, playbookRunId: null } });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
