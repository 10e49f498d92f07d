/**
 * The protected-path set: files no host file action may read, move or restore over, whatever the
 * work order says. A responder that could read its own token or the service's keys, or quarantine
 * its own code, would hand a data-gathering caller the keys to everything (issue 9, item 1).
 *
 * Comparison is by identity, not by name: every protected path is stat'ed (the link itself and
 * what it points to) into a set of device + inode pairs, and the target refused when it, or any
 * directory above it, is in the set. The directories above are found from the target's opened
 * parent through `..`, as the kernel walks them, so a symbolic link, a hard link, a bind mount or a
 * container root that leads back to a protected file or directory is refused as surely as its
 * own name. `/proc/<pid>/...` of the responder or any of its ancestors is refused by the pid its
 * directory shows (`Tgid:`, so a thread's `/proc/<tid>` counts too); a procfs instance other than
 * the responder's own (a container's /proc) cannot be mapped to host pids and is refused whole.
 */
import { lstat, readdir, readFile, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostError, isErrno } from './errors.ts';
import { mountAliases } from './mount-aliases.ts';
import { parseProcStat, parseProcStatus } from './procfs.ts';
import type { ScopedEntry } from './scoped-path.ts';

/**
 * Critical system paths protected on every host: password hashes, sudo rules, the SSH host keys
 * (an attacker with them can impersonate the host), Kerberos host keys, and the boot files.
 * A trailing `*` matches names in that directory.
 */
export const defaultProtectedPaths: readonly string[] = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/gshadow-',
  '/etc/security/opasswd',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/ssh/ssh_host_*',
  '/etc/krb5.keytab',
  '/boot',
];

/** The checkout the responder runs from (its code): `responders/host/` is two levels below it. */
export const responderCodeDir = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/** `PROC_SUPER_MAGIC`: statfs's type for procfs. */
const procfsMagic = 0x9fa0;

export interface ProtectedPathsOptions {
  /** Every protected path: the defaults, the responder's own files and what configuration adds. */
  readonly paths: readonly string[];
  /**
   * The protected directories that hold secrets, searched for another name of a hard-linked
   * target: not the code, interpreter or /boot, whose hard links give away nothing and leave the
   * original in place when moved.
   */
  readonly secretDirectories: readonly string[];
  /** procfs mount point, `/proc` by default. */
  readonly procRoot: string;
  /** The process whose `/proc` entries (and its ancestors') are protected. */
  readonly ownPid: number;
}

type Identity = `${bigint}:${bigint}`;

function identityOf(stats: { dev: bigint; ino: bigint }): Identity {
  return `${stats.dev}:${stats.ino}`;
}

async function statOrNull(path: string, follow: boolean): Promise<{ dev: bigint; ino: bigint } | null> {
  try {
    return follow ? await stat(path, { bigint: true }) : await lstat(path, { bigint: true });
  } catch (error) {
    // A protected path that does not exist (yet) protects nothing now; it is looked up again on every action.
    if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EACCES', 'ELOOP')) return null;
    throw error;
  }
}

/** The protected paths with a trailing `*` expanded to what is in that directory now. */
async function expand(paths: readonly string[]): Promise<string[]> {
  const expanded: string[] = [];
  for (const path of paths) {
    if (!path.endsWith('*')) {
      expanded.push(path);
      continue;
    }
    const directory = dirname(path);
    const prefix = path.slice(directory.length + 1, -1);
    const names = await readdir(directory).catch(() => [] as string[]);
    expanded.push(...names.filter((name) => name.startsWith(prefix)).map((name) => join(directory, name)));
  }
  return expanded;
}

/** Each protected path's identity (the link itself and its target) → the path, for messages. */
async function protectedIdentities(paths: readonly string[]): Promise<Map<Identity, string>> {
  const identities = new Map<Identity, string>();
  for (const path of await expand(paths)) {
    for (const follow of [false, true]) {
      const stats = await statOrNull(path, follow);
      if (stats !== null) identities.set(identityOf(stats), path);
    }
  }
  return identities;
}

/**
 * Whether a protected directory holds another name of the inode `target` (a hard link made
 * outside it to a file inside it). Walked only for a regular file with more than one link on
 * the same device, which is rare, and bounded so a huge tree cannot stall the action.
 */
async function hardLinkedInto(directories: readonly string[], target: { dev: bigint; ino: bigint }): Promise<string | null> {
  let budget = 200_000;
  const walk = async (directory: string): Promise<string | null> => {
    const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
    for (const dirent of entries) {
      budget -= 1;
      if (budget < 0) return null;
      const path = join(directory, dirent.name);
      if (dirent.isDirectory()) {
        const found = await walk(path);
        if (found !== null) return found;
      } else if (dirent.isFile()) {
        const stats = await statOrNull(path, false);
        if (stats?.dev === target.dev && stats.ino === target.ino) return path;
      }
    }
    return null;
  };
  for (const directory of directories) {
    const stats = await stat(directory, { bigint: true }).catch(() => null);
    if (stats?.isDirectory() !== true || stats.dev !== target.dev) continue;
    const found = await walk(directory);
    if (found !== null) return directory;
  }
  return null;
}

/** The responder and every process above it, up to pid 1. */
async function ownAndAncestorPids(procRoot: string, ownPid: number): Promise<Set<number>> {
  const pids = new Set<number>([ownPid, 1]);
  let pid = ownPid;
  while (pid > 1 && pids.size < 4096) {
    const text = await readFile(`${procRoot}/${pid}/stat`, 'utf8').catch(() => null);
    if (text === null) break;
    pid = parseProcStat(text).ppid;
    if (pid > 0) pids.add(pid);
  }
  return pids;
}

/**
 * The entry itself (when it exists), then every directory above it, found through `..` from its
 * opened parent: the path the kernel would use, whatever names or mounts led there.
 */
async function chainOf(entry: ScopedEntry): Promise<{ path: string; dev: bigint; ino: bigint }[]> {
  const chain: { path: string; dev: bigint; ino: bigint }[] = [];
  const self = await statOrNull(entry.handlePath, false);
  if (self !== null) chain.push({ path: entry.handlePath, ...self });
  let path = entry.directoryPath;
  for (let depth = 0; depth < 4096; depth += 1) {
    const stats = await stat(path, { bigint: true });
    const previous = chain.at(-1);
    if (previous !== undefined && previous.dev === stats.dev && previous.ino === stats.ino && depth > 0) break;
    chain.push({ path, dev: stats.dev, ino: stats.ino });
    path = `${path}/..`;
  }
  return chain;
}

/** Refuses `entry` (before anything reads or moves it) when it is, or lies under, a protected path. */
export async function refuseProtectedPath(options: ProtectedPathsOptions, entry: ScopedEntry, subject: string, doing: string): Promise<void> {
  const refuse = (why: string) => hostError('ProtectedPath', `refusing to ${doing} ${subject}: ${why}`);
  const identities = await protectedIdentities(options.paths);
  // A container reached through /proc/<pid>/root has mounts of its own, listed beside it.
  const containerTable = entry.root.startsWith(`${options.procRoot}/`) ? [`${dirname(entry.root)}/mountinfo`] : [];
  const mounted = new Map<Identity, string>();
  for (const { protectedPath, alias } of await mountAliases(await expand(options.paths), containerTable)) {
    for (const follow of [false, true]) {
      const stats = await statOrNull(alias, follow);
      if (stats !== null) mounted.set(identityOf(stats), protectedPath);
    }
  }
  const chain = await chainOf(entry);
  for (const link of chain) {
    const under = mounted.get(identityOf(link));
    if (under !== undefined) throw refuse(`it lies under the protected path ${under}, bind-mounted where the path leads`);
    const protectedPath = identities.get(identityOf(link));
    if (protectedPath === undefined) continue;
    throw refuse(link === chain[0] && link.path === entry.handlePath ? `it is the protected path ${protectedPath}` : `it lies under the protected path ${protectedPath}`);
  }

  const target = await lstat(entry.handlePath, { bigint: true }).catch(() => null);
  if (target?.isFile() === true && target.nlink > 1n) {
    const holder = await hardLinkedInto(options.secretDirectories, target);
    if (holder !== null) throw refuse(`it is a hard link to a file under the protected path ${holder}`);
  }

  if ((await statfs(entry.directoryPath, { bigint: true })).type !== BigInt(procfsMagic)) return;
  const procRoot = await stat(options.procRoot, { bigint: true });
  const directory = chain.find((link) => link.path === entry.directoryPath);
  if (directory?.dev !== procRoot.dev) {
    throw refuse(`it is in a procfs other than the responder's own ${options.procRoot} (a container's), whose pids cannot be told apart from the responder's; read it through ${options.procRoot}/<host pid>`);
  }
  // The directory just below procfs's root names a process (or is /proc/self, /proc/sys, ...).
  const rootIndex = chain.findIndex((link) => link.dev === procRoot.dev && link.ino === procRoot.ino);
  const processDir = rootIndex > 0 ? chain[rootIndex - 1] : undefined;
  if (processDir === undefined) return;
  const status = await readFile(`${processDir.path}/status`, 'utf8').catch(() => null);
  const tgid = status === null ? null : parseProcStatus(status).tgid;
  if (tgid === null) return;
  const protectedPids = await ownAndAncestorPids(options.procRoot, options.ownPid);
  if (protectedPids.has(tgid)) {
    throw refuse(`it belongs to process ${tgid}, ${tgid === options.ownPid ? 'the responder itself' : 'an ancestor of the responder'}, whose memory, environment and files hold its credentials`);
  }
}
