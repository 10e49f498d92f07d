/**
 * DATA_DIR's lock (local/data-dir.ts): held by a live process it refuses, left by a dead one (or
 * by a PID since given to another process) it is taken over, and it is released only by its holder.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '#local/data-dir.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'data-dir-lock-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

/** A PID that was a process and is no more: a child that has exited and been reaped. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$']);
  return Number(child.stdout.toString().trim());
}

describe('lockDataDir', () => {
  it('refuses while a live process holds it, naming that process, and takes it once released', async () => {
    const held = await lockDataDir(dataDir, 'npm start');
    const refusal = await lockDataDir(dataDir, 'npm run sandbox').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    expect((refusal as Error).message).toContain(`is in use by process ${String(process.pid)} (npm start)`);
    held.release();
    const next = await lockDataDir(dataDir, 'npm run sandbox');
    expect(next.tookOverFrom).toBeUndefined();
    next.release();
  });

  it('takes over the lock of a process that is gone, and says whose it was', async () => {
    const pid = deadPid();
    await writeFile(join(dataDir, 'lock'), `${JSON.stringify({ pid, started: '1', program: 'npm start' })}\n`);
    const lock = await lockDataDir(dataDir, 'npm start');
    expect(lock.tookOverFrom).toBe(pid);
    expect(JSON.parse(await readFile(join(dataDir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes over a lock whose PID now belongs to another process (its start time differs)', async () => {
    await writeFile(join(dataDir, 'lock'), `${JSON.stringify({ pid: process.pid, started: `${startTime(process.pid)}0`, program: 'npm start' })}\n`);
    const lock = await lockDataDir(dataDir, 'npm start');
    expect(lock.tookOverFrom).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock file it cannot read as a lock', async () => {
    await writeFile(join(dataDir, 'lock'), 'not json');
    const lock = await lockDataDir(dataDir, 'npm start');
    expect(JSON.parse(await readFile(join(dataDir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('leaves a lock another process wrote in place when releasing', async () => {
    const lock = await lockDataDir(dataDir, 'npm start');
    const theirs = `${JSON.stringify({ pid: 1, started: null, program: 'npm start' })}\n`;
    await writeFile(join(dataDir, 'lock'), theirs);
    lock.release();
    expect(await readFile(join(dataDir, 'lock'), 'utf8')).toBe(theirs);
  });
});
