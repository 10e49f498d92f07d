import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { SigningKeysUnavailableError, UnauthorizedError } from '#shared/auth/errors.ts';
import type { UnauthorizedReason } from '#shared/auth/errors.ts';
import { callerFromClaims } from '#shared/auth/scopes.ts';
import type { Caller } from '#shared/auth/scopes.ts';
import { systemClock } from '#shared/clock.ts';
import type { Clock } from '#shared/clock.ts';

/**
 * Checks bearer tokens the way API Gateway's JWT authorizer does in AWS, for the runtimes
 * that have no API Gateway in front (the local HTTP adapter). In AWS, handlers read the
 * authorizer's claims with `callerFromClaims` instead.
 */

/** Public-key signature algorithms a verifier may accept; `none` and HS* are not among them. */
export const asymmetricAlgorithms = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
] as const;
export type AsymmetricAlgorithm = (typeof asymmetricAlgorithms)[number];

const acceptedAlgorithms: ReadonlySet<string> = new Set(asymmetricAlgorithms);

/** True for a public-key signature algorithm a verifier may accept. */
export function isAsymmetricAlgorithm(name: string): name is AsymmetricAlgorithm {
  return acceptedAlgorithms.has(name);
}

/** Where the verification keys come from. Keys are picked by the token's `kid`, so they can rotate. */
export type VerificationKeySource =
  /**
   * A JWK set of public keys; or a function returning the current set, for an issuer whose
   * keys rotate in-process (return the same object while the keys are unchanged).
   */
  | { readonly jwks: JSONWebKeySet | (() => JSONWebKeySet) }
  /** An OIDC provider's `jwks_uri`; fetched, cached, and refetched when an unknown `kid` arrives. */
  | { readonly jwksUrl: URL; readonly fetchTimeoutMs?: number };

export interface TokenVerifierOptions {
  /** The exact `iss` the tokens must carry. */
  readonly issuer: string;
  /** The `aud` the tokens must carry (one of, when a list). */
  readonly audience: string | readonly string[];
  readonly keys: VerificationKeySource;
  /** Defaults to `['ES256']`. */
  readonly algorithms?: readonly AsymmetricAlgorithm[];
  /** The longest `exp - iat` accepted; tokens without `exp` or `iat` are refused. Defaults to 12 hours. */
  readonly maxTokenLifetimeSeconds?: number;
  /** Leeway for clock skew on `exp`, `nbf` and `iat`. Defaults to 30 seconds; at most 300. */
  readonly clockToleranceSeconds?: number;
  readonly clock?: Clock;
}

export interface TokenVerifier {
  /** The caller of a request with this `Authorization` header; throws {@link UnauthorizedError} when there is none. */
  verify(authorizationHeader: string | undefined): Promise<Caller>;
}

export const defaultMaxTokenLifetimeSeconds = 12 * 60 * 60;
export const defaultClockToleranceSeconds = 30;
const maxClockToleranceSeconds = 300;
// Far above any real access token; keeps a hostile header from costing much.
const maxTokenLength = 16 * 1024;
const bearerPattern = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const compactJwsPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** A verifier for one issuer and audience. Options are checked here, so a bad one fails at start-up. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const settings = checkedOptions(options);
  const getKey = keyResolver(options.keys);
  const clock = options.clock ?? systemClock;

  return {
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: settings.algorithms,
          clockTolerance: settings.clockToleranceSeconds,
          currentDate: clock.now(),
          // Also makes jose refuse an iat in the future (beyond the tolerance).
          maxTokenAge: settings.maxTokenLifetimeSeconds,
          requiredClaims: ['exp', 'iat'],
        }));
      } catch (error) {
        throw asAuthError(error);
      }
      // Both are numbers here: jose checked their presence and type.
      const lifetime = Number(payload.exp) - Number(payload.iat);
      if (lifetime > settings.maxTokenLifetimeSeconds) {
        throw new UnauthorizedError(
          'lifetime',
          `the bearer token lives ${lifetime} seconds; this service accepts at most ${settings.maxTokenLifetimeSeconds}`,
        );
      }
      return callerFromClaims(payload);
    },
  };
}

interface VerifierSettings {
  readonly issuer: string;
  readonly audience: string | string[];
  readonly algorithms: AsymmetricAlgorithm[];
  readonly maxTokenLifetimeSeconds: number;
  readonly clockToleranceSeconds: number;
}

function checkedOptions(options: TokenVerifierOptions): VerifierSettings {
  if (options.issuer.trim() === '') throw new TypeError('token verifier: issuer must not be empty');
  const audience = typeof options.audience === 'string' ? options.audience : [...options.audience];
  if (audience.length === 0 || (Array.isArray(audience) && audience.some((entry) => entry.trim() === ''))) {
    throw new TypeError('token verifier: audience must not be empty');
  }
  // Checked as strings: the type already says so, but options may come from parsed configuration.
  const names: readonly string[] = options.algorithms ?? ['ES256'];
  if (names.length === 0) throw new TypeError('token verifier: name at least one algorithm');
  const bad = names.find((name) => !isAsymmetricAlgorithm(name));
  if (bad !== undefined) {
    throw new TypeError(`token verifier: algorithm ${bad} is not allowed; use one of ${asymmetricAlgorithms.join(', ')}`);
  }
  const algorithms = names.filter(isAsymmetricAlgorithm);
  const maxTokenLifetimeSeconds = options.maxTokenLifetimeSeconds ?? defaultMaxTokenLifetimeSeconds;
  if (!Number.isInteger(maxTokenLifetimeSeconds) || maxTokenLifetimeSeconds < 1) {
    throw new TypeError('token verifier: maxTokenLifetimeSeconds must be a whole number of seconds, at least 1');
  }
  const clockToleranceSeconds = options.clockToleranceSeconds ?? defaultClockToleranceSeconds;
  if (!Number.isInteger(clockToleranceSeconds) || clockToleranceSeconds < 0 || clockToleranceSeconds > maxClockToleranceSeconds) {
    throw new TypeError(`token verifier: clockToleranceSeconds must be a whole number from 0 to ${maxClockToleranceSeconds}`);
  }
  return { issuer: options.issuer, audience, algorithms, maxTokenLifetimeSeconds, clockToleranceSeconds };
}

function bearerToken(authorizationHeader: string | undefined): string {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') throw new UnauthorizedError('missing');
  const match = bearerPattern.exec(authorizationHeader.trim());
  if (match === null) {
    // "Bearer" with nothing (or several words) after it is a malformed bearer header, not another scheme.
    throw new UnauthorizedError(/^Bearer\b/i.test(authorizationHeader.trim()) ? 'malformed' : 'scheme');
  }
  const token = match[1] ?? '';
  if (token.length > maxTokenLength || !compactJwsPattern.test(token)) throw new UnauthorizedError('malformed');
  return token;
}

/** Resolves the key for a token's header; insists on a `kid` so that keys are chosen, not tried. */
function keyResolver(source: VerificationKeySource): JWTVerifyGetKey {
  const resolve = 'jwksUrl' in source ? remoteResolver(source) : localResolver(source.jwks);
  return async (protectedHeader, token) => {
    if (typeof protectedHeader.kid !== 'string' || protectedHeader.kid === '') {
      throw new UnauthorizedError('unknown-key', 'the bearer token names no signing key (kid header); this service picks keys by kid');
    }
    try {
      return await resolve(protectedHeader, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw new UnauthorizedError('unknown-key', unknownKeyMessage(source));
      }
      throw new SigningKeysUnavailableError('the keys to verify bearer tokens could not be loaded', { cause: error });
    }
  };
}

/**
 * Says whose key the token lacks, never which key it named: with the service's own key set (the
 * local issuer under DATA_DIR), a token made with another DATA_DIR's key is the usual cause.
 */
function unknownKeyMessage(source: VerificationKeySource): string {
  if ('jwksUrl' in source) {
    return "the bearer token was not signed by any key this service's issuer publishes (a retired key, or a token from another issuer)";
  }
  return (
    "the bearer token was not signed by this service's key: a token made with another key, such as another DATA_DIR's " +
    '(npm run token signs with the key of the DATA_DIR it is given), or before the key was replaced; get a new token for this service'
  );
}

function remoteResolver(source: { readonly jwksUrl: URL; readonly fetchTimeoutMs?: number }): JWTVerifyGetKey {
  return createRemoteJWKSet(source.jwksUrl, {
    timeoutDuration: source.fetchTimeoutMs ?? 5_000,
    // An unknown kid refetches at most this often, so made-up kids cannot hammer the provider.
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });
}

function localResolver(jwks: JSONWebKeySet | (() => JSONWebKeySet)): JWTVerifyGetKey {
  if (typeof jwks !== 'function') return createLocalJWKSet(jwks);
  let current: { readonly jwks: JSONWebKeySet; readonly resolve: JWTVerifyGetKey } | undefined;
  return (protectedHeader, token) => {
    const latest = jwks();
    if (current?.jwks !== latest) current = { jwks: latest, resolve: createLocalJWKSet(latest) };
    return current.resolve(protectedHeader, token);
  };
}

/** jose's errors in this service's words; anything else is a defect and passes through. */
function asAuthError(error: unknown): unknown {
  if (error instanceof UnauthorizedError || error instanceof SigningKeysUnavailableError) return error;
  const reason = reasonOf(error);
  return reason === undefined ? error : new UnauthorizedError(reason);
}

function reasonOf(error: unknown): UnauthorizedReason | undefined {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JWTExpired) return error.claim === 'iat' ? 'lifetime' : 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'issuer';
    if (error.claim === 'aud') return 'audience';
    // Missing exp or iat: the lifetime cannot be bounded. Present but not a number: malformed.
    if (error.reason === 'missing' && (error.claim === 'exp' || error.claim === 'iat')) return 'lifetime';
    if (error.reason === 'check_failed' && (error.claim === 'nbf' || error.claim === 'iat')) return 'not-yet-valid';
    return 'malformed';
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  return undefined;
}
