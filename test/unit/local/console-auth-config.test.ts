import { describe, expect, it } from 'vitest';
import { loadAuthConfig } from '#shared/auth/auth-config.ts';
import type { Environment } from '#shared/config/config.ts';
import { ConfigError } from '#shared/errors.ts';
import { personScopes } from '#functions/auth/person-groups.ts';
import { loadConsoleAuthConfig } from '#local/console/console-auth-config.ts';

const provider = {
  AUTH_ISSUER: 'https://login.example.com/tenant',
  AUTH_AUDIENCE: 'https://api.response-actions.example',
  AUTH_JWKS_URL: 'https://login.example.com/tenant/jwks',
  AUTH_ALGORITHMS: 'RS256',
};

function load(env: Environment) {
  return loadConsoleAuthConfig(env, loadAuthConfig(env));
}

describe('console sign-in configuration', () => {
  it('signs in locally when no provider is set', () => {
    // Act
    const settings = load({});

    // Assess
    expect(settings).toEqual({ kind: 'local' });
  });

  it('signs in at AUTH_ISSUER as CONSOLE_OIDC_CLIENT_ID, asking for the four person scopes by default', () => {
    // Act
    const settings = load({ ...provider, CONSOLE_OIDC_CLIENT_ID: 'console-spa' });

    // Assess
    expect(settings).toEqual({ kind: 'oidc', authority: provider.AUTH_ISSUER, clientId: 'console-spa', scope: personScopes.join(' ') });
    expect(personScopes).toEqual([
      'containment-response-actions.exec',
      'containment-response-actions.read',
      'data-gathering-response-actions.exec',
      'data-gathering-response-actions.read',
    ]);
  });

  it('reads the scopes (openid and repeats dropped, any whitespace between) and the resource indicator', () => {
    // Act
    const settings = load({
      ...provider,
      CONSOLE_OIDC_CLIENT_ID: 'console-spa',
      CONSOLE_OIDC_SCOPES: ' openid  api://ra/containment.read\tapi://ra/containment.read ',
      CONSOLE_OIDC_RESOURCE: 'https://api.response-actions.example',
    });

    // Assess
    expect(settings).toEqual({
      kind: 'oidc',
      authority: provider.AUTH_ISSUER,
      clientId: 'console-spa',
      scope: 'api://ra/containment.read',
      resource: 'https://api.response-actions.example',
    });
  });

  it('accepts a plain http issuer on loopback (a provider run on this machine)', () => {
    // Act
    const settings = load({ ...provider, AUTH_ISSUER: 'http://127.0.0.1:9000', AUTH_JWKS_URL: 'http://127.0.0.1:9000/jwks', CONSOLE_OIDC_CLIENT_ID: 'console-spa' });

    // Assess
    expect(settings).toMatchObject({ kind: 'oidc', authority: 'http://127.0.0.1:9000' });
  });

  it('without a console client, tells the console what to set instead of failing the API', () => {
    // Act
    const settings = load(provider);

    // Assess
    expect(settings.kind).toBe('unconfigured');
    expect(settings.kind === 'unconfigured' ? settings.reason : '').toContain('CONSOLE_OIDC_CLIENT_ID');
  });

  it.each([
    [{ CONSOLE_OIDC_CLIENT_ID: 'console-spa' }, 'CONSOLE_OIDC_CLIENT_ID'],
    [{ CONSOLE_OIDC_SCOPES: 'openid' }, 'CONSOLE_OIDC_SCOPES'],
    [{ CONSOLE_OIDC_RESOURCE: 'https://api.example' }, 'CONSOLE_OIDC_RESOURCE'],
    [{ ...provider, CONSOLE_OIDC_SCOPES: 'containment-response-actions.read' }, 'CONSOLE_OIDC_SCOPES'],
    [{ ...provider, CONSOLE_OIDC_RESOURCE: 'https://api.example' }, 'CONSOLE_OIDC_RESOURCE'],
    [{ ...provider, CONSOLE_OIDC_CLIENT_ID: 'console spa' }, 'CONSOLE_OIDC_CLIENT_ID'],
    [{ ...provider, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_SCOPES: 'openid' }, 'CONSOLE_OIDC_SCOPES'],
    [{ ...provider, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_SCOPES: 'a "b"' }, 'CONSOLE_OIDC_SCOPES'],
    [{ ...provider, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_RESOURCE: 'api' }, 'CONSOLE_OIDC_RESOURCE'],
    [{ ...provider, CONSOLE_OIDC_CLIENT_ID: 'c', CONSOLE_OIDC_RESOURCE: 'https://api.example/#v1' }, 'CONSOLE_OIDC_RESOURCE'],
    [{ ...provider, CONSOLE_OIDC_CLIENT_ID: 'c', AUTH_ISSUER: 'http://login.example.com' }, 'AUTH_ISSUER'],
    [{ ...provider, CONSOLE_OIDC_CLIENT_ID: 'c', AUTH_ISSUER: 'tenant-1' }, 'AUTH_ISSUER'],
  ])('fails fast naming the variable: %j', (env, variable) => {
    // Act
    const act = () => load(env);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(expect.objectContaining({ variable }));
  });
});
