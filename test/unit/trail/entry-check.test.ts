/**
 * What a trail entry may hold, checked once (shared/trail/entry.ts) for both sides: the writer's
 * checkEvent refuses exactly what verify-trail's parseEntry would refuse once chained, so an event
 * a writer appends can never show up later as a broken link; and the check is zod/mini, so a
 * function that bundles a writer but parses no body carries no more of zod (test/infra/function-clients).
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '#shared/trail/canonical.ts';
import { chainEntries, checkEvent, parseEntry, type TrailEvent } from '#shared/trail/entry.ts';

const sha = 'a'.repeat(64);
const valid: TrailEvent = {
  kind: 'action.status',
  subject: { type: 'action', id: 'a1' },
  actor: 'analyst-a',
  digest: sha,
  refs: { undoOf: null, actionIds: ['b1', 'b2'], count: 2 },
  detail: { from: 'Created', to: 'Running', done: false },
};

/** The stored form the event would have as entry 0, written by hand (chainEntries would refuse nothing). */
const storedAs = (event: unknown): string => canonicalJson({ ...(event as object), seq: 0, at: '2026-12-06T00:00:00.000Z', prev: '0'.repeat(64) });

const malformed: [string, unknown, RegExp][] = [
  ['an unknown field', { ...valid, token: 'eyJ...' }, /unrecognized key "token"/],
  ['an unknown kind', { ...valid, kind: 'action.deleted' }, /kind: is not one of the values allowed/],
  ['an unknown subject type', { ...valid, subject: { type: 'user', id: 'u' } }, /subject\.type/],
  ['an empty subject id', { ...valid, subject: { type: 'action', id: '' } }, /subject\.id: is too short/],
  ['an actor of 513 characters', { ...valid, actor: 'x'.repeat(513) }, /actor: is too long/],
  ['a digest that is not a SHA-256', { ...valid, digest: 'ABC' }, /digest/],
  ['no digest at all', { ...valid, digest: undefined }, /digest/],
  ['a list ref of 1001 items', { ...valid, refs: { actionIds: Array.from({ length: 1001 }, () => 'a') } }, /refs\.actionIds: is invalid/],
  ['a detail string of 2001 characters', { ...valid, detail: { note: 'x'.repeat(2001) } }, /detail\.note/],
  ['a nested object in detail', { ...valid, detail: { nested: { a: 1 } } }, /detail\.nested/],
  ['a key of 65 characters', { ...valid, detail: { ['k'.repeat(65)]: 1 } }, /detail\.k{65}: is invalid/],
];

describe('trail entries: one check for the writer and the verifier', () => {
  it('takes a well-formed event, which then reads back as the entry chained', () => {
    // Act
    const checked = checkEvent(valid);
    const [first] = chainEntries(null, [checked], '2026-12-06T00:00:00.000Z').entries;
    const parsed = parseEntry(first?.stored ?? '');

    // Assess
    expect(checked).toEqual(valid);
    expect(parsed).toEqual({ ok: true, entry: first?.entry });
  });

  it.each(malformed)('refuses %s on both sides', (_name, event, message) => {
    // Act
    const written = (): TrailEvent => checkEvent(event as TrailEvent);
    const read = parseEntry(storedAs(event));

    // Assess: the writer refuses it naming the part, and verify-trail would not take it as an entry either
    expect(written).toThrow(message);
    expect(read.ok).toBe(false);
  });

  it('refuses a ref left undefined, which canonical JSON would silently leave out of the entry', () => {
    // Assess
    expect(() => checkEvent({ ...valid, refs: { undoOf: undefined } } as unknown as TrailEvent)).toThrow(/refs\.undoOf/);
  });

  it('refuses an entry whose chain fields are wrong, naming the field', () => {
    // Prepare
    const [first] = chainEntries(null, [valid], '2026-12-06T00:00:00.000Z').entries;
    const entry = { ...first?.entry };

    // Act
    const reasons = [{ seq: -1 }, { seq: 1.5 }, { at: 'yesterday' }, { prev: 'x' }].map((change) => {
      const read = parseEntry(canonicalJson({ ...entry, ...change }));
      return read.ok ? 'taken' : read.reason;
    });

    // Assess
    expect(reasons).toEqual([
      'is not a trail entry (seq: is too short or too small)',
      'is not a trail entry (seq: expected int)',
      'is not a trail entry (at: is not in the format required)',
      'is not a trail entry (prev: is not in the format required)',
    ]);
  });
});
