/**
 * The local trail: `<DATA_DIR>/trail/trail.jsonl` (directory 0700, file 0600), one entry per line
 * in the form shared/trail/entry.ts defines, appended by this process only (one `npm start` per
 * DATA_DIR). Appends are group-committed: whatever arrives while a write and its fdatasync are
 * under way goes out together in the next one, so a thousand concurrent writers cost one sync per
 * batch, not one each, and every append resolves only once its entry is on disk.
 */
import { constants } from 'node:fs';
import { chmod, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '#shared/clock.ts';
import { logger } from '#shared/log.ts';
import type { TrailAppender } from '#shared/trail/appender.ts';
import { chainEntries, entryHash, parseEntry, type TrailEvent } from '#shared/trail/entry.ts';
import { assertOwnDirectory } from '../data-dir.ts';

export const trailFileName = 'trail.jsonl';

/** `<DATA_DIR>/trail` */
export const trailDirOf = (dataDir: string): string => join(dataDir, 'trail');

interface Pending {
  readonly events: readonly TrailEvent[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Entries written by one write at most: bounds a batch's memory, not its rate. */
const maxBatchEvents = 5000;

export class FileTrail implements TrailAppender {
  readonly #file: FileHandle;
  readonly #clock: Clock;
  #head: { seq: number; hash: string } | null;
  /** Bytes of complete entries: a failed write is cut back to here. */
  #size: number;
  #queue: Pending[] = [];
  #writing: Promise<void> | null = null;
  #closed = false;

  private constructor(file: FileHandle, clock: Clock, head: { seq: number; hash: string } | null, size: number) {
    this.#file = file;
    this.#clock = clock;
    this.#head = head;
    this.#size = size;
  }

  /** Opens (or starts) the trail of a DATA_DIR; a torn last line a crash left mid-write is cut off, and said so. */
  static async open(dataDir: string, clock: Clock): Promise<FileTrail> {
    const dir = trailDirOf(dataDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await assertOwnDirectory(dir, 'DATA_DIR/trail');
    await chmod(dir, 0o700);
    const path = join(dir, trailFileName);
    const file = await open(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      await file.chmod(0o600);
      const { head, tornBytes, size } = await lastEntry(file);
      if (tornBytes > 0) {
        // Written without its newline: the append was never acknowledged (its sync had not returned).
        logger.warn('the trail ended in a partly written entry (the process stopped mid-write); it was cut off', { tornBytes });
        await file.truncate(size - tornBytes);
        await file.datasync();
      }
      return new FileTrail(file, clock, head, size - tornBytes);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  append(events: readonly TrailEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the trail is closed'));
    if (events.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ events, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  /** Waits for what was appended, then closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writing;
    await this.#file.close();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0;
      while (this.#queue.length > 0 && (batch.length === 0 || count + (this.#queue[0]?.events.length ?? 0) <= maxBatchEvents)) {
        const next = this.#queue.shift();
        if (next === undefined) break;
        batch.push(next);
        count += next.events.length;
      }
      const chained = chainEntries(this.#head, batch.flatMap((pending) => pending.events), this.#clock.now().toISOString());
      const text = chained.entries.map(({ stored }) => `${stored}\n`).join('');
      try {
        await this.#file.write(text);
        await this.#file.datasync();
        this.#head = chained.head;
        this.#size += Buffer.byteLength(text);
        for (const pending of batch) pending.resolve();
      } catch (error) {
        // The head stays where it was, and whatever part of the batch reached the file goes (the
        // callers retry): the next batch must follow the last acknowledged entry.
        await this.#file.truncate(this.#size).catch(() => undefined);
        for (const pending of batch) pending.reject(error);
      }
    }
    this.#writing = null;
  }
}

/** The last complete entry's seq and hash, and how many bytes follow the last newline. */
async function lastEntry(file: FileHandle): Promise<{ head: { seq: number; hash: string } | null; tornBytes: number; size: number }> {
  const { size } = await file.stat();
  if (size === 0) return { head: null, tornBytes: 0, size };
  for (let chunk = 64 * 1024; ; chunk *= 4) {
    const start = Math.max(0, size - chunk);
    const buffer = Buffer.alloc(size - start);
    await file.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    const lastNewline = text.lastIndexOf('\n');
    const tornBytes = lastNewline === -1 ? (start === 0 ? size : -1) : Buffer.byteLength(text.slice(lastNewline + 1));
    if (tornBytes === -1) continue;
    if (lastNewline === -1) return { head: null, tornBytes, size };
    const before = text.lastIndexOf('\n', lastNewline - 1);
    if (before === -1 && start > 0) continue;
    const line = text.slice(before + 1, lastNewline);
    const parsed = parseEntry(line);
    const seq = parsed.ok ? parsed.entry.seq : await countLines(file, size - tornBytes) - 1;
    return { head: { seq, hash: entryHash(line) }, tornBytes, size };
  }
}

/** Lines up to `end`: the seq of an unreadable last entry (verify-trail names that entry; the chain goes on from it). */
async function countLines(file: FileHandle, end: number): Promise<number> {
  const buffer = Buffer.alloc(1024 * 1024);
  let lines = 0;
  for (let position = 0; position < end; position += buffer.length) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - position), position);
    for (let index = 0; index < bytesRead; index += 1) if (buffer[index] === 10) lines += 1;
  }
  return lines;
}
