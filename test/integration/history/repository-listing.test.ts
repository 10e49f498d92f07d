import { describe, expect, it } from 'vitest';
import type { Category } from '#shared/catalogue/types.ts';
import { FixedClock } from '#shared/clock.ts';
import { InvalidCursorError } from '#shared/errors.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { both, everyPage, ids, newestFirst, useHistoryBackends } from '#test/support/history-backends.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { recordFixture } from '#test/support/records.ts';

// Reading: listings by resource and fleet-wide, filters through indexes, paging and cursors.
const { backends } = useHistoryBackends();

describe.each(backends)('history repository on $name', ({ endpoint }) => {
  it('lists one resource newest first, a record with several resources under each of them', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const pvcA = 'k8s/prod/payments/persistentvolumeclaim/data-a';
    const pvcB = 'k8s/prod/payments/persistentvolumeclaim/data-b';
    const snapshotBoth = recordFixture({
      at: '2026-11-20T09:00:00.000Z',
      type: 'kubernetes-volume-snapshot',
      category: 'data-gathering',
      resources: [pvcA, pvcB],
    });
    const snapshotA = recordFixture({
      at: '2026-11-20T09:30:00.000Z',
      type: 'kubernetes-volume-snapshot',
      category: 'data-gathering',
      resources: [pvcA],
    });
    const unrelated = recordFixture({ at: '2026-11-20T09:45:00.000Z' });
    for (const record of [snapshotBoth, snapshotA, unrelated]) await repository.create(record);

    // Act
    const historyA = await repository.list({ resource: pvcA, limit: 50 }, both);
    const historyB = await repository.list({ resource: pvcB, limit: 50 }, both);

    // Assess
    expect(ids(historyA.items)).toEqual([snapshotA.id, snapshotBoth.id]);
    expect(ids(historyB.items)).toEqual([snapshotBoth.id]);
    expect(historyB.items[0]?.resources.map((resource) => resource.key)).toEqual([pvcA, pvcB]);
    expect(historyA.nextCursor).toBeNull();
    // A reader without data-gathering sees none of it.
    expect((await repository.list({ resource: pvcA, limit: 50 }, ['containment'])).items).toEqual([]);
  });

  it('pages fleet-wide history across month buckets, every record exactly once, newest first', async () => {
    // Prepare: 75 records spread over three months and both categories
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const created: ActionRecord[] = [];
    for (let index = 0; index < 75; index += 1) {
      const month = ['2026-09', '2026-10', '2026-11'][index % 3] ?? '2026-11';
      const at = `${month}-${String(1 + (index % 19)).padStart(2, '0')}T0${index % 10}:00:00.000Z`;
      const category: Category = index % 4 === 0 ? 'data-gathering' : 'containment';
      const record = recordFixture({
        at,
        category,
        type: category === 'data-gathering' ? 'cloud-volume-snapshot' : 'iam-quarantine',
      });
      created.push(record);
    }
    await Promise.all(created.map((record) => repository.create(record)));

    // Act
    const pages = await everyPage(repository, { limit: 7 });

    // Assess
    const seen = pages.flat();
    expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);
    expect(seen).toHaveLength(75);
    expect(ids(seen)).toEqual(newestFirst(created));
  });

  it('walks only the months between the oldest bucket and now for an unbounded from and to', async () => {
    // Prepare: records in two months; a caller asks from year 1 to year 9999 (which used to walk ~120,000 months).
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository, client } = await freshHistory(endpoint(), clock);
    const october = recordFixture({ at: '2026-10-05T10:00:00.000Z' });
    const november = recordFixture({ at: '2026-11-02T10:00:00.000Z', category: 'data-gathering', type: 'cloud-volume-snapshot' });
    await repository.create(october);
    await repository.create(november);
    const queried: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'QueryCommand') queried.push(JSON.stringify(args.input));
        return next(args);
      },
      { step: 'build', name: 'countQueries' },
    );

    // Act
    const page = await repository.list({ limit: 10, from: '0001-01-01T00:00:00Z', to: '9999-12-31T23:59:59Z' }, both);
    const before = queried.length;
    const byType = await repository.list({ limit: 10, type: 'iam-quarantine', from: '0001-01-01T00:00:00Z' }, both);

    // Assess: two months (2026-10 and 2026-11) per category, for each listing.
    expect(ids(page.items)).toEqual([november.id, october.id]);
    expect(page.nextCursor).toBeNull();
    expect(before).toBe(4);
    expect(ids(byType.items)).toEqual([october.id]);
    expect(queried.length - before).toBe(4);
  });

  it('gives a reader of one category full pages of that category only', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const records = Array.from({ length: 40 }, (_, index) =>
      recordFixture({
        at: new Date(Date.parse('2026-11-10T00:00:00.000Z') + index * 60_000),
        category: index % 2 === 0 ? 'data-gathering' : 'containment',
        type: index % 2 === 0 ? 'get-logs' : 'kill-process',
      }),
    );
    for (const record of records) await repository.create(record);

    // Act
    const pages = await everyPage(repository, { limit: 5 }, ['data-gathering']);

    // Assess
    const seen = pages.flat();
    expect(pages.filter((page) => page.length > 0).map((page) => page.length)).toEqual([5, 5, 5, 5]);
    expect(seen.every((record) => record.category === 'data-gathering')).toBe(true);
    expect(ids(seen)).toEqual(newestFirst(records.filter((record) => record.category === 'data-gathering')));
  });

  it('filters by type, status, creator and time range through indexes, alone and combined', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const records = Array.from({ length: 24 }, (_, index) =>
      recordFixture({
        at: new Date(Date.parse('2026-10-25T00:00:00.000Z') + index * 24 * 3600_000),
        type: index % 3 === 0 ? 'make-cloud-resource-private' : 'iam-quarantine',
        createdBy: index % 4 === 0 ? 'rule:guardduty' : 'analyst-1',
        resources: [index % 2 === 0 ? 'arn:aws:iam::111122223333:user/alice' : 'arn:aws:iam::111122223333:role/app'],
      }),
    );
    for (const record of records) await repository.create(record);
    const completedIds = new Set<string>();
    for (const record of records.filter((_, index) => index % 5 === 0)) {
      await repository.transition(record.id, 'Enqueued');
      await repository.transition(record.id, 'Running');
      await repository.transition(record.id, 'Completed');
      completedIds.add(record.id);
    }
    const expectIds = (predicate: (record: ActionRecord, index: number) => boolean): string[] =>
      newestFirst(records.filter(predicate));

    // Act + Assess
    const byType = (await everyPage(repository, { type: 'make-cloud-resource-private', limit: 3 })).flat();
    expect(ids(byType)).toEqual(expectIds((record) => record.type === 'make-cloud-resource-private'));

    const byStatus = (await everyPage(repository, { status: 'Completed', limit: 2 })).flat();
    expect(ids(byStatus)).toEqual(expectIds((record) => completedIds.has(record.id)));
    expect(byStatus.every((record) => record.status === 'Completed')).toBe(true);

    const stillCreated = (await everyPage(repository, { status: 'Created', limit: 50 })).flat();
    expect(stillCreated).toHaveLength(24 - completedIds.size);

    const byCreator = (await everyPage(repository, { createdBy: 'rule:guardduty', limit: 4 })).flat();
    expect(ids(byCreator)).toEqual(expectIds((record) => record.createdBy === 'rule:guardduty'));

    const from = '2026-11-01T00:00:00Z';
    const to = '2026-11-05T00:00:00Z';
    const inWindow = (await everyPage(repository, { from, to, limit: 2 })).flat();
    expect(ids(inWindow)).toEqual(
      expectIds((record) => record.createdAt >= '2026-11-01T00:00:00.000Z' && record.createdAt <= '2026-11-05T00:00:00.000Z'),
    );
    expect(inWindow).toHaveLength(5);

    const combined = (
      await everyPage(repository, {
        resource: 'arn:aws:iam::111122223333:user/alice',
        type: 'iam-quarantine',
        status: 'Completed',
        limit: 1,
      })
    ).flat();
    expect(ids(combined)).toEqual(
      expectIds(
        (record) =>
          record.resource.key === 'arn:aws:iam::111122223333:user/alice' &&
          record.type === 'iam-quarantine' &&
          completedIds.has(record.id),
      ),
    );
    expect(combined.length).toBeGreaterThan(0);
  });

  it('returns a short page with a cursor when filters discard more than it may examine', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock, { maxExaminedPerPage: 5 });
    const records = Array.from({ length: 12 }, (_, index) =>
      recordFixture({ at: new Date(Date.parse('2026-11-01T00:00:00.000Z') + index * 1000) }),
    );
    for (const record of records) await repository.create(record);
    const rare = records[0];
    if (rare === undefined) throw new Error('no records');
    await repository.transition(rare.id, 'Enqueued');

    // Act: resource query with a status filter examines records one by one
    const query = { resource: 'arn:aws:iam::111122223333:user/alice', status: 'Enqueued', limit: 10 } as const;
    const first = await repository.list(query, both);
    const pages = await everyPage(repository, query);

    // Assess
    expect(first.items).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    expect(ids(pages.flat())).toEqual([rare.id]);
  });

  it('refuses cursors that were altered or belong to another query', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    for (let index = 0; index < 3; index += 1) await repository.create(recordFixture({ at: clock.now() }));
    const page = await repository.list({ limit: 1 }, both);
    const cursor = page.nextCursor ?? '';
    const [payload = '', signature = ''] = cursor.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), a: '9999' }),
    ).toString('base64url');

    // Act + Assess
    expect(cursor).not.toBe('');
    await expect(repository.list({ limit: 1, cursor: `${forgedPayload}.${signature}` }, both)).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(repository.list({ limit: 1, cursor: 'garbage' }, both)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(repository.list({ limit: 1, cursor, type: 'iam-quarantine' }, both)).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(repository.list({ limit: 1, cursor }, ['containment'])).rejects.toBeInstanceOf(InvalidCursorError);
    expect((await repository.list({ limit: 1, cursor }, both)).items).toHaveLength(1);
  });
});
