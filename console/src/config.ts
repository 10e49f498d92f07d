/**
 * What the console learns from where it is served: `/console-config.json`, written by `npm start`
 * (local issuer or the configured OIDC provider) and, in AWS, by the CDK app beside the bundle.
 */
export type ConsoleAuthConfig =
  | { readonly kind: 'local' }
  | {
      readonly kind: 'oidc';
      /** The issuer (OIDC discovery is read from `<authority>/.well-known/openid-configuration`). */
      readonly authority: string;
      readonly clientId: string;
      /** Space-separated scopes to ask for, besides `openid`. */
      readonly scope: string;
      /** Resource indicator (RFC 8707) to ask the token for, where the provider needs one. */
      readonly resource?: string;
    }
  /** The service takes an OIDC provider's tokens but has no console client configured: `reason` says what to set. */
  | { readonly kind: 'unconfigured'; readonly reason: string };

export interface ConsoleConfig {
  readonly auth: ConsoleAuthConfig;
}

export class ConsoleConfigError extends Error {
  override readonly name = 'ConsoleConfigError';
}

export async function loadConsoleConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/console-config.json', { cache: 'no-store', credentials: 'omit' });
  if (!response.ok) throw new ConsoleConfigError(`/console-config.json answered ${response.status}`);
  const body: unknown = await response.json();
  return parseConsoleConfig(body);
}

function parseConsoleConfig(body: unknown): ConsoleConfig {
  if (!isObject(body) || !isObject(body['auth'])) throw new ConsoleConfigError('/console-config.json has no auth object');
  const auth = body['auth'];
  if (auth['kind'] === 'local') return { auth: { kind: 'local' } };
  if (auth['kind'] === 'oidc') {
    const { authority, clientId, scope, resource } = auth;
    if (typeof authority !== 'string' || !/^https?:\/\//.test(authority)) throw new ConsoleConfigError('auth.authority must be an http(s) URL');
    if (typeof clientId !== 'string' || clientId === '') throw new ConsoleConfigError('auth.clientId must be a string');
    if (typeof scope !== 'string') throw new ConsoleConfigError('auth.scope must be a string');
    if (resource !== undefined && typeof resource !== 'string') throw new ConsoleConfigError('auth.resource must be a string');
    return { auth: { kind: 'oidc', authority, clientId, scope, ...(resource === undefined ? {} : { resource }) } };
  }
  if (auth['kind'] === 'unconfigured') {
    const { reason } = auth;
    return { auth: { kind: 'unconfigured', reason: typeof reason === 'string' ? reason : 'No sign-in is configured for this console.' } };
  }
  throw new ConsoleConfigError('auth.kind must be local, oidc or unconfigured');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
