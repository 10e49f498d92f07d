/**
 * The protected-path set: files no host file action may read, move or restore over, whatever the
 * work order says. A responder that could read its own token or the service's keys, or quarantine
 * its own code, would hand a data-gathering caller the keys to everything (issue 9, item 1).
 *
 * Comparison is by identity, not by name: every protected path is stat'ed (the link itself, what
 * it points to, and every symbolic link met on the way there) into a set of device + inode pairs,
 * and the target refused when it, or any directory above it, is in the set. The directories above are found from the target's opened
 * parent through `..`, as the kernel walks them, so a symbolic link, a hard link, a bind mount or a
 * container root that leads back to a protected file or directory is refused as surely as its
 * own name. `/proc/<pid>/...` of the responder or any of its ancestors is refused by the pid its
 * directory shows (`Tgid:`, so a thread's `/proc/<tid>` counts too); a procfs instance other than
 * the responder's own (a container's /proc) cannot be mapped to host pids and is refused whole.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostError, isErrno } from './errors.ts';
import { mountAliases } from './mount-aliases.ts';
import { parseProcStat, parseProcStatus } from './procfs.ts';
import type { ScopedEntry } from './scoped-path.ts';

/**
 * Critical system paths protected on every host: password hashes, sudo rules, the SSH host keys
 * (an attacker with them can impersonate the host), Kerberos host keys, the boot files, and on a
 * Kubernetes node its credentials: the control plane's and kubelet's kubeconfigs and PKI, and every
 * pod's secret and projected (service-account token) volumes, the cluster responder's token among
 * them. Secrets are credentials, not evidence. A `*` matches any characters within one name.
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
  '/etc/kubernetes',
  '/var/lib/kubelet/pki',
  '/var/lib/kubelet/pods/*/volumes/kubernetes.io~secret',
  '/var/lib/kubelet/pods/*/volumes/kubernetes.io~projected',
  // Each volume is a tmpfs of its own, which a pod's container sees as the root of a mount:
  // walking up from it never meets the directory above, so each volume's root is protected too.
  '/var/lib/kubelet/pods/*/volumes/kubernetes.io~secret/*',
  '/var/lib/kubelet/pods/*/volumes/kubernetes.io~projected/*',
];

/** Entries a hard-link search reads at most before it gives up (and refuses: it could not clear the file). */
export const defaultHardLinkSearchBudget = 200_000;

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
  /** Directory entries the hard-link search may read; {@link defaultHardLinkSearchBudget} by default. */
  readonly hardLinkSearchBudget?: number;
}

/** The device and inode of the entry a protected-path check cleared: what the action may then touch. */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/** Whether `stats` are of the entry a check cleared (`checked`, null when nothing was there). */
export function isCheckedEntry(stats: FileIdentity, checked: FileIdentity | null): boolean {
  return checked !== null && stats.dev === checked.dev && stats.ino === checked.ino;
}

type Identity = `${bigint}:${bigint}`;

function identityOf(stats: { dev: bigint; ino: bigint }): Identity {
  return `${stats.dev}:${stats.ino}`;
}

async function statOrNull(path: string, follow: boolean): Promise<BigIntStats | null> {
  try {
    return follow ? await stat(path, { bigint: true }) : await lstat(path, { bigint: true });
  } catch (error) {
    // A protected path that does not exist (yet) protects nothing now; it is looked up again on every action.
    if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EACCES', 'ELOOP')) return null;
    throw error;
  }
}

function componentsOf(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/** A name matched against one path component with `*` wildcards. */
function matchesComponent(name: string, pattern: string): boolean {
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`).test(name);
}

/** The protected paths with each `*` expanded to the names on disk now. */
async function expand(paths: readonly string[]): Promise<string[]> {
  const expanded: string[] = [];
  for (const path of paths) {
    if (!path.includes('*')) {
      expanded.push(path);
      continue;
    }
    let matches = ['/'];
    for (const component of componentsOf(path)) {
      const next: string[] = [];
      for (const base of matches) {
        if (!component.includes('*')) {
          next.push(join(base, component));
          continue;
        }
        const names = await readdir(base).catch(() => [] as string[]);
        next.push(...names.filter((name) => matchesComponent(name, component)).map((name) => join(base, name)));
      }
      matches = next;
    }
    expanded.push(...matches);
  }
  return expanded;
}

/**
 * The symbolic links met while resolving `path`, component by component as the kernel does
 * (links inside link targets included): moving one of them away would take the protected file
 * from the responder as surely as moving the file, so each link itself is protected too.
 */
async function linksOnTheWay(path: string): Promise<BigIntStats[]> {
  const links: BigIntStats[] = [];
  const pending = componentsOf(path);
  let resolved = '/';
  for (let component = pending.shift(); component !== undefined; component = pending.shift()) {
    if (component === '..') {
      resolved = dirname(resolved);
      continue;
    }
    const next = join(resolved, component);
    const stats = await statOrNull(next, false);
    if (stats === null) break;
    if (!stats.isSymbolicLink()) {
      resolved = next;
      continue;
    }
    links.push(stats);
    if (links.length > 40) break;
    const target = await readlink(next).catch(() => null);
    if (target === null) break;
    if (target.startsWith('/')) resolved = '/';
    pending.unshift(...componentsOf(target));
  }
  return links;
}

/** What a protected identity stands for: the protected path, and whether it is a link on the way to it. */
interface Protection {
  readonly path: string;
  readonly link: boolean;
}

/** Each protected path's identity (the link itself, its target, the links on its way) → what it protects. */
async function protectedIdentities(paths: readonly string[]): Promise<Map<Identity, Protection>> {
  const identities = new Map<Identity, Protection>();
  for (const path of await expand(paths)) {
    for (const link of await linksOnTheWay(path)) identities.set(identityOf(link), { path, link: true });
    for (const follow of [false, true]) {
      const stats = await statOrNull(path, follow);
      if (stats !== null) identities.set(identityOf(stats), { path, link: false });
    }
  }
  return identities;
}

/**
 * Whether a protected directory holds another name of the inode `target` (a hard link made
 * outside it to a file inside it). Walked only for a regular file with more than one link on
 * the same device, which is rare, and bounded so a huge tree cannot stall the action: a search
 * that runs out of budget has not cleared the file, and says so (`exhausted`).
 */
async function hardLinkedInto(directories: readonly string[], target: FileIdentity, budget: number): Promise<{ holder: string | null; exhausted: boolean }> {
  let left = budget;
  const walk = async (directory: string): Promise<string | null> => {
    const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
    for (const dirent of entries) {
      left -= 1;
      if (left < 0) return null;
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
    if ((await walk(directory)) !== null) return { holder: directory, exhausted: false };
    if (left < 0) return { holder: null, exhausted: true };
  }
  return { holder: null, exhausted: false };
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
 * opened parent: the path the kernel would use, whatever names or mounts led there. `self` is the
 * entry's own lstat, the one every later check and the action itself are held to.
 */
async function chainOf(entry: ScopedEntry): Promise<{ self: BigIntStats | null; chain: { path: string; dev: bigint; ino: bigint }[] }> {
  const chain: { path: string; dev: bigint; ino: bigint }[] = [];
  const self = await statOrNull(entry.handlePath, false);
  if (self !== null) chain.push({ path: entry.handlePath, dev: self.dev, ino: self.ino });
  let path = entry.directoryPath;
  for (let depth = 0; depth < 4096; depth += 1) {
    const stats = await stat(path, { bigint: true });
    const previous = chain.at(-1);
    if (previous !== undefined && previous.dev === stats.dev && previous.ino === stats.ino && depth > 0) break;
    chain.push({ path, dev: stats.dev, ino: stats.ino });
    path = `${path}/..`;
  }
  return { self, chain };
}

/**
 * Refuses `entry` (before anything reads or moves it) when it is, or lies under, a protected path.
 * Returns the identity of the entry it cleared (null when nothing is there yet): the action must
 * act on that inode and no other, or a file swapped in after the check would go unchecked.
 */
export async function refuseProtectedPath(options: ProtectedPathsOptions, entry: ScopedEntry, subject: string, doing: string): Promise<FileIdentity | null> {
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
  const { self, chain } = await chainOf(entry);
  for (const link of chain) {
    const under = mounted.get(identityOf(link));
    if (under !== undefined) throw refuse(`it lies under the protected path ${under}, bind-mounted where the path leads`);
    const protection = identities.get(identityOf(link));
    if (protection === undefined) continue;
    if (protection.link) throw refuse(`it is a symbolic link on the way to the protected path ${protection.path}`);
    throw refuse(link === chain[0] && link.path === entry.handlePath ? `it is the protected path ${protection.path}` : `it lies under the protected path ${protection.path}`);
  }

  if (self?.isFile() === true && self.nlink > 1n) {
    const budget = options.hardLinkSearchBudget ?? defaultHardLinkSearchBudget;
    const { holder, exhausted } = await hardLinkedInto(options.secretDirectories, self, budget);
    if (exhausted) {
      throw refuse(`it has ${self.nlink} hard links and the search of the protected directories for another of its names could not complete (more than ${budget} entries), so it could not be cleared`);
    }
    if (holder !== null) throw refuse(`it is a hard link to a file under the protected path ${holder}`);
  }
  const cleared = self === null ? null : { dev: self.dev, ino: self.ino };

  if ((await statfs(entry.directoryPath, { bigint: true })).type !== BigInt(procfsMagic)) return cleared;
  const procRoot = await stat(options.procRoot, { bigint: true });
  const directory = chain.find((link) => link.path === entry.directoryPath);
  if (directory?.dev !== procRoot.dev) {
    throw refuse(`it is in a procfs other than the responder's own ${options.procRoot} (a container's), whose pids cannot be told apart from the responder's; read it through ${options.procRoot}/<host pid>`);
  }
  // The directory just below procfs's root names a process (or is /proc/self, /proc/sys, ...).
  const rootIndex = chain.findIndex((link) => link.dev === procRoot.dev && link.ino === procRoot.ino);
  const processDir = rootIndex > 0 ? chain[rootIndex - 1] : undefined;
  if (processDir === undefined) return cleared;
  const status = await readFile(`${processDir.path}/status`, 'utf8').catch(() => null);
  const tgid = status === null ? null : parseProcStatus(status).tgid;
  if (tgid === null) return cleared;
  const protectedPids = await ownAndAncestorPids(options.procRoot, options.ownPid);
  if (protectedPids.has(tgid)) {
    throw refuse(`it belongs to process ${tgid}, ${tgid === options.ownPid ? 'the responder itself' : 'an ancestor of the responder'}, whose memory, environment and files hold its credentials`);
  }
  return cleared;
}
