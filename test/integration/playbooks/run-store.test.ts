import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { FixedClock } from '#shared/clock.ts';
import { CursorCodec } from '#shared/history/cursor.ts';
import { InvalidCursorError } from '#shared/errors.ts';
import type { HistoryRepository } from '#shared/history/repository.ts';
import { RunStore } from '#shared/playbooks/run-store.ts';
import type { StoredRun } from '#shared/playbooks/types.ts';
import { useDynalite } from '#test/support/dynalite.ts';
import { freshHistory } from '#test/support/history-store.ts';
import { recordFixture } from '#test/support/records.ts';
import { playbook, step, storedRunFixture, textInput } from './run-fixtures.ts';

// The run store on dynalite: conditional writes (one winner of every race), listings and cursors.
const dynalite = useDynalite();
const at = '2026-11-20T10:00:00.000Z';
const both = ['containment', 'data-gathering'] as const;

let store: RunStore;
let repository: HistoryRepository;
let makeStore: (maxExaminedPerPage?: number) => RunStore;

beforeEach(async () => {
  const history = await freshHistory(dynalite.endpoint, new FixedClock(at));
  repository = history.repository;
  const cursors = new CursorCodec(randomBytes(32));
  makeStore = (maxExaminedPerPage) =>
    new RunStore({ client: history.client, tableName: history.tableName, cursors, ...(maxExaminedPerPage === undefined ? {} : { maxExaminedPerPage }) });
  store = makeStore();
});

async function created(fields: Parameters<typeof storedRunFixture>[0] = { at }): Promise<StoredRun> {
  const stored = storedRunFixture(fields);
  await store.create(stored);
  return stored;
}

async function running(): Promise<StoredRun> {
  const stored = await created();
  const moved = await store.moveStatus(stored.run, 'Created', 'Running', { at });
  if (moved === null) throw new Error('the run did not start');
  return moved;
}

describe('creating and reading', () => {
  it('stores a run and reads it back exactly, with its frozen plan and categories', async () => {
    // Prepare
    const stored = storedRunFixture({ at });

    // Act
    await store.create(stored);

    // Assess
    expect(await store.get(stored.run.id)).toEqual(stored);
    expect(await store.get('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('refuses a second run with the same id and leaves the first as it was', async () => {
    // Prepare
    const stored = await created();

    // Act
    const second = store.create({ ...stored, run: { ...stored.run, createdBy: 'mallory' } });

    // Assess
    await expect(second).rejects.toThrow(/conditional/i);
    expect((await store.get(stored.run.id))?.run.createdBy).toBe('alice');
  });

  it('never shows a run in an action listing', async () => {
    // Prepare
    await created();

    // Act
    const actions = await repository.list({ limit: 100 }, [...both]);

    // Assess
    expect(actions.items).toEqual([]);
  });
});

describe('conditional writes', () => {
  it('lets exactly one of two writers start a run; the stale one gets null', async () => {
    // Prepare
    const stored = await created();

    // Act
    const results = await Promise.all([
      store.moveStatus(stored.run, 'Created', 'Running', { at }),
      store.moveStatus(stored.run, 'Created', 'Running', { at }),
    ]);
    const stale = await store.moveStatus(stored.run, 'Created', 'Error', { at, error: { code: 'X', message: 'late' } });

    // Assess
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    expect(stale).toBeNull();
    expect((await store.get(stored.run.id))?.run).toMatchObject({ status: 'Running', error: null });
  });

  it('ends a run and skips its remaining steps in one write', async () => {
    // Prepare
    const stored = await running();

    // Act
    const ended = await store.moveStatus(stored.run, 'Running', 'Error', {
      at: '2026-11-20T10:05:00.000Z',
      error: { code: 'StepFailed', message: 'step acquire (acquire-file) failed: HostUnreachable' },
      steps: [
        { index: 0, stepId: 'acquire', status: 'Error' },
        { index: 1, stepId: 'quarantine', status: 'Skipped', skipReason: 'the run stopped at step acquire' },
      ],
    });

    // Assess
    expect(ended?.run).toMatchObject({
      status: 'Error',
      updatedAt: '2026-11-20T10:05:00.000Z',
      error: { code: 'StepFailed' },
      steps: [
        { id: 'acquire', status: 'Error', skipReason: null },
        { id: 'quarantine', status: 'Skipped', skipReason: 'the run stopped at step acquire' },
      ],
    });
    expect((await store.listInFlight(new Date(at))).map((run) => run.run.id)).toEqual([]);
  });

  it('refuses a step change addressed to a position that holds another step, writing nothing', async () => {
    // Prepare
    const stored = await running();

    // Act
    const wrong = await store.updateSteps(stored.run.id, 'Running', [{ index: 0, stepId: 'quarantine', status: 'Skipped', skipReason: 'x' }], at);

    // Assess
    expect(wrong).toBeNull();
    expect((await store.get(stored.run.id))?.run.steps[0]).toMatchObject({ id: 'acquire', status: 'Pending', skipReason: null });
  });

  it('claims a step action id once: of two concurrent claims exactly one wins, and the id never changes after', async () => {
    // Prepare
    const stored = await running();

    // Act
    const [first, second] = await Promise.all([
      store.claimStepAction(stored.run.id, 0, 'acquire', '11111111-1111-4111-8111-111111111111', at),
      store.claimStepAction(stored.run.id, 0, 'acquire', '22222222-2222-4222-8222-222222222222', at),
    ]);
    const late = await store.claimStepAction(stored.run.id, 0, 'acquire', '33333333-3333-4333-8333-333333333333', at);

    // Assess
    expect([first, second].filter((result) => result !== null)).toHaveLength(1);
    expect(late).toBeNull();
    const claimed = (await store.get(stored.run.id))?.run.steps[0]?.actionId;
    expect([first?.run.steps[0]?.actionId, second?.run.steps[0]?.actionId]).toContain(claimed);
  });

  it('claims nothing on a run that is not Running', async () => {
    // Prepare
    const stored = await created();

    // Act
    const claim = await store.claimStepAction(stored.run.id, 0, 'acquire', '11111111-1111-4111-8111-111111111111', at);

    // Assess
    expect(claim).toBeNull();
    expect((await store.get(stored.run.id))?.run.steps[0]?.actionId).toBeNull();
  });

  it('takes a step id full of expression syntax as a value, never as expression text', async () => {
    // Prepare: a custom playbook's step id is checked by the loader; the store must not rely on it.
    const hostile = "a = a OR attribute_exists(pk)) #status :v0 ['x']";
    const definition = playbook('odd', [textInput('host.id'), textInput('path.absolute')], [
      step(hostile, 'acquire-file', { 'host.id': { input: 'host.id' }, 'path.absolute': { input: 'path.absolute' } }),
    ]);
    const stored = storedRunFixture({ at, definition });
    await store.create(stored);
    await store.moveStatus(stored.run, 'Created', 'Running', { at });

    // Act
    const wrongId = await store.claimStepAction(stored.run.id, 0, 'b', '11111111-1111-4111-8111-111111111111', at);
    const rightId = await store.claimStepAction(stored.run.id, 0, hostile, '22222222-2222-4222-8222-222222222222', at);

    // Assess
    expect(wrongId).toBeNull();
    expect(rightId?.run.steps[0]).toMatchObject({ id: hostile, actionId: '22222222-2222-4222-8222-222222222222' });
  });

  it('links an undo run once, only to a finished run, and releases only its own link', async () => {
    // Prepare
    const stored = await running();
    const beforeFinished = await store.setUndoRun(stored.run.id, 'undo-0', at);
    await store.moveStatus(stored.run, 'Running', 'Completed', { at });

    // Act
    const results = await Promise.all([store.setUndoRun(stored.run.id, 'undo-1', at), store.setUndoRun(stored.run.id, 'undo-2', at)]);
    const winner = (await store.get(stored.run.id))?.run.undo.runId;
    await store.releaseUndoRun(stored.run.id, winner === 'undo-1' ? 'undo-2' : 'undo-1');
    const afterWrongRelease = (await store.get(stored.run.id))?.run.undo.runId;
    await store.releaseUndoRun(stored.run.id, winner ?? '');

    // Assess
    expect(beforeFinished).toBeNull();
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    expect(afterWrongRelease).toBe(winner);
    expect((await store.get(stored.run.id))?.run.undo.runId).toBeNull();
  });
});

describe('listing', () => {
  it('lists newest first with playbook, status and creator filters, and only runs the reader may read whole', async () => {
    // Prepare
    const old = await created({ at: '2026-09-02T08:00:00.000Z' });
    const mine = await created({ at: '2026-11-20T09:00:00.000Z' });
    const bobs = await created({ at: '2026-11-20T09:30:00.000Z', createdBy: 'bob' });
    const dataOnly = await created({ at: '2026-11-20T09:45:00.000Z', categories: ['data-gathering'] });
    await store.moveStatus(mine.run, 'Created', 'Running', { at });
    const now = new Date(at);

    // Act
    const all = await store.list({ readable: [...both], limit: 50, now });
    const dataReader = await store.list({ readable: ['data-gathering'], limit: 50, now });
    const byBob = await store.list({ readable: [...both], createdBy: 'bob', limit: 50, now });
    const runningOnes = await store.list({ readable: [...both], status: 'Running', limit: 50, now });
    const otherPlaybook = await store.list({ readable: [...both], playbook: 'container-compromise', limit: 50, now });

    // Assess
    expect(all.items.map((item) => item.run.id)).toEqual([dataOnly.run.id, bobs.run.id, mine.run.id, old.run.id]);
    expect(dataReader.items.map((item) => item.run.id)).toEqual([dataOnly.run.id]);
    expect(byBob.items.map((item) => item.run.id)).toEqual([bobs.run.id]);
    expect(runningOnes.items.map((item) => item.run.id)).toEqual([mine.run.id]);
    expect(otherPlaybook.items).toEqual([]);
    expect((await store.list({ readable: [], limit: 50, now })).items).toEqual([]);
  });

  it('pages with signed cursors, each run once, and refuses a cursor altered or replayed with other filters', async () => {
    // Prepare
    const runs: StoredRun[] = [];
    for (let minute = 0; minute < 7; minute += 1) runs.push(await created({ at: `2026-11-20T09:0${String(minute)}:00.000Z` }));
    const now = new Date(at);

    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const result = await store.list({ readable: [...both], limit: 3, now, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...result.items.map((item) => item.run.id));
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    const first = await store.list({ readable: [...both], limit: 3, now });
    const token = first.nextCursor ?? '';

    // Assess
    expect(seen).toEqual(runs.map((stored) => stored.run.id).reverse());
    await expect(store.list({ readable: [...both], limit: 3, now, cursor: `${token}x` })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.list({ readable: [...both], limit: 3, now, cursor: token, createdBy: 'bob' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('examines a bounded number of runs per page and hands back a cursor to go on', async () => {
    // Prepare: five runs by alice, then one by bob, the oldest
    const bobs = await created({ at: '2026-11-20T08:00:00.000Z', createdBy: 'bob' });
    for (let minute = 0; minute < 5; minute += 1) await created({ at: `2026-11-20T09:0${String(minute)}:00.000Z` });
    const bounded = makeStore(2);
    const now = new Date(at);

    // Act
    const firstPage = await bounded.list({ readable: [...both], createdBy: 'bob', limit: 10, now });
    const pages = [firstPage];
    while (pages.at(-1)?.nextCursor !== null && pages.length < 10) {
      pages.push(await bounded.list({ readable: [...both], createdBy: 'bob', limit: 10, now, cursor: pages.at(-1)?.nextCursor ?? '' }));
    }

    // Assess
    expect(firstPage.items).toEqual([]);
    expect(firstPage.nextCursor).not.toBeNull();
    expect(pages.flatMap((page) => page.items.map((item) => item.run.id))).toEqual([bobs.run.id]);
  });

  it("reads many runs' step actions in one go, by id, leaving out ids with no action", async () => {
    // Prepare
    const one = recordFixture({ at });
    const two = recordFixture({ at, type: 'acquire-file', category: 'data-gathering' });
    for (const record of [one, two]) await repository.create(record);

    // Act
    const found = await store.actionsOf([one.id, two.id, '00000000-0000-4000-8000-000000000000', one.id]);

    // Assess
    expect([...found.keys()].sort()).toEqual([one.id, two.id].sort());
    expect(found.get(two.id)).toEqual(await repository.get(two.id));
  });

  it('lists the runs in flight (Created or Running) for a runtime restarting', async () => {
    // Prepare
    const waiting = await created({ at: '2026-10-01T00:00:00.000Z' });
    const going = await created({ at: '2026-11-20T09:00:00.000Z' });
    const finished = await created({ at: '2026-11-20T09:10:00.000Z' });
    await store.moveStatus(going.run, 'Created', 'Running', { at });
    await store.moveStatus(finished.run, 'Created', 'Error', { at, error: { code: 'StartFailed', message: 'x' } });

    // Act
    const inFlight = await store.listInFlight(new Date(at));

    // Assess
    expect(inFlight.map((item) => item.run.id).sort()).toEqual([waiting.run.id, going.run.id].sort());
  });
});
