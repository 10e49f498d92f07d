/**
 * file-quarantine: moves a file (or the symbolic link itself, never its target) into the
 * quarantine directory and takes every permission away (mode 0000). Everything undo needs is
 * recorded (recordProgress) before anything moves: the path, type, mode, owner, size, SHA-256,
 * inode, link count and mtime.
 */
import { chmod, stat } from 'node:fs/promises';
import type { JsonObject } from '#shared/json.ts';
import type { ResponderAction, ResponderActionContext, ResponderOutcome } from '#shared/responders/protocol.ts';
import type { HostEnvironment } from './environment.ts';
import { hostError, isErrno } from './errors.ts';
import { factsJson, fileFacts, sha256Of } from './file-facts.ts';
import type { FileFacts } from './file-facts.ts';
import { describeFile, resolveFile, scopeJson } from './file-scope.ts';
import type { FileScope } from './file-scope.ts';
import { optionalText, requiredText } from './inputs.ts';
import { isCheckedEntry } from './protected-paths.ts';
import type { FileIdentity } from './protected-paths.ts';
import { ensureQuarantineDir, exists, moveIntoQuarantine, quarantinePathFor, removeNote, writeNote } from './quarantine-store.ts';
import type { QuarantineApplied, QuarantineOrigin } from './quarantine-store.ts';
import type { ScopedEntry } from './scoped-path.ts';

export { describeFile } from './file-scope.ts';

function hardLinkNote(facts: FileFacts, method: 'rename' | 'copy'): string | null {
  if (facts.type !== 'file' || facts.nlink <= 1) return null;
  const others = facts.nlink - 1;
  const links = `${others} other hard link${others === 1 ? '' : 's'} to inode ${facts.inode}`;
  return method === 'rename'
    ? `${links} remain${others === 1 ? 's' : ''}: the content is still reachable through ${others === 1 ? 'it' : 'them'}, with mode 0000 like the quarantined name (they share the inode) until the quarantine is undone; find ${others === 1 ? 'it' : 'them'} with find -xdev -inum ${facts.inode} and quarantine ${others === 1 ? 'it' : 'them'} too`
    : `${links} remain${others === 1 ? 's' : ''} with the content and the permissions unchanged (the quarantine holds a copy); find ${others === 1 ? 'it' : 'them'} with find -xdev -inum ${facts.inode} and quarantine ${others === 1 ? 'it' : 'them'} too`;
}

/**
 * Quarantines the resolved entry the protected-path check cleared (`checked`); refuses
 * (PathChanged) when another file is at the path by now. The caller closes the entry.
 */
export async function quarantineEntry(
  env: HostEnvironment,
  context: ResponderActionContext,
  resolved: { scope: FileScope; entry: ScopedEntry; checked: FileIdentity | null },
): Promise<ResponderOutcome> {
  const { scope, entry, checked } = resolved;
  const { actionId } = context.work;
  const path = entry.path;
  const subject = describeFile(path, scope);
  const { facts, stats } = await fileFacts(entry.handlePath, subject);
  if (!isCheckedEntry(stats, checked)) throw hostError('PathChanged', `${subject} was replaced after it was checked against the protected paths; nothing was moved, try again`);
  // Undo restores only into this same directory (a swapped-in link or mount would redirect it).
  const parent = await stat(entry.directoryPath, { bigint: true });
  const origin: QuarantineOrigin = { resolvedPath: entry.resolvedPath, directoryDevice: parent.dev.toString(), directoryInode: parent.ino.toString() };
  await ensureQuarantineDir(env);
  const quarantinePath = quarantinePathFor(env, actionId);
  if (await exists(quarantinePath)) {
    throw hostError('QuarantineEntryExists', `${quarantinePath} already holds a file for action ${actionId}; it was quarantined before`);
  }
  const prior: JsonObject = { path, ...scopeJson(scope), resolvedPath: entry.resolvedPath, hostPath: entry.hostPath, ...factsJson(facts) };
  const planned: QuarantineApplied = {
    path,
    containerId: scope.container?.id ?? null,
    resolvedPath: entry.resolvedPath,
    quarantinePath,
    ...facts,
    method: null,
    quarantinedMode: null,
  };
  await writeNote(quarantinePath, { actionId, quarantinedAt: env.clock.now().toISOString(), origin, prior, applied: planned });
  await context.recordProgress({ prior, applied: planned });
  context.signal.throwIfAborted();

  const method = await moveIntoQuarantine(entry.handlePath, quarantinePath, facts, subject).catch(async (error: unknown) => {
    // Nothing moved: the note would describe a quarantine that does not exist.
    await removeNote(quarantinePath);
    throw error;
  });
  const notes: string[] = [];
  // The hash of what now sits in quarantine is what undo will check and restore.
  const sha256 = facts.type === 'file' ? await sha256Of(quarantinePath, `the quarantined copy of ${subject}`) : null;
  if (sha256 !== facts.sha256) notes.push(`the file changed while it was being quarantined: it had SHA-256 ${facts.sha256 ?? ''} and the quarantined content has ${sha256 ?? ''}`);
  let quarantinedMode: number | null = null;
  if (facts.type === 'file') {
    try {
      await chmod(quarantinePath, 0);
      quarantinedMode = 0;
    } catch (error) {
      if (!isErrno(error, 'EPERM')) throw error;
      notes.push(`its permissions could not be removed (only its owner, uid ${facts.uid}, root or CAP_FOWNER may chmod it); the quarantine directory (0700) still keeps everyone but uid ${env.euid} out`);
    }
  }
  const applied: QuarantineApplied = { ...planned, method, quarantinedMode, sha256 };
  await writeNote(quarantinePath, { actionId, quarantinedAt: env.clock.now().toISOString(), origin, prior, applied });
  const hardLinks = hardLinkNote(facts, method);
  if (hardLinks !== null) notes.push(hardLinks);
  if (facts.type === 'symlink') notes.push(`the symbolic link itself was quarantined (it pointed to ${facts.linkTarget ?? ''}); its target was not touched`);
  return {
    prior,
    applied,
    result: {
      path,
      ...scopeJson(scope),
      hostPath: entry.hostPath,
      quarantinedTo: quarantinePath,
      type: facts.type,
      sha256,
      size: facts.size,
      method,
      quarantinedMode,
      hardLinks: { count: facts.nlink, othersRemain: facts.type === 'file' ? facts.nlink - 1 : 0 },
      notes,
    },
  };
}

export function fileQuarantine(env: HostEnvironment): ResponderAction {
  return {
    type: 'file-quarantine',
    async execute(context: ResponderActionContext): Promise<ResponderOutcome> {
      const { inputs } = context.work;
      const path = requiredText(inputs, 'path.absolute');
      const containerId = optionalText(inputs, 'container.id');
      const resolved = await resolveFile(env, path, containerId, context.signal, 'quarantine');
      try {
        return await quarantineEntry(env, context, resolved);
      } finally {
        await resolved.entry.close();
      }
    },
  };
}
