/**
 * container-compromise end to end through the local service and its in-process host responder,
 * on a real busybox container of a real dockerd (started here on its own containerd, as the
 * integration run does): the container's logs, processes and a file inside it are secured before
 * it is paused, and undoing the run unpauses it while every piece of evidence stays listed.
 * Container state is read with Debian's docker client, never with the responder's code.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalService } from '#local/service.ts';
import { busyboxImage, dockerClient, startRealRuntimes, type RealRuntimes } from '#test/support/container-runtimes.ts';
import { call, endedAt, runEnded, runningAt, startPlaybookService, startRun, stepActions } from './support.ts';

const run = promisify(execFile);
const host = `e2e-container-host-${randomUUID().slice(0, 8)}`;
const script = "echo hello from the miner; echo stolen-credentials > /tmp/stolen.txt; trap 'exit 0' TERM; while true; do sleep 0.2; done";
let runtimes: RealRuntimes;
let dataDir: string;
let service: LocalService;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run(dockerClient, ['-H', `unix://${runtimes.dockerSocket}`, ...args], { timeout: 60_000 });
  return stdout.trim();
}

async function paused(id: string): Promise<boolean> {
  return (await docker('inspect', '--format', '{{.State.Paused}}', id)) === 'true';
}

beforeAll(async () => {
  runtimes = await startRealRuntimes();
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-playbooks-container-'));
  service = await startPlaybookService({
    dataDir,
    env: { RESPONDER_DOCKER_SOCKET: runtimes.dockerSocket, RESPONDER_CONTAINERD_SOCKET: runtimes.containerdSocket },
    hostResponder: { name: host },
  });
}, 180_000);
afterAll(async () => {
  await service.close();
  await runtimes.stop();
  await rm(dataDir, { recursive: true, force: true });
}, 180_000);

describe('container-compromise through the local service', () => {
  it('secures logs, processes and the file before pausing the container; undoing the run unpauses it and keeps the evidence', async () => {
    // Prepare
    const id = await docker('run', '-d', '--network', 'none', busyboxImage, 'sh', '-c', script);
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Act
    const started = await startRun(service, 'container-compromise', { 'host.id': host, 'container.id': id, 'path.absolute': '/tmp/stolen.txt' });
    const finished = await runEnded(service, started.id, 90);
    const actions = await stepActions(service, finished);
    const pausedByRun = await paused(id);
    const undoAnswer = await call<{ id: string }>(service, 'POST', `/v1/playbook-runs/${finished.id}/undo`, {});
    const undo = await runEnded(service, undoAnswer.body.id);
    const pausedAfterUndo = await paused(id);
    const evidence = await Promise.all(
      actions.filter((action) => action.type !== 'pause-container').map(async (action) => (await call<{ items: unknown[] }>(service, 'GET', `/v1/actions/${action.id}/evidence`)).body.items.length),
    );

    // Assess
    expect(finished.status, JSON.stringify(finished)).toBe('Completed');
    expect(finished.steps.map((step) => [step.id, step.status])).toEqual([
      ['logs', 'Completed'],
      ['processes', 'Completed'],
      ['file', 'Completed'],
      ['volumes', 'Skipped'],
      ['pause', 'Completed'],
      ['kill', 'Skipped'],
    ]);
    expect(actions.map((action) => action.type)).toEqual(['get-logs', 'capture-process-state', 'acquire-file', 'pause-container']);
    const pause = actions[3];
    if (pause === undefined) throw new Error('no pause action');
    for (const evidenceAction of actions.slice(0, 3)) expect(endedAt(evidenceAction)).toBeLessThanOrEqual(runningAt(pause));
    for (const [index, action] of actions.slice(1).entries()) expect(Date.parse(action.createdAt)).toBeGreaterThan(Date.parse(actions[index]?.createdAt ?? ''));
    expect(pausedByRun).toBe(true);
    expect(undo.status, JSON.stringify(undo)).toBe('Completed');
    expect(undo.steps.map((step) => [step.id, step.type, step.status])).toEqual([['undo-pause', 'unpause-container', 'Completed']]);
    expect(pausedAfterUndo).toBe(false);
    expect(evidence.every((count) => count > 0)).toBe(true);
  });
});
