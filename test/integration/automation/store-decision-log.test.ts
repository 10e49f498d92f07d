import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DynamoDecisionLog } from '#shared/automation/store/index.ts';
import type { DecisionOutcome, DecisionPage, DecisionQuery, DecisionRecord } from '#shared/automation/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { createdRecord } from '#shared/history/record.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { emulatorCredentials, freshHistory } from '#test/support/history-store.ts';

const dynalite = useDynalite();
const now = new Date('2026-05-20T12:00:00Z');

function decision(n: number, fields: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    id: `d-${String(n).padStart(4, '0')}`,
    eventId: `event-${String(n)}`,
    receivedAt: new Date(Date.parse('2026-03-01T00:00:00Z') + n * 3600_000).toISOString(),
    source: 'guardduty',
    findingId: `finding-${String(n % 5)}`,
    findingType: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
    ruleId: `rule-${String(n % 3)}`,
    outcome: (['executed', 'deduplicated', 'exempt', 'planned'] as const)[n % 4] ?? 'executed',
    reason: `decision ${String(n)}`,
    actionIds: n % 4 === 0 ? [`action-${String(n)}`] : [],
    approvalId: null,
    playbookRunId: null,
    ...fields,
  };
}

async function freshLog(options: { maxExaminedPerPage?: number } = {}): Promise<{ log: DynamoDecisionLog; cursors: CursorCodec }> {
  const clock = new FixedClock(now);
  const { tableName, client, repository } = await freshHistory(dynalite.endpoint, clock);
  const cursors = new CursorCodec(randomBytes(32));
  // An action record in the same table: a decision listing must never return it.
  const alice = 'arn:aws:iam::123456789012:user/alice';
  const resources = [{ key: alice, kind: 'aws.iam.user' }];
  const fields = { id: 'act-1', type: 'iam-quarantine', category: 'containment', executor: 'cloud', inputs: { 'aws.resource.arn': alice }, resources, createdBy: 'alice', undoType: null } as const;
  await repository.create(createdRecord(fields, new Date('2026-03-02T00:00:00Z')));
  return { log: new DynamoDecisionLog({ client, tableName, clock, cursors, ...options }), cursors };
}

async function everyPage(log: DynamoDecisionLog, query: DecisionQuery): Promise<DecisionPage['items'][]> {
  const pages: DecisionPage['items'][] = [];
  let cursor: string | undefined;
  do {
    const page = await log.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
    expect(pages.length).toBeLessThan(500);
  } while (cursor !== undefined);
  return pages;
}

const all = Array.from({ length: 120 }, (_, n) => decision(n));
const newestFirst = (records: readonly DecisionRecord[]): string[] =>
  [...records].sort((a, b) => `${b.receivedAt}#${b.id}`.localeCompare(`${a.receivedAt}#${a.id}`)).map((record) => record.eventId);
const events = (pages: readonly DecisionPage['items'][]): string[] => pages.flat().map((item) => item.eventId);

describe('DynamoDecisionLog', () => {
  it('lists every decision newest first across months, 50 a page by default, without its internal id', async () => {
    // Prepare
    const { log } = await freshLog();
    await log.record(all);

    // Act
    const pages = await everyPage(log, {});

    // Assess
    expect(pages.map((page) => page.length)).toEqual([50, 50, 20]);
    expect(events(pages)).toEqual(newestFirst(all));
    const [first] = pages[0] ?? [];
    expect(first).toEqual({ ...decision(119), id: undefined });
    expect(first).not.toHaveProperty('id');
  });

  it.each<[string, DecisionQuery, (record: DecisionRecord) => boolean]>([
    ['findingId', { findingId: 'finding-2' }, (record) => record.findingId === 'finding-2'],
    ['ruleId', { ruleId: 'rule-1' }, (record) => record.ruleId === 'rule-1'],
    ['outcome', { outcome: 'exempt' }, (record) => record.outcome === 'exempt'],
    ['ruleId and outcome', { ruleId: 'rule-0', outcome: 'executed' }, (record) => record.ruleId === 'rule-0' && record.outcome === 'executed'],
    ['findingId, ruleId and outcome', { findingId: 'finding-0', ruleId: 'rule-0', outcome: 'executed' }, (record) => record.findingId === 'finding-0' && record.ruleId === 'rule-0' && record.outcome === 'executed'],
    [
      'from and to (inclusive)',
      { from: '2026-03-02T00:00:00Z', to: '2026-03-03T06:00:00+00:00' },
      (record) => record.receivedAt >= '2026-03-02T00:00:00.000Z' && record.receivedAt <= '2026-03-03T06:00:00.000Z',
    ],
  ])('filters by %s, returning only that filter’s decisions, in small pages', async (_name, query, keep) => {
    // Prepare
    const { log } = await freshLog();
    await log.record(all);

    // Act
    const pages = await everyPage(log, { ...query, limit: 7 });

    // Assess
    const expected = all.filter(keep);
    expect(expected.length).toBeGreaterThan(0);
    expect(events(pages)).toEqual(newestFirst(expected));
    expect(pages.every((page) => page.length <= 7)).toBe(true);
  });

  it('never lets a finding id, rule id or outcome reach another’s decisions through the key encoding', async () => {
    // Prepare: ids chosen to collide with another filter's partition if keys were naively joined.
    const { log } = await freshLog();
    await log.record([
      decision(1, { ruleId: 'a', findingId: 'x' }),
      decision(2, { ruleId: 'a#2026-03', findingId: 'rule#a' }),
      decision(3, { ruleId: 'outcome#executed', findingId: 'x#y' }),
    ]);

    // Act
    const byRule = await log.list({ ruleId: 'a' });
    const byFinding = await log.list({ findingId: 'x' });
    const byOddRule = await log.list({ ruleId: 'outcome#executed' });
    const byOutcome = await log.list({ outcome: 'deduplicated', ruleId: 'a' });

    // Assess
    expect(byRule.items.map((item) => item.eventId)).toEqual(['event-1']);
    expect(byFinding.items.map((item) => item.eventId)).toEqual(['event-1']);
    expect(byOddRule.items.map((item) => item.eventId)).toEqual(['event-3']);
    expect(byOutcome.items.map((item) => item.eventId)).toEqual(['event-1']);
  });

  it('comes back short with a cursor when filters discard many, and the cursor carries on', async () => {
    // Prepare
    const { log } = await freshLog({ maxExaminedPerPage: 10 });
    await log.record(all);

    // Act
    const pages = await everyPage(log, { outcome: 'exempt', ruleId: 'rule-2', limit: 200 });

    // Assess
    expect(events(pages)).toEqual(newestFirst(all.filter((record) => record.outcome === 'exempt' && record.ruleId === 'rule-2')));
    expect(pages.length).toBeGreaterThan(1);
  });

  it('refuses a cursor altered by hand, replayed with other filters, or signed with another key, naming cursor', async () => {
    // Prepare
    const { log } = await freshLog();
    await log.record(all);
    const { nextCursor } = await log.list({ ruleId: 'rule-1', limit: 5 });
    const other = new CursorCodec(randomBytes(32)).encode({ after: '2026-03-05T00:00:00.000Z#d-0100' }, 'whatever');
    if (nextCursor === null) throw new Error('expected a cursor');
    const tampered = `${nextCursor.slice(0, 10)}${nextCursor[10] === 'A' ? 'B' : 'A'}${nextCursor.slice(11)}`;

    // Act
    const attempts = [
      { ruleId: 'rule-1', cursor: tampered },
      { ruleId: 'rule-2', cursor: nextCursor },
      { ruleId: 'rule-1', cursor: other },
      { cursor: '' },
    ].map((query) => log.list(query).then(() => null, (error: unknown) => error));

    // Assess
    for (const error of await Promise.all(attempts)) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).errors.map((problem) => problem.path)).toEqual(['cursor']);
    }
  });

  it.each<[string, DecisionQuery]>([
    ['outcome', { outcome: 'acted' as DecisionOutcome }],
    ['from', { from: 'yesterday' }],
    ['to', { to: '2026-02-30T00:00:00Z' }],
    ['from', { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }],
    ['limit', { limit: 0 }],
    ['limit', { limit: 201 }],
    ['limit', { limit: 1.5 }],
    ['findingId', { findingId: '' }],
    ['ruleId', { ruleId: 'r'.repeat(1025) }],
  ])('refuses a bad %s with InvalidInputError naming it', async (field, query) => {
    // Prepare
    const { log } = await freshLog();

    // Act
    const error: unknown = await log.list(query).then(() => null, (thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).errors.map((problem) => problem.path)).toEqual([field]);
  });

  it('takes up to 200 a page and records more than one batch write at once', async () => {
    // Prepare
    const { log } = await freshLog();

    // Act
    await log.record(all);
    const page = await log.list({ limit: 200 });

    // Assess
    expect(page.items).toHaveLength(120);
    expect(page.nextCursor).toBeNull();
  });

  it('lists nothing, and walks no month, before anything was recorded', async () => {
    // Prepare
    const { log } = await freshLog();

    // Act
    const page = await log.list({ from: '0001-01-01T00:00:00Z', to: '9999-12-31T00:00:00Z' });

    // Assess
    expect(page).toEqual({ items: [], nextCursor: null });
  });

  it('writes again exactly the decisions DynamoDB left unprocessed', async () => {
    // Prepare: neither emulator ever leaves a batch partly unprocessed, so the client is aws-sdk-client-mock's, answering as DynamoDB does under load.
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: emulatorCredentials }));
    const mocked = mockClient(client);
    const [first, second] = [decision(1), decision(2)];
    mocked.on(UpdateCommand).resolves({});
    mocked
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { table: [{ PutRequest: { Item: { pk: `DECISION#${second.id}` } } }] } })
      .resolves({});
    const log = new DynamoDecisionLog({ client, tableName: 'table', cursors: new CursorCodec(randomBytes(32)) });

    // Act
    await log.record([first, second]);

    // Assess
    const writes = mocked
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.['table']?.map((request): unknown => request.PutRequest?.Item?.['pk']));
    expect(writes).toEqual([[`DECISION#${first.id}`, `DECISION#${second.id}`], [`DECISION#${second.id}`]]);
    client.destroy();
  });
});
