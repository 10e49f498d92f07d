/**
 * The first hour, as a newcomer meets it: the token command `npm start` prints works for the
 * DATA_DIR it runs on, a token of another DATA_DIR's key is refused saying so, and a kept-alive
 * connection stays usable while a client keeps it idle.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDevIssuer } from '#local/dev-issuer.ts';
import { startLocalMain, type LocalMainProcess } from '#test/support/local-main-process.ts';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url).pathname;

let dataDir: string;
let otherDataDir: string;
let service: LocalMainProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'first-hour-banner-'));
  otherDataDir = await mkdtemp(join(tmpdir(), 'first-hour-other-'));
  // Generous: on a busy 2-core machine loading the service alone can take half a minute.
  service = await startLocalMain({ dataDir, moto: inject('motoEndpoint'), targetAccount: '123456789012', externalId: 'first-hour', startMs: 120_000 });
}, 180_000);
afterAll(async () => {
  await service.stop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(otherDataDir, { recursive: true, force: true });
});

async function actionTypes(token: string): Promise<Response> {
  return fetch(`${service.url}/v1/action-types`, { headers: { authorization: `Bearer ${token}` } });
}

describe('the token command the banner prints', () => {
  it('signs with the key of the DATA_DIR the service runs on, run as printed from a shell without DATA_DIR', async () => {
    const command = /TOKEN=\$\((.+)\)$/m.exec(service.output())?.[1];
    expect(command).toBeDefined();
    expect(command).toContain(`DATA_DIR=${dataDir} npm run --silent token --`);
    const env: Record<string, string | undefined> = { PATH: process.env['PATH'], HOME: process.env['HOME'] };
    const { stdout } = await run('sh', ['-c', command ?? ''], { cwd: root, env });
    const response = await actionTypes(stdout.trim());
    expect(response.status).toBe(200);
  });

  it("refuses a token of another DATA_DIR's key, saying it was not signed by this service's key and nothing of the token", async () => {
    const other = await openDevIssuer(otherDataDir);
    const token = await other.issue({ sub: 'someone-else', scopes: ['containment-response-actions.exec'] });
    const response = await actionTypes(token);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { detail: string };
    expect(problem.detail).toContain("was not signed by this service's key");
    expect(problem.detail).toContain('another DATA_DIR');
    expect(problem.detail).not.toContain(other.currentKid());
    for (const part of token.split('.')) expect(problem.detail).not.toContain(part);
  });
});

describe('keep-alive', () => {
  it('keeps a connection a client left idle for 6 s open, and answers on it', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<{ status: number; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const outgoing = request(`${service.url}/v1/openapi.json`, { agent }, (response) => {
          response.resume();
          response.once('end', () => { resolve({ status: response.statusCode ?? 0, reused: outgoing.reusedSocket }); });
        });
        outgoing.once('error', reject);
        outgoing.end();
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false });
      // Idle past Node's default keep-alive timeout (5 s), within what clients and proxies keep (60 s and more).
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(await get()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});

describe('host work for a host no responder has registered', () => {
  it('is refused at once with 409 naming host.id and the hosts that have a responder, nothing written', async () => {
    const issuer = await openDevIssuer(dataDir);
    const token = await issuer.issue({ sub: 'first-hour', scopes: ['containment-response-actions.exec'] });
    const post = (host: string): Promise<Response> =>
      fetch(`${service.url}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'kill-process', inputs: { 'host.id': host, 'process.id': 4242 } }),
      });
    const hostResponder = /host\.id (\S+)$/m.exec(service.output())?.[1] ?? '';
    expect(hostResponder).not.toBe('');
    // This machine's responder registers shortly after start: wait for it, so the list is known.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const listed = (await (await fetch(`${service.url}/v1/responders`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { id: string }[] };
      if (listed.items.some((item) => item.id === `host/${hostResponder}`)) break;
      if (Date.now() > deadline) throw new Error('the local host responder never registered');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const refused = await post('never-registered-7');
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await refused.json()) as { detail: string; errors: { path: string; message: string }[] };
    expect(problem.errors).toEqual([{ path: 'inputs.host.id', message: expect.stringContaining('no responder has registered for host "never-registered-7"') as unknown }]);
    expect(problem.detail).toContain(`the hosts with a responder are: ${hostResponder}`);
    expect(problem.detail).toContain('QUEUE_FOR_UNREGISTERED_RESPONDERS=true');
    const history = (await (await fetch(`${service.url}/v1/actions?resource=${encodeURIComponent('host/never-registered-7')}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] };
    expect(history.items).toEqual([]);
  });
});

describe('QUEUE_FOR_UNREGISTERED_RESPONDERS=true', { timeout: 300_000 }, () => {
  it('queues work for a host no responder has registered yet, to wait for its pickup deadline', async () => {
    const queuingDir = await mkdtemp(join(tmpdir(), 'first-hour-queue-'));
    const queuing = await startLocalMain({
      dataDir: queuingDir,
      moto: inject('motoEndpoint'),
      targetAccount: '123456789012',
      externalId: 'first-hour',
      startMs: 120_000,
      env: { QUEUE_FOR_UNREGISTERED_RESPONDERS: 'true' },
    });
    try {
      const token = await (await openDevIssuer(queuingDir)).issue({ sub: 'first-hour', scopes: ['containment-response-actions.exec'] });
      const created = await fetch(`${queuing.url}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'kill-process', inputs: { 'host.id': 'not-yet-registered-3', 'process.id': 4242 } }),
      });
      expect(created.status).toBe(202);
      expect(((await created.json()) as { status: string }).status).toMatch(/^(Created|Enqueued)$/);
    } finally {
      await queuing.stop();
      await rm(queuingDir, { recursive: true, force: true });
    }
  });
});
