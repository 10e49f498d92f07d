import { exportSPKI } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysUnavailableError, UnauthorizedError } from '#shared/auth/errors.ts';
import type { UnauthorizedReason } from '#shared/auth/errors.ts';
import { createTokenVerifier } from '#shared/auth/token-verifier.ts';
import type { AsymmetricAlgorithm, TokenVerifierOptions } from '#shared/auth/token-verifier.ts';
import { FixedClock } from '#shared/clock.ts';
import { audience, issuer, keySet, now, sign, signHmac, testKey, unsigned } from '#test/unit/auth/forge.ts';
import type { ForgeOptions, TestKey } from '#test/unit/auth/forge.ts';

let key: TestKey;
let otherKey: TestKey;
beforeAll(async () => {
  [key, otherKey] = await Promise.all([testKey(), testKey()]);
});

const clock = () => new FixedClock(new Date(now * 1000));

function verifierFor(jwks: JSONWebKeySet | (() => JSONWebKeySet), options: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({ issuer, audience, keys: { jwks }, clock: clock(), ...options });
}

/** The reason a verification was refused; fails the test if it was not refused with UnauthorizedError. */
async function refusal(promise: Promise<unknown>): Promise<UnauthorizedReason> {
  const error: unknown = await promise.then(
    () => new Error('the token was accepted'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return (error as UnauthorizedError).reason;
}

describe('token verifier', () => {
  it('accepts a good token and returns its caller', async () => {
    // Prepare
    const verifier = verifierFor(keySet(key));
    const token = await sign(key, { claims: { scope: 'containment-response-actions.exec data-gathering-response-actions.read' } });

    // Act
    const caller = await verifier.verify(`Bearer ${token}`);

    // Assess
    expect(caller).toEqual({
      sub: 'analyst-1',
      scopes: new Set(['containment-response-actions.exec', 'data-gathering-response-actions.read']),
    });
  });

  it('accepts the scheme in any case and an audience list containing ours', async () => {
    // Prepare
    const verifier = verifierFor(keySet(key));
    const token = await sign(key, { claims: { aud: ['other-api', audience] } });

    // Act
    const caller = await verifier.verify(`bearer ${token}`);

    // Assess
    expect(caller.sub).toBe('analyst-1');
  });

  it.each([
    ['no header', undefined, 'missing'],
    ['an empty header', '', 'missing'],
    ['another scheme', 'Basic YWxpY2U6c2VjcmV0', 'scheme'],
    ['a scheme that merely starts like Bearer', 'BearerToken abc.def.ghi', 'scheme'],
    ['Bearer and nothing', 'Bearer', 'malformed'],
    ['two words after Bearer', 'Bearer abc def', 'malformed'],
    ['not a JWT', 'Bearer not-a-jwt', 'malformed'],
    ['a JWT without alg', 'Bearer e30.e30.AAAA', 'malformed'],
    ['undecodable parts', 'Bearer !!!.???.xyz', 'malformed'],
    ['a header that is not JSON', 'Bearer bm90IGpzb24.e30.AAAA', 'malformed'],
    ['an absurdly long token', `Bearer ${'a'.repeat(20_000)}.b.c`, 'malformed'],
  ])('refuses %s', async (_, header, reason) => {
    // Prepare
    const verifier = verifierFor(keySet(key));

    // Act
    const actual = await refusal(verifier.verify(header));

    // Assess
    expect(actual).toBe(reason);
  });

  const forgeries: [string, () => Promise<string>, UnauthorizedReason][] = [
    ['a token signed by another key under our kid', () => sign(otherKey, { header: { kid: key.kid } }), 'signature'],
    ['a token whose signature was altered', async () => `${(await sign(key)).slice(0, -4)}AAAA`, 'signature'],
    ['a token whose claims were altered after signing', () => swapPayload(), 'signature'],
    ['a token signed by a key we do not know', () => sign(otherKey), 'unknown-key'],
    ['a token without kid', () => sign(key, { header: { kid: undefined } }), 'unknown-key'],
    ['HS256 with our public JWK as the secret', () => signHmac(new TextEncoder().encode(JSON.stringify(key.publicJwk)), key.kid), 'algorithm'],
    ['HS256 with our public key PEM as the secret', async () => signHmac(new TextEncoder().encode(await exportSPKI(key.publicKey)), key.kid), 'algorithm'],
    ['alg none, unsigned', () => Promise.resolve(unsigned(key.kid)), 'algorithm'],
    ['an expired token', () => sign(key, { claims: { iat: now - 7200, exp: now - 3600 } }), 'expired'],
    ['a token expired beyond the clock tolerance', () => sign(key, { claims: { iat: now - 3631, exp: now - 31 } }), 'expired'],
    ['a token not valid before a future time', () => sign(key, { claims: { nbf: now + 600 } }), 'not-yet-valid'],
    ['a token issued in the future', () => sign(key, { claims: { iat: now + 600, exp: now + 1200 } }), 'not-yet-valid'],
    ['another issuer', () => sign(key, { claims: { iss: 'https://evil.test/' } }), 'issuer'],
    ['no issuer', () => sign(key, { omit: ['iss'] }), 'issuer'],
    ['another audience', () => sign(key, { claims: { aud: 'other-api' } }), 'audience'],
    ['no audience', () => sign(key, { omit: ['aud'] }), 'audience'],
    ['a lifetime over 12 hours', () => sign(key, { claims: { iat: now - 60, exp: now - 60 + 12 * 3600 + 1 } }), 'lifetime'],
    ['no exp', () => sign(key, { omit: ['exp'] }), 'lifetime'],
    ['no iat', () => sign(key, { omit: ['iat'] }), 'lifetime'],
    ['an exp that is not a number', () => sign(key, { claims: { exp: 'tomorrow' } }), 'malformed'],
    ['no sub', () => sign(key, { omit: ['sub'] }), 'claims'],
    ['respond scope without a responder binding', () => sign(key, { claims: { scope: 'response-actions.respond' } }), 'claims'],
  ];

  it.each(forgeries)('refuses %s', async (_, forge, reason) => {
    // Prepare
    const verifier = verifierFor(keySet(key));
    const token = await forge();

    // Act
    const actual = await refusal(verifier.verify(`Bearer ${token}`));

    // Assess
    expect(actual).toBe(reason);
  });

  it('refuses ES384 when only ES256 is allowed, and accepts it when allowed', async () => {
    // Prepare
    const es384 = await testKey('ES384');
    const token = await sign(es384);

    // Act
    const refused = await refusal(verifierFor(keySet(key, es384)).verify(`Bearer ${token}`));
    const accepted = await verifierFor(keySet(key, es384), { algorithms: ['ES256', 'ES384'] }).verify(`Bearer ${token}`);

    // Assess
    expect(refused).toBe('algorithm');
    expect(accepted.sub).toBe('analyst-1');
  });

  it('allows clock skew up to the tolerance', async () => {
    // Prepare
    const verifier = verifierFor(keySet(key), { clockToleranceSeconds: 30 });
    const justExpired = await sign(key, { claims: { iat: now - 3610, exp: now - 10 } });
    const nearlyValid = await sign(key, { claims: { nbf: now + 10, iat: now + 10, exp: now + 3610 } });

    // Act
    const callers = await Promise.all([verifier.verify(`Bearer ${justExpired}`), verifier.verify(`Bearer ${nearlyValid}`)]);

    // Assess
    expect(callers.map((caller) => caller.sub)).toEqual(['analyst-1', 'analyst-1']);
  });

  it('takes a shorter maximum lifetime', async () => {
    // Prepare
    const verifier = verifierFor(keySet(key), { maxTokenLifetimeSeconds: 900 });
    const token = await sign(key);

    // Act
    const actual = await refusal(verifier.verify(`Bearer ${token}`));

    // Assess
    expect(actual).toBe('lifetime');
  });

  it('never repeats the token in its message', async () => {
    // Prepare
    const verifier = verifierFor(keySet(key));
    const tokens = await Promise.all(forgeries.map(([, forge]) => forge()));

    // Act
    const errors = await Promise.all(tokens.map((token) => verifier.verify(`Bearer ${token}`).catch((error: unknown) => error)));

    // Assess
    for (const [index, error] of errors.entries()) {
      const token = tokens[index] ?? '';
      expect(error).toBeInstanceOf(UnauthorizedError);
      const text = `${String(error)} ${JSON.stringify(error)}`;
      for (const part of token.split('.').filter((segment) => segment.length > 8)) expect(text).not.toContain(part);
    }
  });

  it('binds a responder token to its host', async () => {
    // Prepare
    const verifier = verifierFor(keySet(key));
    const token = await sign(key, { claims: { sub: 'responder', scope: 'response-actions.respond', ra_responder: 'host/node-7' } });

    // Act
    const caller = await verifier.verify(`Bearer ${token}`);

    // Assess
    expect(caller.responder).toEqual({ kind: 'host', name: 'node-7' });
  });

  it('picks keys by kid, so tokens of the previous key verify after a rotation', async () => {
    // Prepare: the issuer publishes the new key beside the old one, then drops the old one
    let published = keySet(key);
    const verifier = verifierFor(() => published);
    const before = await sign(key);
    await verifier.verify(`Bearer ${before}`);
    published = keySet(otherKey, key);
    const after = await sign(otherKey);

    // Act
    const callers = await Promise.all([verifier.verify(`Bearer ${before}`), verifier.verify(`Bearer ${after}`)]);
    published = keySet(otherKey);
    const retired = await refusal(verifier.verify(`Bearer ${before}`));

    // Assess
    expect(callers).toHaveLength(2);
    expect(retired).toBe('unknown-key');
  });

  it('reports a malformed key set as unavailable keys, not as the caller fault', async () => {
    // Prepare
    const verifier = verifierFor(() => ({ keys: [{ kty: 'EC', kid: key.kid, crv: 'P-256', x: 'AA', y: 'AA' }] }));
    const token = await sign(key);

    // Act
    const error: unknown = await verifier.verify(`Bearer ${token}`).catch((thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(SigningKeysUnavailableError);
  });

  it.each([
    ['none', { algorithms: ['none'] as unknown as AsymmetricAlgorithm[] }],
    ['HS256', { algorithms: ['HS256'] as unknown as AsymmetricAlgorithm[] }],
    ['no algorithm', { algorithms: [] }],
    ['a tolerance over five minutes', { clockToleranceSeconds: 301 }],
    ['a negative tolerance', { clockToleranceSeconds: -1 }],
    ['a zero lifetime', { maxTokenLifetimeSeconds: 0 }],
    ['an empty issuer', { issuer: ' ' }],
    ['an empty audience', { audience: [] }],
  ])('cannot be created with %s', (_, options: Partial<TokenVerifierOptions>) => {
    // Act
    const act = () => verifierFor(keySet(key), options);

    // Assess
    expect(act).toThrow(TypeError);
  });
});

/** A token whose payload is replaced by another, keeping the original header and signature. */
async function swapPayload(): Promise<string> {
  const [header, , signature] = (await sign(key)).split('.');
  const [, payload] = (await sign(key, { claims: { scope: 'containment-response-actions.exec data-gathering-response-actions.exec' } } satisfies ForgeOptions)).split('.');
  return `${header ?? ''}.${payload ?? ''}.${signature ?? ''}`;
}
