/**
 * Where a file action's path lives: the host's file system, or with `container.id` that
 * container's, reached through its init process's root (`/proc/<pid>/root`, which shows what
 * the container sees, volumes included) or, for a Docker container without a running process,
 * its overlay MergedDir while that is mounted.
 */
import { stat } from 'node:fs/promises';
import type { JsonObject } from '#shared/json.ts';
import type { ContainerInfo } from './containers/runtime.ts';
import type { HostEnvironment } from './environment.ts';
import { hostError } from './errors.ts';
import { refuseProtectedPath } from './protected-paths.ts';
import type { FileIdentity } from './protected-paths.ts';
import { refuseResponderContainer } from './responder-guards.ts';
import { resolveInRoot } from './scoped-path.ts';
import type { ScopedEntry } from './scoped-path.ts';

export interface FileScope {
  readonly root: string;
  readonly container: ContainerInfo | null;
}

export function scopeJson(scope: FileScope): JsonObject {
  const { container } = scope;
  return {
    root: scope.root,
    container:
      container === null ? null : { id: container.id, name: container.name, runtime: container.runtime, namespace: container.namespace },
  };
}

/** The path as a person names it: with its container when it is in one. */
export function describeFile(path: string, scope: FileScope): string {
  return scope.container === null ? path : `${path} in container ${scope.container.id}`;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function fileScope(env: HostEnvironment, containerId: string | undefined, signal: AbortSignal): Promise<FileScope> {
  if (containerId === undefined) return { root: '/', container: null };
  const { container } = await env.runtimes.locate({ id: containerId }, signal);
  await refuseResponderContainer(env.procRoot, container, 'act on files in');
  if (container.pid !== null) return { root: `${env.procRoot}/${container.pid}/root`, container };
  if (container.mergedDir !== null && (await isDirectory(container.mergedDir))) return { root: container.mergedDir, container };
  throw hostError(
    'ContainerFilesystemUnavailable',
    `container ${container.id} has no running process and its root file system is not mounted (${container.status}); start it, or act on the file in its image or volume on the host`,
  );
}

/**
 * Resolves `path` in the scope and refuses a protected path (ProtectedPath) before the caller
 * touches it; the caller closes the entry. `doing` completes "refusing to ..." in the refusal.
 * `checked` is the identity of the entry the check cleared (null when none was there): the
 * caller must refuse to touch any other (isCheckedEntry).
 */
export async function resolveFile(
  env: HostEnvironment,
  path: string,
  containerId: string | undefined,
  signal: AbortSignal,
  doing: string,
): Promise<{ scope: FileScope; entry: ScopedEntry; checked: FileIdentity | null }> {
  const scope = await fileScope(env, containerId, signal);
  const entry = await resolveInRoot(scope.root, path);
  try {
    const checked = await refuseProtectedPath(env.protectedPaths, entry, describeFile(path, scope), doing);
    return { scope, entry, checked };
  } catch (error) {
    await entry.close();
    throw error;
  }
}
