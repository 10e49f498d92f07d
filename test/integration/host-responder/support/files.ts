/** Real files for the file actions, and what the file system (not the responder's code) says about them. */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { chmod, chown, lstat, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function temporaryDirectory(prefix: string, parent = tmpdir()): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(parent, `${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Writes a file with an owner, mode and mtime of its own (a microsecond-precise mtime). */
export async function plantFile(path: string, content: Buffer | string, facts: { uid?: number; gid?: number; mode?: number; mtimeSeconds?: number } = {}): Promise<void> {
  await writeFile(path, content);
  await chown(path, facts.uid ?? 0, facts.gid ?? 0);
  await chmod(path, facts.mode ?? 0o644);
  const mtime = facts.mtimeSeconds ?? 1_700_000_000.123456;
  await utimes(path, mtime, mtime);
}

export async function statOf(path: string): Promise<BigIntStats> {
  return lstat(path, { bigint: true });
}

export async function missing(path: string): Promise<boolean> {
  return lstat(path).then(
    () => false,
    () => true,
  );
}

export async function contentSha(path: string): Promise<string> {
  return sha256(await readFile(path));
}

export function modeOf(stats: BigIntStats): number {
  return Number(stats.mode & 0o7777n);
}
