/**
 * A `ps`-like listing read from /proc alone. Every process is hostile input that may vanish, be
 * replaced under the same pid, or hide fields: a process gone mid-read is counted, never fatal;
 * a field the responder may not read is null and named; every read is bounded. environ is never
 * read (it would carry the responder's own secrets and everyone else's).
 */
import { open, readdir, readlink } from 'node:fs/promises';
import type { ProcessLimits } from './capture-limits.ts';
import { cgroupPaths } from './container-cgroup.ts';
import { errnoOf } from './errors.ts';
import { placedContainerIds } from './proc-container.ts';
import { parseProcStat, ProcFormatError, startTimeOf } from './procfs.ts';

/** Bytes as text: UTF-8 when they are valid UTF-8, else printable ASCII with every other byte as `\xNN`. */
export function printable(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return [...bytes].map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
  }
}

/** How a read of one /proc file went: its bytes, the process gone, or the field not readable. */
type Read<T> = { ok: true; value: T; truncated: boolean } | { ok: false; gone: boolean };

function failed(error: unknown): { ok: false; gone: boolean } {
  const code = errnoOf(error);
  // ENOENT/ESRCH: the process exited; EACCES/EPERM and anything else (EIO, EINVAL): unreadable, not fatal.
  return { ok: false, gone: code === 'ENOENT' || code === 'ESRCH' };
}

/** At most `max` bytes of a /proc file (whose size stat cannot tell), and whether more were there. */
export async function readBounded(path: string, max: number): Promise<Read<Buffer>> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    return failed(error);
  }
  try {
    // In chunks, so a 16 MiB limit costs a small table no 16 MiB buffer.
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= max) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, max + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
    }
    const bytes = Buffer.concat(chunks, length);
    return { ok: true, value: bytes.subarray(0, Math.min(length, max)), truncated: length > max };
  } catch (error) {
    return failed(error);
  } finally {
    await handle.close();
  }
}

/** A link under /proc (exe, cwd, ns/net, an fd), its target bytes as text. */
export async function readLink(path: string): Promise<Read<string>> {
  try {
    return { ok: true, value: printable(await readlink(path, { encoding: 'buffer' })), truncated: false };
  } catch (error) {
    return failed(error);
  }
}

/** uid → name from an /etc/passwd text. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [user, , uid] = line.split(':');
    if (user !== undefined && user !== '' && uid !== undefined && /^\d{1,10}$/.test(uid) && !users.has(Number(uid))) users.set(Number(uid), user);
  }
  return users;
}

/** The real and effective uid and the thread count from /proc/<pid>/status. */
export function parseStatusIds(text: string): { uid: number | null; euid: number | null; threads: number | null } {
  const ids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
  const threads = /^Threads:\s+(\d+)/m.exec(text)?.[1];
  return { uid: ids?.[1] === undefined ? null : Number(ids[1]), euid: ids?.[2] === undefined ? null : Number(ids[2]), threads: threads === undefined ? null : Number(threads) };
}

/** argv from /proc/<pid>/cmdline bytes (NUL-separated; a process may rewrite it into anything). */
export function argvOf(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes);
  const end = text.length > 0 && text[text.length - 1] === 0 ? text.length - 1 : text.length;
  if (end === 0) return [];
  const parts: string[] = [];
  let start = 0;
  for (let index = 0; index <= end; index += 1) {
    if (index === end || text[index] === 0) {
      parts.push(printable(text.subarray(start, index)));
      start = index + 1;
    }
  }
  return parts;
}

/** One process of the listing. Nulls are fields the responder could not read (named in `unreadable`). */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number | null;
  readonly euid: number | null;
  /** The name of `uid` in the host's /etc/passwd (a container's own names may differ). */
  readonly user: string | null;
  readonly state: string;
  readonly comm: string;
  readonly startTime: string;
  readonly startTicks: number;
  readonly threads: number | null;
  readonly argv: readonly string[];
  readonly commandLineTruncated: boolean;
  readonly exe: string | null;
  readonly cwd: string | null;
  readonly cgroups: readonly string[];
  readonly containerIds: readonly string[];
  /** The network namespace inode (`net:[<inode>]`), or null when the link is not readable. */
  readonly netns: string | null;
  readonly unreadable: readonly string[];
}

export interface ListingOptions {
  readonly procRoot: string;
  readonly bootTimeSeconds: number;
  readonly clockTicksPerSecond: number;
  readonly users: ReadonlyMap<number, string>;
  readonly limits: ProcessLimits;
  /** Keeps only the processes whose /proc/<pid>/cgroup text it accepts (a container's); all when absent. */
  readonly accept?: (cgroup: string) => boolean;
  readonly signal: AbortSignal;
}

export interface ProcessListing {
  readonly processes: ProcessEntry[];
  /** Processes seen that belong to the listing (listed or not). */
  readonly matched: number;
  /** Processes that exited, or whose pid was reused, while they were read. */
  readonly vanished: number;
  /** Processes whose stat the responder could not read or parse. */
  readonly unreadable: number;
  readonly truncated: boolean;
}

const netnsOf = (link: string): string | null => /^net:\[(\d{1,20})\]$/.exec(link)?.[1] ?? null;

/** Everything of one process, or `gone` when it exited or its pid went to another process meanwhile. */
async function readEntry(pid: number, options: ListingOptions, cgroup: string): Promise<ProcessEntry | 'gone'> {
  const base = `${options.procRoot}/${pid}`;
  const first = await readBounded(`${base}/stat`, 4096);
  if (!first.ok) return 'gone';
  const stat = parseProcStat(first.value.toString('latin1'));
  const [status, cmdline, exe, cwd, netns] = await Promise.all([
    readBounded(`${base}/status`, 16 * 1024),
    readBounded(`${base}/cmdline`, options.limits.maxCommandLineBytes),
    readLink(`${base}/exe`),
    readLink(`${base}/cwd`),
    readLink(`${base}/ns/net`),
  ]);
  // The same start ticks after every read: the pid still names the process first read.
  const last = await readBounded(`${base}/stat`, 4096);
  if (!last.ok || parseProcStat(last.value.toString('latin1')).startTicks !== stat.startTicks) return 'gone';
  const unreadable: string[] = [];
  const value = <T>(name: string, read: Read<T>): T | null => {
    if (read.ok) return read.value;
    unreadable.push(name);
    return null;
  };
  const ids = parseStatusIds(value('status', status)?.toString('utf8') ?? '');
  const argv = value('cmdline', cmdline);
  const exeLink = exe.ok ? exe.value : null;
  // A kernel thread or zombie has no exe: ENOENT there means "none", not "gone" (stat said it is still here).
  if (!exe.ok && !exe.gone) unreadable.push('exe');
  const cwdLink = cwd.ok ? cwd.value : null;
  if (!cwd.ok && !cwd.gone) unreadable.push('cwd');
  return {
    pid,
    ppid: stat.ppid,
    uid: ids.uid,
    euid: ids.euid,
    user: ids.uid === null ? null : (options.users.get(ids.uid) ?? null),
    state: stat.state,
    comm: printable(Buffer.from(stat.comm, 'latin1')),
    startTime: startTimeOf(stat.startTicks, options.bootTimeSeconds, options.clockTicksPerSecond).toISOString(),
    startTicks: stat.startTicks,
    threads: ids.threads,
    argv: argv === null ? [] : argvOf(argv),
    commandLineTruncated: cmdline.ok && cmdline.truncated,
    exe: exeLink,
    cwd: cwdLink,
    cgroups: cgroupPaths(cgroup),
    // The runtime's placement: a container's own nested cgroups may be named after any other container.
    containerIds: placedContainerIds(cgroup),
    netns: netns.ok ? netnsOf(netns.value) : (unreadable.push('netns'), null),
    unreadable,
  };
}

/** The pids /proc lists (thread-group leaders: threads live under /proc/<pid>/task), ascending. */
async function procPids(procRoot: string): Promise<number[]> {
  return (await readdir(procRoot))
    .filter((name) => /^[1-9]\d{0,9}$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The processes of the host, or those `accept` keeps, at most `limits.maxProcesses` of them. */
export async function listProcesses(options: ListingOptions): Promise<ProcessListing> {
  const processes: ProcessEntry[] = [];
  let matched = 0;
  let vanished = 0;
  let unreadable = 0;
  for (const pid of await procPids(options.procRoot)) {
    options.signal.throwIfAborted();
    const cgroupRead = await readBounded(`${options.procRoot}/${pid}/cgroup`, 64 * 1024);
    if (!cgroupRead.ok && cgroupRead.gone) {
      vanished += 1;
      continue;
    }
    const cgroup = cgroupRead.ok ? cgroupRead.value.toString('utf8') : '';
    // A process whose cgroups cannot be read cannot be shown to be in the container: not listed for one.
    if (options.accept !== undefined && !(cgroupRead.ok && options.accept(cgroup))) continue;
    matched += 1;
    if (processes.length >= options.limits.maxProcesses) continue;
    try {
      const entry = await readEntry(pid, options, cgroup);
      if (entry === 'gone') vanished += 1;
      else processes.push(entry);
    } catch (error) {
      if (!(error instanceof ProcFormatError)) throw error;
      unreadable += 1;
    }
  }
  return { processes, matched, vanished, unreadable, truncated: matched > processes.length + vanished + unreadable };
}
