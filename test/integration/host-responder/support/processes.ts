/** Real processes to act on: `sleep`s spawned by the test, and what `ps` (not the responder's code) says about them. */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Sleeper {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles once the child has exited and been reaped. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  stop(): void;
}

/** Spawns `sleep 300` (optionally as another user) and waits until it has exec'd. */
export async function spawnSleeper(options: SpawnOptions = {}): Promise<Sleeper> {
  const child = spawn('sleep', ['300'], { stdio: 'ignore', ...options });
  const pid = child.pid;
  if (pid === undefined) throw new Error('sleep did not start');
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(signal ?? code);
    });
  });
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
    if (exe.endsWith('/sleep')) break;
    await sleep(5);
  }
  return {
    child,
    pid,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The start time `ps` reports (whole seconds, UTC). */
export async function startTimeByPs(pid: number): Promise<Date> {
  const { stdout } = await run('ps', ['-o', 'lstart=', '-p', String(pid)], { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
  const parsed = new Date(`${stdout.trim()} UTC`);
  if (Number.isNaN(parsed.getTime())) throw new Error(`ps printed an unreadable start time: ${stdout}`);
  return parsed;
}

/** True while the pid runs (not a zombie, not gone). */
export async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A pid no process has now. */
export async function unusedPid(): Promise<number> {
  const max = Number((await readFile('/proc/sys/kernel/pid_max', 'utf8')).trim());
  for (let pid = max - 1; pid > max - 1000; pid -= 1) {
    const taken = await readFile(`/proc/${pid}/stat`).then(
      () => true,
      () => false,
    );
    if (!taken) return pid;
  }
  throw new Error('no free pid found');
}
