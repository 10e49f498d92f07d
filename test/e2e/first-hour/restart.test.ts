/**
 * The first hour, as processes: `npm start`'s program (local/main.ts) started, stopped, killed and
 * started again on one DATA_DIR, and what it prints when it cannot start.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { IAMClient, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import { openDevIssuer } from '#local/dev-issuer.ts';
import { seedDemoAccount, type DemoAccount } from '#local/sandbox-seed.ts';
import type { ActionRecord } from '#shared/history/record.ts';
import { startLocalMain, type LocalMainProcess } from '#test/support/local-main-process.ts';

const root = new URL('../../../', import.meta.url).pathname;
const externalId = 'first-hour-external-id';

let moto: string;
let demo: DemoAccount;
let account: string;
let dataDir: string;
const started: LocalMainProcess[] = [];

beforeAll(async () => {
  moto = inject('motoEndpoint');
  demo = await seedDemoAccount({ endpoint: moto, memberRoleName: 'ResponseActionsMember', externalId, suffix: `-${randomUUID().slice(0, 8)}` });
  account = demo.accountId;
});
afterEach(async () => {
  for (const service of started.splice(0)) if (service.process.exitCode === null && service.process.signalCode === null) await service.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function freshDataDir(): Promise<string> {
  dataDir = await mkdtemp(join(tmpdir(), 'first-hour-'));
  return dataDir;
}

async function start(env: Record<string, string> = {}, endpoint = moto): Promise<LocalMainProcess> {
  // Generous: on a busy 2-core machine loading the service alone can take half a minute.
  const service = await startLocalMain({ dataDir, moto: endpoint, targetAccount: account, externalId, env, startMs: 120_000 });
  started.push(service);
  return service;
}

/** Runs `npm start`'s program to its exit (it is expected not to start): its exit code and output. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['local/main.ts'], {
    cwd: root,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], PORT: '0', DATA_DIR: dataDir, AWS_ENDPOINT_URL: moto, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

function exited(service: LocalMainProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = service.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => { resolve({ code, signal }); }));
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${String(timeoutMs)} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function bearer(): Promise<string> {
  const issuer = await openDevIssuer(dataDir);
  return issuer.issue({ sub: 'first-hour', scopes: ['containment-response-actions.exec'] });
}

async function record(service: LocalMainProcess, token: string, id: string): Promise<ActionRecord> {
  const response = await fetch(`${service.url}/v1/actions/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as ActionRecord;
}

/**
 * An AWS endpoint that takes every request and never answers: what no real server here does on
 * command (moto answers at once), so an action can be held in the middle of a call.
 */
async function silentAws(): Promise<{ endpoint: string; requests: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => (requests += 1));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    endpoint: `http://127.0.0.1:${String(address.port)}`,
    requests: () => requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

describe('one process per DATA_DIR', { timeout: 400_000 }, () => {
  it('refuses a second start on a DATA_DIR in use in one line naming the holder, exit 2', async () => {
    await freshDataDir();
    const first = await start();
    const second = await runToExit({});
    expect(second.code).toBe(2);
    expect(second.stdout).toBe('');
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`is in use by process ${String(first.process.pid)} (npm start)`);
    expect(lines[0]).toContain(`kill ${String(first.process.pid)}`);
    expect(lines[0]).toContain('or set DATA_DIR to another directory');
    // The first one is untouched: it still answers.
    expect((await fetch(`${first.url}/v1/openapi.json`)).status).toBe(200);
  });

  it('takes over the lock of a process killed with SIGKILL, and says so', async () => {
    await freshDataDir();
    const killed = await start();
    const pid = killed.process.pid;
    killed.process.kill('SIGKILL');
    await exited(killed);
    const next = await start();
    expect(next.output()).toContain(`DATA_DIR lock:   taken over from process ${String(pid)}`);
    expect((await fetch(`${next.url}/v1/openapi.json`)).status).toBe(200);
  });

  it('starts again at once after a clean stop, without a takeover', async () => {
    await freshDataDir();
    const first = await start();
    expect(await first.stop()).toBe(0);
    const next = await start();
    expect(next.output()).not.toContain('DATA_DIR lock');
  });
});

describe('SIGTERM with an action in flight', { timeout: 400_000 }, () => {
  it('stops while the action still waits on AWS, and the next start (AWS answering again) completes the action', async () => {
    await freshDataDir();
    const aws = await silentAws();
    try {
      const service = await start({}, aws.endpoint);
      const token = await bearer();
      const response = await fetch(`${service.url}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'iam-quarantine', inputs: { 'aws.resource.arn': demo.userArn }, reason: 'first hour' }),
      });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      await until('the action to be waiting on AWS', () => (aws.requests() > 0 ? true : undefined));
      expect((await record(service, token, id)).status).toMatch(/^(Enqueued|Running)$/);

      service.process.kill('SIGTERM');
      // The call it waits on is never answered: without a bounded stop it never exits.
      const { code } = await until('the process to exit', async () => {
        const child = service.process;
        return child.exitCode !== null || child.signalCode !== null ? exited(service) : undefined;
      });
      expect(code).toBe(0);
      expect(service.output()).toContain('the next start on this DATA_DIR settles them');

      // Started again with AWS answering (moto_server): recovery picks the action up and it settles.
      const again = await start();
      expect(again.output()).not.toContain('DATA_DIR lock');
      expect(again.output()).toContain('after restart:');
      const settled = await until('the action to settle', async () => {
        const current = await record(again, token, id);
        return ['Completed', 'Error'].includes(current.status) ? current : undefined;
      });
      expect(settled.status).toBe('Completed');
      const iam = new IAMClient({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      const { AttachedPolicies = [] } = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: demo.userArn.split('/').at(-1) ?? '' }));
      iam.destroy();
      expect(AttachedPolicies.map((policy) => policy.PolicyArn)).toContain('arn:aws:iam::aws:policy/AWSDenyAll');
    } finally {
      await aws.close();
    }
  });
});

describe('start-up errors', { timeout: 400_000 }, () => {
  it('says a port in use in one line, exit 2, no stack trace', async () => {
    await freshDataDir();
    const taken = createHttpServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    try {
      const result = await runToExit({ PORT: String(address.port), TARGET_ACCOUNTS: account, MEMBER_ROLE_EXTERNAL_ID: externalId });
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        `configuration: PORT: 127.0.0.1:${String(address.port)} is already in use by another program; stop it, or set PORT to a free port (PORT=0 picks one)`,
      ]);
      // It let go of DATA_DIR: the next start takes it without a takeover.
      const next = await start();
      expect(next.output()).not.toContain('DATA_DIR lock');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => { resolve(); }));
    }
  });
});

afterAll(async () => {
  for (const service of started.splice(0)) await service.stop();
});
