import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDirFrom, defaultDataDir, devAudience, devIssuerName, openDevIssuer } from '#local/dev-issuer.ts';
import type { DevIssuer } from '#local/dev-issuer.ts';
import { UnauthorizedError } from '#shared/auth/errors.ts';
import { createTokenVerifier } from '#shared/auth/token-verifier.ts';
import type { TokenVerifier } from '#shared/auth/token-verifier.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dev-issuer-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const keyFileOf = (directory: string) => join(directory, 'auth', 'issuer-keys.json');
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;
const quiet = { warn: () => undefined };

function verifierOf(issuer: DevIssuer): TokenVerifier {
  return createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, keys: { jwks: () => issuer.jwks() } });
}

describe('local development issuer', () => {
  it('creates its key file with mode 0600 in a 0700 directory', async () => {
    // Act
    const issuer = await openDevIssuer(dataDir, quiet);

    // Assess
    expect(issuer.keyFile).toBe(keyFileOf(dataDir));
    expect(await modeOf(keyFileOf(dataDir))).toBe(0o600);
    expect(await modeOf(join(dataDir, 'auth'))).toBe(0o700);
    const onDisk = JSON.parse(await readFile(keyFileOf(dataDir), 'utf8')) as { signing: { kid: string } };
    expect(onDisk.signing.kid).toBe(issuer.currentKid());
  });

  it('publishes public keys only, named by kid', async () => {
    // Act
    const issuer = await openDevIssuer(dataDir, quiet);
    const { keys } = issuer.jwks();

    // Assess
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: issuer.currentKid(), alg: 'ES256', use: 'sig' });
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(issuer.jwks()).toBe(issuer.jwks());
  });

  it('issues an ES256 access token the verifier accepts, one hour by default', async () => {
    // Prepare
    const issuer = await openDevIssuer(dataDir, quiet);

    // Act
    const token = await issuer.issue({ sub: 'local-user', scopes: ['containment-response-actions.exec', 'data-gathering-response-actions.read'] });
    const caller = await verifierOf(issuer).verify(`Bearer ${token}`);

    // Assess
    expect(caller).toEqual({
      sub: 'local-user',
      scopes: new Set(['containment-response-actions.exec', 'data-gathering-response-actions.read']),
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: issuer.currentKid(), typ: 'at+jwt' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: devIssuerName, aud: devAudience, sub: 'local-user' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    expect(claims.jti).toEqual(expect.any(String));
  });

  it('issues a responder token bound to its host', async () => {
    // Prepare
    const issuer = await openDevIssuer(dataDir, quiet);

    // Act
    const token = await issuer.issue({ sub: 'responder-node-7', scopes: ['response-actions.respond'], responder: { kind: 'host', name: 'node-7' } });
    const caller = await verifierOf(issuer).verify(`Bearer ${token}`);

    // Assess
    expect(caller.responder).toEqual({ kind: 'host', name: 'node-7' });
    expect(decodeJwt(token)['ra_responder']).toBe('host/node-7');
  });

  it.each([
    ['a lifetime over 12 hours', { sub: 'a', scopes: ['containment-response-actions.read'], ttlSeconds: 12 * 3600 + 1 }],
    ['a zero lifetime', { sub: 'a', scopes: ['containment-response-actions.read'], ttlSeconds: 0 }],
    ['an unknown scope', { sub: 'a', scopes: ['response-actions.admin'] }],
    ['an empty sub', { sub: '', scopes: ['containment-response-actions.read'] }],
    ['the respond scope without a binding', { sub: 'a', scopes: ['response-actions.respond'] }],
    ['a binding without the respond scope', { sub: 'a', scopes: ['containment-response-actions.read'], responder: { kind: 'host' as const, name: 'node-7' } }],
  ])('refuses to issue %s', async (_, request) => {
    // Prepare
    const issuer = await openDevIssuer(dataDir, quiet);

    // Act
    const act = issuer.issue(request);

    // Assess
    await expect(act).rejects.toThrow(RangeError);
  });

  it('issues up to the 12-hour maximum, which the default verifier accepts', async () => {
    // Prepare
    const issuer = await openDevIssuer(dataDir, quiet);

    // Act
    const token = await issuer.issue({ sub: 'a', scopes: ['containment-response-actions.read'], ttlSeconds: 12 * 3600 });

    // Assess
    expect((await verifierOf(issuer).verify(`Bearer ${token}`)).sub).toBe('a');
  });

  it('reuses its key across openings, so tokens survive a restart', async () => {
    // Prepare
    const first = await openDevIssuer(dataDir, quiet);
    const token = await first.issue({ sub: 'a', scopes: ['containment-response-actions.read'] });

    // Act
    const second = await openDevIssuer(dataDir, quiet);

    // Assess
    expect(second.currentKid()).toBe(first.currentKid());
    expect((await verifierOf(second).verify(`Bearer ${token}`)).sub).toBe('a');
  });

  it('keeps using a key file written when the issuer still rotated keys (its retired list ignored)', async () => {
    // Prepare: the file as the rotating issuer wrote it, with createdAt and a list of retired keys
    const first = await openDevIssuer(dataDir, quiet);
    const token = await first.issue({ sub: 'a', scopes: ['containment-response-actions.read'] });
    const current = JSON.parse(await readFile(keyFileOf(dataDir), 'utf8')) as { signing: object };
    const older = { version: 1, signing: { ...current.signing, createdAt: '2026-11-20T10:00:00.000Z' }, retired: [] };
    await writeFile(keyFileOf(dataDir), JSON.stringify(older), { mode: 0o600 });

    // Act
    const reopened = await openDevIssuer(dataDir, quiet);

    // Assess
    expect(reopened.currentKid()).toBe(first.currentKid());
    expect((await verifierOf(reopened).verify(`Bearer ${token}`)).sub).toBe('a');
  });

  it('ends up with one key when several processes open it at once', async () => {
    // Act
    const issuers = await Promise.all([1, 2, 3, 4, 5].map(() => openDevIssuer(dataDir, quiet)));

    // Assess
    expect(new Set(issuers.map((issuer) => issuer.currentKid())).size).toBe(1);
  });

  it('refuses tokens of a key it does not hold, with an unknown-key 401', async () => {
    // Prepare
    const other = await mkdtemp(join(tmpdir(), 'dev-issuer-other-'));
    try {
      const stranger = await openDevIssuer(other, quiet);
      const token = await stranger.issue({ sub: 'a', scopes: ['containment-response-actions.read'] });
      const issuer = await openDevIssuer(dataDir, quiet);

      // Act
      const error: unknown = await verifierOf(issuer).verify(`Bearer ${token}`).catch((thrown: unknown) => thrown);

      // Assess
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error).toMatchObject({ reason: 'unknown-key' });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('tightens a key file and directory others could read, and says so', async () => {
    // Prepare
    const issuer = await openDevIssuer(dataDir, quiet);
    await chmod(keyFileOf(dataDir), 0o644);
    await chmod(join(dataDir, 'auth'), 0o755);
    const warnings: string[] = [];

    // Act
    const reopened = await openDevIssuer(dataDir, { warn: (message) => warnings.push(message) });

    // Assess
    expect(reopened.currentKid()).toBe(issuer.currentKid());
    expect(await modeOf(keyFileOf(dataDir))).toBe(0o600);
    expect(await modeOf(join(dataDir, 'auth'))).toBe(0o700);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('0644');
  });

  it('refuses a key file that is not one, naming the file', async () => {
    // Prepare
    await openDevIssuer(dataDir, quiet);
    await writeFile(keyFileOf(dataDir), '{"version":1,"signing":{}}', { mode: 0o600 });

    // Act
    const act = openDevIssuer(dataDir, quiet);

    // Assess
    await expect(act).rejects.toThrow(keyFileOf(dataDir));
  });

  it('refuses a key file that is a symbolic link', async () => {
    // Prepare
    const elsewhere = join(dataDir, 'elsewhere.json');
    await openDevIssuer(dataDir, quiet);
    await writeFile(elsewhere, await readFile(keyFileOf(dataDir)), { mode: 0o600 });
    await rm(keyFileOf(dataDir));
    await symlink(elsewhere, keyFileOf(dataDir));

    // Act
    const act = openDevIssuer(dataDir, quiet);

    // Assess
    await expect(act).rejects.toThrow(/symbolic link/);
  });

  it('takes DATA_DIR from the environment, .local/ in the checkout when unset', () => {
    // Assess
    expect(dataDirFrom({ DATA_DIR: dataDir })).toBe(dataDir);
    expect(dataDirFrom({})).toBe(defaultDataDir);
    expect(dataDirFrom({ DATA_DIR: ' ' })).toBe(defaultDataDir);
    expect(defaultDataDir).toMatch(/[/\\]\.local[/\\]?$/);
  });
});
