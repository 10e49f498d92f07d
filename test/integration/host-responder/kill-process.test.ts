/**
 * kill-process for real on this machine: sleeps spawned here are killed (or refused) and /proc
 * and `ps` say what happened to them. The guards are exercised on pid 1, a real kernel thread,
 * this process (standing in for the responder) and its parent.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf, textOf } from './support/context.ts';
import { running, spawnSleeper, startTimeByPs, unusedPid } from './support/processes.ts';
import type { Sleeper } from './support/processes.ts';

const killProcess = actionOf(hostActions({ quarantineDir: '/nonexistent-quarantine' }), 'kill-process');
const sleepers: Sleeper[] = [];

async function sleeper(): Promise<Sleeper> {
  const spawned = await spawnSleeper();
  sleepers.push(spawned);
  return spawned;
}

afterEach(() => {
  for (const spawned of sleepers.splice(0)) spawned.stop();
});

describe('kill-process on real processes', () => {
  it('kills a process whose start time matches, and reports it gone', async () => {
    // Prepare
    const target = await sleeper();
    const startedAt = await startTimeByPs(target.pid);
    const context = hostWork('kill-process', { 'process.id': target.pid, 'process.start_time': startedAt.toISOString() });

    // Act
    const outcome = await killProcess.execute(context);

    // Assess
    expect(await target.exited).toBe('SIGKILL');
    expect(await running(target.pid)).toBe(false);
    const result = objectOf(outcome.result);
    expect(result).toMatchObject({ pid: target.pid, comm: 'sleep', commandLine: 'sleep 300', signal: 'SIGKILL', gone: true, uid: 0 });
    expect(result['exe']).toMatch(/\/sleep$/);
    expect(Math.abs(new Date(textOf(result['startTime'])).getTime() - startedAt.getTime())).toBeLessThan(1000);
    expect(outcome.applied).toEqual({ pid: target.pid, startTime: result['startTime'], signal: 'SIGKILL' });
    expect(objectOf(outcome.prior)['state']).toMatch(/^[RS]$/);
  });

  it('kills without a start time given', async () => {
    // Prepare
    const target = await sleeper();

    // Act
    const outcome = await killProcess.execute(hostWork('kill-process', { 'process.id': target.pid }));

    // Assess
    expect(await target.exited).toBe('SIGKILL');
    expect(objectOf(outcome.result)['gone']).toBe(true);
  });

  it('refuses when the start time is more than a second off, naming both times, and the process lives on', async () => {
    // Prepare
    const target = await sleeper();
    const startedAt = await startTimeByPs(target.pid);
    const claimed = new Date(startedAt.getTime() - 5000);

    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': target.pid, 'process.start_time': claimed.toISOString() }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'StartTimeMismatch', message: expect.stringContaining(claimed.toISOString()) as unknown });
    await expect(attempt).rejects.toThrow(new RegExp(`started at ${startedAt.toISOString().slice(0, 19)}`));
    expect(await running(target.pid)).toBe(true);
  });

  it('refuses a process that is not in the container named, using its real cgroups', async () => {
    // Prepare
    const target = await sleeper();
    const containerId = randomBytes(32).toString('hex');

    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': target.pid, 'container.id': containerId }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ContainerMismatch', message: expect.stringContaining(`is not in container ${containerId}`) as unknown });
    expect(await running(target.pid)).toBe(true);
  });

  it('refuses pid 1', async () => {
    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': 1 }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ProtectedProcess', message: expect.stringContaining('pid 1') as unknown });
  });

  it('refuses the responder itself and its parent', async () => {
    // Act
    const attempt = (pid: number) => killProcess.execute(hostWork('kill-process', { 'process.id': pid }));

    // Assess
    await expect(attempt(process.pid)).rejects.toMatchObject({ code: 'ProtectedProcess', message: expect.stringContaining('the host responder itself') as unknown });
    await expect(attempt(process.ppid)).rejects.toMatchObject({ code: 'ProtectedProcess', message: expect.stringContaining("the host responder's parent") as unknown });
  });

  it("refuses a thread of the responder's own process", async () => {
    // Prepare: a libuv or V8 thread of this process
    const tids = (await readdir('/proc/self/task')).map(Number).filter((tid) => tid !== process.pid);
    const [tid] = tids;
    expect(tid).toBeDefined();

    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': tid }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ProtectedProcess', message: expect.stringContaining(`of process ${process.pid}`) as unknown });
  });

  it('refuses a real kernel thread', async () => {
    // Prepare: kthreadd, pid 2 on every Linux host
    expect((await readFile('/proc/2/comm', 'utf8')).trim()).toBe('kthreadd');
    await expect(readlink('/proc/2/exe')).rejects.toThrow();

    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': 2 }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ProtectedProcess', message: expect.stringContaining('kernel thread') as unknown });
  });

  it('answers ProcessNotFound for a pid nothing runs as', async () => {
    // Prepare
    const pid = await unusedPid();

    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': pid }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ProcessNotFound', message: `no process ${pid} on this host` });
  });

  it('answers ProcessNotFound for a zombie, which has exited already', async () => {
    // Prepare: `sleep 0` becomes a zombie child of a shell that then execs a sleep which never reaps
    const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 300'], { stdio: 'ignore' });
    sleepers.push({ child: parent, pid: parent.pid ?? 0, exited: Promise.resolve(null), stop: () => parent.kill('SIGKILL') });
    let zombie: number | undefined;
    for (let attempt = 0; attempt < 200 && zombie === undefined; attempt += 1) {
      await sleep(10);
      const children = await readFile(`/proc/${parent.pid ?? 0}/task/${parent.pid ?? 0}/children`, 'utf8').catch(() => '');
      for (const pid of children.trim().split(' ').filter((text) => text !== '').map(Number)) {
        if (!(await running(pid))) zombie = pid;
      }
    }
    expect(zombie).toBeDefined();

    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': zombie }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ProcessNotFound', message: expect.stringContaining('zombie') as unknown });
  });

  it('refuses a thread id of another process, naming the process to give', async () => {
    // Prepare: a node child has threads besides its main one
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    sleepers.push({ child, pid: child.pid ?? 0, exited: Promise.resolve(null), stop: () => child.kill('SIGKILL') });
    let tid: number | undefined;
    for (let attempt = 0; attempt < 200 && tid === undefined; attempt += 1) {
      await sleep(10);
      tid = (await readdir(`/proc/${child.pid ?? 0}/task`).catch(() => [])).map(Number).find((id) => id !== child.pid);
    }
    expect(tid).toBeDefined();

    // Act
    const attempt = killProcess.execute(hostWork('kill-process', { 'process.id': tid }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'NotAProcess', message: expect.stringContaining(`give process.id ${child.pid ?? 0}`) as unknown });
    expect(await running(child.pid ?? 0)).toBe(true);
  });
});
