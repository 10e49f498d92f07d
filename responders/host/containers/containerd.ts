/**
 * containerd through its own gRPC API on its unix socket (not CRI, which has no kill, pause or
 * resume): `containerd.services.tasks.v1.Tasks` Get, List, Kill, Pause, Resume, Wait and
 * `containerd.services.containers.v1.Containers` Get, List (see containerd-api.ts), each call
 * scoped by a containerd namespace.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { hostError } from '../errors.ts';
import { ContainerdAnswerError, ContainerdClient, grpcStatus, isServiceError, methods, taskStatuses } from './containerd-api.ts';
import type { AnswerOf, ContainerMessage, MethodName, ProcessMessage, RequestOf } from './containerd-api.ts';
import { describeRef, RuntimeUnavailableError } from './runtime.ts';
import type { ContainerInfo, ContainerLogs, ContainerRef, ContainerRuntime } from './runtime.ts';
import { socketError } from './socket-errors.ts';

export { containersService, taskStatuses, tasksService } from './containerd-api.ts';

/** The label nerdctl keeps a container's name in; containerd itself knows containers only by id. */
export const nerdctlNameLabel = 'nerdctl/name';

const SIGTERM = 15;
const SIGKILL = 9;
/** How long kill waits for containerd to record the exit after SIGKILL. */
const killWaitMs = 10_000;

export interface ContainerdOptions {
  readonly socketPath: string;
  /** Namespaces to look in, in order (`k8s.io` for Kubernetes, `default` for ctr and nerdctl). */
  readonly namespaces: readonly string[];
  readonly requestTimeoutMs?: number;
}

/** The fields of containerd.v1.types.Process that host actions use. */
interface TaskState {
  readonly pid: number;
  readonly status: string;
  readonly stdout: string;
  readonly terminal: boolean;
}

function taskOf(process: ProcessMessage): TaskState {
  return { pid: process.pid, status: taskStatuses[process.status] ?? 'unknown', stdout: process.stdout, terminal: process.terminal };
}

/**
 * The call's deadline passed: gRPC's DEADLINE_EXCEEDED when the client's timer fires first, or
 * containerd's own handler giving up on the propagated deadline, which it answers as UNKNOWN.
 */
function pastDeadline(error: unknown): boolean {
  if (!isServiceError(error)) return false;
  return error.code === grpcStatus.DEADLINE_EXCEEDED || (error.code === grpcStatus.UNKNOWN && error.details.includes('context deadline exceeded'));
}

/** Why a connection to the socket fails, found by connecting without gRPC; null when it connects. */
function connectError(socketPath: string): Promise<Error | null> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (error) => {
      resolve(error);
    });
  });
}

export class ContainerdRuntime implements ContainerRuntime {
  readonly kind = 'containerd';
  readonly socketPath: string;
  readonly #namespaces: readonly string[];
  readonly #timeoutMs: number;
  readonly #client: ContainerdClient;

  constructor(options: ContainerdOptions) {
    this.socketPath = options.socketPath;
    this.#namespaces = options.namespaces;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#client = new ContainerdClient(options.socketPath);
  }

  /** One call; NOT_FOUND answers null, every other failure throws a host error. */
  async #call<Name extends MethodName>(name: Name, namespace: string, request: RequestOf<Name>, signal: AbortSignal, timeoutMs = this.#timeoutMs): Promise<AnswerOf<Name> | null> {
    try {
      return await this.#client.call(name, namespace, request, { signal, timeoutMs });
    } catch (error) {
      if (signal.aborted || !isServiceError(error)) {
        if (error instanceof ContainerdAnswerError) throw hostError('ContainerRuntimeError', `containerd on ${this.socketPath}: ${error.message}`, error);
        throw error;
      }
      const where = `${methods[name].path.split('.').at(-1) ?? name} in namespace ${namespace}`;
      if (pastDeadline(error)) throw hostError('ContainerRuntimeError', `containerd on ${this.socketPath} did not answer ${where} within ${timeoutMs} ms`, error);
      switch (error.code) {
        case grpcStatus.NOT_FOUND:
          return null;
        case grpcStatus.FAILED_PRECONDITION:
          throw hostError('ContainerConflict', `containerd refused ${where}: ${error.details}`, error);
        case grpcStatus.PERMISSION_DENIED:
          throw hostError('PermissionDenied', `containerd denied ${where}: ${error.details}`, error);
        case grpcStatus.UNAVAILABLE: {
          // gRPC says only that it could not connect: a plain connect says why (no socket, no daemon, no permission).
          const cause = await connectError(this.socketPath);
          if (cause === null) throw new RuntimeUnavailableError(`containerd on ${this.socketPath} is unavailable: ${error.details}`, { cause: error });
          throw await socketError('containerd', this.socketPath, cause);
        }
        default:
          throw hostError('ContainerRuntimeError', `containerd failed ${where} with gRPC status ${error.code}: ${error.details}`, error);
      }
    }
  }

  async #task(namespace: string, id: string, signal: AbortSignal): Promise<TaskState | null> {
    const process = (await this.#call('getTask', namespace, { containerId: id }, signal))?.process ?? null;
    return process === null ? null : taskOf(process);
  }

  async #container(namespace: string, id: string, signal: AbortSignal): Promise<ContainerMessage | null> {
    return (await this.#call('getContainer', namespace, { id }, signal))?.container ?? null;
  }

  /** The container in `namespace` that `ref` names, or null. */
  async #resolve(namespace: string, ref: ContainerRef, signal: AbortSignal): Promise<ContainerMessage | null> {
    if ('name' in ref) {
      const listed = await this.#call('listContainers', namespace, { filters: [`labels."${nerdctlNameLabel}"==${ref.name}`] }, signal);
      const containers = listed?.containers ?? [];
      if (containers.length > 1) {
        throw hostError('ContainerNameAmbiguous', `${containers.length} containers in containerd namespace ${namespace} are named ${ref.name}; give container.id`);
      }
      return containers[0] ?? null;
    }
    const container = await this.#container(namespace, ref.id, signal);
    if (container !== null || !/^[0-9a-f]{12,63}$/.test(ref.id)) return container;
    // A short id (as crictl and nerdctl print): unique prefix among the namespace's tasks, whose
    // id containerd answers in Process.id (its container_id stays empty).
    const tasks = (await this.#call('listTasks', namespace, {}, signal))?.tasks ?? [];
    const matches = [...new Set(tasks.map((task) => task.id).filter((id) => id.startsWith(ref.id)))];
    if (matches.length > 1) throw hostError('ContainerNameAmbiguous', `container id prefix ${ref.id} matches ${matches.length} containers in namespace ${namespace}; give more of it`);
    const [full] = matches;
    return full === undefined ? null : this.#container(namespace, full, signal);
  }

  async find(ref: ContainerRef, signal: AbortSignal): Promise<ContainerInfo | null> {
    for (const namespace of this.#namespaces) {
      const container = await this.#resolve(namespace, ref, signal);
      if (container === null) continue;
      const { id, labels } = container;
      const task = await this.#task(namespace, id, signal);
      const status = task?.status ?? 'no-task';
      const live = task !== null && task.pid > 0 && status !== 'stopped';
      return {
        runtime: 'containerd',
        id,
        name: labels[nerdctlNameLabel] ?? labels['io.kubernetes.container.name'] ?? null,
        namespace,
        status,
        running: status === 'running' || status === 'pausing',
        paused: status === 'paused',
        pid: live ? task.pid : null,
        image: container.image || null,
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
    const answer = await this.#call('kill', this.#namespaceOf(container), { containerId: container.id, signal: signalNumber, all }, signal);
    if (answer === null) throw hostError('ContainerNotRunning', `${describeRef({ id: container.id })} has no running task in containerd namespace ${container.namespace ?? ''}`);
  }

  async #simple(container: ContainerInfo, method: 'pause' | 'resume', signal: AbortSignal): Promise<void> {
    const answer = await this.#call(method, this.#namespaceOf(container), { containerId: container.id }, signal);
    if (answer === null) throw hostError('ContainerNotRunning', `${describeRef({ id: container.id })} has no task in containerd namespace ${container.namespace ?? ''}`);
  }

  /**
   * Tasks.Wait: true once containerd has recorded the task's exit (or the task is gone), false
   * when `milliseconds` pass first. Tasks.Kill returns before the exit is recorded, so a status
   * read right after it can still say running.
   */
  async #waitExit(container: ContainerInfo, milliseconds: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#call('wait', this.#namespaceOf(container), { containerId: container.id }, signal, milliseconds);
      return true;
    } catch (error) {
      if (error instanceof Error && pastDeadline(error.cause)) return false;
      throw error;
    }
  }

  async kill(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    // all: every process of the container, as `ctr task kill --all`, not only its init.
    await this.#kill(container, SIGKILL, true, signal);
    if (!(await this.#waitExit(container, killWaitMs, signal))) {
      throw hostError('ContainerRuntimeError', `container ${container.id} was sent SIGKILL but containerd had not recorded its exit ${killWaitMs / 1000} s later`);
    }
  }

  async stop(container: ContainerInfo, timeoutSeconds: number, signal: AbortSignal): Promise<void> {
    await this.#kill(container, SIGTERM, false, signal);
    // A frozen task cannot act on SIGTERM: thaw it so it can shut down.
    if (container.paused) await this.#simple(container, 'resume', signal);
    if (await this.#waitExit(container, timeoutSeconds * 1000, signal)) return;
    await this.kill(container, signal);
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
    await this.#simple(container, 'pause', signal);
  }

  async unpause(container: ContainerInfo, signal: AbortSignal): Promise<void> {
    await this.#simple(container, 'resume', signal);
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
