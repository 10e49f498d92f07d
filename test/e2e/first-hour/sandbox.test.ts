/**
 * `npm run sandbox`'s program (scripts/sandbox.ts) as a newcomer runs it: started as a terminal's
 * foreground job (its own process group), stopped with a Ctrl-C sent to that whole group, and what
 * it prints and leaves behind when it cannot start. moto_server is the real one, started through a
 * wrapper on PATH that only records its PID and execs it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActionRecord } from '#shared/history/record.ts';

const root = new URL('../../../', import.meta.url).pathname;
let realMoto: string;
let scratch: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  try {
    realMoto = execFileSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('These tests need moto_server (pip install "moto[server]") on PATH.');
  }
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  await rm(scratch, { recursive: true, force: true });
});

interface Sandbox {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
  /** moto_server's PID, once the wrapper has run. */
  readonly motoPid: () => Promise<number | undefined>;
}

/** Starts the sandbox's program in a process group of its own, as a shell starts a foreground job. */
async function sandbox(env: Record<string, string>, withMoto = true): Promise<Sandbox> {
  scratch = await mkdtemp(join(tmpdir(), 'first-hour-sandbox-'));
  const bin = join(scratch, 'bin');
  const pidFile = join(scratch, 'moto.pid');
  await writeFile(join(scratch, '.keep'), '');
  if (withMoto) {
    await import('node:fs/promises').then(({ mkdir }) => mkdir(bin));
    await writeFile(join(bin, 'moto_server'), `#!/bin/sh\necho $$ > '${pidFile}'\nexec '${realMoto}' "$@"\n`);
    await chmod(join(bin, 'moto_server'), 0o755);
  }
  // Without the wrapper, a PATH with no moto_server on it (Node is run by its absolute path).
  const path = withMoto ? `${bin}:${process.env['PATH'] ?? ''}` : `${dirname(process.execPath)}:/usr/bin:/bin`;
  const child = spawn(process.execPath, ['scripts/sandbox.ts'], {
    cwd: root,
    env: { PATH: path, HOME: process.env['HOME'], PORT: '0', DATA_DIR: join(scratch, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  const motoPid = async (): Promise<number | undefined> => {
    try {
      return Number((await readFile(pidFile, 'utf8')).trim());
    } catch {
      return undefined;
    }
  };
  return { child, output: () => output, exit, motoPid };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${String(timeoutMs)} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function alive(pid: number): boolean {
  try {
    // A zombie is gone for every purpose here: it serves nothing.
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${String(pid)}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

function stderrLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
}

describe('npm run sandbox', { timeout: 400_000 }, () => {
  it('ends fetch-cloud-logs at once in a clear Error (moto has no CloudTrail), and a Ctrl-C stops the service, then moto_server', async () => {
    const running = await sandbox({});
    await until('the sandbox to print its commands', () => (running.output().includes('Paste into another shell') ? true : running.child.exitCode !== null ? Promise.reject(new Error(running.output())) : undefined));
    const api = /export API=(\S+)/.exec(running.output())?.[1] ?? '';
    const token = /export TOKEN=(\S+)/.exec(running.output())?.[1] ?? '';
    const motoPid = await until('moto_server to start', running.motoPid);
    // A terminal's Ctrl-C goes to the whole foreground group: moto_server must not be in it.
    expect(processGroup(motoPid)).not.toBe(processGroup(running.child.pid ?? 0));

    const now = Date.now();
    const created = await fetch(`${api}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'fetch-cloud-logs',
        inputs: {
          'aws.account.id': '123456789012',
          'aws.region': 'us-east-1',
          'ct.user': 'demo-user',
          fromTimestamp: new Date(now - 3_600_000).toISOString(),
          toTimestamp: new Date(now).toISOString(),
        },
      }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const ended = await until('fetch-cloud-logs to end', async () => {
      const record = (await (await fetch(`${api}/v1/actions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as ActionRecord;
      return record.status === 'Completed' || record.status === 'Error' ? record : undefined;
    });
    expect(ended.status).toBe('Error');
    const message = JSON.stringify(ended.error);
    expect(message).toContain('CloudTrail is not available at http://127.0.0.1:');
    expect(message).not.toContain('AWS refused');
    expect(message).not.toContain('Deserialization error');

    process.kill(-(running.child.pid ?? 0), 'SIGINT');
    expect(await running.exit).toBe(0);
    expect(running.output()).toContain('SIGINT: stopping');
    expect(running.output()).not.toContain('SIGINT again');
    await until('moto_server to exit', () => (alive(motoPid) ? undefined : true), 30_000);
  });

  it('leaves no moto_server running after a Ctrl-C while it is still starting', async () => {
    const running = await sandbox({});
    // moto_server has been spawned (the wrapper ran) and the sandbox is still waiting for it, or seeding, or starting the service.
    const motoPid = await until('moto_server to be spawned', running.motoPid);
    expect(running.output()).not.toContain('Paste into another shell');

    process.kill(-(running.child.pid ?? 0), 'SIGINT');
    await running.exit;
    await until('moto_server to exit', () => (alive(motoPid) ? undefined : true), 30_000);
  });

  it('says a port in use in one line, exit 2, and leaves no moto_server running', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    try {
      const failed = await sandbox({ PORT: String(address.port) });
      expect(await failed.exit).toBe(2);
      expect(stderrLines(failed.output())).toEqual([
        `configuration: PORT: 127.0.0.1:${String(address.port)} is already in use by another program; stop it, or set PORT to a free port (PORT=0 picks one)`,
      ]);
      const motoPid = await failed.motoPid();
      expect(motoPid).toBeDefined();
      await until('moto_server to exit', () => (alive(motoPid ?? 0) ? undefined : true), 30_000);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => { resolve(); }));
    }
  });

  it('says a missing moto_server in one line naming how to install it, exit 2', async () => {
    const failed = await sandbox({}, false);
    expect(await failed.exit).toBe(2);
    expect(stderrLines(failed.output())).toEqual([
      'sandbox: moto_server is not installed or not on PATH; install it (pip install "moto[server]") and run npm run sandbox again',
    ]);
  });
});
