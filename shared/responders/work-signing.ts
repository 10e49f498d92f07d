/**
 * Work orders are signed by the service with one Ed25519 key and checked by responders before
 * they act. The key travels as a JWK whose `kid` is its RFC 7638 thumbprint, so a responder picks
 * the key by `keyId` and the service can rotate: responders pin the new public key first, then
 * the service switches its private key.
 *
 * Where the private key lives: locally under DATA_DIR (`local/work-signing-key.ts`, 0600); in AWS
 * in a Secrets Manager secret (WORK_SIGNING_KEY_SECRET_ARN) whose value is the private JWK as JSON
 * (`generateWorkSigningJwk()` makes one).
 *
 * On the wire a work order is a compact JWS (RFC 7515) with alg EdDSA (RFC 8037), `kid` the RFC
 * 7638 thumbprint and `typ` {@link workJwsType}; a responder in any language verifies it with
 * its JOSE library, pinning alg EdDSA and refusing any other header member.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { ZodError } from 'zod';
import { workOrderSchema, type SignedWork, type WorkOrder, type WorkSigningPublicKey } from './protocol.ts';

/** The service's signing key: the private key and the public JWK responders pin. */
export interface WorkSigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: WorkSigningPublicKey;
}

/** A private Ed25519 JWK as stored (`d` is the secret part). */
export interface PrivateWorkSigningJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly d: string;
  readonly kid: string;
}

/** A key that is not a usable Ed25519 JWK (a deployment or configuration defect). */
export class InvalidWorkSigningKeyError extends Error {
  override readonly name = 'InvalidWorkSigningKeyError';
}

/** Why a responder refuses a piece of work before acting on it. */
export type WorkRefusalReason = 'unknown-key' | 'signature' | 'header' | 'malformed';

/** Work whose signature, key or payload does not check out: never acted on, never reported on. */
export class UntrustedWorkError extends Error {
  override readonly name = 'UntrustedWorkError';
  readonly reason: WorkRefusalReason;

  constructor(reason: WorkRefusalReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** A new private key as a JWK with its `kid`; for the secret in AWS, or the local key file. */
export function generateWorkSigningJwk(): PrivateWorkSigningJwk {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.d !== 'string') throw new InvalidWorkSigningKeyError('node produced an Ed25519 key without x or d');
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, kid: thumbprint(jwk.x) };
}

/** Reads a private JWK (the secret's value, the local key file) into a signing key; checks `kid`. */
export function workSigningKeyFromJwk(value: unknown): WorkSigningKey {
  if (typeof value !== 'object' || value === null) throw new InvalidWorkSigningKeyError('the work signing key must be a JSON object (a private Ed25519 JWK)');
  const jwk = value as Record<string, unknown>;
  const { kty, crv, x, d } = jwk;
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || typeof d !== 'string') {
    throw new InvalidWorkSigningKeyError('the work signing key must be a private Ed25519 JWK (kty OKP, crv Ed25519, x and d)');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { kty, crv, x, d } satisfies JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new InvalidWorkSigningKeyError('the work signing key is not a valid Ed25519 key', { cause: error });
  }
  const keyId = thumbprint(x);
  if (jwk['kid'] !== undefined && jwk['kid'] !== keyId) {
    throw new InvalidWorkSigningKeyError(`the work signing key's kid must be its RFC 7638 thumbprint (${keyId})`);
  }
  return { keyId, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid: keyId, alg: 'EdDSA', use: 'sig' } };
}

/**
 * Signs a work order as a compact JWS (RFC 7515): protected header exactly
 * `{ alg: "EdDSA", kid: <RFC 7638 thumbprint>, typ: "${workJwsType}" }`, payload the order's JSON.
 * Any JOSE library verifies it with the pinned public JWK; the header names nothing else.
 */
export async function signWorkOrder(order: WorkOrder, key: WorkSigningKey): Promise<SignedWork> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(order)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.keyId, typ: workJwsType })
    .sign(key.privateKey);
}

/** Public keys a responder trusts, by `kid`. */
export class TrustedWorkKeys {
  readonly #keys = new Map<string, KeyObject>();

  constructor(jwks: readonly unknown[]) {
    for (const jwk of jwks) this.add(jwk);
  }

  get size(): number {
    return this.#keys.size;
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** Adds a public Ed25519 JWK; its `kid` must be its thumbprint (when given). Returns the kid. */
  add(value: unknown): string {
    if (typeof value !== 'object' || value === null) throw new InvalidWorkSigningKeyError('a trusted work signing key must be a JWK object');
    const { kty, crv, x, kid } = value as Record<string, unknown>;
    if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string') {
      throw new InvalidWorkSigningKeyError('a trusted work signing key must be a public Ed25519 JWK (kty OKP, crv Ed25519, x)');
    }
    const keyId = thumbprint(x);
    if (kid !== undefined && kid !== keyId) {
      throw new InvalidWorkSigningKeyError(`a trusted work signing key's kid must be its RFC 7638 thumbprint (${keyId}), not ${JSON.stringify(kid)}`);
    }
    try {
      this.#keys.set(keyId, createPublicKey({ key: { kty, crv, x } satisfies JsonWebKey, format: 'jwk' }));
    } catch (error) {
      throw new InvalidWorkSigningKeyError('a trusted work signing key is not a valid Ed25519 public key', { cause: error });
    }
    return keyId;
  }

  /**
   * The work order a compact JWS carries, once its header is exactly alg EdDSA + a trusted kid +
   * our typ (no `crit`, no other member: nothing the header says can change how it is checked),
   * its signature checks out and its payload is a work order. Throws {@link UntrustedWorkError}.
   */
  async verify(work: SignedWork): Promise<WorkOrder> {
    const header = protectedHeaderOf(work);
    const key = this.#keys.get(header.kid);
    if (key === undefined) throw new UntrustedWorkError('unknown-key', `the work is signed with key ${header.kid}, which this responder does not trust`);
    let payload: Uint8Array;
    try {
      // algorithms pinned: a header saying none or HS256 never reaches a key, even one of ours.
      ({ payload } = await compactVerify(work, key, { algorithms: ['EdDSA'], crit: {} }));
    } catch (error) {
      throw new UntrustedWorkError('signature', `the work signature does not match key ${header.kid}`, { cause: error });
    }
    try {
      return workOrderSchema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)));
    } catch (error) {
      const detail = error instanceof ZodError ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') : 'not JSON';
      throw new UntrustedWorkError('malformed', `the signed payload is not a work order (${detail})`, { cause: error });
    }
  }
}

/** The `typ` of a work order JWS (RFC 7515 §4.1.9: `application/` omitted). */
export const workJwsType = 'response-actions-work+jws';

/** The protected header of a work JWS, refused unless it is exactly { alg: EdDSA, kid, typ }. */
function protectedHeaderOf(work: SignedWork): { kid: string } {
  let header: Record<string, unknown>;
  try {
    if (work.split('.').length !== 3) throw new Error('not three parts');
    header = decodeProtectedHeader(work);
  } catch (error) {
    throw new UntrustedWorkError('malformed', 'the work is not a compact JWS', { cause: error });
  }
  const extra = Object.keys(header).filter((name) => name !== 'alg' && name !== 'kid' && name !== 'typ');
  if (extra.length > 0) throw new UntrustedWorkError('header', `the work's JWS header carries ${extra.join(', ')}, which this responder does not take`);
  if (header['alg'] !== 'EdDSA') throw new UntrustedWorkError('header', `the work's JWS alg must be EdDSA, not ${JSON.stringify(header['alg'])}`);
  if (header['typ'] !== workJwsType) throw new UntrustedWorkError('header', `the work's JWS typ must be ${workJwsType}`);
  const kid = header['kid'];
  if (typeof kid !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(kid)) throw new UntrustedWorkError('header', "the work's JWS header names no usable kid");
  return { kid };
}

/** The kid a work JWS names, unverified: for logs and the dispatch record only. */
export function workKeyId(work: SignedWork): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(work);
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 7638 thumbprint of an Ed25519 public key (members crv, kty, x in lexicographic order). */
function thumbprint(x: string): string {
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}
