/**
 * What host actions need from a container runtime, whichever the host runs: Docker Engine
 * (its HTTP API on a unix socket) or containerd (its gRPC API on a unix socket). Both
 * adapters implement {@link ContainerRuntime}; {@link ContainerRuntimes} finds the one that
 * knows a container.
 */
import { lstat } from 'node:fs/promises';
import { hostError, isErrno } from '../errors.ts';

export type RuntimeKind = 'docker' | 'containerd';

/** A container as the action names it: by id (full or unique prefix) or by name. */
export type ContainerRef = { readonly id: string } | { readonly name: string };

export function describeRef(ref: ContainerRef): string {
  return 'id' in ref ? `container ${ref.id}` : `container named ${ref.name}`;
}

/**
 * Docker's states (`created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`)
 * and containerd's task states (`created`, `running`, `paused`, `pausing`, `stopped`, `unknown`,
 * and `no-task` for a container without a task).
 */
export type ContainerStatus = string;

/** One container, as its runtime reports it now. */
export interface ContainerInfo {
  readonly runtime: RuntimeKind;
  /** The full id. */
  readonly id: string;
  readonly name: string | null;
  /** containerd namespace (`k8s.io`, `default`, ...); null for Docker. */
  readonly namespace: string | null;
  readonly status: ContainerStatus;
  readonly running: boolean;
  readonly paused: boolean;
  /** The container's init process as the host sees it, while it has one. */
  readonly pid: number | null;
  readonly image: string | null;
  readonly startedAt: string | null;
  /** Docker's restart policy name (`no`, `always`, `unless-stopped`, `on-failure`); null for containerd. */
  readonly restartPolicy: string | null;
  /** Docker's overlay MergedDir (the root file system while it is mounted); null when unknown. */
  readonly mergedDir: string | null;
  /** Docker: the container has a TTY, so its logs are one raw stream. */
  readonly tty: boolean;
}

/** Logs captured for evidence. */
export interface ContainerLogs {
  readonly body: Uint8Array;
  /** True when older output was dropped to stay within the size limit. */
  readonly truncated: boolean;
  /** How the runtime delivered them. */
  readonly source: string;
}

export interface ContainerRuntime {
  readonly kind: RuntimeKind;
  readonly socketPath: string;
  /** The container, or null when this runtime does not know it. */
  find(ref: ContainerRef, signal: AbortSignal): Promise<ContainerInfo | null>;
  /** Sends SIGKILL to every process of the container. */
  kill(container: ContainerInfo, signal: AbortSignal): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`. */
  stop(container: ContainerInfo, timeoutSeconds: number, signal: AbortSignal): Promise<void>;
  start(container: ContainerInfo, signal: AbortSignal): Promise<void>;
  pause(container: ContainerInfo, signal: AbortSignal): Promise<void>;
  unpause(container: ContainerInfo, signal: AbortSignal): Promise<void>;
  logs(container: ContainerInfo, maxBytes: number, signal: AbortSignal): Promise<ContainerLogs>;
}

/** A runtime whose socket exists but does not answer (daemon stopped). */
export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

/** Is there a unix socket at `path`? */
async function socketExists(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSocket();
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return false;
    // EACCES on a parent directory: the socket may be there; let the connect say why.
    return true;
  }
}

/**
 * The container runtimes of this host, detected per call (a daemon may start or stop while
 * the responder runs): Docker first, since Docker's own containers also appear in containerd's
 * `moby` namespace and Docker must stay their manager.
 */
export class ContainerRuntimes {
  readonly #runtimes: readonly ContainerRuntime[];

  constructor(runtimes: readonly ContainerRuntime[]) {
    this.#runtimes = runtimes;
  }

  /** The runtime that knows the container, and the container. */
  async locate(ref: ContainerRef, signal: AbortSignal): Promise<{ runtime: ContainerRuntime; container: ContainerInfo }> {
    const present: ContainerRuntime[] = [];
    for (const runtime of this.#runtimes) if (await socketExists(runtime.socketPath)) present.push(runtime);
    if (present.length === 0) {
      throw hostError(
        'NoContainerRuntime',
        `no container runtime on this host: neither ${this.#runtimes.map((runtime) => `${runtime.kind} (${runtime.socketPath})`).join(' nor ')} has a socket`,
      );
    }
    const unavailable: string[] = [];
    for (const runtime of present) {
      try {
        const container = await runtime.find(ref, signal);
        if (container !== null) return { runtime, container };
      } catch (error) {
        if (!(error instanceof RuntimeUnavailableError)) throw error;
        unavailable.push(error.message);
      }
    }
    if (unavailable.length === present.length) throw hostError('NoContainerRuntime', unavailable.join('; '));
    const asked = present.map((runtime) => `${runtime.kind} (${runtime.socketPath})`).join(' and ');
    const down = unavailable.length > 0 ? `; ${unavailable.join('; ')}` : '';
    throw hostError('ContainerNotFound', `${describeRef(ref)} not found by ${asked}${down}`);
  }
}
