/**
 * Work orders are signed by the service with one Ed25519 key and checked by responders before
 * they act. The key travels as a JWK whose `kid` is its RFC 7638 thumbprint, so a responder picks
 * the key by `keyId` and the service can rotate: responders pin the new public key first, then
 * the service switches its private key.
 *
 * Where the private key lives: locally under DATA_DIR (`local/work-signing-key.ts`, 0600); in AWS
 * in a Secrets Manager secret (WORK_SIGNING_KEY_SECRET_ARN) whose value is the private JWK as JSON
 * (`generateWorkSigningJwk()` makes one).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
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
export type WorkRefusalReason = 'unknown-key' | 'signature' | 'malformed';

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

/** Signs a work order: base64url of its JSON, and the Ed25519 signature of that string's bytes. */
export function signWorkOrder(order: WorkOrder, key: WorkSigningKey): SignedWork {
  const payload = Buffer.from(JSON.stringify(order), 'utf8').toString('base64url');
  const signature = sign(null, Buffer.from(payload, 'utf8'), key.privateKey).toString('base64url');
  return { payload, signature, keyId: key.keyId };
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
   * The work order a signed piece of work carries, once its key is trusted, its signature checks
   * out and its payload is a work order. Throws {@link UntrustedWorkError} otherwise.
   */
  verify(work: SignedWork): WorkOrder {
    const key = this.#keys.get(work.keyId);
    if (key === undefined) throw new UntrustedWorkError('unknown-key', `the work is signed with key ${work.keyId}, which this responder does not trust`);
    let valid: boolean;
    try {
      valid = verify(null, Buffer.from(work.payload, 'utf8'), key, Buffer.from(work.signature, 'base64url'));
    } catch (error) {
      throw new UntrustedWorkError('signature', 'the work signature could not be checked', { cause: error });
    }
    if (!valid) throw new UntrustedWorkError('signature', `the work signature does not match key ${work.keyId}`);
    try {
      return workOrderSchema.parse(JSON.parse(Buffer.from(work.payload, 'base64url').toString('utf8')));
    } catch (error) {
      const detail = error instanceof ZodError ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') : 'not JSON';
      throw new UntrustedWorkError('malformed', `the signed payload is not a work order (${detail})`, { cause: error });
    }
  }
}

/** Reads a work order's payload without checking the signature: for routing and housekeeping only, never for acting. */
export function peekWorkOrder(work: SignedWork): { actionId: string } | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(work.payload, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'actionId' in parsed && typeof parsed.actionId === 'string') {
      return { actionId: parsed.actionId };
    }
  } catch {
    // Not JSON: the caller treats it as unreadable.
  }
  return null;
}

/** RFC 7638 thumbprint of an Ed25519 public key (members crv, kty, x in lexicographic order). */
function thumbprint(x: string): string {
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}
