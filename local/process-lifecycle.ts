/**
 * How `npm start` and `npm run sandbox` begin and end as processes: DATA_DIR held by one process
 * at a time, every start-up failure said in one line that says what to do (exit 2, no stack
 * trace), and a bounded stop on SIGTERM and Ctrl-C that leaves unfinished actions to recovery.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '#shared/errors.ts';
import { lockDataDir, securePrivateDataDir, type DataDirLock } from './data-dir.ts';

/** An error whose message is already the one line to print (e.g. moto_server missing). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** How long a signal leaves running actions to finish before the process stops anyway. */
export const stopGraceMs = 3_000;

/**
 * Makes DATA_DIR private and takes its lock for this process (released on exit, however the
 * process exits); prints one line and exits 2 when it cannot.
 */
export async function holdDataDir(dataDir: string, program: string, where: StartupContext): Promise<DataDirLock> {
  try {
    await securePrivateDataDir(dataDir);
    const lock = await lockDataDir(dataDir, program);
    process.on('exit', () => {
      lock.release();
    });
    return lock;
  } catch (error) {
    return failStartup(error, where);
  }
}

export interface StartupContext {
  /** Names the program in the line (`npm start`, `sandbox`). */
  readonly program: string;
  readonly port: number;
  readonly dataDir: string;
}

/** PORT: 8787 when unset; a port number, or one line and exit 2. */
export function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 8787;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`configuration: PORT: must be a port number from 0 to 65535 (0 picks a free one), not "${value.slice(0, 40)}"`);
    process.exit(2);
  }
  return port;
}

/** Prints the one line for a start-up failure and exits 2. */
export function failStartup(error: unknown, where: StartupContext): never {
  console.error(startupErrorLine(error, where));
  process.exit(2);
}

/** The one line a start-up failure is reported in: what went wrong and what to do. */
export function startupErrorLine(error: unknown, where: StartupContext): string {
  if (error instanceof ConfigError) return `configuration: ${oneLine(error.message)}`;
  if (error instanceof StartupError) return `${where.program}: ${oneLine(error.message)}`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const syscall = (error as NodeJS.ErrnoException | undefined)?.syscall;
  if (syscall === 'listen' && code === 'EADDRINUSE') {
    return `configuration: PORT: 127.0.0.1:${String(where.port)} is already in use by another program; stop it, or set PORT to a free port (PORT=0 picks one)`;
  }
  if (syscall === 'listen' && code === 'EACCES') {
    return `configuration: PORT: this user may not listen on port ${String(where.port)}; set PORT to a port above 1023 (PORT=0 picks one)`;
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC') {
    const path = (error as NodeJS.ErrnoException).path ?? where.dataDir;
    return `configuration: DATA_DIR: cannot write ${path} (${code}); give this user a writable directory with free space, or set DATA_DIR to one`;
  }
  const details = writeDetails(error, where.dataDir);
  const message = error instanceof Error ? error.message : String(error);
  return `${where.program}: could not start: ${oneLine(message)}${details === undefined ? '' : `; the full error is in ${details}`}; fix what it names and start again`;
}

/**
 * Stops on SIGTERM or SIGINT (Ctrl-C): the server stops taking requests and running actions get
 * {@link stopGraceMs} to finish; whatever is still running then is left to recovery, which the
 * next start on this DATA_DIR runs (resumed, sent again, or ended in Error). A signal while
 * stopping changes nothing: one Ctrl-C often arrives twice (from the terminal to the whole group,
 * and forwarded by npm), and the stop ends within {@link stopGraceMs} anyway.
 */
export function stopOnSignals(close: () => Promise<void>, log: (line: string) => void = (line) => {
  console.log(line);
}): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping; running actions get ${String(stopGraceMs / 1000)} s to finish, the next start settles the rest`);
    const timer = setTimeout(() => {
      log(`stopped with actions still running; the next start on this DATA_DIR settles them`);
      process.exit(0);
    }, stopGraceMs);
    close().then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        console.error(`stopped, but a part did not close cleanly: ${oneLine(error instanceof Error ? error.message : String(error))}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The full error, for whoever needs more than the line: `<DATA_DIR>/start-error.log` (0600), if it can be written. */
function writeDetails(error: unknown, dataDir: string): string | undefined {
  const file = join(resolve(dataDir), 'start-error.log');
  try {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    writeFileSync(file, `${new Date().toISOString()}\n${text}\n`, { mode: 0o600 });
    return file;
  } catch {
    return undefined;
  }
}
