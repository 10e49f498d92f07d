import { beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '#shared/auth/errors.ts';
import { createTokenVerifier, type TokenVerifier } from '#shared/auth/token-verifier.ts';
import { cachedTokenVerifier } from '#shared/auth/verified-tokens.ts';
import { FixedClock } from '#shared/clock.ts';
import { audience, issuer, keySet, now, sign, testKey, type TestKey } from '#test/unit/auth/forge.ts';

let key: TestKey;
let otherKey: TestKey;
beforeAll(async () => {
  [key, otherKey] = await Promise.all([testKey(), testKey()]);
});

/** The real verifier, counting how often it is asked: the cache's whole point is asking it less. */
function counted(verifier: TokenVerifier): { verifier: TokenVerifier; calls: () => number } {
  let calls = 0;
  return {
    verifier: {
      verify: (header) => {
        calls += 1;
        return verifier.verify(header);
      },
    },
    calls: () => calls,
  };
}

function setup(jwks: () => ReturnType<typeof keySet>, maxAgeSeconds = 60, maxEntries?: number): { clock: FixedClock; cached: TokenVerifier; calls: () => number } {
  const clock = new FixedClock(new Date(now * 1000));
  const inner = counted(createTokenVerifier({ issuer, audience, keys: { jwks }, clock, clockToleranceSeconds: 30 }));
  return { clock, cached: cachedTokenVerifier(inner.verifier, { clock, maxAgeSeconds, ...(maxEntries === undefined ? {} : { maxEntries }) }), calls: inner.calls };
}

describe('verified token cache', () => {
  it('checks a token once and answers the same caller while it is fresh', async () => {
    const { cached, calls } = setup(() => keySet(key));
    const header = `Bearer ${await sign(key, { claims: { scope: 'containment-response-actions.exec' } })}`;

    const first = await cached.verify(header);
    const second = await cached.verify(header);

    expect(second).toEqual(first);
    expect(first.scopes).toEqual(new Set(['containment-response-actions.exec']));
    expect(calls()).toBe(1);
  });

  it('never serves a token past its own exp, tolerance or not: the inner verifier refuses it then', async () => {
    const { clock, cached, calls } = setup(() => keySet(key), 3600);
    // Lives until now + 120 s.
    const header = `Bearer ${await sign(key, { claims: { iat: now - 60, exp: now + 120 } })}`;
    await cached.verify(header);

    clock.advance(121_000);
    // Past exp, within the inner verifier's 30 s tolerance: accepted only by checking it again.
    await cached.verify(header);
    expect(calls()).toBe(2);

    clock.advance(60_000);
    await expect(cached.verify(header)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(cached.verify(header)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(calls()).toBe(4);
  });

  it('checks again after maxAgeSeconds, so a key withdrawn from the key set stops working', async () => {
    let jwks = keySet(key, otherKey);
    const { clock, cached, calls } = setup(() => jwks, 60);
    const header = `Bearer ${await sign(otherKey)}`;
    await cached.verify(header);

    jwks = keySet(key);
    clock.advance(30_000);
    await cached.verify(header);
    expect(calls()).toBe(1);

    clock.advance(31_000);
    await expect(cached.verify(header)).rejects.toMatchObject({ reason: 'unknown-key' });
  });

  it('never remembers a refusal, and keys entries by the exact header', async () => {
    const { cached, calls } = setup(() => keySet(key));
    const forged = `Bearer ${await sign(otherKey)}`;
    await expect(cached.verify(forged)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(cached.verify(forged)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(calls()).toBe(2);

    const alice = `Bearer ${await sign(key, { claims: { sub: 'alice' } })}`;
    const bob = `Bearer ${await sign(key, { claims: { sub: 'bob' } })}`;
    expect((await cached.verify(alice)).sub).toBe('alice');
    expect((await cached.verify(bob)).sub).toBe('bob');
    expect((await cached.verify(alice)).sub).toBe('alice');
    await expect(cached.verify(undefined)).rejects.toMatchObject({ reason: 'missing' });
  });

  it('remembers at most maxEntries tokens, forgetting the oldest first, and still answers every one', async () => {
    const { cached, calls } = setup(() => keySet(key), 60, 2);
    const [first, second, third] = await Promise.all(['first', 'second', 'third'].map(async (sub) => `Bearer ${await sign(key, { claims: { sub } })}`));
    for (const header of [first, second, third]) await cached.verify(header);
    expect(calls()).toBe(3);

    // The two newest are remembered; the first was forgotten to make room for the third.
    expect((await cached.verify(second)).sub).toBe('second');
    expect((await cached.verify(third)).sub).toBe('third');
    expect(calls()).toBe(3);
    expect((await cached.verify(first)).sub).toBe('first');
    expect(calls()).toBe(4);
  });
});
