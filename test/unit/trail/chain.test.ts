/**
 * The trail's chain and what verify-trail concludes from it, on entries, table items and evidence
 * held in memory: intact, and each way of tampering named for what it is.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '#shared/trail/canonical.ts';
import { chainEntries, genesisPrev, type TrailEvent } from '#shared/trail/entry.ts';
import { recordDigest } from '#shared/trail/record-digest.ts';
import { isIntact, verifyTrail, type EvidenceFinding, type StoredEntry } from '#shared/trail/verify.ts';

const action = (id: string, status: string): Record<string, unknown> => ({ pk: `A#${id}`, sk: 'A', gsiStatus: `containment#${status}#2026-12`, id, status, reason: null });
const written = (kind: TrailEvent['kind'], item: Record<string, unknown>, id: string): TrailEvent => ({
  kind,
  subject: { type: 'action', id },
  actor: 'service',
  digest: recordDigest(item),
});

function trailOf(events: readonly TrailEvent[]): string[] {
  return chainEntries(null, events, '2026-12-06T00:00:00.000Z').entries.map(({ stored }) => stored);
}

async function* each<T>(values: readonly T[]): AsyncGenerator<T> {
  for (const value of values) yield await Promise.resolve(value);
}

function verify(lines: readonly string[], items: readonly Record<string, unknown>[], evidence: readonly EvidenceFinding[] = []) {
  return verifyTrail({
    entries: () => each(lines.map((stored, index): StoredEntry => ({ where: `line ${String(index + 1)}`, stored }))),
    items: () => each(items),
    evidence: () => each(evidence),
  });
}

const first = action('a1', 'Created');
const second = action('a1', 'Running');
const other = action('a2', 'Created');
const events = [written('action.created', first, 'a1'), written('action.created', other, 'a2'), written('action.status', second, 'a1')];

describe('canonicalJson', () => {
  it('sorts keys at every depth, leaves out undefined members and refuses what JSON cannot carry', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: true, e: null }], c: undefined } })).toBe('{"a":{"d":[1,{"e":null,"f":true}]},"b":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
  });
});

describe('the chain', () => {
  it('starts from the genesis value and holds each previous entry\'s SHA-256', () => {
    const { entries, head } = chainEntries(null, events, '2026-12-06T00:00:00.000Z');
    expect(entries.map(({ entry }) => entry.seq)).toEqual([0, 1, 2]);
    expect(entries[0]?.entry.prev).toBe(genesisPrev);
    expect(head.seq).toBe(2);
    const next = chainEntries(head, events.slice(0, 1), '2026-12-06T00:00:01.000Z');
    expect(next.entries[0]?.entry).toMatchObject({ seq: 3, prev: head.hash });
  });

  it('is intact when the table holds what the last entry of each record says', async () => {
    const report = await verify(trailOf(events), [second, other]);
    expect(isIntact(report)).toBe(true);
    expect(report).toMatchObject({ entries: 3, records: 2 });
  });

  it('names the missing entry when one is removed', async () => {
    const lines = trailOf(events);
    const report = await verify([lines[0] ?? '', lines[2] ?? ''], [second, other]);
    expect(report.firstBrokenLink).toEqual({ what: 'entry 1 (line 2)', why: 'holds seq 2: entry 1 is missing' });
  });

  it('names the next link when an entry is altered, and the altered one when it is no longer canonical', async () => {
    const lines = trailOf(events);
    const recanonical = canonicalJson({ ...(JSON.parse(lines[1] ?? '') as object), actor: 'someone-else' });
    const byHand = (lines[1] ?? '').replace('"actor":', '"actor" :');
    expect((await verify([lines[0] ?? '', recanonical, lines[2] ?? ''], [second, other])).firstBrokenLink).toEqual({
      what: 'entry 2 (line 3)',
      why: 'its prev is not the SHA-256 of entry 1: entry 1 was altered or replaced',
    });
    expect((await verify([lines[0] ?? '', byHand, lines[2] ?? ''], [second, other])).firstBrokenLink?.why).toMatch(/canonical form/);
  });

  it('names the cut when the first entries are gone', async () => {
    const report = await verify(trailOf(events).slice(1), [second, other]);
    expect(report.firstBrokenLink?.why).toBe('holds seq 1: entry 0 is missing');
  });
});

describe('records against the trail', () => {
  it('names a record changed behind the service\'s back, one never written through it, and one deleted', async () => {
    const edited = { ...second, reason: 'nothing to see' };
    const planted = action('a3', 'Completed');
    const report = await verify(trailOf(events), [edited, planted]);
    expect(report.firstBrokenLink).toBeNull();
    expect(report.changedRecords).toEqual([
      { what: 'action a1', why: 'differs from what the service last wrote (trail entry 2): changed outside the service' },
      { what: 'action a3', why: 'has no trail entry: written outside the service, or its trail append failed (the service logged that)' },
      { what: 'action a2', why: 'is in the trail (last entry 1) but not in the table: deleted outside the service' },
    ]);
  });

  it('takes a record rolled back to an earlier state for a changed one', async () => {
    const report = await verify(trailOf(events), [first, other]);
    expect(report.changedRecords.map((problem) => problem.what)).toEqual(['action a1']);
  });

  it('ignores index attributes, which the digest does not cover, and items the trail does not cover', async () => {
    const report = await verify(trailOf(events), [{ ...second, gsiStatus: 'x' }, other, { pk: 'META', sk: 'APPROVALS', firstMonth: '2026-12' }]);
    expect(isIntact(report)).toBe(true);
  });
});

describe('evidence against its recorded SHA-256 and the trail', () => {
  const sha = (digit: string): string => digit.repeat(64);
  const stored: TrailEvent = { kind: 'evidence.stored', subject: { type: 'evidence', id: 'actions/a1/log.json' }, actor: 'service', digest: sha('a') };

  it('names bytes that do not hash to the recorded SHA-256, a replaced object, and a missing one', async () => {
    const lines = trailOf([stored, { ...stored, subject: { type: 'evidence', id: 'actions/a1/gone.json' } }]);
    const report = await verify(lines, [], [
      { key: 'actions/a1/log.json', recordedSha256: sha('b'), actualSha256: sha('b') },
      { key: 'actions/a1/other.json', recordedSha256: sha('c'), actualSha256: sha('d') },
    ]);
    expect(report.damagedEvidence.map((problem) => [problem.what, problem.why.split(':')[0]])).toEqual([
      ['evidence actions/a1/log.json', 'its recorded SHA-256 is not the one the trail recorded when it was stored (entry 0)'],
      ['evidence actions/a1/other.json', `its bytes hash to ${sha('d')}, not the recorded ${sha('c')}`],
      ['evidence actions/a1/gone.json', 'was stored (trail entry 1) but is gone'],
    ]);
  });
});
