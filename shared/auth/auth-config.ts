import type { JSONWebKeySet } from 'jose';
import { asymmetricAlgorithms, createTokenVerifier, isAsymmetricAlgorithm, defaultClockToleranceSeconds, defaultMaxTokenLifetimeSeconds } from '#shared/auth/token-verifier.ts';
import type { AsymmetricAlgorithm, TokenVerifier } from '#shared/auth/token-verifier.ts';
import type { Clock } from '#shared/clock.ts';
import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';

/**
 * How the runtimes without API Gateway (the local one) check bearer tokens, read from the
 * environment in this one place and validated at start-up.
 *
 * - `AUTH_ISSUER` unset: tokens come from the local development issuer under `DATA_DIR`
 *   (`npm run token`).
 * - `AUTH_ISSUER` set: tokens come from that OIDC provider; then `AUTH_AUDIENCE`,
 *   `AUTH_JWKS_URL` (its `jwks_uri`, https unless on loopback) and `AUTH_ALGORITHMS`
 *   (comma-separated, e.g. `RS256` for Cognito and Entra ID) are required.
 * - `AUTH_MAX_TOKEN_LIFETIME_SECONDS` (default 43200) and `AUTH_CLOCK_TOLERANCE_SECONDS`
 *   (default 30) apply to both.
 */
export type AuthConfig = LocalIssuerAuthConfig | OidcAuthConfig;

export interface LocalIssuerAuthConfig extends TokenLimits {
  readonly kind: 'local-issuer';
}

export interface OidcAuthConfig extends TokenLimits {
  readonly kind: 'oidc';
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: URL;
  readonly algorithms: readonly AsymmetricAlgorithm[];
}

interface TokenLimits {
  readonly maxTokenLifetimeSeconds: number;
  readonly clockToleranceSeconds: number;
}

/** Reads and validates the auth settings; a bad or missing value throws {@link ConfigError} naming it. */
export function loadAuthConfig(env: Environment): AuthConfig {
  const limits: TokenLimits = {
    maxTokenLifetimeSeconds: wholeSeconds(env, 'AUTH_MAX_TOKEN_LIFETIME_SECONDS', defaultMaxTokenLifetimeSeconds, 60, 86_400),
    clockToleranceSeconds: wholeSeconds(env, 'AUTH_CLOCK_TOLERANCE_SECONDS', defaultClockToleranceSeconds, 0, 300),
  };
  const issuer = value(env, 'AUTH_ISSUER');
  if (issuer === undefined) {
    for (const name of ['AUTH_AUDIENCE', 'AUTH_JWKS_URL', 'AUTH_ALGORITHMS']) {
      if (value(env, name) !== undefined) {
        throw new ConfigError(name, 'applies only to an OIDC provider; set AUTH_ISSUER too, or unset it to use the local issuer');
      }
    }
    return { kind: 'local-issuer', ...limits };
  }
  return {
    kind: 'oidc',
    issuer,
    audience: required(env, 'AUTH_AUDIENCE', 'the aud your provider puts in access tokens for this API'),
    jwksUrl: jwksUrl(required(env, 'AUTH_JWKS_URL', "the provider's jwks_uri")),
    algorithms: algorithms(required(env, 'AUTH_ALGORITHMS', 'comma-separated, e.g. RS256 for Cognito and Entra ID')),
    ...limits,
  };
}

/** What the verifier needs from the local development issuer (`openDevIssuer` returns it). */
export interface LocalIssuerKeys {
  readonly issuer: string;
  readonly audience: string;
  jwks(): JSONWebKeySet;
}

/**
 * The verifier this configuration calls for. With the local issuer, pass it: its keys are
 * read on every check, so a rotation in this process is seen at once.
 */
export function createConfiguredVerifier(config: AuthConfig, localIssuer?: LocalIssuerKeys, clock?: Clock): TokenVerifier {
  const common = {
    maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds,
    clockToleranceSeconds: config.clockToleranceSeconds,
    ...(clock === undefined ? {} : { clock }),
  };
  if (config.kind === 'oidc') {
    return createTokenVerifier({
      ...common,
      issuer: config.issuer,
      audience: config.audience,
      keys: { jwksUrl: config.jwksUrl },
      algorithms: config.algorithms,
    });
  }
  if (localIssuer === undefined) throw new TypeError('the local-issuer auth configuration needs the local issuer (openDevIssuer)');
  return createTokenVerifier({
    ...common,
    issuer: localIssuer.issuer,
    audience: localIssuer.audience,
    keys: { jwks: () => localIssuer.jwks() },
    algorithms: ['ES256'],
  });
}

function value(env: Environment, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function required(env: Environment, name: string, what: string): string {
  const found = value(env, name);
  if (found === undefined) throw new ConfigError(name, `is required when AUTH_ISSUER is set (${what})`);
  return found;
}

function jwksUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('AUTH_JWKS_URL', `"${raw}" is not a URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('AUTH_JWKS_URL', 'must be an https URL (plain http only on localhost), or keys could be swapped in transit');
  }
  return url;
}

function algorithms(raw: string): AsymmetricAlgorithm[] {
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const bad = names.find((name) => !isAsymmetricAlgorithm(name));
  if (bad !== undefined || names.length === 0) {
    throw new ConfigError(
      'AUTH_ALGORITHMS',
      `"${bad ?? raw}" is not an accepted signature algorithm; use one or more of ${asymmetricAlgorithms.join(', ')} (none and HS* are never accepted)`,
    );
  }
  return names.filter(isAsymmetricAlgorithm);
}

function wholeSeconds(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new ConfigError(name, `must be a whole number of seconds from ${min} to ${max}, not "${raw}"`);
  }
  return seconds;
}
