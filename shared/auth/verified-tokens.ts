/**
 * A token verifier that remembers the callers of tokens it has verified, so a client polling with
 * the same token every second costs one signature check, not one per request (the local runtime:
 * under `npm run bench -- load`, ES256 verification was a twentieth of the service's CPU).
 *
 * What stays true: only a token the inner verifier accepted is remembered, keyed by the exact
 * Authorization header; a remembered caller is used only while the token has not expired (by its
 * own `exp`, with no clock tolerance, so never longer than the inner verifier would accept it) and
 * for at most `maxAgeSeconds` after it was verified, so a key withdrawn from the issuer's key set
 * stops being honoured within that time. Refusals are never remembered.
 */
import { decodeJwt } from 'jose';
import type { Caller } from '#shared/auth/scopes.ts';
import type { TokenVerifier } from '#shared/auth/token-verifier.ts';
import { systemClock, type Clock } from '#shared/clock.ts';

export interface VerifiedTokenCacheOptions {
  readonly clock?: Clock;
  /** How long a verified token is trusted without checking it again; 60 s unless given. */
  readonly maxAgeSeconds?: number;
  /** Tokens remembered at most; the oldest are forgotten beyond it. 10,000 unless given. */
  readonly maxEntries?: number;
}

interface Remembered {
  readonly caller: Caller;
  /** ms since the epoch after which the entry is not used. */
  readonly until: number;
}

export function cachedTokenVerifier(inner: TokenVerifier, options: VerifiedTokenCacheOptions = {}): TokenVerifier {
  const clock = options.clock ?? systemClock;
  const maxAgeMs = (options.maxAgeSeconds ?? 60) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const remembered = new Map<string, Remembered>();
  return {
    async verify(header) {
      const now = clock.now().getTime();
      if (header !== undefined) {
        const entry = remembered.get(header);
        if (entry !== undefined && now < entry.until) return entry.caller;
        if (entry !== undefined) remembered.delete(header);
      }
      const caller = await inner.verify(header);
      // The inner verifier accepted the header, so it is `Bearer <a JWS with a numeric exp>`.
      const token = header?.trim().split(/[ \t]+/)[1];
      const exp = token === undefined ? Number.NaN : Number(decodeJwt(token).exp) * 1000;
      if (header !== undefined && Number.isFinite(exp)) {
        if (remembered.size >= maxEntries) {
          const oldest = remembered.keys().next().value;
          if (oldest !== undefined) remembered.delete(oldest);
        }
        remembered.set(header, { caller, until: Math.min(exp, now + maxAgeMs) });
      }
      return caller;
    },
  };
}
