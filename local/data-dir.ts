/**
 * DATA_DIR holds the service's keys and stores, so only the service's user may enter it: the
 * directory is made 0700 and the key files 0600 on every start, whatever a previous run, an
 * unpacked backup or a umask left there. The embedded stores listen on unix sockets inside it
 * (`<DATA_DIR>/sockets`, 0700), so no other user of the machine can reach them.
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { readFileSync, unlinkSync } from 'node:fs';
import { chmod, link, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '#shared/errors.ts';
import { createFileAtomically, writeFileAtomically } from '#shared/fs/atomic-write.ts';

/** Files under DATA_DIR that hold secrets; each is set to 0600 when present. */
const secretFiles = ['cursor-key', 'evidence-signing-key', 'work-signing-key.json', join('auth', 'issuer-keys.json')];

/**
 * DATA_DIR (or something in it) is someone else's, or a link: the service refuses to keep its keys
 * there. A ConfigError, so `npm start` says it in one line (`configuration: DATA_DIR: ...`) and exits 2.
 */
export class UnsafeDataDirError extends ConfigError {}

/**
 * Creates DATA_DIR if needed and makes it, its `auth` directory and its key files private to this
 * user. A DATA_DIR that is a symbolic link, not a directory, or owned by another user is refused:
 * whoever created it first could swap the key files inside it, whatever its mode says now.
 */
export async function securePrivateDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await assertOwnDirectory(dataDir, 'DATA_DIR', 'point DATA_DIR at the real directory', 'use a directory this user created');
  // mkdir's mode applies only to a directory it creates: an existing 0755 DATA_DIR stays open without this.
  await chmod(dataDir, 0o700);
  // Before any chmod follows a link (as root it would also succeed on another user's file): what is in DATA_DIR must be ours.
  await assertOwnEntries(dataDir);
  if ((await readdir(dataDir)).includes('auth')) {
    await assertOwnDirectory(join(dataDir, 'auth'), 'DATA_DIR');
    await assertOwnEntries(join(dataDir, 'auth'));
  }
  await chmodIfPresent(join(dataDir, 'auth'), 0o700);
  for (const file of secretFiles) await chmodIfPresent(join(dataDir, file), 0o600);
}

/**
 * Refuses (UnsafeDataDirError, its message starting with `label`) a path that is a symbolic link,
 * not a directory, or owned by another user: whoever owns a directory can swap what is inside it.
 */
export async function assertOwnDirectory(directory: string, label: string, ifLink = 'remove the link', ifForeign = 'remove it'): Promise<void> {
  const facts = await lstat(directory);
  if (facts.isSymbolicLink() || !facts.isDirectory()) {
    throw new UnsafeDataDirError(label, `${directory} must be a directory, not a symbolic link or a file; ${ifLink}`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && facts.uid !== uid) {
    throw new UnsafeDataDirError(label, `${directory} belongs to uid ${String(facts.uid)}, not to this service's user (uid ${String(uid)}); ${ifForeign}`);
  }
}

/**
 * Refuses a directory whose entries include a symbolic link or another user's file or directory:
 * planted while the directory was open to others (a key file the planter knows, a socket directory
 * the planter can swap sockets in), whatever mode it has now.
 */
async function assertOwnEntries(directory: string): Promise<void> {
  const uid = process.getuid?.();
  for (const entry of await readdir(directory)) {
    const facts = await lstat(join(directory, entry));
    if (facts.isSymbolicLink()) {
      throw new UnsafeDataDirError('DATA_DIR', `${join(directory, entry)} is a symbolic link; the service keeps only its own files there: remove it`);
    }
    if (uid !== undefined && facts.uid !== uid) {
      throw new UnsafeDataDirError(
        'DATA_DIR',
        `${join(directory, entry)} belongs to uid ${String(facts.uid)}, not to this service's user (uid ${String(uid)}); another user put it there: remove it`,
      );
    }
  }
}

async function chmodIfPresent(target: string, mode: number): Promise<void> {
  try {
    await chmod(target, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * A random secret kept under DATA_DIR (0600), made on first start and kept across restarts. Two
 * processes starting at once agree on one secret: it is created whole or not at all, and the one
 * that loses the race reads the winner's.
 */
export async function localSecret(dataDir: string, name: string): Promise<Buffer> {
  const file = join(dataDir, name);
  const existing = await readIfPresent(file);
  if (existing !== undefined && existing.length >= 32) {
    await chmod(file, 0o600);
    return existing;
  }
  const secret = randomBytes(32);
  // Too short to be a secret (an older version's interrupted write): replaced.
  if (existing !== undefined) await writeFileAtomically(file, secret);
  else if (!(await createFileAtomically(file, secret))) return localSecret(dataDir, name);
  return secret;
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A unix socket path's longest length (sun_path is 108 bytes on Linux, 104 on macOS). */
const maxSocketPathBytes = 100;

export interface StoreSockets {
  /** The 0700 directory holding the sockets. */
  readonly directory: string;
  /** The socket path for one store, any stale socket of a previous run removed. */
  socket(name: string): Promise<string>;
  /** Removes the directory when it was made outside DATA_DIR (a DATA_DIR path too long for a socket). */
  close(): Promise<void>;
}

/**
 * The directory for the embedded stores' unix sockets: `<DATA_DIR>/sockets` (0700). When that path
 * is too long for a unix socket, a fresh 0700 directory under the OS temp dir instead.
 */
export async function openStoreSockets(dataDir: string): Promise<StoreSockets> {
  let directory = join(resolve(dataDir), 'sockets');
  let temporary = false;
  if (Buffer.byteLength(join(directory, 'dynamodb.sock')) > maxSocketPathBytes) {
    directory = await mkdtemp(join(tmpdir(), 'response-actions-'));
    temporary = true;
  }
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
  return {
    directory,
    socket: async (name) => {
      const socketPath = join(directory, `${name}.sock`);
      // A run that crashed leaves its socket file behind; listen would fail with EADDRINUSE.
      await rm(socketPath, { force: true });
      return socketPath;
    },
    close: async () => {
      if (temporary) await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * An HTTP agent whose every connection goes to one unix socket, whatever host the URL names:
 * given to an SDK client (`requestHandler: { httpAgent }`), it reaches a store that has no TCP port.
 */
export function unixSocketAgent(socketPath: string): Agent {
  const agent = new Agent({ keepAlive: true });
  // Returning the socket (not calling back) is how net.createConnection itself answers the agent.
  agent.createConnection = () => connect(socketPath);
  return agent;
}

/**
 * DATA_DIR is used by one process at a time (`npm start`, `npm run sandbox`): a second one on the
 * same directory would share its LevelDB and sockets. The holder's PID (and, on Linux, its start
 * time, so that a reused PID is not mistaken for it) is in `<DATA_DIR>/lock`.
 */
export class DataDirInUseError extends ConfigError {}

export interface DataDirLock {
  /** The PID of a process that died (SIGKILL, a crash) holding DATA_DIR, whose lock this one took over. */
  readonly tookOverFrom: number | undefined;
  /** Removes the lock if it is still this process's. Synchronous, so an `exit` handler can call it. */
  release(): void;
}

interface LockHolder {
  readonly pid: number;
  readonly started: string | null;
  readonly program: string;
}

/**
 * Takes DATA_DIR for this process, or throws DataDirInUseError naming the live process holding it.
 * A lock left by a process that is gone is taken over (and `tookOverFrom` says whose it was).
 * DATA_DIR must exist (securePrivateDataDir makes it).
 */
export async function lockDataDir(dataDir: string, program: string): Promise<DataDirLock> {
  const file = join(resolve(dataDir), 'lock');
  const mine = `${JSON.stringify({ pid: process.pid, started: processStartTime(process.pid), program })}\n`;
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await createFileAtomically(file, mine, { mode: 0o600 })) {
      return {
        tookOverFrom,
        release: () => {
          try {
            if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    }
    const text = await readIfPresent(file);
    if (text === undefined) continue;
    const holder = parseHolder(text.toString('utf8'));
    if (holder !== undefined && isAlive(holder)) {
      throw new DataDirInUseError(
        'DATA_DIR',
        `${resolve(dataDir)} is in use by process ${String(holder.pid)} (${holder.program}); stop it (kill ${String(holder.pid)}) and wait until it has exited, or set DATA_DIR to another directory`,
      );
    }
    if (await removeStale(file, text)) tookOverFrom = holder?.pid;
  }
  throw new DataDirInUseError('DATA_DIR', `${resolve(dataDir)}: its lock file kept changing while this process tried to take it; another process is starting on it`);
}

/**
 * Removes the stale lock whose text was read, and only that one: moved aside first (rename is
 * atomic), then checked; a lock another process wrote in between is put back.
 */
async function removeStale(file: string, staleText: Buffer): Promise<boolean> {
  const aside = `${file}.stale-${String(process.pid)}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const moved = await readFile(aside);
  if (!moved.equals(staleText)) {
    await link(aside, file).catch(() => undefined);
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const { pid, started, program } = parsed;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
    return { pid, started: typeof started === 'string' ? started : null, program: typeof program === 'string' ? program.replace(/\p{Cc}/gu, '').slice(0, 40) : 'unknown' };
  } catch {
    // Not what this service writes: nobody holds it.
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: a live process of another user (it cannot be ours, but it is not dead either).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The PID of a process that died may since belong to another process: its start time tells.
  const started = processStartTime(holder.pid);
  return holder.started === null || started === null || started === holder.started;
}

/** A process's start time in clock ticks since boot (Linux `/proc/<pid>/stat`, field 22); null elsewhere. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Field 2 (the command) is in parentheses and may hold spaces: count from after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
