/**
 * containerd through its own gRPC API on its unix socket (not CRI, which has no kill, pause or
 * resume): `containerd.services.tasks.v1.Tasks` Get, List, Kill, Pause, Resume and
 * `containerd.services.containers.v1.Containers` Get, List, each call scoped by the
 * `containerd-namespace` metadata header. The requests are hand-encoded protobuf (see
 * protobuf.ts) sent by a minimal gRPC client (grpc-h2.ts), because the project carries no gRPC
 * library.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { hostError } from '../errors.ts';
import { GrpcError, grpcStatus, grpcUnary, GrpcProtocolError } from './grpc-h2.ts';
import { ProtoMessage, ProtoWriter } from './protobuf.ts';
import { describeRef, RuntimeUnavailableError } from './runtime.ts';
import type { ContainerInfo, ContainerLogs, ContainerRef, ContainerRuntime } from './runtime.ts';
import { socketError } from './socket-errors.ts';

export const tasksService = '/containerd.services.tasks.v1.Tasks';
export const containersService = '/containerd.services.containers.v1.Containers';

/** containerd.v1.types.Status, by number. */
export const taskStatuses = ['unknown', 'created', 'running', 'stopped', 'paused', 'pausing'] as const;

/** The label nerdctl keeps a container's name in; containerd itself knows containers only by id. */
export const nerdctlNameLabel = 'nerdctl/name';

const SIGTERM = 15;
const SIGKILL = 9;

export interface ContainerdOptions {
  readonly socketPath: string;
  /** Namespaces to look in, in order (`k8s.io` for Kubernetes, `default` for ctr and nerdctl). */
  readonly namespaces: readonly string[];
  readonly requestTimeoutMs?: number;
  /** How often stop checks whether the task has exited. */
  readonly pollIntervalMs?: number;
}

/** The fields of containerd.v1.types.Process that host actions use. */
interface TaskState {
  readonly pid: number;
  readonly status: string;
  readonly stdout: string;
  readonly terminal: boolean;
}

function taskOf(process: ProtoMessage): TaskState {
  return {
    pid: process.uint(3),
    status: taskStatuses[process.uint(4)] ?? 'unknown',
    stdout: process.string(6),
    terminal: process.bool(8),
  };
}

export class ContainerdRuntime implements ContainerRuntime {
  readonly kind = 'containerd';
  readonly socketPath: string;
  readonly #namespaces: readonly string[];
  readonly #timeoutMs: number;
  readonly #pollMs: number;

  constructor(options: ContainerdOptions) {
    this.socketPath = options.socketPath;
    this.#namespaces = options.namespaces;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#pollMs = options.pollIntervalMs ?? 100;
  }

  /** One call; NOT_FOUND answers null, every other failure throws a host error. */
  async #call(namespace: string, path: string, message: ProtoWriter, signal: AbortSignal): Promise<ProtoMessage | null> {
    try {
      const body = await grpcUnary({
        socketPath: this.socketPath,
        path,
        metadata: { 'containerd-namespace': namespace },
        message: message.finish(),
        signal,
        timeoutMs: this.#timeoutMs,
      });
      return new ProtoMessage(body);
    } catch (error) {
      if (error instanceof GrpcError) {
        if (error.code === grpcStatus.notFound) return null;
        if (error.code === grpcStatus.failedPrecondition) throw hostError('ContainerConflict', `containerd refused ${path} in namespace ${namespace}: ${error.details}`, error);
        if (error.code === grpcStatus.permissionDenied) throw hostError('PermissionDenied', `containerd denied ${path} in namespace ${namespace}: ${error.details}`, error);
        if (error.code === grpcStatus.unavailable) throw new RuntimeUnavailableError(`containerd on ${this.socketPath} is unavailable: ${error.details}`, { cause: error });
        throw hostError('ContainerRuntimeError', error.message, error);
      }
      if (error instanceof GrpcProtocolError) throw hostError('ContainerRuntimeError', `containerd on ${this.socketPath}: ${error.message}`, error);
      if (signal.aborted) throw error;
      throw await socketError('containerd', this.socketPath, error);
    }
  }

  async #task(namespace: string, id: string, signal: AbortSignal): Promise<TaskState | null> {
    const response = await this.#call(namespace, `${tasksService}/Get`, new ProtoWriter().string(1, id), signal);
    const process = response?.message(1) ?? null;
    return process === null ? null : taskOf(process);
  }

  /** The full id in `namespace` that `ref` names, or null. */
  async #resolve(namespace: string, ref: ContainerRef, signal: AbortSignal): Promise<ProtoMessage | null> {
    if ('name' in ref) {
      const listed = await this.#call(namespace, `${containersService}/List`, new ProtoWriter().string(1, `labels."${nerdctlNameLabel}"==${ref.name}`), signal);
      const containers = listed?.messages(1) ?? [];
      if (containers.length > 1) {
        throw hostError('ContainerNameAmbiguous', `${containers.length} containers in containerd namespace ${namespace} are named ${ref.name}; give container.id`);
      }
      return containers[0] ?? null;
    }
    const exact = await this.#call(namespace, `${containersService}/Get`, new ProtoWriter().string(1, ref.id), signal);
    const container = exact?.message(1) ?? null;
    if (container !== null || !/^[0-9a-f]{12,63}$/.test(ref.id)) return container;
    // A short id (as crictl and nerdctl print): unique prefix among the namespace's tasks.
    const tasks = await this.#call(namespace, `${tasksService}/List`, new ProtoWriter(), signal);
    const matches = (tasks?.messages(1) ?? []).map((task) => task.string(1)).filter((id) => id.startsWith(ref.id));
    if (matches.length > 1) throw hostError('ContainerNameAmbiguous', `container id prefix ${ref.id} matches ${matches.length} containers in namespace ${namespace}; give more of it`);
    const [full] = matches;
    if (full === undefined) return null;
    return (await this.#call(namespace, `${containersService}/Get`, new ProtoWriter().string(1, full), signal))?.message(1) ?? null;
  }

  async find(ref: ContainerRef, signal: AbortSignal): Promise<ContainerInfo | null> {
    for (const namespace of this.#namespaces) {
      const container = await this.#resolve(namespace, ref, signal);
      if (container === null) continue;
      const id = container.string(1);
      const labels = container.stringMap(2);
      const task = await this.#task(namespace, id, signal);
      const status = task?.status ?? 'no-task';
      const live = task !== null && task.pid > 0 && status !== 'stopped';
      return {
        runtime: 'containerd',
        id,
        name: labels.get(nerdctlNameLabel) ?? labels.get('io.kubernetes.container.name') ?? null,
        namespace,
        status,
        running: status === 'running' || status === 'pausing',
        paused: status === 'paused',
        pid: live ? task.pid : null,
        image: container.string(3) || null,
        startedAt: null,
        restartPolicy: null,
        mergedDir: null,
        tty: task?.terminal ?? false,
      };
    }
    return null;
  }

  #namespaceOf(container: ContainerInfo): string {
    if (container.namespace === null) throw hostError('ContainerRuntimeError', `container ${container.id} has no containerd namespace`);
    return container.namespace;
  }

  async #kill(container: ContainerInfo, signalNumber: number, all: boolean, signal: AbortSignal): Promise<void> {
    const request = new ProtoWriter().string(1, container.id).uint32(3, signalNumber).bool(4, all);
    const answer = await this.#call(this.#namespaceOf(container), `${tasksService}/Kill`, request, signal);
    if (answer === null) throw hostError('ContainerNotRunning', `${describeRef({ id: container.id })} has no running task in containerd namespace ${container.namespace ?? ''}`);
  }

  async #simple(container: ContainerInfo, method: 'Pause' | 'Resume', signal: AbortSignal): Promise<void> {
    const answer = await this.#call(this.#namespaceOf(container), `${tasksService}/${method}`, new ProtoWriter().string(1, container.id), signal);
    if (answer === null) throw hostError('ContainerNotRunning', `${describeRef({ id: container.id })} has no task in containerd namespace ${container.namespace ?? ''}`);
  }

  /** Waits until the task has stopped (or is gone); false when `milliseconds` pass first. */
  async #waitStopped(container: ContainerInfo, milliseconds: number, signal: AbortSignal): Promise<boolean> {
    const until = Date.now() + milliseconds;
    for (;;) {
      const task = await this.#task(this.#namespaceOf(container), container.id, signal);
      if (task === null || task.status === 'stopped') return true;
      if (Date.now() >= until) return false;
      await sleep(this.#pollMs, undefined, { signal });
    }
  }

  async kill(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    // all: every process of the container, as `ctr task kill --all`, not only its init.
    await this.#kill(container, SIGKILL, true, signal);
  }

  async stop(container: ContainerInfo, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    await this.#kill(container, SIGTERM, false, signal);
    // A frozen task cannot act on SIGTERM: thaw it so it can shut down.
    if (container.paused) await this.#simple(container, 'Resume', signal);
    if (await this.#waitStopped(container, timeoutSeconds * 1000, signal)) return;
    await this.#kill(container, SIGKILL, true, signal);
    if (!(await this.#waitStopped(container, 10_000, signal))) {
      throw hostError('ContainerRuntimeError', `container ${container.id} was sent SIGKILL but its task had not stopped 10 s later`);
    }
  }

  start(container: ContainerInfo): Promise<void> {
    return Promise.reject(
      hostError(
        'UnsupportedByRuntime',
        `containerd cannot start container ${container.id} again through its API: an exited task must be deleted and recreated from the container's spec, snapshot and log setup, which belong to the client that created it; start it with that client (nerdctl start, or let the kubelet restart it)`,
      ),
    );
  }

  async pause(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    await this.#simple(container, 'Pause', signal);
  }

  async unpause(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    await this.#simple(container, 'Resume', signal);
  }

  async logs(container: ContainerInfo, maxBytes: number, signal: AbortSignal): Promise<ContainerLogs> {
    const task = await this.#task(this.#namespaceOf(container), container.id, signal);
    const stdout = task?.stdout ?? '';
    if (!stdout.startsWith('file://')) {
      throw hostError(
        'UnsupportedByRuntime',
        `containerd keeps no logs of its own: the task of container ${container.id} writes to ${stdout === '' ? 'nothing the responder can read' : stdout}, not a log file; for a Kubernetes pod use get-logs with the Kubernetes form`,
      );
    }
    // A task started with a file log URI (`ctr run --log-uri file:///...`) writes both streams there.
    const path = fileURLToPath(stdout);
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const facts = await handle.stat();
      if (!facts.isFile()) throw hostError('UnsupportedByRuntime', `the log of container ${container.id} (${path}) is not a regular file`);
      const length = Math.min(facts.size, maxBytes);
      const body = Buffer.alloc(length);
      await handle.read(body, 0, length, facts.size - length);
      return { body, truncated: facts.size > maxBytes, source: `containerd task log file ${path}` };
    } finally {
      await handle.close();
    }
  }
}
