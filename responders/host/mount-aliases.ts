/**
 * Other names a protected directory's contents get through bind mounts. A bind mount shows a
 * directory (or file) from inside a file system as the root of another mount, and `..` from a
 * mount's root leaves the mount: walking up from a file in `<container root>/var/lib/app`, a bind
 * mount of DATA_DIR/auth, never meets DATA_DIR. mountinfo says where in its file system each
 * mount's root lies, so a mount root at or below a protected directory is protected as well.
 */
import { constants } from 'node:fs';
import { open, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { isErrno } from './errors.ts';

interface MountEntry {
  readonly id: string;
  /** `major:minor` of the file system. */
  readonly device: string;
  /** Where the mount's root lies inside its file system. */
  readonly root: string;
  readonly mountPoint: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function parseMountInfo(text: string): MountEntry[] {
  return text.split('\n').flatMap((line) => {
    const [id, , device, root, mountPoint] = line.split(' ');
    if (id === undefined || device === undefined || root === undefined || mountPoint === undefined) return [];
    return [{ id, device, root: unescapeField(root), mountPoint: unescapeField(mountPoint) }];
  });
}

function isWithin(path: string, base: string): boolean {
  return base === '/' || path === base || path.startsWith(`${base}/`);
}

async function mountTable(path: string): Promise<MountEntry[]> {
  try {
    return parseMountInfo(await readFile(path, 'utf8'));
  } catch (error) {
    // A container's process that has exited has no table left; its mounts went with it.
    if (isErrno(error, 'ENOENT', 'ESRCH')) return [];
    throw error;
  }
}

interface Location {
  readonly path: string;
  readonly device: string;
  /** The directory's path from its file system's root. */
  readonly fsPath: string;
}

/** Where `directory` lies inside its file system; null when it is not a directory the responder can open. */
async function locate(directory: string, ownMounts: readonly MountEntry[]): Promise<Location | null> {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => null);
  if (handle === null) return null;
  try {
    const mountId = /^mnt_id:\s*(\d+)$/m.exec(await readFile(`/proc/self/fdinfo/${handle.fd}`, 'utf8'))?.[1];
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    const mount = ownMounts.find((entry) => entry.id === mountId);
    if (mount === undefined || !isWithin(real, mount.mountPoint)) return null;
    const below = mount.mountPoint === '/' ? real : real.slice(mount.mountPoint.length);
    return { path: directory, device: mount.device, fsPath: posix.join(mount.root, below) };
  } finally {
    await handle.close();
  }
}

/**
 * For each mount (in the responder's mount table and `otherTables`, a container's) whose root
 * lies strictly below a protected directory in the same file system: the path under that
 * directory, in the responder's own view, that names the same object as the mount's root.
 */
export async function mountAliases(paths: readonly string[], otherTables: readonly string[]): Promise<{ protectedPath: string; alias: string }[]> {
  const ownMounts = await mountTable('/proc/self/mountinfo');
  const located = (await Promise.all(paths.map((path) => locate(path, ownMounts)))).filter((location) => location !== null);
  if (located.length === 0) return [];
  const mounts = [...ownMounts, ...(await Promise.all(otherTables.map(mountTable))).flat()];
  const aliases: { protectedPath: string; alias: string }[] = [];
  for (const location of located) {
    for (const mount of mounts) {
      if (mount.device !== location.device || mount.root === location.fsPath || !isWithin(mount.root, location.fsPath)) continue;
      const below = location.fsPath === '/' ? mount.root : mount.root.slice(location.fsPath.length);
      aliases.push({ protectedPath: location.path, alias: posix.join(location.path, below) });
    }
  }
  return aliases;
}
