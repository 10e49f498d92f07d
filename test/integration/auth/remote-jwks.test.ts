import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeysUnavailableError, UnauthorizedError } from '#shared/auth/errors.ts';
import { createTokenVerifier } from '#shared/auth/token-verifier.ts';
import { FixedClock } from '#shared/clock.ts';
import { audience, issuer, keySet, now, sign, testKey } from '#test/unit/auth/forge.ts';
import type { TestKey } from '#test/unit/auth/forge.ts';

// An OIDC provider's jwks_uri, served on loopback.
let server: Server;
let baseUrl: string;
let published: JSONWebKeySet = { keys: [] };
let fetches = 0;
let key: TestKey;

beforeAll(async () => {
  key = await testKey('RS256');
  server = createServer((request, response) => {
    if (request.url === '/jwks.json') {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(published));
    } else {
      response.writeHead(500).end('broken');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await once(server, 'close');
});

const verifierAt = (path: string) =>
  createTokenVerifier({
    issuer,
    audience,
    keys: { jwksUrl: new URL(path, baseUrl), fetchTimeoutMs: 2_000 },
    algorithms: ['RS256'],
    clock: new FixedClock(new Date(now * 1000)),
  });

describe('token verifier with an OIDC jwks_uri', () => {
  it('fetches the key set once and verifies RS256 tokens by kid', async () => {
    // Prepare
    published = keySet(key);
    fetches = 0;
    const verifier = verifierAt('/jwks.json');
    const token = await sign(key);

    // Act
    const callers = [await verifier.verify(`Bearer ${token}`), await verifier.verify(`Bearer ${token}`)];

    // Assess
    expect(callers.map((caller) => caller.sub)).toEqual(['analyst-1', 'analyst-1']);
    expect(fetches).toBe(1);
  });

  it('answers an unknown kid with 401', async () => {
    // Prepare
    published = keySet(key);
    const verifier = verifierAt('/jwks.json');
    const stranger = await sign(await testKey('RS256'));

    // Act
    const error: unknown = await verifier.verify(`Bearer ${stranger}`).catch((thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error).toMatchObject({ reason: 'unknown-key' });
  });

  it('reports a provider that does not answer as unavailable keys, not a 401', async () => {
    // Prepare
    const verifier = verifierAt('/broken');
    const token = await sign(key);

    // Act
    const error: unknown = await verifier.verify(`Bearer ${token}`).catch((thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(SigningKeysUnavailableError);
  });
});
