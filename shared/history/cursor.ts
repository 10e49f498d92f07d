import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError } from '#shared/errors.ts';

/** Where a history page ended, bound to the query that produced it. */
export interface CursorPosition {
  /** The sort key (`<createdAt>#<id>`) of the last item examined; the next page starts below it. */
  readonly after: string;
}

const version = 1;

/**
 * Opaque, tamper-evident cursors: the position and a digest of the query, signed with
 * HMAC-SHA256. A cursor altered by hand, or replayed with other filters or categories, is
 * refused instead of silently returning a wrong page.
 */
export class CursorCodec {
  readonly #key: Buffer;

  constructor(signingKey: Buffer) {
    if (signingKey.length < 32) {
      throw new RangeError('the cursor signing key must be at least 32 bytes');
    }
    this.#key = Buffer.from(signingKey);
  }

  encode(position: CursorPosition, queryFingerprint: string): string {
    const payload = Buffer.from(JSON.stringify({ v: version, a: position.after, q: queryFingerprint })).toString(
      'base64url',
    );
    return `${payload}.${this.#sign(payload)}`;
  }

  decode(cursor: string, queryFingerprint: string): CursorPosition {
    const [payload, signature, ...rest] = cursor.split('.');
    if (payload === undefined || signature === undefined || rest.length > 0 || cursor.length > 2048) {
      throw new InvalidCursorError();
    }
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new InvalidCursorError();
    }
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!isCursorBody(decoded) || decoded.v !== version) throw new InvalidCursorError();
    if (decoded.q !== queryFingerprint) {
      throw new InvalidCursorError('the cursor belongs to a query with other filters; start again without a cursor');
    }
    return { after: decoded.a };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

interface CursorBody {
  v: number;
  a: string;
  q: string;
}

function isCursorBody(value: unknown): value is CursorBody {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  return typeof body['v'] === 'number' && typeof body['a'] === 'string' && typeof body['q'] === 'string';
}

/** A stable digest of the query's filters, so a cursor only continues the query it came from. */
export function fingerprint(parts: Readonly<Record<string, string | readonly string[] | undefined>>): string {
  const canonical = Object.keys(parts)
    .sort()
    .map((key) => {
      const value = parts[key];
      return [key, Array.isArray(value) ? [...(value as readonly string[])].sort() : (value ?? null)];
    });
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 22);
}
