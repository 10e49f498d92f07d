/**
 * The response-actions responders' own containers and processes, which no host action may act
 * on: the cluster responder's container holds its API token and a ServiceAccount token that can
 * patch workloads, so reading files in it, killing it or freezing it would hand a caller the
 * cluster responder or take it away. A responder is known by the entry point its process runs
 * (`node responders/kubernetes/main.ts` in the Deployment's `command`, `responders/host/main.ts`
 * in the systemd unit); for a container, by its init process's.
 */
import { readFile } from 'node:fs/promises';
import type { ContainerInfo } from './containers/runtime.ts';
import { describeContainer } from './container-target.ts';
import { hostError, isErrno } from './errors.ts';

/** The responders' entry points, as they appear in a command line. */
export const responderEntryPoints: readonly string[] = ['responders/kubernetes/main.ts', 'responders/host/main.ts'];

/** The responder entry point a command line (arguments joined by spaces or NULs) runs, or null. */
export function responderEntryIn(commandLine: string): string | null {
  const words = commandLine.split(/[\s\0]+/);
  return responderEntryPoints.find((entry) => words.some((word) => word === entry || word.endsWith(`/${entry}`))) ?? null;
}

/** Refuses the process (ProtectedProcess) when its command line runs a responder. */
export function refuseResponderProcess(pid: number, commandLine: string): void {
  const entry = responderEntryIn(commandLine);
  if (entry === null) return;
  throw hostError(
    'ProtectedProcess',
    `refusing to kill process ${pid}: it runs the response-actions responder ${entry}, whose credentials and work must not be taken over or stopped by a host action; stop it through its own deployment`,
  );
}

/**
 * Refuses `container` (ProtectedContainer) when its init process runs a responder. A container
 * without a process (stopped) holds no responder credentials in its root: those are volumes,
 * mounted only while it runs.
 */
export async function refuseResponderContainer(procRoot: string, container: ContainerInfo, doing: string): Promise<void> {
  if (container.pid === null) return;
  let commandLine: string;
  try {
    commandLine = await readFile(`${procRoot}/${container.pid}/cmdline`, 'utf8');
  } catch (error) {
    // The process exited since the runtime was asked: nothing runs there to protect.
    if (isErrno(error, 'ENOENT', 'ESRCH')) return;
    throw error;
  }
  const entry = responderEntryIn(commandLine);
  if (entry === null) return;
  throw hostError(
    'ProtectedContainer',
    `refusing to ${doing} ${describeContainer(container)}: its init process (pid ${container.pid}) runs the response-actions responder ${entry}, whose container holds its API token and ServiceAccount credentials; manage it through its own deployment`,
  );
}
