/**
 * Errors of authentication. Messages are safe to show to the caller: they say what is wrong
 * with the credential and never repeat the credential itself.
 */

/** Why a bearer token was refused; for logs, metrics and tests. */
export type UnauthorizedReason =
  /** No `Authorization` header, or an empty one. */
  | 'missing'
  /** An `Authorization` header of another scheme than `Bearer`. */
  | 'scheme'
  /** Not a compact JWS, or a claim of the wrong type. */
  | 'malformed'
  /** Signed with an algorithm this service does not accept (`none` and HS* included). */
  | 'algorithm'
  /** No `kid`, or a `kid` the key set does not hold. */
  | 'unknown-key'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  /** `nbf` (or `iat`) lies in the future. */
  | 'not-yet-valid'
  /** `exp` or `iat` missing, or `exp - iat` longer than the service allows. */
  | 'lifetime'
  /** A required claim is missing or unusable (`sub`, `scope`, the responder binding). */
  | 'claims';

const defaultMessages: Record<UnauthorizedReason, string> = {
  missing: 'this request needs an Authorization header with a bearer token (Authorization: Bearer <token>)',
  scheme: 'the Authorization header must use the Bearer scheme (Authorization: Bearer <token>)',
  malformed: 'the bearer token is not a well-formed JWT',
  algorithm: 'the bearer token is signed with an algorithm this service does not accept',
  'unknown-key': 'the bearer token is signed with a key this service does not know (no kid, or a retired key)',
  signature: 'the bearer token signature is not valid',
  issuer: 'the bearer token was not issued by the issuer this service trusts',
  audience: 'the bearer token was not issued for this service (audience)',
  expired: 'the bearer token has expired; get a new one',
  'not-yet-valid': 'the bearer token is not valid yet (nbf or iat in the future); check the clocks',
  lifetime: 'the bearer token must carry iat and exp, and live no longer than this service allows',
  claims: 'the bearer token lacks a claim this service needs',
};

/** The request carries no credential, or one that is not valid: HTTP 401. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  readonly reason: UnauthorizedReason;

  constructor(reason: UnauthorizedReason, message: string = defaultMessages[reason]) {
    super(message);
    this.reason = reason;
  }
}

/**
 * The keys to check a token against could not be had (the OIDC provider's JWKS endpoint is
 * unreachable or answers nonsense, or the configured key set is malformed). Not the caller's
 * fault, so not a 401: the HTTP layer answers 5xx.
 */
export class SigningKeysUnavailableError extends Error {
  override readonly name = 'SigningKeysUnavailableError';
}
