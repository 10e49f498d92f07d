/**
 * Docker Engine through its HTTP API on a unix socket. The API version is negotiated once per
 * connection to the daemon (GET /version: the lower of the daemon's ApiVersion and the newest
 * this client knows), and every other path carries it (`/v1.47/containers/...`).
 */
import * as z from 'zod';
import { hostError } from '../errors.ts';
import { LabelledLines, MultiplexedStreamDecoder, TailBuffer } from './log-stream.ts';
import { describeRef, RuntimeUnavailableError } from './runtime.ts';
import type { ContainerInfo, ContainerLogs, ContainerRef, ContainerRuntime } from './runtime.ts';
import { socketError } from './socket-errors.ts';
import { unixHttp, UnixHttpTimeoutError } from './unix-http.ts';
import type { UnixHttpResponse } from './unix-http.ts';

/** The newest Engine API this client was written against (Docker 27). */
export const dockerClientApiVersion = '1.47';
/** The oldest it uses: every call here exists since 1.24 (Docker 1.12). */
export const dockerMinimumApiVersion = '1.24';

/** Compares two `major.minor` API versions. */
export function compareApiVersions(left: string, right: string): number {
  const [leftMajor = 0, leftMinor = 0] = left.split('.').map(Number);
  const [rightMajor = 0, rightMinor = 0] = right.split('.').map(Number);
  return leftMajor === rightMajor ? leftMinor - rightMinor : leftMajor - rightMajor;
}

const versionSchema = z.object({ ApiVersion: z.string().regex(/^\d+\.\d+$/), MinAPIVersion: z.string().optional() });

const inspectSchema = z.object({
  Id: z.string(),
  Name: z.string().optional(),
  Image: z.string().optional(),
  State: z.object({
    Status: z.string(),
    Running: z.boolean().optional(),
    Paused: z.boolean().optional(),
    Pid: z.number().optional(),
    StartedAt: z.string().optional(),
  }),
  Config: z.object({ Tty: z.boolean().optional(), Image: z.string().optional() }).nullish(),
  HostConfig: z.object({ RestartPolicy: z.object({ Name: z.string().optional() }).nullish() }).nullish(),
  GraphDriver: z.object({ Data: z.record(z.string(), z.string()).nullish() }).nullish(),
});
export type DockerInspect = z.infer<typeof inspectSchema>;

export interface DockerOptions {
  readonly socketPath: string;
  /** Per-request limit for everything except stop (which waits its grace period) and logs. */
  readonly requestTimeoutMs?: number;
}

function messageOf(response: UnixHttpResponse): string {
  try {
    const parsed: unknown = JSON.parse(response.body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return response.body.toString('utf8').trim() || `HTTP ${response.status}`;
}

/** The body as JSON, or undefined when it is not JSON (the schema check then says what is wrong). */
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function toInfo(inspect: DockerInspect): ContainerInfo {
  const state = inspect.State;
  const running = state.Running === true;
  const pid = state.Pid !== undefined && state.Pid > 0 ? state.Pid : null;
  return {
    runtime: 'docker',
    id: inspect.Id,
    name: inspect.Name === undefined ? null : inspect.Name.replace(/^\//, ''),
    namespace: null,
    status: state.Status,
    running,
    paused: state.Paused === true,
    pid,
    image: inspect.Config?.Image ?? inspect.Image ?? null,
    startedAt: state.StartedAt ?? null,
    restartPolicy: inspect.HostConfig?.RestartPolicy?.Name ?? null,
    mergedDir: inspect.GraphDriver?.Data?.['MergedDir'] ?? null,
    tty: inspect.Config?.Tty === true,
  };
}

export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker';
  readonly socketPath: string;
  readonly #timeoutMs: number;
  #apiVersion: string | null = null;

  constructor(options: DockerOptions) {
    this.socketPath = options.socketPath;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  async #send(method: 'GET' | 'POST', path: string, signal: AbortSignal, extra: { timeoutMs?: number; onChunk?: (chunk: Buffer) => void } = {}) {
    try {
      return await unixHttp({ socketPath: this.socketPath, method, path, signal, timeoutMs: extra.timeoutMs ?? this.#timeoutMs, ...(extra.onChunk === undefined ? {} : { onChunk: extra.onChunk }) });
    } catch (error) {
      // The daemon may have been restarted (or upgraded): negotiate again next time.
      this.#apiVersion = null;
      if (error instanceof UnixHttpTimeoutError) throw hostError('ContainerRuntimeError', `Docker did not answer in time: ${error.message}`, error);
      if (signal.aborted) throw error;
      throw await socketError('docker', this.socketPath, error);
    }
  }

  /** The API version both sides speak. */
  async apiVersion(signal: AbortSignal): Promise<string> {
    if (this.#apiVersion !== null) return this.#apiVersion;
    const response = await this.#send('GET', '/version', signal);
    if (response.status !== 200) throw hostError('ContainerRuntimeError', `Docker's GET /version answered ${response.status}: ${messageOf(response)}`);
    const parsed = versionSchema.safeParse(parseJson(response.body));
    if (!parsed.success) throw new RuntimeUnavailableError(`the server on ${this.socketPath} does not answer GET /version as Docker does`);
    const server = parsed.data.ApiVersion;
    const version = compareApiVersions(server, dockerClientApiVersion) < 0 ? server : dockerClientApiVersion;
    if (compareApiVersions(version, dockerMinimumApiVersion) < 0) {
      throw hostError('ContainerRuntimeError', `Docker's API ${server} is older than ${dockerMinimumApiVersion}, the oldest this responder speaks; upgrade Docker`);
    }
    this.#apiVersion = version;
    return version;
  }

  async #call(method: 'GET' | 'POST', path: string, query: Record<string, string>, signal: AbortSignal, extra: { timeoutMs?: number; onChunk?: (chunk: Buffer) => void } = {}) {
    const version = await this.apiVersion(signal);
    const search = new URLSearchParams(query).toString();
    return this.#send(method, `/v${version}${path}${search === '' ? '' : `?${search}`}`, signal, extra);
  }

  /** Inspects a container by id or name; null on 404. */
  async inspect(idOrName: string, signal: AbortSignal): Promise<DockerInspect | null> {
    const response = await this.#call('GET', `/containers/${encodeURIComponent(idOrName)}/json`, {}, signal);
    if (response.status === 404) return null;
    if (response.status !== 200) throw hostError('ContainerRuntimeError', `Docker could not inspect ${idOrName}: ${messageOf(response)}`);
    const parsed = inspectSchema.safeParse(parseJson(response.body));
    if (!parsed.success) throw hostError('ContainerRuntimeError', `Docker answered the inspection of ${idOrName} with JSON this responder cannot read: ${parsed.error.message}`);
    return parsed.data;
  }

  /** The one full id starting with `prefix` (GET /containers/json's id filter matches prefixes), or null. */
  async #idByPrefix(prefix: string, signal: AbortSignal): Promise<string | null> {
    const response = await this.#call('GET', '/containers/json', { all: '1', filters: JSON.stringify({ id: [prefix] }) }, signal);
    if (response.status !== 200) throw hostError('ContainerRuntimeError', `Docker could not list containers: ${messageOf(response)}`);
    const parsed = z.array(z.object({ Id: z.string() })).safeParse(parseJson(response.body));
    if (!parsed.success) throw hostError('ContainerRuntimeError', `Docker answered the container list with JSON this responder cannot read: ${parsed.error.message}`);
    const ids = parsed.data.map((container) => container.Id).filter((id) => id.startsWith(prefix));
    if (ids.length > 1) throw hostError('ContainerNameAmbiguous', `container id prefix ${prefix} matches ${ids.length} Docker containers; give more of it`);
    return ids[0] ?? null;
  }

  async find(ref: ContainerRef, signal: AbortSignal): Promise<ContainerInfo | null> {
    // Docker resolves a reference as a full id, then a name, then an id prefix; keep only the
    // kind of match the action asked for, so an id never picks a container by its name.
    let inspect = await this.inspect('id' in ref ? ref.id : ref.name, signal);
    if (inspect === null) return null;
    if ('id' in ref && !inspect.Id.startsWith(ref.id)) {
      // A container named like the prefix shadows it: find the prefix among ids alone.
      const full = await this.#idByPrefix(ref.id, signal);
      inspect = full === null ? null : await this.inspect(full, signal);
      if (inspect === null) return null;
    }
    if ('name' in ref && inspect.Name !== `/${ref.name}`) return null;
    return toInfo(inspect);
  }

  async #post(container: ContainerInfo, verb: string, query: Record<string, string>, signal: AbortSignal, timeoutMs?: number): Promise<number> {
    const response = await this.#call('POST', `/containers/${container.id}/${verb}`, query, signal, timeoutMs === undefined ? {} : { timeoutMs });
    // 304: already in the state asked for (start, stop).
    if (response.status === 204 || response.status === 304) return response.status;
    const message = messageOf(response);
    const subject = `${describeRef({ id: container.id })}${container.name === null ? '' : ` (${container.name})`}`;
    if (response.status === 404) throw hostError('ContainerNotFound', `${subject} no longer exists: ${message}`);
    if (response.status === 409) {
      const code = /not running/i.test(message) ? 'ContainerNotRunning' : 'ContainerConflict';
      throw hostError(code, `Docker refused to ${verb} ${subject}: ${message}`);
    }
    throw hostError('ContainerRuntimeError', `Docker failed to ${verb} ${subject} (HTTP ${response.status}): ${message}`);
  }

  async kill(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    await this.#post(container, 'kill', { signal: 'KILL' }, signal);
  }

  async stop(container: ContainerInfo, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    await this.#post(container, 'stop', { t: String(timeoutSeconds) }, signal, (timeoutSeconds + 30) * 1000);
  }

  async start(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    await this.#post(container, 'start', {}, signal);
  }

  async pause(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    await this.#post(container, 'pause', {}, signal);
  }

  async unpause(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    await this.#post(container, 'unpause', {}, signal);
  }

  async logs(container: ContainerInfo, maxBytes: number, signal: AbortSignal): Promise<ContainerLogs> {
    const tail = new TailBuffer(maxBytes);
    const decoder = new MultiplexedStreamDecoder();
    const lines = new LabelledLines();
    // Without a TTY stdout and stderr come multiplexed; with one, as a single raw stream.
    const multiplexed = !container.tty;
    const onChunk = (chunk: Buffer) => {
      if (!multiplexed) {
        tail.write(chunk);
        return;
      }
      for (const frame of decoder.push(chunk)) tail.write(Buffer.from(lines.push(frame), 'utf8'));
    };
    const response = await this.#call('GET', `/containers/${container.id}/logs`, { stdout: '1', stderr: '1', timestamps: '1' }, signal, {
      timeoutMs: 10 * 60_000,
      onChunk,
    });
    if (response.status === 404) throw hostError('ContainerNotFound', `container ${container.id} no longer exists: ${messageOf(response)}`);
    if (response.status !== 200) {
      throw hostError('ContainerRuntimeError', `Docker could not read the logs of container ${container.id} (HTTP ${response.status}): ${messageOf(response)}`);
    }
    if (multiplexed) tail.write(Buffer.from(lines.flush(), 'utf8'));
    return {
      body: tail.toBytes(),
      truncated: tail.truncated || decoder.leftover > 0,
      source: multiplexed ? 'docker log stream (stdout and stderr, each line labelled with its stream)' : 'docker log stream (TTY: one raw stream)',
    };
  }
}
