/**
 * Every container action against a real dockerd (Debian's Docker 20.10, started by the
 * integration run's global setup on its own containerd), on busybox containers made with
 * Debian's `docker` client: by full id, by a short id prefix and by name. What happened is
 * checked with `docker inspect`, not with the responder's own client.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import type { HostActionsOptions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf, undoSourceOf } from './support/context.ts';
import { sha256, temporaryDirectory } from './support/files.ts';
import { running } from './support/processes.ts';
import { containerdSocket, docker, dockerLogs, dockerRun, dockerSocket, dockerState } from './support/real-containers.ts';

/** Prints a line to each stream, then waits; leaves at once on SIGTERM (which it handles). */
const service = "echo hello from docker; echo warning on stderr >&2; trap 'exit 0' TERM; while true; do sleep 0.2; done";

let work: { path: string; remove: () => Promise<void> };
const made: string[] = [];

function actions(options: Partial<HostActionsOptions> = {}) {
  return hostActions({ quarantineDir: join(work.path, 'quarantine'), dockerSocketPath: dockerSocket(), containerdSocketPath: containerdSocket(), ...options });
}

async function container(options: { script?: string; name?: string; extra?: readonly string[] } = {}): Promise<string> {
  const id = await dockerRun({ script: service, ...options });
  made.push(id);
  return id;
}

beforeAll(async () => {
  work = await temporaryDirectory('docker-real');
});

afterEach(async () => {
  const ids = made.splice(0);
  if (ids.length > 0) await docker(['rm', '--force', ...ids]);
});

afterAll(async () => {
  await work.remove();
});

describe('kill-container on real Docker', () => {
  it('kills a container by its name and reports it exited', async () => {
    // Prepare
    const id = await container({ name: 'killed-web' });
    const { pid } = await dockerState(id);

    // Act
    const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.name': 'killed-web' }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ containerId: id, name: 'killed-web', runtime: 'docker', statusBefore: 'running', statusAfter: 'exited', signal: 'SIGKILL', pid });
    expect((await dockerState(id)).status).toBe('exited');
    expect(await running(pid)).toBe(false);
  });

  it('kills a container by a 12-character id prefix, even when another container is named that prefix', async () => {
    // Prepare: Docker resolves a reference by name before id prefix, so the decoy answers first
    const id = await container();
    const decoy = await container({ name: id.slice(0, 12) });

    // Act
    const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': id.slice(0, 12) }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ containerId: id, statusAfter: 'exited' });
    expect([(await dockerState(id)).status, (await dockerState(decoy)).status]).toEqual(['exited', 'running']);
  });

  it('kills a container by its name, not the container whose id starts with that name', async () => {
    // Prepare
    const id = await container();
    const named = await container({ name: id.slice(0, 12) });

    // Act
    const outcome = await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.name': id.slice(0, 12) }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ containerId: named, statusAfter: 'exited' });
    expect([(await dockerState(id)).status, (await dockerState(named)).status]).toEqual(['running', 'exited']);
  });
});

describe('pause, unpause, stop and start on real Docker', () => {
  it('pauses a container by its full id and unpause-container, by its name, resumes it', async () => {
    // Prepare
    const id = await container({ name: 'paused-web' });
    const list = actions();

    // Act
    const outcome = await actionOf(list, 'pause-container').execute(hostWork('pause-container', { 'container.id': id }));
    const frozen = (await dockerState(id)).status;
    const undo = await actionOf(list, 'unpause-container').execute(hostWork('unpause-container', { 'container.name': 'paused-web' }, { undoOf: undoSourceOf('pause-container', outcome) }));

    // Assess
    expect(outcome.applied).toEqual({ containerId: id, name: 'paused-web', runtime: 'docker', namespace: null, paused: true });
    expect(frozen).toBe('paused');
    expect(objectOf(undo.result)).toMatchObject({ changed: true, statusBefore: 'paused', statusAfter: 'running' });
    expect((await dockerState(id)).status).toBe('running');
  });

  it("maps Docker's refusal to pause a stopped container to ContainerNotRunning", async () => {
    // Prepare
    const id = await container();
    await docker(['kill', id]);

    // Act
    const attempt = actionOf(actions(), 'pause-container').execute(hostWork('pause-container', { 'container.id': id }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ContainerNotRunning' });
    expect((await dockerState(id)).status).toBe('exited');
  });

  it('stops a container by its short id gracefully, and start-container starts it again', async () => {
    // Prepare
    const id = await container({ name: 'stopped-web' });
    const list = actions({ stopTimeoutSeconds: 20 });

    // Act
    const outcome = await actionOf(list, 'stop-container').execute(hostWork('stop-container', { 'container.id': id.slice(0, 12) }));
    const stopped = await dockerState(id);
    const undo = await actionOf(list, 'start-container').execute(hostWork('start-container', { 'container.id': id }, { undoOf: undoSourceOf('stop-container', outcome) }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ changed: true, statusAfter: 'exited', gracePeriodSeconds: 20 });
    expect(stopped.status).toBe('exited');
    expect(objectOf(undo.result)).toMatchObject({ changed: true, statusBefore: 'exited', statusAfter: 'running' });
    expect((await dockerState(id)).status).toBe('running');
  });

  it('stops a container that ignores SIGTERM with SIGKILL after the grace period', async () => {
    // Prepare: sleep as PID 1 has no handler, so SIGTERM does nothing
    const id = await container({ script: 'exec sleep 3600' });

    // Act
    const outcome = await actionOf(actions({ stopTimeoutSeconds: 1 }), 'stop-container').execute(hostWork('stop-container', { 'container.id': id }));

    // Assess
    expect(objectOf(outcome.result)).toMatchObject({ changed: true, statusAfter: 'exited' });
    expect((await dockerState(id)).status).toBe('exited');
  });
});

describe('no-ops and refusals on real Docker', () => {
  it('changes nothing when asked to stop a stopped container, and its undo starts nothing', async () => {
    // Prepare
    const id = await container({ name: 'already-stopped' });
    await docker(['kill', id]);
    const list = actions();

    // Act
    const outcome = await actionOf(list, 'stop-container').execute(hostWork('stop-container', { 'container.name': 'already-stopped' }));
    const undo = await actionOf(list, 'start-container').execute(hostWork('start-container', { 'container.name': 'already-stopped' }, { undoOf: undoSourceOf('stop-container', outcome) }));

    // Assess
    expect(objectOf(outcome.applied)['stopped']).toBe(false);
    expect(objectOf(undo.result)).toMatchObject({ changed: false });
    expect((await dockerState(id)).status).toBe('exited');
  });

  it('refuses start-container without a stop to undo', async () => {
    // Prepare
    const id = await container();
    await docker(['kill', id]);

    // Act
    const attempt = actionOf(actions(), 'start-container').execute(hostWork('start-container', { 'container.id': id }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'NothingToUndo' });
    expect((await dockerState(id)).status).toBe('exited');
  });
});

describe('evidence from real Docker containers', () => {
  it('collects the logs, each line labelled with its stream and timestamped', async () => {
    // Prepare
    const id = await container();
    await expect.poll(() => dockerLogs(id)).toContain('warning on stderr');
    const context = hostWork('get-logs', { 'container.id': id.slice(0, 12) });

    // Act
    const outcome = await actionOf(actions(), 'get-logs').execute(context);

    // Assess
    const lines = (context.uploads[0]?.body.toString('utf8') ?? '').split('\n').filter((line) => line !== '').sort();
    expect(lines).toEqual([expect.stringMatching(/^stderr \d{4}-\d\d-\d\dT[\d:.]+Z warning on stderr$/), expect.stringMatching(/^stdout \d{4}-\d\d-\d\dT[\d:.]+Z hello from docker$/)]);
    expect(objectOf(outcome.result)).toMatchObject({ containerId: id, truncated: false });
  });

  it('acquires a file by its path inside the container', async () => {
    // Prepare: the file exists only inside the container's root
    const id = await container({ script: 'echo implant-$$ > /tmp/implant; exec sleep 3600' });
    const { pid } = await dockerState(id);
    await expect.poll(() => readFile(`/proc/${pid}/root/tmp/implant`, 'utf8').catch(() => '')).toBe('implant-1\n');
    const context = hostWork('acquire-file', { 'path.absolute': '/tmp/implant', 'container.id': id.slice(0, 12) });

    // Act
    const outcome = await actionOf(actions(), 'acquire-file').execute(context);

    // Assess
    expect(context.uploads[0]?.body.toString('utf8')).toBe('implant-1\n');
    expect(objectOf(outcome.result)).toMatchObject({ sha256: sha256('implant-1\n'), hostPath: `/proc/${pid}/root/tmp/implant` });
  });
});

describe('kill-process with the container check, on real Docker', () => {
  it('kills the process of the container the action names, and refuses it for another container', async () => {
    // Prepare
    const id = await container();
    const other = await container();
    const { pid } = await dockerState(id);

    // Act
    const wrong = actionOf(actions(), 'kill-process').execute(hostWork('kill-process', { 'process.id': pid, 'container.id': other.slice(0, 12) }));
    await expect(wrong).rejects.toMatchObject({ code: 'ContainerMismatch' });
    const stillRunning = await running(pid);
    const outcome = await actionOf(actions(), 'kill-process').execute(hostWork('kill-process', { 'process.id': pid, 'container.id': id.slice(0, 12) }));

    // Assess
    expect(stillRunning).toBe(true);
    expect(objectOf(outcome.result)).toMatchObject({ pid, gone: true });
    await expect.poll(async () => (await dockerState(id)).status).toBe('exited');
  });
});
