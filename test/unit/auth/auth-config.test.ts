import { describe, expect, it } from 'vitest';
import { createConfiguredVerifier, loadAuthConfig } from '#shared/auth/auth-config.ts';
import { FixedClock } from '#shared/clock.ts';
import { ConfigError } from '#shared/errors.ts';
import { audience, issuer, keySet, now, sign, testKey } from '#test/unit/auth/forge.ts';

const oidc = {
  AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
  AUTH_AUDIENCE: 'response-actions',
  AUTH_JWKS_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
  AUTH_ALGORITHMS: 'RS256',
};

describe('auth configuration', () => {
  it('uses the local issuer with the default limits when nothing is set', () => {
    // Act
    const config = loadAuthConfig({});

    // Assess
    expect(config).toEqual({ kind: 'local-issuer', maxTokenLifetimeSeconds: 43_200, clockToleranceSeconds: 30 });
  });

  it('reads an OIDC provider', () => {
    // Act
    const config = loadAuthConfig({ ...oidc, AUTH_ALGORITHMS: 'RS256, ES256', AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600', AUTH_CLOCK_TOLERANCE_SECONDS: '0' });

    // Assess
    expect(config).toEqual({
      kind: 'oidc',
      issuer: oidc.AUTH_ISSUER,
      audience: 'response-actions',
      jwksUrl: new URL(oidc.AUTH_JWKS_URL),
      algorithms: ['RS256', 'ES256'],
      maxTokenLifetimeSeconds: 3600,
      clockToleranceSeconds: 0,
    });
  });

  it.each([
    [{ ...oidc, AUTH_AUDIENCE: '' }, 'AUTH_AUDIENCE'],
    [{ ...oidc, AUTH_JWKS_URL: undefined }, 'AUTH_JWKS_URL'],
    [{ ...oidc, AUTH_JWKS_URL: 'http://idp.example.com/jwks.json' }, 'AUTH_JWKS_URL'],
    [{ ...oidc, AUTH_JWKS_URL: 'not a url' }, 'AUTH_JWKS_URL'],
    [{ ...oidc, AUTH_ALGORITHMS: undefined }, 'AUTH_ALGORITHMS'],
    [{ ...oidc, AUTH_ALGORITHMS: 'HS256' }, 'AUTH_ALGORITHMS'],
    [{ ...oidc, AUTH_ALGORITHMS: 'RS256,none' }, 'AUTH_ALGORITHMS'],
    [{ AUTH_AUDIENCE: 'response-actions' }, 'AUTH_AUDIENCE'],
    [{ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '90000' }, 'AUTH_MAX_TOKEN_LIFETIME_SECONDS'],
    [{ AUTH_MAX_TOKEN_LIFETIME_SECONDS: '1h' }, 'AUTH_MAX_TOKEN_LIFETIME_SECONDS'],
    [{ AUTH_CLOCK_TOLERANCE_SECONDS: '600' }, 'AUTH_CLOCK_TOLERANCE_SECONDS'],
  ])('fails fast naming the variable: %j', (env, variable) => {
    // Act
    const act = () => loadAuthConfig(env);

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(expect.objectContaining({ variable }));
  });

  it('accepts plain http for a JWKS on loopback', () => {
    // Act
    const config = loadAuthConfig({ ...oidc, AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' });

    // Assess
    expect(config.kind === 'oidc' && config.jwksUrl.href).toBe('http://127.0.0.1:8080/jwks.json');
  });

  it('builds the local verifier from the local issuer keys', async () => {
    // Prepare
    const key = await testKey();
    const verifier = createConfiguredVerifier(loadAuthConfig({}), { issuer, audience, jwks: () => keySet(key) }, new FixedClock(new Date(now * 1000)));
    const token = await sign(key);

    // Act
    const caller = await verifier.verify(`Bearer ${token}`);

    // Assess
    expect(caller.sub).toBe('analyst-1');
    expect(() => createConfiguredVerifier(loadAuthConfig({}))).toThrow(TypeError);
  });
});
