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
