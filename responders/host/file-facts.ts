/** What a file is (type, mode, owner, size, links, times, SHA-256), read without following links. */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { JsonObject } from '#shared/json.ts';
import { fileSystemError, hostError, isErrno } from './errors.ts';

/** What the file at a path is, in words (`a directory`, `a socket`, ...). */
export function kindOf(stats: BigIntStats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  return 'of an unknown type';
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Nanoseconds since the epoch as an RFC 3339 time (millisecond precision; mtimeNs keeps all of it). */
export function isoOfNs(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** Permission bits (with octal spelling), owner and modification time, as results report them. */
export function modeOwnerTime(stats: BigIntStats): { mode: number; modeOctal: string; uid: number; gid: number; mtime: string } {
  const mode = Number(stats.mode & 0o7777n);
  return { mode, modeOctal: octal(mode), uid: Number(stats.uid), gid: Number(stats.gid), mtime: isoOfNs(stats.mtimeNs) };
}

export async function lstatBig(path: string, subject: string): Promise<BigIntStats> {
  try {
    return await lstat(path, { bigint: true });
  } catch (error) {
    if (isErrno(error, 'ENOENT')) throw hostError('FileNotFound', `${subject} does not exist`, error);
    throw fileSystemError(error, 'reading the metadata of', subject, 'needs root or CAP_DAC_READ_SEARCH on its directory');
  }
}

/**
 * Opens a regular file for reading without following a link, without blocking on a FIFO that
 * replaced it, and (when allowed) without updating its access time, which forensics may want.
 */
export async function openRegularFile(path: string, subject: string, expected?: BigIntStats): Promise<FileHandle> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let handle: FileHandle;
  try {
    handle = await open(path, flags | constants.O_NOATIME);
  } catch (error) {
    // O_NOATIME needs ownership or CAP_FOWNER; read anyway.
    if (!isErrno(error, 'EPERM')) throw fileSystemError(error, 'opening', subject, 'needs root or CAP_DAC_READ_SEARCH to read it');
    handle = await open(path, flags).catch((retry: unknown) => {
      throw fileSystemError(retry, 'opening', subject, 'needs root or CAP_DAC_READ_SEARCH to read it');
    });
  }
  const opened = await handle.stat({ bigint: true });
  if (!opened.isFile() || (expected !== undefined && (opened.ino !== expected.ino || opened.dev !== expected.dev))) {
    await handle.close();
    throw hostError('PathChanged', `${subject} was replaced while the responder was reading it; try again`);
  }
  return handle;
}

/** Reads a whole open file, hashing it; refuses more than `limit` bytes when given. */
export async function readAndHash(handle: FileHandle, options: { keep: boolean; limit?: number; subject: string }): Promise<{ sha256: string; size: number; bytes: Buffer | null }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  const buffer = Buffer.alloc(1024 * 1024);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    size += bytesRead;
    if (options.limit !== undefined && size > options.limit) {
      throw hostError('FileTooLarge', `${options.subject} grew past the ${options.limit}-byte limit while it was read`);
    }
    const chunk = buffer.subarray(0, bytesRead);
    hash.update(chunk);
    if (options.keep) chunks.push(Buffer.from(chunk));
  }
  return { sha256: hash.digest('hex'), size, bytes: options.keep ? Buffer.concat(chunks) : null };
}

/** The SHA-256 of the regular file at `path` (opened through `expected`'s inode when given). */
export async function sha256Of(path: string, subject: string, expected?: BigIntStats): Promise<string> {
  const handle = await openRegularFile(path, subject, expected);
  try {
    return (await readAndHash(handle, { keep: false, subject })).sha256;
  } finally {
    await handle.close();
  }
}

/** A quarantined (or restorable) file: a regular file or a symbolic link. */
export interface FileFacts {
  readonly type: 'file' | 'symlink';
  /** Permission bits with setuid, setgid and sticky (st_mode & 07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly inode: string;
  readonly device: string;
  readonly mtime: string;
  /** Nanoseconds since the epoch, as a decimal string (JSON numbers cannot hold it exactly). */
  readonly mtimeNs: string;
  /** null for a symbolic link. */
  readonly sha256: string | null;
  /** A symbolic link's target, as stored; null for a regular file. */
  readonly linkTarget: string | null;
}

/** The facts of a regular file or symbolic link at `path`; other types are refused. */
export async function fileFacts(path: string, subject: string): Promise<{ facts: FileFacts; stats: BigIntStats }> {
  const stats = await lstatBig(path, subject);
  const symlink = stats.isSymbolicLink();
  if (!symlink && !stats.isFile()) throw hostError('NotARegularFile', `${subject} is ${kindOf(stats)}; only regular files and symbolic links can be quarantined`);
  const linkTarget = symlink ? await readlink(path) : null;
  const sha256 = symlink ? null : await sha256Of(path, subject, stats);
  return {
    stats,
    facts: {
      type: symlink ? 'symlink' : 'file',
      mode: Number(stats.mode & 0o7777n),
      uid: Number(stats.uid),
      gid: Number(stats.gid),
      size: Number(stats.size),
      nlink: Number(stats.nlink),
      inode: stats.ino.toString(),
      device: stats.dev.toString(),
      mtime: isoOfNs(stats.mtimeNs),
      mtimeNs: stats.mtimeNs.toString(),
      sha256,
      linkTarget,
    },
  };
}

export function factsJson(facts: FileFacts): JsonObject {
  return { ...facts, modeOctal: octal(facts.mode) };
}
