import { personScopes } from '#functions/auth/person-groups.ts';
import type { AuthConfig } from '#shared/auth/auth-config.ts';
import { clientIdPattern, resourceIndicatorProblem, scopeTokenPattern } from '#shared/auth/oidc-client.ts';
import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';

/**
 * How the console at `/` signs people in, read from the environment in this one place and
 * validated at start-up, next to the API's own auth settings (`loadAuthConfig`).
 *
 * - `AUTH_ISSUER` unset: the local development issuer (`Sign in locally`).
 * - `AUTH_ISSUER` set and `CONSOLE_OIDC_CLIENT_ID` set: authorization code with PKCE against
 *   that issuer, as the public client `CONSOLE_OIDC_CLIENT_ID` (registered at the provider with
 *   the redirect URI `<console>/auth/callback`), asking for `CONSOLE_OIDC_SCOPES` (default the
 *   four person scopes) and, when set, the resource indicator `CONSOLE_OIDC_RESOURCE` (RFC 8707).
 * - `AUTH_ISSUER` set without `CONSOLE_OIDC_CLIENT_ID`: the API takes the provider's tokens but
 *   the console has no client to sign in with; it says so instead of offering a sign-in.
 */
export type ConsoleAuthSettings =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'oidc';
      /** The issuer (`AUTH_ISSUER`); the browser reads its discovery document. */
      readonly authority: string;
      readonly clientId: string;
      /** Space-separated. */
      readonly scope: string;
      readonly resource?: string;
    }
  | { readonly kind: 'unconfigured'; readonly reason: string };

const consoleVariables = ['CONSOLE_OIDC_CLIENT_ID', 'CONSOLE_OIDC_SCOPES', 'CONSOLE_OIDC_RESOURCE'] as const;

/** Reads and validates the console's sign-in settings; a bad value throws {@link ConfigError} naming it. */
export function loadConsoleAuthConfig(env: Environment, auth: AuthConfig): ConsoleAuthSettings {
  if (auth.kind === 'local-issuer') {
    for (const name of consoleVariables) {
      if (value(env, name) !== undefined) {
        throw new ConfigError(name, 'applies only to an OIDC provider; set AUTH_ISSUER too, or unset it to sign in locally');
      }
    }
    return { kind: 'local' };
  }
  const clientId = value(env, 'CONSOLE_OIDC_CLIENT_ID');
  if (clientId === undefined) {
    for (const name of ['CONSOLE_OIDC_SCOPES', 'CONSOLE_OIDC_RESOURCE'] as const) {
      if (value(env, name) !== undefined) throw new ConfigError(name, 'applies only with CONSOLE_OIDC_CLIENT_ID (the console\'s client at the provider)');
    }
    return {
      kind: 'unconfigured',
      reason: `This service takes tokens from ${auth.issuer}, but no console client is configured: set CONSOLE_OIDC_CLIENT_ID (a public client with PKCE whose redirect URI is <this address>/auth/callback) and restart.`,
    };
  }
  if (!clientIdPattern.test(clientId)) throw new ConfigError('CONSOLE_OIDC_CLIENT_ID', 'must be 1 to 256 printable characters without spaces');
  return {
    kind: 'oidc',
    authority: authority(auth.issuer),
    clientId,
    scope: scopes(value(env, 'CONSOLE_OIDC_SCOPES')),
    ...optionalResource(value(env, 'CONSOLE_OIDC_RESOURCE')),
  };
}

/** The browser fetches the issuer's discovery document and posts the code there: https, or http on loopback only. */
function authority(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError('AUTH_ISSUER', `"${issuer}" is not a URL; the console signs in at the issuer's address (its discovery document)`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new ConfigError('AUTH_ISSUER', 'must be an https URL (plain http only on localhost) for the console to sign in there, or codes and tokens would travel in the clear');
  }
  return issuer;
}

function scopes(raw: string | undefined): string {
  // Unset: the four scopes a person may hold (API.md).
  if (raw === undefined) return personScopes.join(' ');
  const names = raw.split(/\s+/).filter((name) => name !== '');
  const bad = names.find((name) => !scopeTokenPattern.test(name));
  if (bad !== undefined) throw new ConfigError('CONSOLE_OIDC_SCOPES', `"${bad}" is not a scope name (RFC 6749: printable characters, no quotes or backslashes)`);
  // openid is always asked for (the console needs the ID token); the scopes that matter are the API's.
  const apiScopes = [...new Set(names.filter((name) => name !== 'openid'))];
  if (apiScopes.length === 0) throw new ConfigError('CONSOLE_OIDC_SCOPES', 'name at least one scope for this API, separated by spaces (default: the four person scopes)');
  return apiScopes.join(' ');
}

/** RFC 8707: an absolute URI without a fragment. */
function optionalResource(raw: string | undefined): { resource?: string } {
  if (raw === undefined) return {};
  const problem = resourceIndicatorProblem(raw);
  if (problem !== undefined) throw new ConfigError('CONSOLE_OIDC_RESOURCE', problem);
  return { resource: raw };
}

function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

function value(env: Environment, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}
