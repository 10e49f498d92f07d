/**
 * Containers on the real containerd and dockerd the integration run starts
 * (test/support/container-runtimes-global-setup.ts), made and inspected with the runtimes' own
 * command-line clients (`ctr`, Debian's `docker`), never with the responder's code.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { busyboxImage, ctrArgs, dockerClient } from '../../../support/container-runtimes.ts';

const run = promisify(execFile);

export const containerdSocket = (): string => inject('containerdSocket');
export const dockerSocket = (): string => inject('dockerSocket');

/** A 64-hex id, as nerdctl and Kubernetes give containerd containers. */
export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

/** `ctr` in the `default` namespace (ctr's and nerdctl's) unless told otherwise. */
export async function ctr(args: readonly string[], namespace = 'default'): Promise<string> {
  const { stdout } = await run('ctr', ctrArgs(containerdSocket(), namespace, ...args), { timeout: 30_000 });
  return stdout;
}

export interface CtrTask {
  readonly id: string;
  readonly namespace: string;
  readonly logFile: string | null;
}

/**
 * `ctr run -d`: a container and its task running `script` under busybox sh, named with
 * nerdctl's label when `name` is given, its output in `logFile` when given.
 */
export async function ctrRun(options: { script: string; name?: string; logFile?: string; id?: string; namespace?: string }): Promise<CtrTask> {
  const id = options.id ?? newContainerId();
  const namespace = options.namespace ?? 'default';
  const flags = ['run', '-d'];
  if (options.name !== undefined) flags.push('--label', `nerdctl/name=${options.name}`);
  if (options.logFile !== undefined) flags.push('--log-uri', `file://${options.logFile}`);
  await ctr([...flags, busyboxImage, id, 'sh', '-c', options.script], namespace);
  return { id, namespace, logFile: options.logFile ?? null };
}

/** The task's status and pid as `ctr task ls` prints them, or null without a task. */
export async function ctrTask(task: CtrTask): Promise<{ status: string; pid: number } | null> {
  for (const line of (await ctr(['tasks', 'list'], task.namespace)).split('\n').slice(1)) {
    const [id, pid, status] = line.trim().split(/\s+/);
    if (id === task.id) return { status: (status ?? '').toLowerCase(), pid: Number(pid) };
  }
  return null;
}

/** Deletes the task (killing it) and the container. */
export async function ctrRemove(task: CtrTask): Promise<void> {
  await ctr(['tasks', 'delete', '--force', task.id], task.namespace).catch(() => undefined);
  await ctr(['containers', 'delete', task.id], task.namespace).catch(() => undefined);
}

/** Debian's docker client on the test dockerd. */
export async function docker(args: readonly string[]): Promise<string> {
  const { stdout } = await run(dockerClient, ['-H', `unix://${dockerSocket()}`, ...args], { timeout: 60_000 });
  return stdout.trim();
}

/** Both streams of `docker logs`, as Debian's client prints them. */
export async function dockerLogs(id: string): Promise<string> {
  const { stdout, stderr } = await run(dockerClient, ['-H', `unix://${dockerSocket()}`, 'logs', id], { timeout: 60_000 });
  return stdout + stderr;
}

/** `docker run -d --network none` of `script` under busybox sh; the full id. */
export async function dockerRun(options: { script: string; name?: string; extra?: readonly string[] }): Promise<string> {
  const flags = ['run', '-d', '--network', 'none', ...(options.extra ?? [])];
  if (options.name !== undefined) flags.push('--name', options.name);
  return docker([...flags, busyboxImage, 'sh', '-c', options.script]);
}

/** What `docker inspect` says of the container's state. */
export async function dockerState(id: string): Promise<{ status: string; pid: number }> {
  const [status = '', pid = '0'] = (await docker(['inspect', '--format', '{{.State.Status}} {{.State.Pid}}', id])).split(' ');
  return { status, pid: Number(pid) };
}

export function logPath(dir: string, name: string): string {
  return join(dir, `${name}.log`);
}
