/**
 * A Docker Engine stand-in on a unix socket: it records every request (method, path without the
 * query, the query as an object) and answers with what the test's handler returns. Tests assert
 * the recorded requests exactly, since no Docker daemon runs in CI.
 */
import { chmod } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';

export interface DockerRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
}

export interface DockerAnswer {
  readonly status: number;
  readonly json?: unknown;
  /** Raw body chunks, written one by one (a log stream); each may be split anywhere. */
  readonly chunks?: readonly Buffer[];
  readonly contentType?: string;
}

export type DockerHandler = (request: DockerRequest) => DockerAnswer;

export interface DockerTestServer {
  readonly socketPath: string;
  readonly requests: DockerRequest[];
  handle: DockerHandler;
  close(): Promise<void>;
}

export async function startDockerTestServer(dir: string, handle: DockerHandler, options: { mode?: number } = {}): Promise<DockerTestServer> {
  const socketPath = join(dir, 'docker.sock');
  const requests: DockerRequest[] = [];
  const state: DockerTestServer = { socketPath, requests, handle, close: () => Promise.resolve() };
  const server: Server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://docker');
    const request = { method: incoming.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams) };
    requests.push(request);
    const answer = state.handle(request);
    const headers: Record<string, string> = { 'api-version': '1.45', 'content-type': answer.contentType ?? 'application/json' };
    if (answer.chunks !== undefined) {
      outgoing.writeHead(answer.status, headers);
      for (const chunk of answer.chunks) outgoing.write(chunk);
      outgoing.end();
      return;
    }
    const body = answer.json === undefined ? '' : JSON.stringify(answer.json);
    outgoing.writeHead(answer.status, answer.status === 204 || answer.status === 304 ? {} : headers);
    outgoing.end(answer.status === 204 || answer.status === 304 ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  await chmod(socketPath, options.mode ?? 0o660);
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        resolve();
      });
    });
  return state;
}

/** A container as `GET /containers/{id}/json` describes it (the fields Docker always sends, trimmed). */
export function dockerInspect(container: {
  id: string;
  name: string;
  status: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead';
  pid?: number;
  tty?: boolean;
  mergedDir?: string;
  restartPolicy?: string;
}): unknown {
  const running = container.status === 'running' || container.status === 'paused' || container.status === 'restarting';
  return {
    Id: container.id,
    Created: '2026-11-20T09:00:00.000000000Z',
    Path: '/docker-entrypoint.sh',
    Args: ['nginx', '-g', 'daemon off;'],
    State: {
      Status: container.status,
      Running: running,
      Paused: container.status === 'paused',
      Restarting: container.status === 'restarting',
      OOMKilled: false,
      Dead: container.status === 'dead',
      Pid: running ? (container.pid ?? 4242) : 0,
      ExitCode: running ? 0 : 137,
      Error: '',
      StartedAt: '2026-11-20T09:00:01.123456789Z',
      FinishedAt: running ? '0001-01-01T00:00:00Z' : '2026-11-20T10:00:00.000000000Z',
    },
    Image: 'sha256:4f67c83422ec747235357c04556616234e66fc3fa39cb4f40b2d4441ddd8f100',
    Name: `/${container.name}`,
    RestartCount: 0,
    Driver: 'overlay2',
    HostConfig: { RestartPolicy: { Name: container.restartPolicy ?? 'no', MaximumRetryCount: 0 }, LogConfig: { Type: 'json-file', Config: {} } },
    GraphDriver: {
      Name: 'overlay2',
      Data:
        container.mergedDir === undefined
          ? null
          : { MergedDir: container.mergedDir, UpperDir: `${container.mergedDir}/../diff`, WorkDir: `${container.mergedDir}/../work`, LowerDir: '/var/lib/docker/overlay2/l/ABC' },
    },
    Config: { Hostname: container.id.slice(0, 12), Tty: container.tty ?? false, Image: 'nginx:1.27', Labels: {} },
  };
}

/**
 * A Docker engine that knows one exited container whose root is `mergedDir` (a fake container
 * root the test built), and nothing else: for file actions inside a container.
 */
export function startFakeRootDocker(dir: string, containerId: string, mergedDir: string): Promise<DockerTestServer> {
  return startDockerTestServer(dir, (request) => {
    if (request.path === '/version') return { status: 200, json: dockerVersion('1.47') };
    if (request.path === `/v1.47/containers/${containerId}/json`) {
      return { status: 200, json: dockerInspect({ id: containerId, name: 'web', status: 'exited', mergedDir }) };
    }
    return { status: 404, json: { message: `No such container: ${request.path}` } };
  });
}

/** GET /version as Docker answers it. */
export function dockerVersion(apiVersion: string): unknown {
  return { Version: '27.3.1', ApiVersion: apiVersion, MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64', KernelVersion: '6.8.0' };
}

/** One frame of Docker's multiplexed log stream. */
export function logFrame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}
