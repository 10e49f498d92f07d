import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '#shared/errors.ts';
import { CursorCodec, fingerprint } from '#shared/history/cursor.ts';

describe('history cursors', () => {
  const codec = new CursorCodec(randomBytes(32));
  const query = fingerprint({ type: 'kill-process', categories: ['containment'] });

  it('round-trips a position for the same query', () => {
    // Act
    const cursor = codec.encode({ after: '2026-11-20T10:00:00.000Z#abc' }, query);

    // Assess
    expect(codec.decode(cursor, query)).toEqual({ after: '2026-11-20T10:00:00.000Z#abc' });
    expect(cursor).not.toContain('2026');
  });

  it('refuses a cursor for other filters, another key, or altered bytes', () => {
    // Prepare
    const cursor = codec.encode({ after: 'x' }, query);
    const other = new CursorCodec(randomBytes(32));
    const flipped = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;

    // Act + Assess
    expect(() => codec.decode(cursor, fingerprint({ type: 'get-logs', categories: ['containment'] }))).toThrow(
      InvalidCursorError,
    );
    expect(() => other.decode(cursor, query)).toThrow(InvalidCursorError);
    expect(() => codec.decode(flipped, query)).toThrow(InvalidCursorError);
    expect(() => codec.decode('', query)).toThrow(InvalidCursorError);
    expect(() => codec.decode('a.b.c', query)).toThrow(InvalidCursorError);
  });

  it('fingerprints a query independently of the order of its categories', () => {
    expect(fingerprint({ categories: ['containment', 'data-gathering'] })).toBe(
      fingerprint({ categories: ['data-gathering', 'containment'] }),
    );
    expect(fingerprint({ resource: 'a' })).not.toBe(fingerprint({ resource: 'b' }));
  });

  it('refuses a short signing key', () => {
    expect(() => new CursorCodec(randomBytes(16))).toThrow(RangeError);
  });
});
