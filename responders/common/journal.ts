/**
 * The responder's memory of what it did, so that no action runs twice: one small file per action
 * id under `<stateDir>/journal/`, written (temporary file, fsync, rename; 0600) before the action
 * starts and again with its outcome before that is reported.
 *
 * - `acting`: the responder was about to report Running, or was running it. Found on a later
 *   delivery by a process that is not running it, it means the responder stopped midway: the
 *   action is not run again, it is reported as interrupted.
 * - `abandoned`: the service refused the pickup (the action had ended or its deadline passed);
 *   nothing was done, so a later dispatch of the same action may run it.
 * - `done`: the outcome, written before it is reported; `reported` once the service answered for it.
 *   A duplicate delivery re-reports it, and so does a restart when the service never answered
 *   (the responder died between the two), so no outcome is lost.
 *
 * On start the runner reads every entry (`list`): an `acting` entry there was left by a process that
 * died (one process per state directory), so the service is told at once that it was interrupted,
 * rather than waiting for its heartbeat to lapse; the action is never run again.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryFilePrefix, writeFileAtomically } from '#shared/fs/atomic-write.ts';
import type { Report } from '#shared/responders/protocol.ts';

export interface JournalEntry {
  readonly actionId: string;
  readonly state: 'acting' | 'abandoned' | 'done';
  readonly at: string;
  /** With `done`: the final report, as sent (without a receipt). */
  readonly outcome?: Report;
  /** With `done`: the service answered for the outcome (accepted it, or said the action had ended). */
  readonly reported?: boolean;
}

/** Action ids become file names: only these characters (the service's ids are UUIDs). */
const actionIdPattern = /^[A-Za-z0-9-]{1,128}$/;

export class ActionJournal {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'journal');
  }

  static isJournalable(actionId: string): boolean {
    return actionIdPattern.test(actionId);
  }

  async prepare(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
  }

  async get(actionId: string): Promise<JournalEntry | undefined> {
    try {
      return JSON.parse(await readFile(this.#file(actionId), 'utf8')) as JournalEntry;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async write(entry: JournalEntry): Promise<void> {
    await writeFileAtomically(this.#file(entry.actionId), JSON.stringify(entry));
  }

  /** Every entry, in no order; an unreadable one (an interrupted write is never one: writes are atomic) is skipped. */
  async list(): Promise<JournalEntry[]> {
    const entries: JournalEntry[] = [];
    for (const name of await readdir(this.#dir)) {
      if (!name.endsWith('.json') || name.startsWith(temporaryFilePrefix)) continue;
      const actionId = name.slice(0, -'.json'.length);
      if (!actionIdPattern.test(actionId)) continue;
      const entry = await this.get(actionId).catch(() => undefined);
      if (entry?.actionId === actionId) entries.push(entry);
    }
    return entries;
  }

  /** Forgets entries older than `maxAgeMs` (their work is long past any deadline) and leftovers of interrupted writes. */
  async prune(maxAgeMs: number, now: Date): Promise<void> {
    for (const name of await readdir(this.#dir)) {
      const path = join(this.#dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) continue;
      if (name.startsWith(temporaryFilePrefix) || now.getTime() - info.mtimeMs > maxAgeMs) await rm(path, { force: true });
    }
  }

  #file(actionId: string): string {
    if (!actionIdPattern.test(actionId)) throw new RangeError(`action id ${JSON.stringify(actionId.slice(0, 40))} cannot name a journal entry`);
    return join(this.#dir, `${actionId}.json`);
  }
}
