/**
 * Resolves an absolute path inside a root directory (a container's root file system, or `/` for
 * the host) the way a process chrooted there would, without ever following a link out of it:
 * - it walks one component at a time, holding each directory open and naming the next entry
 *   through `/proc/self/fd/<fd>/<name>` (as openat(2) would), so swapping a directory for a
 *   link after it was checked cannot redirect the walk;
 * - a link in the middle of the path is read with readlink and resolved inside the root: an
 *   absolute target from the root (what the container itself sees), a relative one from the
 *   link's directory;
 * - `..` that would climb above a container's root is refused (PathEscapesContainer); at the
 *   host's `/` it stays at `/`, as the kernel does;
 * - the last component is never followed: a link there is the file the action is about.
 */
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { fileSystemError, hostError, isErrno } from './errors.ts';

/** The kernel's limit on links followed in one lookup (MAXSYMLINKS). */
const maxLinks = 40;

/** An entry found inside a root, named through its opened parent directory. */
export interface ScopedEntry {
  /** The path as given. */
  readonly path: string;
  /** The path inside the root after resolving the links in its directories. */
  readonly resolvedPath: string;
  /** The root (`/`, `/proc/<pid>/root` or a container's MergedDir). */
  readonly root: string;
  /** Where the entry is as the host sees it (for reports): root + resolvedPath. */
  readonly hostPath: string;
  readonly name: string;
  /** `/proc/self/fd/<parent fd>/<name>`: use for every call on the entry. */
  readonly handlePath: string;
  /** `/proc/self/fd/<parent fd>`: the opened directory that holds the entry. */
  readonly directoryPath: string;
  close(): Promise<void>;
}

interface OpenDirectory {
  readonly handle: FileHandle;
  readonly name: string;
}

function fdPath(directory: OpenDirectory): string {
  return `/proc/self/fd/${directory.handle.fd}`;
}

function componentsOf(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

const directoryFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Finds `path` inside `root`; the caller closes the entry. `root` is `/` for the host (where
 * `..` stays at `/`), anything else for a container (where `..` above its root is refused).
 */
export async function resolveInRoot(root: string, path: string): Promise<ScopedEntry> {
  const container = root !== '/';
  const where = container ? ` inside the container's file system (root ${root})` : '';
  const rootHandle = await open(root, constants.O_RDONLY | constants.O_DIRECTORY).catch((error: unknown) => {
    throw fileSystemError(error, 'opening the root', root, 'needs root, or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to reach a container through /proc/<pid>/root');
  });
  const rootDirectory: OpenDirectory = { handle: rootHandle, name: '' };
  /** The directories opened below the root, outermost first: the walk's current position. */
  const below: OpenDirectory[] = [];
  const current = () => below.at(-1) ?? rootDirectory;
  const resolvedSoFar = () => `/${below.map((directory) => directory.name).join('/')}`;
  const leave = async (count: number) => {
    for (const directory of below.splice(below.length - count, count)) await directory.handle.close();
  };

  try {
    const pending = componentsOf(path);
    const name = pending.pop();
    if (name === undefined) throw hostError('NotARegularFile', `${path} names the root directory, not a file`);
    let links = 0;
    for (let component = pending.shift(); component !== undefined; component = pending.shift()) {
      if (component === '..') {
        if (below.length > 0) await leave(1);
        else if (container) {
          throw hostError('PathEscapesContainer', `${path} climbs above the container's root through '..' (at ${resolvedSoFar()}); refusing to leave the container's file system`);
        }
        continue;
      }
      const looked = joinPath(resolvedSoFar(), component);
      const entryPath = `${fdPath(current())}/${component}`;
      const facts = await lstat(entryPath).catch((error: unknown) => {
        if (isErrno(error, 'ENOENT')) throw hostError('FileNotFound', `${path} does not exist${where}: ${looked} is missing`, error);
        throw fileSystemError(error, 'looking up', looked + where, 'needs root or CAP_DAC_READ_SEARCH');
      });
      if (facts.isSymbolicLink()) {
        links += 1;
        if (links > maxLinks) throw hostError('TooManyLinks', `${path} passes through more than ${maxLinks} symbolic links${where}`);
        const target = await readlink(entryPath);
        // An absolute target starts again at the root: what the container itself would see.
        if (target.startsWith('/')) await leave(below.length);
        // componentsOf keeps '..', so a target that climbs is checked like any other '..'.
        pending.unshift(...componentsOf(target));
        continue;
      }
      if (!facts.isDirectory()) throw hostError('FileNotFound', `${path} does not exist${where}: ${looked} is not a directory`);
      const handle = await open(entryPath, directoryFlags).catch((error: unknown) => {
        if (isErrno(error, 'ELOOP', 'ENOTDIR')) throw hostError('PathChanged', `${looked} changed while ${path} was being resolved; try again`, error);
        throw fileSystemError(error, 'opening directory', looked + where, 'needs root or CAP_DAC_READ_SEARCH');
      });
      below.push({ handle, name: component });
    }
    const parent = current();
    const resolvedPath = joinPath(resolvedSoFar(), name);
    // Only the parent stays open, for as long as the caller works on the entry.
    for (const directory of [rootDirectory, ...below]) if (directory !== parent) await directory.handle.close();
    return {
      path,
      resolvedPath,
      root,
      hostPath: container ? `${root.replace(/\/$/, '')}${resolvedPath}` : resolvedPath,
      name,
      handlePath: `${fdPath(parent)}/${name}`,
      directoryPath: fdPath(parent),
      close: () => parent.handle.close(),
    };
  } catch (error) {
    await leave(below.length);
    await rootHandle.close();
    throw error;
  }
}

function joinPath(directory: string, name: string): string {
  return directory === '/' ? `/${name}` : `${directory}/${name}`;
}
