/**
 * Writing a file whole or not at all: the contents go to a private temporary file in the same
 * directory, are synced, and only then take the final name (rename, or link for a file that must
 * not be replaced), and the directory is synced so the new name survives a crash. A reader sees
 * the old file or the complete new one, never a prefix; a crash leaves at most a `.tmp-` file,
 * which `removeInterruptedWrites` clears.
 */
import { randomUUID } from 'node:crypto';
import { link, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What to write: bytes, text (UTF-8), or a stream of either (written as it arrives, never buffered whole). */
export type FileContents = string | Uint8Array | AsyncIterable<Uint8Array | string>;

export interface AtomicWriteOptions {
  /** The file's mode, set exactly (whatever the umask); 0600 unless given. */
  readonly mode?: number;
}

/** Names of temporary files start with this, so a directory's owner can tell a crash's leftovers. */
export const temporaryFilePrefix = '.tmp-';

/** Writes `file` atomically, replacing any file of that name. */
export async function writeFileAtomically(file: string, contents: FileContents, options: AtomicWriteOptions = {}): Promise<void> {
  const temporary = await writeTemporary(file, contents, options);
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(file));
}

/**
 * Writes `file` atomically unless it exists: returns false, and leaves the existing file as it
 * was, when it does (another writer got there first). Two writers racing: exactly one gets true.
 */
export async function createFileAtomically(file: string, contents: FileContents, options: AtomicWriteOptions = {}): Promise<boolean> {
  const temporary = await writeTemporary(file, contents, options);
  try {
    // link, unlike rename, fails with EEXIST instead of replacing the target.
    await link(temporary, file);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  await syncDirectory(dirname(file));
  return true;
}

/** Removes the temporary files that writes interrupted by a crash left in `directory`. */
export async function removeInterruptedWrites(directory: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    if (name.startsWith(temporaryFilePrefix)) await rm(join(directory, name), { force: true });
  }
}

async function writeTemporary(file: string, contents: FileContents, options: AtomicWriteOptions): Promise<string> {
  const mode = options.mode ?? 0o600;
  const temporary = join(dirname(file), `${temporaryFilePrefix}${randomUUID()}`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.chmod(mode);
    if (typeof contents === 'string' || contents instanceof Uint8Array) {
      await handle.writeFile(contents);
    } else {
      // One chunk at a time, each write awaited: a slow disk holds the stream back instead of memory filling.
      for await (const chunk of contents) await writeAll(handle, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  return temporary;
}

/** write may take fewer bytes than given (a full disk, a signal): the rest is written after. */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset);
    offset += bytesWritten;
  }
}

/** Makes a rename or link in `directory` durable (POSIX; Windows cannot open a directory to sync it). */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
