/**
 * What /proc says about a process: its start time (so a kill can refuse a recycled pid), whether
 * it is a kernel thread, its command line, executable, owner and cgroups.
 */
import { readFile, readlink } from 'node:fs/promises';
import { errnoOf, hostError, isErrno } from './errors.ts';

/** `PF_KTHREAD` in /proc/<pid>/stat's flags field: the task is a kernel thread. */
export const PF_KTHREAD = 0x00200000;

/** The fields of /proc/<pid>/stat that host actions use. */
export interface ProcStat {
  readonly pid: number;
  /** The executable's name as the kernel keeps it (at most 15 bytes). */
  readonly comm: string;
  /** R, S, D, Z, T, t, X, I ... */
  readonly state: string;
  readonly ppid: number;
  readonly flags: number;
  /** Clock ticks after boot at which the process started (field 22). */
  readonly startTicks: number;
}

/** A /proc/<pid>/stat line this code cannot read; /proc is not what it expects. */
export class ProcFormatError extends Error {
  override readonly name = 'ProcFormatError';
}

/**
 * Parses /proc/<pid>/stat. The command name sits in parentheses and may itself contain spaces
 * and parentheses, so the fields are read after the last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) throw new ProcFormatError(`unreadable /proc stat line: ${text.slice(0, 80)}`);
  const rest = text.slice(close + 2).trim().split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const field = (n: number): string => {
    const value = rest[n - 3];
    if (value === undefined) throw new ProcFormatError(`the /proc stat line has no field ${n}`);
    return value;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: field(3),
    ppid: Number(field(4)),
    flags: Number(field(9)),
    startTicks: Number(field(22)),
  };
}

/** The boot time (`btime`, seconds since the epoch) from /proc/stat. */
export function parseBootTime(text: string): number {
  const match = /^btime\s+(\d+)$/m.exec(text);
  if (match?.[1] === undefined) throw new ProcFormatError('/proc/stat has no btime line');
  return Number(match[1]);
}

/** A process's start as wall-clock time: boot time plus start ticks over CLK_TCK. */
export function startTimeOf(startTicks: number, bootTimeSeconds: number, clockTicksPerSecond: number): Date {
  return new Date(bootTimeSeconds * 1000 + Math.round((startTicks * 1000) / clockTicksPerSecond));
}

/** `Tgid:` and the real `Uid:` from /proc/<pid>/status. */
export function parseProcStatus(text: string): { tgid: number | null; uid: number | null } {
  const tgid = /^Tgid:\s+(\d+)/m.exec(text)?.[1];
  const uid = /^Uid:\s+(\d+)/m.exec(text)?.[1];
  return { tgid: tgid === undefined ? null : Number(tgid), uid: uid === undefined ? null : Number(uid) };
}

/** Everything host actions want to know about one process, read at one moment. */
export interface ProcessFacts extends ProcStat {
  /** The thread group (process) this pid belongs to; differs from pid for a thread. */
  readonly tgid: number;
  readonly uid: number | null;
  readonly startTime: Date;
  /** argv joined with spaces; empty for kernel threads and zombies. */
  readonly commandLine: string;
  /** The executable's path, or null when /proc/<pid>/exe cannot be read (see exeProblem). */
  readonly exe: string | null;
  readonly exeProblem: 'none' | 'missing' | 'denied';
  readonly kernelThread: boolean;
  /** The raw /proc/<pid>/cgroup text. */
  readonly cgroup: string;
}

export interface ProcReader {
  /** The facts of a process, or null when no process has that pid. */
  readProcess(pid: number): Promise<ProcessFacts | null>;
  /** Just the stat line (for cheap polling), or null when the pid is gone. */
  readStat(pid: number): Promise<ProcStat | null>;
  readCgroup(pid: number): Promise<string | null>;
}

export interface ProcReaderOptions {
  /** Where procfs is mounted; `/proc` on a host. */
  readonly procRoot?: string;
  /** USER_HZ, which the kernel exports as 100 on every architecture Linux runs containers on. */
  readonly clockTicksPerSecond?: number;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    // ESRCH: the process exited between opening and reading.
    if (isErrno(error, 'ENOENT', 'ESRCH')) return null;
    throw error;
  }
}

/** Reads processes from procfs. */
export function procReader(options: ProcReaderOptions = {}): ProcReader {
  const procRoot = options.procRoot ?? '/proc';
  const clockTicks = options.clockTicksPerSecond ?? 100;

  const readStat = async (pid: number): Promise<ProcStat | null> => {
    const text = await readOrNull(`${procRoot}/${pid}/stat`);
    return text === null ? null : parseProcStat(text);
  };
  const readCgroup = (pid: number) => readOrNull(`${procRoot}/${pid}/cgroup`);

  return {
    readStat,
    readCgroup,
    async readProcess(pid) {
      const stat = await readStat(pid);
      if (stat === null) return null;
      const [status, cmdline, cgroup, bootText] = await Promise.all([
        readOrNull(`${procRoot}/${pid}/status`),
        readOrNull(`${procRoot}/${pid}/cmdline`),
        readOrNull(`${procRoot}/${pid}/cgroup`),
        readFile(`${procRoot}/stat`, 'utf8'),
      ]);
      if (status === null) return null;
      let exe: string | null = null;
      let exeProblem: ProcessFacts['exeProblem'] = 'none';
      try {
        exe = await readlink(`${procRoot}/${pid}/exe`);
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT' || code === 'ESRCH') exeProblem = 'missing';
        else if (code === 'EACCES' || code === 'EPERM') exeProblem = 'denied';
        else throw hostError('FileSystemError', `reading ${procRoot}/${pid}/exe failed: ${String(error)}`, error);
      }
      const { tgid, uid } = parseProcStatus(status);
      const commandLine = (cmdline ?? '').replace(/\0+$/, '').split('\0').join(' ');
      // PF_KTHREAD is authoritative; a task without an executable or a command line is one
      // too, unless it is a zombie (which has neither once it has exited).
      const kernelThread = (stat.flags & PF_KTHREAD) !== 0 || (exeProblem === 'missing' && commandLine === '' && stat.state !== 'Z');
      return {
        ...stat,
        tgid: tgid ?? stat.pid,
        uid,
        startTime: startTimeOf(stat.startTicks, parseBootTime(bootText), clockTicks),
        commandLine,
        exe,
        exeProblem,
        kernelThread,
        cgroup: cgroup ?? '',
      };
    },
  };
}
