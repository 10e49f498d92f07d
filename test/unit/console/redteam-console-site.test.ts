import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevIssuer } from '#local/dev-issuer.ts';
import { loopbackPeerUid, tableAddress } from '#local/console/loopback-peer.ts';
import { serveConsoleSite, type ServedConsoleSite } from '#test/support/console-site-server.ts';
import { rawRequest } from '#test/support/raw-http.ts';

// The console site on a real HTTP server, as an attacker on this machine's browser would reach it.
let site: ServedConsoleSite;
/** Debian's busybox-static: its wget posts the sign-in as another user. */
const busybox = '/bin/busybox';
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
  site = await serveConsoleSite({ dir: dist, auth: { kind: 'local', issuer } });
  base = site.base;
});

afterAll(async () => {
  await site.close();
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

  it.each([['localhost'], ['[::1]'], ['LOCALHOST']])('refuses a local sign-in addressed to %s, where another user may serve a page on ::1 at this port', async (name) => {
    // Prepare: Host and Origin agree, as they would on a page served at that name
    const port = new URL(base).port;

    // Act: node's own client, which sends the Host it is given (fetch sends the URL's)
    const answer = await rawRequest(`${base}/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', host: `${name}:${port}`, origin: `http://${name}:${port}` },
      body: JSON.stringify({ scopes: ['containment-response-actions.exec'] }),
    });

    // Assess
    expect(answer.status).toBe(403);
    expect((JSON.parse(answer.body) as { detail: string }).detail).toContain(`addressed to http://127.0.0.1:${port}`);
  });

  it('serves no file for a path with an encoded slash, which would reach index.html through /assets/ and be cached as immutable', async () => {
    // Act
    const answers = await Promise.all(['/assets/..%2findex.html', '/assets/x%2f..%2f..%2findex.html', '/assets%2F..%2Findex.html', '/assets/..%5cindex.html'].map((path) => fetch(`${base}${path}`)));
    const index = await fetch(`${base}/index.html`);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404]);
    expect(answers.map((answer) => answer.headers.get('cache-control'))).not.toContain('public, max-age=31536000, immutable');
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
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

  it('refuses a local sign-in over a connection another user of this machine made, which the same request from this user gets', async () => {
    // Prepare: the same sign-in, posted by busybox's wget (root's, so any user may run it; .ci/run
    // installs busybox-static) as this user and as nobody (uid 65534)
    if (process.getuid?.() !== 0) throw new Error('this test needs root to connect as another user (nobody, uid 65534): run npm test as root, as .ci/run does');
    await access(busybox).catch(() => {
      throw new Error(`this test posts with ${busybox}: install it with \`apt-get install busybox-static\` (.ci/run does)`);
    });
    const post = ['wget', '-S', '-q', '-O', '-', '--header', 'Content-Type: application/json', '--header', `Origin: ${base}`, '--post-data', '{"scopes":["containment-response-actions.exec"]}', `${base}/local/sign-in`];
    const run = async (user: { uid: number; gid: number } | undefined): Promise<{ status: string; body: string }> => {
      const child = spawn(busybox, post, { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], ...user });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      await once(child, 'close');
      // -S writes the status line to stderr, on success and on refusal alike.
      return { status: /HTTP\/1\.1 (\d{3})/.exec(err)?.[1] ?? `none in: ${err}`, body: out };
    };

    // Act
    const own = await run(undefined);
    const other = await run({ uid: 65534, gid: 65534 });

    // Assess
    expect(own.status).toBe('200');
    expect((JSON.parse(own.body) as { access_token?: unknown }).access_token).toEqual(expect.any(String));
    expect(other.status).toBe('403');
    expect(other.body).not.toContain('access_token');
  });
});

describe('the connecting user, from the kernel\'s socket table', () => {
  it('writes an IPv4 address and port as /proc/net/tcp does, and refuses anything else', () => {
    // Assess: 127.0.0.1 is the 32-bit word 0x7f000001, printed in this machine's byte order
    expect(tableAddress('127.0.0.1', 8787)).toBe(endianness() === 'LE' ? '0100007F:2253' : '7F000001:2253');
    expect(tableAddress('::1', 8787)).toBeUndefined();
    expect(tableAddress('::ffff:127.0.0.1', 8787)).toBeUndefined();
    expect(tableAddress('127.0.0.256', 8787)).toBeUndefined();
    expect(tableAddress('127.0.0.1', undefined)).toBeUndefined();
  });

  it('tells no user for a connection the table does not list, or where there is no table', async () => {
    // Prepare: a table whose only line is another connection
    const table = join(root, 'tcp');
    await writeFile(table, '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 0100007F:2253 01 00000000:00000000 00:00000000 00000000     0        0 1 1\n');
    const socket = { remoteAddress: '127.0.0.1', remotePort: 8081, localAddress: '127.0.0.1', localPort: 8787 };

    // Act
    const listed = await loopbackPeerUid({ ...socket, remotePort: 0x1f90 }, table);
    const unlisted = await loopbackPeerUid(socket, table);
    const noTable = await loopbackPeerUid(socket, join(root, 'no-such-table'));

    // Assess
    expect(listed).toBe(endianness() === 'LE' ? 0 : undefined);
    expect(unlisted).toBeUndefined();
    expect(noTable).toBeUndefined();
  });
});

