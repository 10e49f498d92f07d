/**
 * Docker faults a real daemon cannot be made to produce (the container actions themselves run
 * against a real dockerd in docker-real.test.ts): a daemon newer than this client's API, log
 * streams cut at chosen bytes (inside a frame header, inside a line), and sockets with no daemon
 * behind them. The test server answers as Docker does and records every request.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostActions } from '../../../responders/host/actions.ts';
import type { HostActionsOptions } from '../../../responders/host/actions.ts';
import { actionOf, hostWork, objectOf } from './support/context.ts';
import { dockerInspect, dockerVersion, logFrame, startDockerTestServer } from './support/docker-test-server.ts';
import type { DockerAnswer, DockerRequest, DockerTestServer } from './support/docker-test-server.ts';
import { temporaryDirectory } from './support/files.ts';

type Status = 'created' | 'running' | 'paused' | 'exited';
interface FakeContainer {
  id: string;
  name: string;
  status: Status;
  tty?: boolean;
  restartPolicy?: string;
  logs?: Buffer[];
  /** Overrides the answer to one POST verb (pause, kill ...). */
  refuse?: Partial<Record<string, DockerAnswer>>;
}

/** A Docker daemon's behaviour for the calls the responder makes. */
function fakeDocker(apiVersion: string, negotiated: string, containers: FakeContainer[]) {
  const transitions: Record<string, { from: readonly Status[]; to: Status } | undefined> = {
    kill: { from: ['running', 'paused'], to: 'exited' },
    stop: { from: ['running', 'paused'], to: 'exited' },
    start: { from: ['created', 'exited'], to: 'running' },
    pause: { from: ['running'], to: 'paused' },
    unpause: { from: ['paused'], to: 'running' },
  };
  return (request: DockerRequest): DockerAnswer => {
    if (request.path === '/version') return { status: 200, json: dockerVersion(apiVersion) };
    const match = new RegExp(`^/v${negotiated.replace('.', '\\.')}/containers/([^/]+)/(json|logs|kill|stop|start|pause|unpause)$`).exec(request.path);
    if (match === null) return { status: 400, json: { message: `unexpected request ${request.method} ${request.path}` } };
    const [, reference = '', verb = ''] = match;
    const container = containers.find((candidate) => candidate.id === reference || candidate.name === reference) ?? containers.find((candidate) => candidate.id.startsWith(reference));
    if (container === undefined) return { status: 404, json: { message: `No such container: ${reference}` } };
    if (verb === 'json') return { status: 200, json: dockerInspect({ id: container.id, name: container.name, status: container.status, ...(container.tty === undefined ? {} : { tty: container.tty }), ...(container.restartPolicy === undefined ? {} : { restartPolicy: container.restartPolicy }) }) };
    if (verb === 'logs') return { status: 200, chunks: container.logs ?? [], contentType: container.tty === true ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' };
    const refusal = container.refuse?.[verb];
    if (refusal !== undefined) return refusal;
    const transition = transitions[verb];
    if (transition === undefined) return { status: 400, json: { message: 'unknown verb' } };
    if (!transition.from.includes(container.status)) {
      if ((verb === 'stop' && container.status === 'exited') || (verb === 'start' && container.status === 'running')) return { status: 304 };
      return { status: 409, json: { message: `Container ${container.id} is not running` } };
    }
    container.status = transition.to;
    return { status: 204 };
  };
}

let work: { path: string; remove: () => Promise<void> };
let docker: DockerTestServer;
const web: FakeContainer = { id: '', name: 'web', status: 'running' };

function lines(requests: readonly DockerRequest[]): string[] {
  return requests.map((request) => `${request.method} ${request.path}${Object.keys(request.query).length === 0 ? '' : `?${new URLSearchParams(request.query).toString()}`}`);
}

function actions(options: Partial<HostActionsOptions> = {}) {
  return hostActions({
    quarantineDir: join(work.path, 'quarantine'),
    dockerSocketPath: docker.socketPath,
    containerdSocketPath: join(work.path, 'containerd.sock'),
    ...options,
  });
}

beforeEach(async () => {
  work = await temporaryDirectory('docker');
  Object.assign(web, { id: randomBytes(32).toString('hex'), status: 'running', tty: undefined, logs: undefined, refuse: undefined, restartPolicy: undefined });
  docker = await startDockerTestServer(work.path, fakeDocker('1.45', '1.45', [web]));
});

afterEach(async () => {
  await docker.close();
  await work.remove();
});

describe('Docker faults', () => {
  it('speaks the newest API it knows (1.47) to a newer daemon', async () => {
    // Prepare
    docker.handle = fakeDocker('1.51', '1.47', [web]);

    // Act
    await actionOf(actions(), 'kill-container').execute(hostWork('kill-container', { 'container.id': web.id.slice(0, 12) }));

    // Assess
    expect(lines(docker.requests)).toEqual([
      'GET /version',
      `GET /v1.47/containers/${web.id.slice(0, 12)}/json`,
      `POST /v1.47/containers/${web.id}/kill?signal=KILL`,
      `GET /v1.47/containers/${web.id}/json`,
    ]);
  });

  it('collects the multiplexed log stream, demultiplexed into labelled lines, as evidence', async () => {
    // Prepare: frames split across chunks, one in the middle of its header
    const stream = Buffer.concat([
      logFrame(1, '2026-11-20T10:00:00.000000001Z GET / 200\n'),
      logFrame(2, '2026-11-20T10:00:01.000000001Z warn: disk 91%\n'),
      logFrame(1, '2026-11-20T10:00:02.000000001Z GET /admin 403\n2026-11-20T10:00:03.000000001Z curl | sh'),
    ]);
    web.logs = [stream.subarray(0, 5), stream.subarray(5, 60), stream.subarray(60)];
    const context = hostWork('get-logs', { 'container.id': web.id, previous: true });

    // Act
    const outcome = await actionOf(actions(), 'get-logs').execute(context);

    // Assess
    expect(docker.requests.at(-1)).toEqual({ method: 'GET', path: `/v1.45/containers/${web.id}/logs`, query: { stdout: '1', stderr: '1', timestamps: '1' } });
    expect(context.uploads[0]?.name).toBe(`container-docker-${web.id}-logs.txt`);
    expect(context.uploads[0]?.contentType).toBe('text/plain; charset=utf-8');
    expect(context.uploads[0]?.body.toString('utf8')).toBe(
      [
        'stdout 2026-11-20T10:00:00.000000001Z GET / 200',
        'stderr 2026-11-20T10:00:01.000000001Z warn: disk 91%',
        'stdout 2026-11-20T10:00:02.000000001Z GET /admin 403',
        'stdout 2026-11-20T10:00:03.000000001Z curl | sh',
        '',
      ].join('\n'),
    );
    const result = objectOf(outcome.result);
    expect(result).toMatchObject({ containerId: web.id, truncated: false });
    expect(JSON.stringify(result['notes'])).toContain('previous has no meaning for a Docker container');
  });

  it('collects a TTY container\'s raw stream as it is, keeping only the newest bytes over the limit', async () => {
    // Prepare
    web.tty = true;
    web.logs = [Buffer.from('line one\nline two\n'), Buffer.from('line three\nline four\n')];
    const context = hostWork('get-logs', { 'container.id': web.id });

    // Act
    const outcome = await actionOf(actions({ maxLogBytes: 25 }), 'get-logs').execute(context);

    // Assess
    // The newest 25 bytes start inside 'line two'; the partial line is dropped.
    expect(context.uploads[0]?.body.toString('utf8')).toBe('line three\nline four\n');
    expect(objectOf(outcome.result)).toMatchObject({ truncated: true, source: 'docker log stream (TTY: one raw stream)' });
  });

  it('answers NoContainerRuntime when neither socket exists, naming both', async () => {
    // Prepare
    const list = hostActions({ quarantineDir: join(work.path, 'q'), dockerSocketPath: join(work.path, 'none.sock'), containerdSocketPath: join(work.path, 'nothing.sock') });

    // Act
    const attempt = actionOf(list, 'pause-container').execute(hostWork('pause-container', { 'container.name': 'web' }));

    // Assess
    await expect(attempt).rejects.toMatchObject({
      code: 'NoContainerRuntime',
      message: `no container runtime on this host: neither docker (${join(work.path, 'none.sock')}) nor containerd (${join(work.path, 'nothing.sock')}) has a socket`,
    });
  });

  it('answers NoContainerRuntime when the socket is there but no daemon listens', async () => {
    // Prepare: a socket file left behind by a process that exited without closing it
    const stale = join(work.path, 'stale.sock');
    spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`]);
    const list = hostActions({ quarantineDir: join(work.path, 'q'), dockerSocketPath: stale, containerdSocketPath: join(work.path, 'nothing.sock') });

    // Act
    const attempt = actionOf(list, 'kill-container').execute(hostWork('kill-container', { 'container.name': 'web' }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'NoContainerRuntime', message: `docker is not answering on ${stale} (ECONNREFUSED)` });
  });
});
