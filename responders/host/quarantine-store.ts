/**
 * The quarantine directory and the moves into and out of it. The directory is 0700 and owned
 * by the responder's user (root in production), so nothing else can reach what is in it; each
 * quarantined file is stored under its action id, beside a JSON note of what it was (so an
 * operator can put it back by hand if the service's record were ever lost).
 *
 * Moves are renames when source and destination share a file system. Across file systems
 * (EXDEV: /tmp on tmpfs, a container's overlay) they are a copy, fsync, SHA-256 check against
 * the recorded hash, and only then the unlink of the source.
 */
import { constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { chmod, link, lstat, mkdir, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as z from 'zod';
import type { HostEnvironment } from './environment.ts';
import { errnoOf, fileSystemError, hostError, isErrno } from './errors.ts';
import { octal } from './file-facts.ts';
import type { FileFacts } from './file-facts.ts';

/** What file-quarantine changed, exactly as its undo needs it. */
export const quarantineAppliedSchema = z.object({
  path: z.string(),
  containerId: z.string().nullable(),
  resolvedPath: z.string(),
  quarantinePath: z.string(),
  type: z.enum(['file', 'symlink']),
  mode: z.number().int(),
  uid: z.number().int(),
  gid: z.number().int(),
  size: z.number().int(),
  nlink: z.number().int(),
  inode: z.string(),
  device: z.string(),
  mtime: z.string(),
  mtimeNs: z.string().regex(/^\d+$/),
  sha256: z.string().nullable(),
  linkTarget: z.string().nullable(),
  /** null while the move has not happened yet (the record written before it). */
  method: z.enum(['rename', 'copy']).nullable(),
  /** The mode the quarantined file was given (0), or null when it could not be changed. */
  quarantinedMode: z.number().int().nullable(),
});
export type QuarantineApplied = z.infer<typeof quarantineAppliedSchema>;

/** Creates (or checks) the quarantine directory: a real directory, ours, mode 0700. */
export async function ensureQuarantineDir(env: HostEnvironment): Promise<void> {
  const dir = env.quarantineDir;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fileSystemError(error, 'creating the quarantine directory', dir, 'the responder needs write access to its parent (ReadWritePaths in the unit)');
  }
  const facts = await lstat(dir);
  if (!facts.isDirectory()) throw hostError('QuarantineUnsafe', `the quarantine directory ${dir} is not a directory (a link or a file is there); fix it before quarantining`);
  if (facts.uid !== env.euid) {
    throw hostError('QuarantineUnsafe', `the quarantine directory ${dir} belongs to uid ${facts.uid}, not to the responder (uid ${env.euid}); others could reach what it holds`);
  }
  if ((facts.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/** The quarantine path for one action: its id, made safe as a file name. */
export function quarantinePathFor(env: HostEnvironment, actionId: string): string {
  return join(env.quarantineDir, actionId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_'));
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

/** The note beside a quarantined file. */
export async function writeNote(quarantinePath: string, note: Readonly<Record<string, unknown>>): Promise<void> {
  await writeFile(`${quarantinePath}.json`, `${JSON.stringify(note, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Where the quarantined file came from, as only this responder's note keeps it (never reported):
 * its path inside the root after resolving links, and the device and inode of the directory that
 * held it. Undo restores only into that same directory, reached by that same resolved path.
 */
const quarantineOriginSchema = z.object({ resolvedPath: z.string(), directoryDevice: z.string().regex(/^\d+$/), directoryInode: z.string().regex(/^\d+$/) });
export type QuarantineOrigin = z.infer<typeof quarantineOriginSchema>;

/** The note file-quarantine wrote for one quarantine: this responder's own record of it. */
const quarantineNoteSchema = z.object({ actionId: z.string(), origin: quarantineOriginSchema.optional(), applied: quarantineAppliedSchema });
export type QuarantineNote = z.infer<typeof quarantineNoteSchema>;

/**
 * Reads the note beside `quarantinePath` (never through a link), or null when there is none. A
 * note that is not a regular file of the responder's own, or not a quarantine record, is refused:
 * undo restores only what this responder itself recorded.
 */
export async function readNote(env: HostEnvironment, quarantinePath: string): Promise<QuarantineNote | null> {
  const file = `${quarantinePath}.json`;
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    if (isErrno(error, 'ELOOP')) throw hostError('QuarantineUnsafe', `${file} is a symbolic link, not this responder's record; nothing was restored`, error);
    throw fileSystemError(error, 'reading the quarantine record', file, 'needs the quarantine directory to be the responder\'s own');
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.uid !== env.euid) {
      throw hostError('QuarantineUnsafe', `${file} is not a regular file owned by the responder (uid ${env.euid}); nothing was restored`);
    }
    const parsed = quarantineNoteSchema.safeParse(JSON.parse(await handle.readFile('utf8')));
    if (!parsed.success) throw hostError('QuarantineUnsafe', `${file} is not a quarantine record this responder wrote; nothing was restored`);
    return parsed.data;
  } catch (error) {
    if (error instanceof SyntaxError) throw hostError('QuarantineUnsafe', `${file} is not valid JSON; nothing was restored`, error);
    throw error;
  } finally {
    await handle.close();
  }
}

export async function removeNote(quarantinePath: string): Promise<void> {
  await rm(`${quarantinePath}.json`, { force: true });
}

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Copies a regular file to `destination` (which must not exist), fsyncs it and checks its
 * SHA-256 against `expectedSha256`; a mismatch removes the copy and fails.
 */
export async function copyVerified(source: string, destination: string, expectedSha256: string, subject: string): Promise<void> {
  const input = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: unknown) => {
    throw fileSystemError(error, 'opening', subject, 'needs root or CAP_DAC_READ_SEARCH');
  });
  try {
    const output = await open(destination, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((error: unknown) => {
      if (isErrno(error, 'EEXIST')) throw hostError('DestinationExists', `${destination} appeared while the file was being copied there; refusing to overwrite it`, error);
      throw fileSystemError(error, 'creating', destination, 'needs root or CAP_DAC_OVERRIDE on its directory');
    });
    const hash = createHash('sha256');
    try {
      const buffer = Buffer.alloc(1024 * 1024);
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await output.write(chunk);
      }
      await output.sync();
    } finally {
      await output.close();
    }
    const copied = hash.digest('hex');
    if (copied !== expectedSha256) {
      await unlink(destination);
      throw hostError('HashMismatch', `the copy of ${subject} has SHA-256 ${copied}, not ${expectedSha256} as recorded: the file changed while it was copied; nothing was removed`);
    }
  } finally {
    await input.close();
  }
}

function sameFile(stats: BigIntStats, facts: FileFacts): boolean {
  return stats.ino.toString() === facts.inode && stats.dev.toString() === facts.device && stats.mtimeNs.toString() === facts.mtimeNs && Number(stats.size) === facts.size;
}

/**
 * Moves the entry at `source` (named through its opened directory) to `destination`: rename,
 * or copy-verify-unlink across file systems (a link is recreated with the same target).
 */
export async function moveIntoQuarantine(source: string, destination: string, facts: FileFacts, subject: string): Promise<'rename' | 'copy'> {
  // The entry checked and recorded must still be the one at the path: renames act on names.
  const before = await lstat(source, { bigint: true }).catch((error: unknown) => {
    throw fileSystemError(error, 'checking', subject, 'needs root or CAP_DAC_READ_SEARCH');
  });
  if (before.ino.toString() !== facts.inode || before.dev.toString() !== facts.device) {
    throw hostError('PathChanged', `${subject} was replaced after it was checked and recorded; nothing was moved, try again`);
  }
  try {
    await rename(source, destination);
    return 'rename';
  } catch (error) {
    if (!isErrno(error, 'EXDEV')) {
      throw fileSystemError(error, 'moving', subject, "needs root, or CAP_DAC_OVERRIDE and CAP_FOWNER (write access to the file's directory, and to a sticky one such as /tmp)");
    }
  }
  try {
    if (facts.type === 'symlink') await symlink(facts.linkTarget ?? '', destination);
    else await copyVerified(source, destination, facts.sha256 ?? '', subject);
    await fsyncDirectory(join(destination, '..'));
    const now = await lstat(source, { bigint: true });
    if (!sameFile(now, facts)) throw hostError('PathChanged', `${subject} changed while it was being copied into quarantine; nothing was removed, try again`);
    await unlink(source).catch((error: unknown) => {
      throw fileSystemError(error, 'removing', subject, "needs root, or CAP_DAC_OVERRIDE and CAP_FOWNER on the file's directory");
    });
  } catch (error) {
    // The source is still in place: a partial or unneeded copy must not stay behind.
    await rm(destination, { force: true });
    throw error;
  }
  return 'copy';
}

/**
 * Puts a quarantined entry back at `destination` without ever overwriting: a hard link (which
 * fails if anything is there) then the unlink of the quarantine name; across file systems a
 * copy made with O_EXCL; where the kernel refuses the link (protected_hardlinks for a
 * non-root responder) a rename after checking the destination is free.
 */
export async function moveOutOfQuarantine(source: string, destination: string, applied: QuarantineApplied, subject: string): Promise<'link' | 'rename' | 'copy'> {
  const collision = (error: unknown) => hostError('DestinationExists', `${subject} appeared while the quarantined file was being restored; refusing to overwrite it`, error);
  try {
    await link(source, destination);
    await unlink(source);
    return 'link';
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'EEXIST') throw collision(error);
    if (code === 'EPERM') {
      if (await exists(destination)) throw collision(error);
      await rename(source, destination).catch((retry: unknown) => {
        throw fileSystemError(retry, 'restoring', subject, "needs root, or CAP_DAC_OVERRIDE and CAP_FOWNER on the file's directory");
      });
      return 'rename';
    }
    if (code !== 'EXDEV') throw fileSystemError(error, 'restoring', subject, "needs root, or CAP_DAC_OVERRIDE on the file's directory");
  }
  if (applied.type === 'symlink') {
    await symlink(applied.linkTarget ?? '', destination).catch((error: unknown) => {
      if (isErrno(error, 'EEXIST')) throw collision(error);
      throw fileSystemError(error, 'restoring', subject, "needs root, or CAP_DAC_OVERRIDE on the file's directory");
    });
  } else {
    await copyVerified(source, destination, applied.sha256 ?? '', `the quarantined copy of ${subject}`);
  }
  await unlink(source);
  return 'copy';
}

export function modeText(mode: number | null): string {
  return mode === null ? 'unchanged' : octal(mode);
}
