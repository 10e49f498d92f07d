import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevIssuer } from '#local/dev-issuer.ts';
import { createConsoleSite } from '#local/console/console-site.ts';

// The console site on a real HTTP server, as an attacker on this machine's browser would reach it.
let server: Server;
let base: string;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'redteam-console-'));
  const dist = join(root, 'dist');
  const outside = join(root, 'outside');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(outside, 'secret.txt'), 'SECRET OUTSIDE THE BUILD');
  // A link inside the build to a folder outside it (a stray symlink in console/public, a hostile build plugin).
  await symlink(outside, join(dist, 'linked'));
  await symlink(outside, join(dist, 'assets', 'linked'));
  const issuer = await openDevIssuer(join(root, 'data'), { warn: () => undefined });
  const site = createConsoleSite({ dir: dist, auth: { kind: 'local', issuer } });
  server = createServer((request, response) => void site.serve(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  await rm(root, { recursive: true, force: true });
});

function signIn(body: unknown): Promise<Response> {
  return fetch(`${base}/local/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify(body) });
}

describe('the console site, attacked', () => {
  it('serves no file through a linked folder inside the build', async () => {
    // Act
    const answers = await Promise.all(['/linked/secret.txt', '/assets/linked/secret.txt'].map((path) => fetch(`${base}${path}`)));

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(await answer.text()).not.toContain('SECRET');
    }
  });

  it.each([
    [' automation:rule-1'],
    ['\u00a0automation:rule-1'],
    ['AUTOMATION:rule-1'],
    ['\uff41utomation\uff1arule-1'],
    ['host\uff0fweb-1'],
  ])('refuses a local sign-in as %j, which would be recorded as a rule or a responder', async (sub) => {
    // Act
    const answer = await signIn({ scopes: ['containment-response-actions.exec'], sub });

    // Assess
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as { errors: { path: string }[]; access_token?: string };
    expect(body.access_token).toBeUndefined();
    expect(body.errors.map((error) => error.path)).toEqual(['sub']);
  });

  it('records a name with spaces around it trimmed', async () => {
    // Act
    const answer = await signIn({ scopes: ['containment-response-actions.read'], sub: '  alice  ' });

    // Assess
    expect(answer.status).toBe(200);
    const { access_token: token } = (await answer.json()) as { access_token: string };
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string };
    expect(payload.sub).toBe('alice');
  });
});
