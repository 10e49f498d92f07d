/**
 * file-unquarantine (the undo of file-quarantine): puts the quarantined file back at its path
 * with its content (SHA-256 checked), mode, owner and mtime as this responder recorded them in
 * its own note at quarantine time (the service's copy must agree, and is never trusted alone). It never overwrites: a file that appeared at the path since is left alone and the
 * undo refused (DestinationExists).
 */
import { constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { chmod, lchown, lstat, lutimes, open, readlink, stat, unlink, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { JsonObject } from '#shared/json.ts';
import { ResponderActionError } from '#shared/responders/protocol.ts';
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import type { HostEnvironment } from './environment.ts';
import { fileSystemError, hostError, isErrno } from './errors.ts';
import { isoOfNs, kindOf, modeOwnerTime, octal, sha256Of } from './file-facts.ts';
import { resolveFile } from './file-scope.ts';
import { describeFile } from './file-quarantine.ts';
import { optionalText, requiredText } from './inputs.ts';
import { moveOutOfQuarantine, quarantineAppliedSchema, quarantinePathFor, readNote, removeNote } from './quarantine-store.ts';
import type { QuarantineApplied, QuarantineOrigin } from './quarantine-store.ts';
import { isCheckedEntry } from './protected-paths.ts';
import type { ScopedEntry } from './scoped-path.ts';

async function lstatOrNull(path: string): Promise<BigIntStats | null> {
  try {
    return await lstat(path, { bigint: true });
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

/**
 * What the undo's record (from the service) and this responder's own note must agree on. The
 * hash, method and quarantined mode may legitimately differ (the report can predate the note's
 * last update), and undo uses the note's values for them anyway.
 */
const agreedFields = ['path', 'containerId', 'resolvedPath', 'quarantinePath', 'type', 'mode', 'uid', 'gid', 'inode', 'device', 'mtimeNs', 'linkTarget'] as const;

/**
 * The quarantine this undo reverses, from this responder's OWN record: the location is derived
 * from the quarantine's action id, and the record the service hands back (which a stolen
 * responder token could have forged) must agree with the note written at quarantine time. Path,
 * owner and mode (setuid/setgid included) come only from that note.
 */
async function ownRecordOf(env: HostEnvironment, context: ResponderActionContext): Promise<{ applied: QuarantineApplied; origin: QuarantineOrigin }> {
  const { undoOf, inputs } = context.work;
  if (undoOf === null) throw hostError('NothingToUndo', 'file-unquarantine only restores what a file-quarantine moved, and this work names no quarantine to undo');
  const reported = quarantineAppliedSchema.safeParse(undoOf.applied);
  if (!reported.success) throw hostError('UndoMismatch', `action ${undoOf.actionId} (${undoOf.type}) recorded no file quarantine this responder can reverse`);
  const quarantinePath = quarantinePathFor(env, undoOf.actionId);
  const note = await readNote(env, quarantinePath);
  if (note === null) {
    throw hostError('QuarantineRecordMissing', `this responder holds no record of a quarantine for action ${undoOf.actionId} (${quarantinePath}.json); it restores only what it recorded itself, so nothing was restored`);
  }
  const own = note.applied;
  const disagreeing = agreedFields.filter((field) => reported.data[field] !== own[field]);
  if (note.actionId !== undoOf.actionId || own.quarantinePath !== quarantinePath) disagreeing.push('quarantinePath');
  if (disagreeing.length > 0) {
    throw hostError(
      'UndoMismatch',
      `the quarantine record handed back for action ${undoOf.actionId} disagrees with this responder's own record on ${[...new Set(disagreeing)].join(', ')}; nothing was restored`,
    );
  }
  const path = requiredText(inputs, 'path.absolute');
  const containerId = optionalText(inputs, 'container.id');
  const sameContainer = own.containerId === null ? containerId === undefined : containerId !== undefined && own.containerId.startsWith(containerId);
  if (own.path !== path || !sameContainer) {
    throw hostError('UndoMismatch', `action ${undoOf.actionId} quarantined ${own.path}${own.containerId === null ? '' : ` in container ${own.containerId}`}, not the file these inputs name`);
  }
  if (note.origin === undefined) {
    throw hostError(
      'UndoMismatch',
      `this responder's record of the quarantine for action ${undoOf.actionId} (${quarantinePath}.json) does not say which directory the file came from (it predates that check), so it cannot make sure the restore lands there; nothing was restored: put ${quarantinePath} back by hand`,
    );
  }
  return { applied: own, origin: note.origin };
}

/**
 * Refuses (DestinationChanged) a restore whose destination is no longer where the file was
 * quarantined from: a directory on its path swapped for a link (into /etc, say) or a mount
 * since then would have root create the file there, owned by whoever set the trap.
 */
async function refuseMovedDestination(entry: ScopedEntry, origin: QuarantineOrigin, subject: string, quarantinePath: string): Promise<void> {
  const parent = await stat(entry.directoryPath, { bigint: true });
  const sameDirectory = parent.dev.toString() === origin.directoryDevice && parent.ino.toString() === origin.directoryInode;
  if (entry.resolvedPath === origin.resolvedPath && sameDirectory) return;
  const now = entry.resolvedPath === origin.resolvedPath ? 'the same path, but a different directory (replaced, or a mount put over it)' : entry.resolvedPath;
  throw hostError(
    'DestinationChanged',
    `${subject} was quarantined from ${origin.resolvedPath}, in directory ${origin.directoryDevice}:${origin.directoryInode} (device:inode), and now leads to ${now}: a directory on its path was replaced since, by a link or a mount; refusing to restore there, nothing was restored. Restore ${quarantinePath} by hand if the new location is right`,
  );
}

/**
 * Seconds since the epoch from nanoseconds, as the nearest double: utimes takes a double, whose
 * steps are about 240 ns at today's dates, so a time a copy restores is exact when it was set
 * from a double in the first place, and within a quarter of a microsecond otherwise.
 */
function secondsOf(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

/** Opens the restored file itself, never a link someone put in its place. */
async function openRestored(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // A non-root responder cannot open a 0000 file it does not own; fall back to the path.
    if (isErrno(error, 'EACCES')) return null;
    throw error;
  }
}

/** Restores owner, then mode (chown clears setuid and setgid), then mtime. */
async function restoreMetadata(path: string, applied: QuarantineApplied, subject: string): Promise<void> {
  const needs = 'needs root, or CAP_CHOWN, CAP_FOWNER and CAP_FSETID';
  const current = await lstat(path, { bigint: true });
  const mtime = BigInt(applied.mtimeNs);
  if (applied.type === 'symlink') {
    await lchown(path, applied.uid, applied.gid).catch((error: unknown) => {
      throw fileSystemError(error, 'restoring the owner of', subject, needs);
    });
    if (current.mtimeNs !== mtime) await lutimes(path, secondsOf(current.atimeNs), secondsOf(mtime));
    return;
  }
  const handle = await openRestored(path);
  try {
    if (handle !== null) {
      const opened = await handle.stat({ bigint: true });
      if (opened.ino !== current.ino || !opened.isFile()) throw hostError('PathChanged', `${subject} was replaced while it was being restored`);
    }
    const chown = handle === null ? (uid: number, gid: number) => lchown(path, uid, gid) : (uid: number, gid: number) => handle.chown(uid, gid);
    const setMode = handle === null ? (mode: number) => chmod(path, mode) : (mode: number) => handle.chmod(mode);
    await chown(applied.uid, applied.gid).catch((error: unknown) => {
      throw fileSystemError(error, 'restoring the owner of', subject, needs);
    });
    await setMode(applied.mode).catch((error: unknown) => {
      throw fileSystemError(error, 'restoring the mode of', subject, needs);
    });
    if (current.mtimeNs !== mtime) {
      const times = [secondsOf(current.atimeNs), secondsOf(mtime)] as const;
      await (handle === null ? utimes(path, ...times) : handle.utimes(...times));
    }
  } finally {
    await handle?.close();
  }
}

export function fileUnquarantine(env: HostEnvironment): ResponderAction {
  return {
    type: 'file-unquarantine',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { applied, origin } = await ownRecordOf(env, context);
      const quarantinePath = applied.quarantinePath;
      const { scope, entry, checked } = await resolveFile(env, applied.path, applied.containerId ?? undefined, context.signal, 'restore a file to').catch((error: unknown) => {
        if (error instanceof ResponderActionError && error.code === 'FileNotFound') {
          throw hostError('DestinationParentMissing', `cannot restore ${applied.path}: its directory is gone (${error.message}); recreate it and undo again`, error);
        }
        throw error;
      });
      try {
        const subject = describeFile(applied.path, scope);
        await refuseMovedDestination(entry, origin, subject, quarantinePath);
        const quarantined = await lstatOrNull(quarantinePath);
        const atPath = await lstatOrNull(entry.handlePath);
        if (atPath !== null && !isCheckedEntry(atPath, checked)) {
          throw hostError('PathChanged', `${subject} appeared or was replaced after it was checked against the protected paths; nothing was restored, try again`);
        }
        if (quarantined === null) {
          // The quarantine ended before its move (it failed after recording): nothing to put back.
          if (atPath !== null && atPath.ino.toString() === applied.inode && atPath.dev.toString() === applied.device) {
            await removeNote(quarantinePath);
            return {
              prior: { quarantinePath, present: false },
              applied: { path: applied.path, restored: false },
              result: { path: applied.path, restored: false, reason: `${subject} was never moved into quarantine; it is still in place and nothing was changed` },
            };
          }
          throw hostError('QuarantinedFileMissing', `the quarantined copy of ${subject} is gone from ${quarantinePath}; nothing can be restored`);
        }
        if (atPath !== null && !(atPath.ino === quarantined.ino && atPath.dev === quarantined.dev)) {
          throw hostError(
            'DestinationExists',
            `${subject} exists again since the quarantine (${kindOf(atPath)}, ${atPath.size} bytes, modified ${isoOfNs(atPath.mtimeNs)}); refusing to overwrite it: move it away and undo again`,
          );
        }

        const drift: string[] = [];
        if (applied.type === 'file') {
          const mode = Number(quarantined.mode & 0o7777n);
          if (applied.quarantinedMode !== null && mode !== applied.quarantinedMode) {
            drift.push(`in quarantine its mode had become ${octal(mode)} (it was set to ${octal(applied.quarantinedMode)})`);
          }
          // A non-root responder cannot read the 0000 copy it owns until it gives itself read back.
          if (env.euid !== 0 && quarantined.uid === BigInt(env.euid) && (mode & 0o400) === 0) await chmod(quarantinePath, 0o400);
          const sha256 = await sha256Of(quarantinePath, `the quarantined copy of ${subject}`, quarantined);
          if (sha256 !== applied.sha256) {
            throw hostError('HashMismatch', `the quarantined copy of ${subject} has SHA-256 ${sha256}, not ${applied.sha256 ?? ''} as recorded: it was changed in quarantine; nothing was restored`);
          }
        } else {
          const target = await readlink(quarantinePath);
          if (target !== applied.linkTarget) throw hostError('HashMismatch', `the quarantined link for ${subject} points to ${target}, not ${applied.linkTarget ?? ''} as recorded; nothing was restored`);
        }
        if (Number(quarantined.uid) !== applied.uid || Number(quarantined.gid) !== applied.gid) {
          drift.push(`in quarantine its owner had become ${quarantined.uid}:${quarantined.gid}`);
        }
        const prior: JsonObject = {
          quarantinePath,
          present: true,
          mode: Number(quarantined.mode & 0o7777n),
          uid: Number(quarantined.uid),
          gid: Number(quarantined.gid),
          sha256: applied.sha256,
        };
        await context.recordProgress({ prior, applied: { path: applied.path, containerId: applied.containerId, restoredFrom: quarantinePath } });
        context.signal.throwIfAborted();

        let method: 'link' | 'rename' | 'copy' | 'resumed';
        if (atPath === null) {
          method = await moveOutOfQuarantine(quarantinePath, entry.handlePath, applied, subject);
        } else {
          // An earlier attempt linked it back but stopped before removing the quarantine name.
          await unlink(quarantinePath);
          method = 'resumed';
        }
        await restoreMetadata(entry.handlePath, applied, subject);
        await removeNote(quarantinePath);

        const restored = await lstat(entry.handlePath, { bigint: true });
        const result = {
          path: applied.path,
          containerId: applied.containerId,
          hostPath: entry.hostPath,
          restoredFrom: quarantinePath,
          method,
          type: applied.type,
          sha256: applied.sha256,
          ...modeOwnerTime(restored),
          mtimeNs: restored.mtimeNs.toString(),
          hardLinks: Number(restored.nlink),
          drift,
        };
        return { prior, applied: { path: applied.path, containerId: applied.containerId, restoredFrom: quarantinePath, method }, result };
      } finally {
        await entry.close();
      }
    },
  };
}
