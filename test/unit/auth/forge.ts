import { SignJWT, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload } from 'jose';

/** Test keys and tokens: the real thing and every forgery a verifier must refuse. */

export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** A fresh key pair whose kid is its thumbprint, as the local issuer names keys. */
export async function testKey(alg = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported, 'sha256');
  return { kid, alg, privateKey, publicKey, publicJwk: { ...exported, kid, alg, use: 'sig' } };
}

export function keySet(...keys: readonly TestKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.publicJwk) };
}

export const issuer = 'https://issuer.test/';
export const audience = 'response-actions';
/** The tests' now: 2026-11-20T10:00:00Z. */
export const now = Date.parse('2026-11-20T10:00:00.000Z') / 1000;

/** Claims of a good token at {@link now}: one hour, containment exec. */
export function goodClaims(): JWTPayload {
  return {
    iss: issuer,
    aud: audience,
    sub: 'analyst-1',
    scope: 'containment-response-actions.exec',
    iat: now - 60,
    exp: now - 60 + 3600,
  };
}

export interface ForgeOptions {
  /** Claims replacing or adding to {@link goodClaims}. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Claims left out. */
  readonly omit?: readonly string[];
  /** Header replacing the default `{ alg, kid }`. */
  readonly header?: Readonly<Record<string, unknown>>;
}

/** A token signed with `key`, its claims {@link goodClaims} changed as asked. */
export async function sign(key: TestKey, options: ForgeOptions = {}): Promise<string> {
  return new SignJWT(claimsOf(options))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...options.header })
    .sign(key.privateKey);
}

/** An HS256 token whose secret is `secret` (e.g. the public key, the classic confusion attack). */
export async function signHmac(secret: Uint8Array, kid: string, options: ForgeOptions = {}): Promise<string> {
  return new SignJWT(claimsOf(options)).setProtectedHeader({ alg: 'HS256', kid }).sign(secret);
}

/** An unsigned `alg: none` token. */
export function unsigned(kid: string, options: ForgeOptions = {}): string {
  const encode = (value: unknown): string => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', kid })}.${encode(claimsOf(options))}.`;
}

function claimsOf(options: ForgeOptions): JWTPayload {
  const claims: Record<string, unknown> = { ...goodClaims(), ...options.claims };
  for (const name of options.omit ?? []) Reflect.deleteProperty(claims, name);
  return claims;
}
