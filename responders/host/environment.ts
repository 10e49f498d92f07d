/** What host actions run against, built once from the responder's options. */
import { geteuid, getegid } from 'node:process';
import { systemClock } from '#shared/clock.ts';
import type { Clock } from '#shared/clock.ts';
import { ContainerdRuntime } from './containers/containerd.ts';
import { DockerRuntime } from './containers/docker.ts';
import { ContainerRuntimes } from './containers/runtime.ts';
import { processProtection } from './process-guards.ts';
import { defaultProtectedPaths, responderCodeDir } from './protected-paths.ts';
import type { ProtectedPathsOptions } from './protected-paths.ts';
import type { ProcessProtection } from './process-guards.ts';
import { procReader } from './procfs.ts';
import type { ProcReader } from './procfs.ts';

export const defaultDockerSocketPath = '/var/run/docker.sock';
export const defaultContainerdSocketPath = '/run/containerd/containerd.sock';
/** Kubernetes' namespace, then ctr's and nerdctl's. Not `moby`: Docker manages those through its own API. */
export const defaultContainerdNamespaces: readonly string[] = ['k8s.io', 'default'];
export const defaultMaxAcquireBytes = 256 * 1024 * 1024;
export const defaultMaxLogBytes = 64 * 1024 * 1024;

export interface HostActionsOptions {
  /** Where quarantined files go; created 0700 and owned by the responder's user. */
  readonly quarantineDir: string;
  /** acquire-file refuses larger files (FileTooLarge); 256 MiB by default. */
  readonly maxAcquireBytes?: number;
  /** get-logs keeps the newest this many bytes; 64 MiB by default. */
  readonly maxLogBytes?: number;
  readonly dockerSocketPath?: string;
  readonly containerdSocketPath?: string;
  readonly containerdNamespaces?: readonly string[];
  /** stop-container's grace period between SIGTERM and SIGKILL; 10 s by default. */
  readonly stopTimeoutSeconds?: number;
  /** How long kill-process waits to see the process gone; 5 s by default. */
  readonly killWaitMs?: number;
  /** The responder's own pid and its parent's, both protected; this process's by default. */
  readonly ownPid?: number;
  readonly parentPid?: number;
  /** More pids no action may kill. */
  readonly protectedPids?: readonly number[];
  /**
   * More paths no file action may read, move or restore over (absolute; a directory covers what
   * is under it): the responder's token and key files, its state directory, the local service's
   * DATA_DIR. The defaults, the quarantine directory, the responder's code and interpreter and its
   * own /proc entries are always protected.
   */
  readonly protectedPaths?: readonly string[];
  /** Directory entries the hard-link search of the protected directories may read (200,000 by default); past it the file is refused. */
  readonly hardLinkSearchBudget?: number;
  readonly clock?: Clock;
  /** procfs mount point, `/proc` by default. */
  readonly procRoot?: string;
}

export interface HostEnvironment {
  readonly proc: ProcReader;
  readonly procRoot: string;
  readonly protection: ProcessProtection;
  readonly clock: Clock;
  readonly killWaitMs: number;
  readonly quarantineDir: string;
  /** What file actions refuse (ProtectedPath). */
  readonly protectedPaths: ProtectedPathsOptions;
  readonly maxAcquireBytes: number;
  readonly maxLogBytes: number;
  readonly stopTimeoutSeconds: number;
  readonly runtimes: ContainerRuntimes;
  readonly containerdNamespaces: readonly string[];
  /** The user and group the responder acts as (the quarantine directory's owner). */
  readonly euid: number;
  readonly egid: number;
}

export function hostEnvironment(options: HostActionsOptions): HostEnvironment {
  const procRoot = options.procRoot ?? '/proc';
  const containerdNamespaces = options.containerdNamespaces ?? defaultContainerdNamespaces;
  return {
    proc: procReader({ procRoot }),
    procRoot,
    protection: processProtection({
      ownPid: options.ownPid ?? process.pid,
      parentPid: options.parentPid ?? process.ppid,
      extraPids: options.protectedPids ?? [],
    }),
    clock: options.clock ?? systemClock,
    killWaitMs: options.killWaitMs ?? 5_000,
    quarantineDir: options.quarantineDir,
    protectedPaths: {
      paths: [...defaultProtectedPaths, options.quarantineDir, responderCodeDir, process.execPath, ...(options.protectedPaths ?? [])],
      secretDirectories: ['/etc/sudoers.d', '/etc/kubernetes', '/var/lib/kubelet/pki', options.quarantineDir, ...(options.protectedPaths ?? [])],
      procRoot,
      ownPid: process.pid,
      ...(options.hardLinkSearchBudget === undefined ? {} : { hardLinkSearchBudget: options.hardLinkSearchBudget }),
    },
    maxAcquireBytes: options.maxAcquireBytes ?? defaultMaxAcquireBytes,
    maxLogBytes: options.maxLogBytes ?? defaultMaxLogBytes,
    stopTimeoutSeconds: options.stopTimeoutSeconds ?? 10,
    runtimes: new ContainerRuntimes([
      new DockerRuntime({ socketPath: options.dockerSocketPath ?? defaultDockerSocketPath }),
      new ContainerdRuntime({ socketPath: options.containerdSocketPath ?? defaultContainerdSocketPath, namespaces: containerdNamespaces }),
    ]),
    containerdNamespaces,
    euid: geteuid?.() ?? 0,
    egid: getegid?.() ?? 0,
  };
}
