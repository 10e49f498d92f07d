/**
 * Every container action against a real containerd (Debian's, started by the integration run's
 * global setup on a socket of its own), on busybox containers made with `ctr run`: by full id,
 * by a short id prefix and by nerdctl's name label. What happened is checked with `ctr`, not
 * with the responder's own client.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import type { HostActionsOptions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf, undoSourceOf } from './support/context.ts';
import { sha256, temporaryDirectory } from './support/files.ts';
import { running } from './support/processes.ts';
import { containerdSocket, ctrRemove, ctrRun, ctrTask, dockerSocket, logPath, newContainerId } from './support/real-containers.ts';
import type { CtrTask } from './support/real-containers.ts';

/** A task that prints a line to each stream, then sleeps (as PID 1 it ignores SIGTERM). */
const sleeper = 'echo hello from the task; echo warning on stderr >&2; exec sleep 3600';

let work: { path: string; remove: () => Promise<void> };
const made: CtrTask[] = [];

function actions(options: Partial<HostActionsOptions> = {}) {
  return hostActions({ quarantineDir: join(work.path, 'quarantine'), dockerSocketPath: dockerSocket(), containerdSocketPath: containerdSocket(), ...options });
}

async function task(options: { script?: string; name?: string; logFile?: string; id?: string } = {}): Promise<CtrTask> {
  const made1 = await ctrRun({ script: sleeper, ...options });
  made.push(made1);
  return made1;
}

async function statusOf(task1: CtrTask): Promise<string> {
  return (await ctrTask(task1))?.status ?? 'no task';
}

beforeAll(async () => {
  work = await temporaryDirectory('containerd-real');
});

afterEach(async () => {
  for (const each of made.splice(0)) await ctrRemove(each);
});

afterAll(async () => {
  await work.remove();
});

describe('kill-container on real containerd', () => {
  it('kills a task by its full id, and reports it stopped', async () => {
    // Prepare
    const web = await task({ name: 'web' });
    const pid = (await ctrTask(web))?.pid ?? 0;

    // Act
    const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': web.id }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ containerId: web.id, name: 'web', runtime: 'containerd', namespace: 'default', statusBefore: 'running', statusAfter: 'stopped', pid, notes: [] });
    expect(await statusOf(web)).toBe('stopped');
    expect(await running(pid)).toBe(false);
  });

  it('reports statusAfter stopped on every one of 10 kills: it waits until containerd has recorded the exit', async () => {
    // Prepare: Tasks.Kill returns before the exit is recorded; a status read right after it raced
    const results: unknown[] = [];

    // Act
    for (let round = 0; round < 10; round += 1) {
      const each = await task({ script: 'exec sleep 3600' });
      const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': each.id }));
      const result = objectOf(outcome.result);
      results.push({ statusAfter: result['statusAfter'], notes: result['notes'] });
      await ctrRemove(each);
    }

    // Assess
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ statusAfter: 'stopped', notes: [] })));
  });

  it('kills a paused task (SIGKILL reaches a frozen task)', async () => {
    // Prepare
    const web = await task();
    await actionOf(actions(), 'pause-container').execute(hostWork('pause-container', { 'container.id': web.id }));

    // Act
    const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': web.id }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ statusBefore: 'paused', statusAfter: 'stopped' });
    expect(await statusOf(web)).toBe('stopped');
  });
});

describe('finding a container on real containerd', () => {
  it('finds it by a 12-character id prefix (the id containerd answers in Process.id)', async () => {
    // Prepare
    const web = await task();

    // Act
    const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': web.id.slice(0, 12) }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ containerId: web.id, statusAfter: 'stopped' });
    expect(await statusOf(web)).toBe('stopped');
  });

  it('refuses a prefix two containers share, and changes neither', async () => {
    // Prepare: ids chosen freely, as ctr allows
    const shared = newContainerId().slice(0, 20);
    const first = await task({ id: `${shared}${newContainerId().slice(0, 44)}` });
    const second = await task({ id: `${shared}${newContainerId().slice(0, 44)}` });

    // Act
    const attempt = actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': shared.slice(0, 14) }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ContainerNameAmbiguous', message: expect.stringContaining('matches 2 containers in namespace default') as unknown });
    expect([await statusOf(first), await statusOf(second)]).toEqual(['running', 'running']);
  });

  it('answers ContainerNotFound for a name and an id no container has', async () => {
    // Act
    // Awaited one at a time, so the second cannot reject while nothing listens to it yet.
    const byName = actionOf(actions(), 'pause-container').execute(hostWork('pause-container', { 'container.name': 'nothing-here' }));
    await expect(byName).rejects.toMatchObject({ code: 'ContainerNotFound' });
    const byId = actionOf(actions(), 'pause-container').execute(hostWork('pause-container', { 'container.id': newContainerId().slice(0, 16) }));

    // Assess
    await expect(byName).rejects.toMatchObject({ code: 'ContainerNotFound', message: expect.stringContaining(`containerd (${containerdSocket()})`) as unknown });
    await expect(byId).rejects.toMatchObject({ code: 'ContainerNotFound' });
  });
});

describe('pause, unpause and stop on real containerd', () => {
  it('pauses a container by its name and unpause-container, by its short id, resumes it', async () => {
    // Prepare
    const web = await task({ name: 'paused-web' });
    const list = actions();

    // Act
    const outcome = await actionOf(list, 'pause-container').execute(hostWork('pause-container', { 'container.name': 'paused-web' }));
    const frozen = await statusOf(web);
    const undo = await actionOf(list, 'unpause-container').execute(hostWork('unpause-container', { 'container.id': web.id.slice(0, 12) }, { undoOf: undoSourceOf('pause-container', outcome) }));

    // Assess
    expect(outcome.applied).toEqual({ containerId: web.id, name: 'paused-web', runtime: 'containerd', namespace: 'default', paused: true });
    expect(frozen).toBe('paused');
    expect(objectOf(undo.result)).toMatchObject({ changed: true, statusBefore: 'paused', statusAfter: 'running' });
    expect(await statusOf(web)).toBe('running');
  });

  it('stops a task that ignores SIGTERM with SIGKILL after the grace period, and cannot start it again', async () => {
    // Prepare
    const web = await task();
    const list = actions({ stopTimeoutSeconds: 1 });

    // Act
    const outcome = await actionOf(list, 'stop-container').execute(hostWork('stop-container', { 'container.id': web.id }));
    const start = actionOf(list, 'start-container').execute(hostWork('start-container', { 'container.id': web.id }, { undoOf: undoSourceOf('stop-container', outcome) }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ changed: true, statusAfter: 'stopped' });
    await expect(start).rejects.toMatchObject({ code: 'UnsupportedByRuntime', message: expect.stringContaining('nerdctl start') as unknown });
    expect(await statusOf(web)).toBe('stopped');
  });

  it('stops a task that handles SIGTERM within the grace period', async () => {
    // Prepare
    const web = await task({ script: "trap 'exit 0' TERM; while true; do sleep 0.2; done" });

    // Act
    const outcome = await actionOf(actions({ stopTimeoutSeconds: 20 }), 'stop-container').execute(hostWork('stop-container', { 'container.id': web.id }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ changed: true, statusAfter: 'stopped' });
    expect(await statusOf(web)).toBe('stopped');
  });
});

describe('evidence from real containerd tasks', () => {
  it("collects a task's log file", async () => {
    // Prepare
    const logFile = logPath(work.path, 'logged');
    const web = await task({ logFile });
    await expect.poll(() => readFile(logFile, 'utf8').catch(() => '')).toContain('warning on stderr');
    const context = hostWork('get-logs', { 'container.id': web.id });

    // Act
    const outcome = await actionOf(actions(), 'get-logs').execute(context);

    // Assess
    // Both streams go to the one file, in the order the kernel delivered them.
    expect(context.uploads[0]?.body.toString('utf8').split('\n').sort()).toEqual(['', 'hello from the task', 'warning on stderr']);
    expect(objectOf(outcome.result)).toMatchObject({ source: `containerd task log file ${logFile}` });
  });

  it('refuses get-logs for a task whose output goes nowhere it can read', async () => {
    // Prepare
    const web = await task();

    // Act
    const attempt = actionOf(actions(), 'get-logs').execute(hostWork('get-logs', { 'container.id': web.id }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'UnsupportedByRuntime', message: expect.stringContaining('containerd keeps no logs of its own') as unknown });
  });

  it('acquires a file by its path inside the container', async () => {
    // Prepare: the file exists only inside the container's root
    const web = await task({ script: 'echo implant-$$ > /tmp/implant; exec sleep 3600' });
    const pid = (await ctrTask(web))?.pid ?? 0;
    await expect.poll(() => readFile(`/proc/${pid}/root/tmp/implant`, 'utf8').catch(() => '')).toBe('implant-1\n');
    const context = hostWork('acquire-file', { 'path.absolute': '/tmp/implant', 'container.id': web.id.slice(0, 12) });

    // Act
    const outcome = await actionOf(actions(), 'acquire-file').execute(context);

    // Assess
    expect(context.uploads[0]?.body.toString('utf8')).toBe('implant-1\n');
    expect(objectOf(outcome.result)).toMatchObject({ sha256: sha256('implant-1\n'), hostPath: `/proc/${pid}/root/tmp/implant` });
  });
});

describe('kill-process with the container check, on real containerd', () => {
  it('kills the process of the container the action names, and refuses it for another container', async () => {
    // Prepare
    const web = await task();
    const other = await task();
    const pid = (await ctrTask(web))?.pid ?? 0;

    // Act
    const wrong = actionOf(actions(), 'kill-process').execute(hostWork('kill-process', { 'process.id': pid, 'container.id': other.id }));
    await expect(wrong).rejects.toMatchObject({ code: 'ContainerMismatch' });
    const stillRunning = await running(pid);
    const outcome = await actionOf(actions(), 'kill-process').execute(hostWork('kill-process', { 'process.id': pid, 'container.id': web.id }));

    // Assess
    expect(stillRunning).toBe(true);
    expect(objectOf(outcome.result)).toMatchObject({ pid, containerId: web.id, gone: true });
    await expect.poll(() => statusOf(web)).toBe('stopped');
  });
});
