import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDevIssuer } from '#local/dev-issuer.ts';
import { createTokenVerifier } from '#shared/auth/token-verifier.ts';

const checkout = fileURLToPath(new URL('../../../', import.meta.url));

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'token-script-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node scripts/token.ts ARGS` with this test's Node (24, which strips types) and DATA_DIR. */
function runTokenScript(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/token.ts', ...args],
      { cwd: checkout, env: { ...process.env, DATA_DIR: dataDir }, timeout: 20_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

async function verify(token: string) {
  const issuer = await openDevIssuer(dataDir, { warn: () => undefined });
  return createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, keys: { jwks: issuer.jwks() } }).verify(`Bearer ${token}`);
}

describe('npm run token', () => {
  it('prints only a token the local service accepts, as local-user', async () => {
    // Act
    const run = await runTokenScript('containment-response-actions.exec', 'data-gathering-response-actions.read');

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const caller = await verify(run.stdout.trim());
    expect(caller).toEqual({
      sub: 'local-user',
      scopes: new Set(['containment-response-actions.exec', 'data-gathering-response-actions.read']),
    });
  });

  it('takes --sub and --ttl', async () => {
    // Act
    const run = await runTokenScript('containment-response-actions.read', '--sub', 'alice', '--ttl', '60');

    // Assess
    expect(run.code).toBe(0);
    const claims = decodeJwt(run.stdout.trim());
    expect(claims.sub).toBe('alice');
    expect(Number(claims.exp) - Number(claims.iat)).toBe(60);
    expect((await verify(run.stdout.trim())).sub).toBe('alice');
  });

  it('binds a responder token with --responder', async () => {
    // Act
    const run = await runTokenScript('response-actions.respond', '--responder', 'host/node-7', '--sub', 'responder-node-7');

    // Assess
    expect(run.code).toBe(0);
    expect((await verify(run.stdout.trim())).responder).toEqual({ kind: 'host', name: 'node-7' });
  });

  it('binds an events token to the sources and Falco hosts given with --events', async () => {
    // Act
    const bound = await runTokenScript('response-actions.events', '--events', 'falco/node-7,guardduty', '--sub', 'falcosidekick');
    const unbound = await runTokenScript('response-actions.events');
    const withoutScope = await runTokenScript('containment-response-actions.read', '--events', 'falco');
    const badSource = await runTokenScript('response-actions.events', '--events', 'cloudtrail');

    // Assess
    expect(bound.code).toBe(0);
    expect((await verify(bound.stdout.trim())).events).toEqual([{ source: 'falco', hostname: 'node-7' }, { source: 'guardduty' }]);
    expect(unbound.code).toBe(0);
    expect((await verify(unbound.stdout.trim())).events).toBeUndefined();
    expect([withoutScope.code, withoutScope.stdout]).toEqual([2, '']);
    expect(withoutScope.stderr).toContain('--events needs the response-actions.events scope');
    expect([badSource.code, badSource.stdout]).toEqual([2, '']);
  });

  it('fails on an unknown scope with exit 2, listing the valid ones on stderr and nothing on stdout', async () => {
    // Act
    const run = await runTokenScript('containment-response-actions.exec', 'response-actions.admin');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown scope response-actions.admin');
    for (const scope of ['containment-response-actions.exec', 'containment-response-actions.read', 'data-gathering-response-actions.exec', 'data-gathering-response-actions.read', 'response-actions.respond']) {
      expect(run.stderr).toContain(scope);
    }
  });

  it.each([
    [['--sub', 'alice']],
    [['containment-response-actions.read', '--ttl', '43201']],
    [['containment-response-actions.read', '--bogus']],
    [['response-actions.respond']],
    [['containment-response-actions.read', '--sub', 'alice\nlevel=admin']],
    [['containment-response-actions.read', '--sub', 'a'.repeat(3000)]],
  ])('fails with exit 2 on %j', async (args) => {
    // Act
    const run = await runTokenScript(...args);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('usage:');
  });
});
