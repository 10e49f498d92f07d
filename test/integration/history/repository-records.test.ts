import { describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import { IdempotencyConflictError, StatusConflictError, UndoConflictError } from '#shared/errors.ts';
import { everyPage, useHistoryBackends } from '#test/support/history-backends.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { recordFixture } from '#test/support/records.ts';

// Writing: create, status rules, progress, idempotency; and the races that need atomic conditional writes.
const { dynalite, backends } = useHistoryBackends();

/** A fresh history holding one record, moved to Running. */
async function runningRecord(endpoint: string) {
  const clock = new FixedClock('2026-11-20T10:00:00.000Z');
  const { repository } = await freshHistory(endpoint, clock);
  const record = recordFixture({ at: clock.now() });
  await repository.create(record);
  await repository.transition(record.id, 'Enqueued');
  await repository.transition(record.id, 'Running');
  return { repository, record };
}

describe.each(backends)('history repository on $name', ({ endpoint }) => {
  it('stores a record and reads it back exactly as created', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const record = recordFixture({ at: clock.now() });

    // Act
    const outcome = await repository.create(record);
    const read = await repository.get(record.id);

    // Assess
    expect(outcome.created).toBe(true);
    expect(read).toEqual(record);
    expect(read?.undo).toEqual({ available: false, type: 'iam-unquarantine', actionId: null });
    expect(await repository.get('no-such-action')).toBeNull();
  });

  it('moves a record only along the status rules and appends every change to its history', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const record = recordFixture({ at: clock.now() });
    await repository.create(record);

    // Act + Assess: no skipping ahead
    await expect(repository.transition(record.id, 'Running')).rejects.toBeInstanceOf(StatusConflictError);
    await expect(repository.transition(record.id, 'Completed')).rejects.toBeInstanceOf(StatusConflictError);
    clock.advance(1000);
    await repository.transition(record.id, 'Enqueued', { detail: 'execution started' });
    await expect(repository.transition(record.id, 'Enqueued')).rejects.toBeInstanceOf(StatusConflictError);
    clock.advance(1000);
    await repository.transition(record.id, 'Running', { prior: { policies: ['a'] } });
    clock.advance(1000);
    const completed = await repository.transition(record.id, 'Completed', {
      applied: { attached: ['arn:aws:iam::aws:policy/AWSDenyAll'] },
      result: { ok: true },
    });

    // A terminal status never changes.
    await expect(repository.transition(record.id, 'Error')).rejects.toMatchObject({
      name: 'StatusConflictError',
      currentStatus: 'Completed',
    });
    await expect(repository.transition(record.id, 'Running')).rejects.toBeInstanceOf(StatusConflictError);
    expect(completed.status).toBe('Completed');
    expect(completed.statusHistory).toEqual([
      { status: 'Created', at: '2026-11-20T10:00:00.000Z' },
      { status: 'Enqueued', at: '2026-11-20T10:00:01.000Z', detail: 'execution started' },
      { status: 'Running', at: '2026-11-20T10:00:02.000Z' },
      { status: 'Completed', at: '2026-11-20T10:00:03.000Z' },
    ]);
    expect(completed.updatedAt).toBe('2026-11-20T10:00:03.000Z');
    expect(completed.prior).toEqual({ policies: ['a'] });
    expect(completed.applied).toEqual({ attached: ['arn:aws:iam::aws:policy/AWSDenyAll'] });
    expect(completed.result).toEqual({ ok: true });
    expect(completed.undo.available).toBe(true);
    expect(await repository.get(record.id)).toEqual(completed);
  });

  it('lets Error follow any non-terminal status, with its code and message', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const fromCreated = recordFixture({ at: clock.now() });
    const fromEnqueued = recordFixture({ at: clock.now() });
    await repository.create(fromCreated);
    await repository.create(fromEnqueued);
    await repository.transition(fromEnqueued.id, 'Enqueued');

    // Act
    const failed = await repository.transition(fromCreated.id, 'Error', {
      error: { code: 'TargetAccountNotAllowed', message: 'account 999 is not a target account' },
    });
    const timedOut = await repository.transition(fromEnqueued.id, 'Error', {
      error: { code: 'PickupTimeout', message: 'no responder picked the work up within 120 s' },
    });

    // Assess
    expect(failed.error).toEqual({ code: 'TargetAccountNotAllowed', message: 'account 999 is not a target account' });
    expect(failed.statusHistory.map((change) => change.status)).toEqual(['Created', 'Error']);
    expect(timedOut.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Error']);
    expect(failed.undo.available).toBe(false);
  });

  it('keeps the first captured prior state and records progress only while the action runs', async () => {
    // Prepare
    const { repository, record } = await runningRecord(endpoint());

    // Act
    await repository.recordProgress(record.id, { prior: { first: true }, applied: { changes: ['one'] } });
    await repository.recordProgress(record.id, { prior: { first: false }, applied: { changes: ['one', 'two'] } });
    const failed = await repository.transition(record.id, 'Error', {
      error: { code: 'Partial', message: 'the second change failed' },
    });

    // Assess
    expect(failed.prior).toEqual({ first: true });
    expect(failed.applied).toEqual({ changes: ['one', 'two'] });
    expect(failed.undo.available).toBe(true); // in Error, but it changed something
    await expect(repository.recordProgress(record.id, { result: { late: true } })).rejects.toBeInstanceOf(
      StatusConflictError,
    );
  });
  it('returns the same action for the same idempotency key and body, and refuses another body', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const claim = { caller: 'analyst-1', key: 'incident-42-quarantine', requestHash: 'hash-a' };

    // Act
    const first = await repository.create(recordFixture({ at: clock.now() }), claim);
    const again = await repository.create(recordFixture({ at: clock.now() }), claim);
    const otherCaller = await repository.create(recordFixture({ at: clock.now() }), { ...claim, caller: 'analyst-2' });
    const conflict = repository.create(recordFixture({ at: clock.now() }), { ...claim, requestHash: 'hash-b' });

    // Assess
    expect(first.created).toBe(true);
    expect(again).toEqual({ record: first.record, created: false });
    expect(otherCaller.created).toBe(true);
    expect(otherCaller.record.id).not.toBe(first.record.id);
    await expect(conflict).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect((await everyPage(repository, { limit: 50 })).flat()).toHaveLength(2);
  });

  it('forgets an idempotency key after 24 hours', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const claim = { caller: 'analyst-1', key: 'daily', requestHash: 'hash-a' };
    const first = await repository.create(recordFixture({ at: clock.now() }), claim);

    // Act
    clock.advance(23 * 3600_000);
    const within = await repository.create(recordFixture({ at: clock.now() }), claim);
    clock.advance(3600_000 + 1000);
    const after = await repository.create(recordFixture({ at: clock.now() }), { ...claim, requestHash: 'hash-b' });

    // Assess
    expect(within.record.id).toBe(first.record.id);
    expect(after.created).toBe(true);
    expect(after.record.id).not.toBe(first.record.id);
  });
});

// Races need a store whose conditional writes are atomic, as DynamoDB's are. dynalite serializes
// writes per item; moto_server evaluates a condition and writes without a lock, so two racing
// conditional updates can both succeed there (seen in CI), which would test moto, not this code.
describe('history repository races on dynalite (atomic conditional writes, as DynamoDB)', () => {
  const endpoint = (): string => dynalite.endpoint;

  it('lets exactly one of many concurrent writers win a status change', async () => {
    // Prepare
    const { repository, record } = await runningRecord(endpoint());

    // Act: completion and failure race each other
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, index) =>
        index % 2 === 0
          ? repository.transition(record.id, 'Completed', { result: { writer: index } })
          : repository.transition(record.id, 'Error', { error: { code: 'Race', message: `writer ${index}` } }),
      ),
    );

    // Assess
    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(winners).toHaveLength(1);
    for (const loser of losers) expect(loser.reason).toBeInstanceOf(StatusConflictError);
    const final = await repository.get(record.id);
    expect(final?.statusHistory.map((change) => change.status)).toEqual(['Created', 'Enqueued', 'Running', final?.status]);
    expect(winners[0]?.status === 'fulfilled' && winners[0].value.status).toBe(final?.status);
  });

  it('creates exactly one action when requests with one idempotency key race', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const claim = { caller: 'soar', key: 'race', requestHash: 'same-body' };

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, () => repository.create(recordFixture({ at: clock.now() }), claim)),
    );

    // Assess
    expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
    expect(new Set(outcomes.map((outcome) => outcome.record.id)).size).toBe(1);
    expect((await everyPage(repository, { limit: 50 })).flat()).toHaveLength(1);
  });

  it('links one undo at a time, and a failed undo may be retried', async () => {
    // Prepare
    const clock = new FixedClock('2026-11-20T10:00:00.000Z');
    const { repository } = await freshHistory(endpoint(), clock);
    const record = recordFixture({ at: clock.now() });
    const notUndoable = recordFixture({ at: clock.now(), undoType: null });
    await repository.create(record);
    await repository.create(notUndoable);

    // Act + Assess: not yet Completed
    await expect(repository.claimUndo(record.id, 'undo-1')).rejects.toBeInstanceOf(UndoConflictError);
    for (const id of [record.id, notUndoable.id]) {
      await repository.transition(id, 'Enqueued');
      await repository.transition(id, 'Running');
      await repository.transition(id, 'Completed', { applied: { changes: [{ action: 'AttachPolicy' }] } });
    }
    await expect(repository.claimUndo(notUndoable.id, 'undo-x')).rejects.toThrow(/cannot be undone/);

    const claims = await Promise.allSettled([
      repository.claimUndo(record.id, 'undo-1'),
      repository.claimUndo(record.id, 'undo-2'),
      repository.claimUndo(record.id, 'undo-3'),
    ]);
    expect(claims.filter((claim) => claim.status === 'fulfilled')).toHaveLength(1);
    const linked = await repository.get(record.id);
    expect(linked?.undo.available).toBe(false);
    const holder = linked?.undo.actionId ?? '';
    expect(['undo-1', 'undo-2', 'undo-3']).toContain(holder);

    expect(await repository.releaseUndo(record.id, 'someone-else')).toBe(false);
    expect(await repository.releaseUndo(record.id, holder)).toBe(true);
    expect((await repository.get(record.id))?.undo).toEqual({ available: true, type: 'iam-unquarantine', actionId: null });
    await repository.claimUndo(record.id, 'undo-4');
    expect((await repository.get(record.id))?.undo.actionId).toBe('undo-4');
  });
});
