/**
 * An `ss`-like listing: the socket tables of every network namespace the listed processes are in
 * (read once per namespace, through one of its processes), each socket with the pids holding it,
 * found by matching `socket:[inode]` links in /proc/<pid>/fd.
 */
import { readdir } from 'node:fs/promises';
import type { CaptureLimits } from './capture-limits.ts';
import { errnoOf } from './errors.ts';
import { parseSocketTable, socketInodeOf, socketTables } from './proc-net.ts';
import type { SocketRow } from './proc-net.ts';
import { readBounded, readLink } from './proc-listing.ts';
import type { ProcessEntry } from './proc-listing.ts';
import { parseProcStat, ProcFormatError } from './procfs.ts';

export interface SocketEntry extends SocketRow {
  /** The network namespace inode the table was read in; null for processes whose namespace link is unreadable. */
  readonly netns: string | null;
  /** The listed processes holding the socket (none for TIME-WAIT, or when their fds were unreadable). */
  readonly pids: readonly number[];
}

export interface SocketListing {
  readonly sockets: SocketEntry[];
  /** Sockets found (listed or not). */
  readonly count: number;
  readonly namespaces: number;
  /** Table lines that could not be read. */
  readonly unreadableLines: number;
  readonly fdLinksRead: number;
  /** Why some owners may be missing: fd directories denied, or the fd budget spent. */
  readonly ownerGaps: string[];
  /** Tables no process of a namespace let the responder read (`tcp6 of net:[...]`). */
  readonly tablesUnread: string[];
  readonly truncated: boolean;
}

/** True while `entry.pid` still names the process listed (the same start ticks). */
async function sameProcess(procRoot: string, entry: ProcessEntry): Promise<boolean> {
  const stat = await readBounded(`${procRoot}/${entry.pid}/stat`, 4096);
  try {
    return stat.ok && parseProcStat(stat.value.toString('latin1')).startTicks === entry.startTicks;
  } catch (error) {
    if (error instanceof ProcFormatError) return false;
    throw error;
  }
}

/** Socket inode → the pids whose fds link to it, reading at most `budget` links. */
async function socketOwners(procRoot: string, processes: readonly ProcessEntry[], budget: number, signal: AbortSignal) {
  const owners = new Map<string, number[]>();
  let read = 0;
  let denied = 0;
  let linksDenied = 0;
  let spent = false;
  for (const entry of processes) {
    signal.throwIfAborted();
    if (read >= budget) {
      spent = true;
      break;
    }
    let fds: string[];
    try {
      fds = await readdir(`${procRoot}/${entry.pid}/fd`);
    } catch (error) {
      const code = errnoOf(error);
      if (code !== 'ENOENT' && code !== 'ESRCH') denied += 1;
      continue;
    }
    const held: string[] = [];
    for (const fd of fds) {
      if (read >= budget) {
        spent = true;
        break;
      }
      read += 1;
      const link = await readLink(`${procRoot}/${entry.pid}/fd/${fd}`);
      if (!link.ok && !link.gone) linksDenied += 1;
      const inode = link.ok ? socketInodeOf(link.value) : null;
      if (inode !== null) held.push(inode);
    }
    // The pid may have gone to another process since it was listed: its fds are not the listed process's.
    if (!(await sameProcess(procRoot, entry))) continue;
    for (const inode of held) {
      const pids = owners.get(inode) ?? [];
      if (!pids.includes(entry.pid)) pids.push(entry.pid);
      owners.set(inode, pids);
    }
  }
  const gaps: string[] = [];
  if (denied > 0) gaps.push(`the fd directories of ${denied} processes could not be read: the sockets they hold show no owner`);
  if (linksDenied > 0) gaps.push(`${linksDenied} fd links could not be read: the sockets they hold may show no owner`);
  if (spent) gaps.push(`stopped after ${budget} fd links: sockets of the processes after that show no owner`);
  return { owners, read, gaps };
}

/** The table text of a namespace, through the first of its processes that still lets it be read. */
async function readTable(procRoot: string, pids: readonly number[], table: string, maxBytes: number): Promise<{ text: string; cut: boolean } | null> {
  for (const pid of pids.slice(0, 5)) {
    const read = await readBounded(`${procRoot}/${pid}/net/${table}`, maxBytes);
    if (!read.ok) continue;
    // A table cut at the byte limit ends mid-line: keep whole lines only.
    const text = read.value.toString('latin1');
    return { text: read.truncated ? text.slice(0, text.lastIndexOf('\n') + 1) : text, cut: read.truncated };
  }
  return null;
}

export async function listSockets(procRoot: string, processes: readonly ProcessEntry[], limits: CaptureLimits, signal: AbortSignal): Promise<SocketListing> {
  const namespaces = new Map<string | null, number[]>();
  for (const entry of processes) namespaces.set(entry.netns, [...(namespaces.get(entry.netns) ?? []), entry.pid]);
  const { owners, read, gaps } = await socketOwners(procRoot, processes, limits.maxFdLinks, signal);
  const sockets: SocketEntry[] = [];
  const seen = new Set<string>();
  const tablesUnread: string[] = [];
  let count = 0;
  let unreadableLines = 0;
  let cut = false;
  for (const [netns, pids] of namespaces) {
    for (const table of socketTables) {
      signal.throwIfAborted();
      const text = await readTable(procRoot, pids, table, limits.maxTableBytes);
      if (text === null) {
        tablesUnread.push(`${table} of ${netns === null ? `the processes whose namespace is unreadable (pid ${pids[0] ?? '?'} first)` : `net:[${netns}]`}`);
        continue;
      }
      cut ||= text.cut;
      const parsed = parseSocketTable(text.text, table);
      unreadableLines += parsed.unreadable;
      for (const row of parsed.rows) {
        // The unreadable-namespace group may repeat a namespace already read: one row per socket.
        const key = row.inode === '0' ? `${table}:${row.state}:${row.localAddress}:${row.localPort}:${row.remoteAddress}:${row.remotePort}` : `${table}:${row.inode}`;
        if (seen.has(key)) continue;
        seen.add(key);
        count += 1;
        if (sockets.length < limits.maxSockets) sockets.push({ ...row, netns, pids: row.inode === '0' ? [] : (owners.get(row.inode) ?? []) });
      }
    }
  }
  if (cut) gaps.push(`a socket table was longer than ${limits.maxTableBytes} bytes: the sockets past that were not read`);
  return { sockets, count, namespaces: namespaces.size, unreadableLines, fdLinksRead: read, ownerGaps: gaps, tablesUnread, truncated: cut || count > sockets.length };
}
