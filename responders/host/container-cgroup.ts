/**
 * Which containers a process's /proc/<pid>/cgroup names. Runtimes put a container's processes in
 * cgroups whose paths carry its id, in a few forms (cgroup v1 lines per controller, or the one
 * v2 line `0::/path`):
 * - Docker, cgroupfs driver: `/docker/<id>`; systemd driver: `/system.slice/docker-<id>.scope`
 * - containerd via CRI: `/kubepods/<qos>/pod<uid>/<id>` or `...-pod<uid>.slice/cri-containerd-<id>.scope`
 * - containerd directly (`ctr`, nerdctl): `/<namespace>/<id>`
 * - CRI-O: `crio-<id>.scope`; Podman: `libpod-<id>.scope`
 */

const hexId = /^[0-9a-f]{64}$/;
const scopePrefixes = ['docker-', 'cri-containerd-', 'crio-', 'libpod-'];

/** The cgroup paths of each line (`hierarchy-id:controllers:path`). */
export function cgroupPaths(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(':').slice(2).join(':'));
}

/** A segment reduced to the container id it names, if it names one (`docker-<id>.scope` → `<id>`). */
function idOfSegment(segment: string): string | null {
  // conmon (Podman's and CRI-O's monitor) runs beside the container, not in it.
  if (segment.includes('conmon')) return null;
  let candidate = segment.endsWith('.scope') ? segment.slice(0, -'.scope'.length) : segment;
  for (const prefix of scopePrefixes) {
    if (candidate.startsWith(prefix)) candidate = candidate.slice(prefix.length);
  }
  return hexId.test(candidate) ? candidate : null;
}

/** The 64-hex container ids the cgroup text names, each once. */
export function containerIdsInCgroup(text: string): string[] {
  const ids = new Set<string>();
  for (const path of cgroupPaths(text)) {
    for (const segment of path.split('/')) {
      const id = idOfSegment(segment);
      if (id !== null) ids.add(id);
    }
  }
  return [...ids];
}

/**
 * True when the cgroups name the container `containerId`: its full 64-hex id, a prefix of it of
 * at least 12 characters (Docker's short id), or, for ids containerd clients choose freely,
 * the exact `<namespace>/<id>` form under one of `containerdNamespaces`.
 */
export function cgroupNamesContainer(text: string, containerId: string, containerdNamespaces: readonly string[]): boolean {
  const wanted = containerId.toLowerCase();
  const byPrefix = wanted.length >= 12 && /^[0-9a-f]+$/.test(wanted);
  if (containerIdsInCgroup(text).some((id) => id === wanted || (byPrefix && id.startsWith(wanted)))) return true;
  return cgroupPaths(text).some((path) => {
    const segments = path.split('/');
    return segments.some((segment, index) => index > 0 && segment === containerId && containerdNamespaces.includes(segments[index - 1] ?? ''));
  });
}
