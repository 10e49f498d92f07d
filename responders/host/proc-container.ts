/**
 * Which processes capture-process-state lists for one container. A process inside a container
 * that may write its own cgroup tree (a privileged container, or one given its cgroup delegated,
 * as systemd inside a container is) can make nested cgroups named as it likes: under its own
 * `docker-<its id>.scope`, a `docker-<another id>.scope` would make it look like a process of that
 * other container, planting its invented command line in that container's evidence. Only the
 * runtime's placement says which container a process is in: each cgroup path counts up to its
 * outermost segment naming a container, and nothing beneath it does.
 */
import { cgroupNamesContainer, cgroupPaths, containerIdsInCgroup } from './container-cgroup.ts';

/** The path up to its first segment naming a container (a runtime's scope, or `<containerd namespace>/<id>`). */
function upToContainer(path: string, containerdNamespaces: readonly string[]): string {
  const segments = path.split('/');
  const end = segments.findIndex(
    (segment, index) => containerIdsInCgroup(`0::/${segment}`).length > 0 || (index > 0 && containerdNamespaces.includes(segments[index - 1] ?? '')),
  );
  return end === -1 ? path : segments.slice(0, end + 1).join('/');
}

/** The cgroup text with each path cut after its outermost container segment. */
function placedCgroup(cgroup: string, containerdNamespaces: readonly string[]): string {
  return cgroupPaths(cgroup)
    .map((path) => `0::${upToContainer(path, containerdNamespaces)}`)
    .join('\n');
}

/** True when the runtime put the process whose /proc/<pid>/cgroup is `cgroup` in container `containerId`. */
export function placedInContainer(cgroup: string, containerId: string, containerdNamespaces: readonly string[]): boolean {
  return cgroupNamesContainer(placedCgroup(cgroup, containerdNamespaces), containerId, containerdNamespaces);
}

/** The 64-hex ids of the containers the runtime placed the process in (one per cgroup path at most), never a nested one's. */
export function placedContainerIds(cgroup: string): string[] {
  return containerIdsInCgroup(placedCgroup(cgroup, []));
}
